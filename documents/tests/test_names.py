"""Names read in Chinese order (documents.users.names)."""

from django.contrib.auth import get_user_model


def test_chinese_names_put_the_family_name_first_without_a_space():
    User = get_user_model()
    assert User(first_name="伟", last_name="张").get_full_name() == "张伟"
    assert User(first_name="丽娜", last_name="孙").get_full_name() == "孙丽娜"
    assert User(first_name="John", last_name="Smith").get_full_name() == "John Smith"
    assert User(first_name="", last_name="").get_full_name() == ""
