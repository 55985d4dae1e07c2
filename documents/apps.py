from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DocumentsConfig(AppConfig):
    name = "documents"
    verbose_name = _("Controlled documents")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from wagtail.signals import page_published, task_submitted, workflow_rejected

        from .receivers import issue_on_publish, notify_author_of_return, notify_signers
        from .users.names import full_name

        # 张伟, not "伟 张": one rule for pages, mails, reports and signatures.
        get_user_model().get_full_name = full_name
        page_published.connect(issue_on_publish, dispatch_uid="shoukong_issue_publish")
        task_submitted.connect(notify_signers, dispatch_uid="shoukong_notify_signers")
        workflow_rejected.connect(
            notify_author_of_return, dispatch_uid="shoukong_notify_return"
        )
