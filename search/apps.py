from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def index_catalogue_after_migrate(sender, using="default", verbosity=1, **kwargs):
    """The clause catalogue is loaded by migrations, which save no model
    instances: index it once the tables exist and no clause is indexed yet, so
    that a fresh ``migrate`` finds clauses without ``manage.py reindex``."""
    from django.db import connections

    from compliance.models import Clause

    from . import index
    from .models import EntryKind, SearchEntry

    connection = connections[using]
    tables = set(connection.introspection.table_names())
    needed = {SearchEntry._meta.db_table, Clause._meta.db_table}
    if not needed <= tables or using != "default":
        return
    if SearchEntry.objects.filter(kind=EntryKind.CLAUSE).exists():
        return
    if not Clause.objects.exists():
        return
    count = index.rebuild(kinds=[EntryKind.CLAUSE])
    if verbosity >= 2:
        print(f"  Search: {count} clauses indexed.")


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = _("Search")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import receivers

        receivers.connect()
        post_migrate.connect(
            index_catalogue_after_migrate,
            sender=self,
            dispatch_uid="search.index_catalogue_after_migrate",
        )
