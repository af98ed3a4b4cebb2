"""Django's flush, able to empty the append-only audit log too.

Flush wipes the whole database (the test run uses it between transactional tests), so it alone
lifts the audit log's guard, for its own transaction: on SQLite the triggers are dropped and
put back; on PostgreSQL, whose flush truncates, the transaction sets the one setting the
TRUNCATE trigger lets through. Rows are still never updated or deleted one by one.
"""

from django.core.management.commands.flush import Command as DjangoFlush
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from audit import append_only


class Command(DjangoFlush):
    def handle(self, **options) -> None:
        connection = connections[options.get("database") or DEFAULT_DB_ALIAS]
        if "audit_entry" not in connection.introspection.table_names():
            return super().handle(**options)
        with transaction.atomic(using=connection.alias):
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(f"SET LOCAL {append_only.WIPE_SETTING} = 'on'")
                return super().handle(**options)
            append_only.remove(connection)
            super().handle(**options)
            append_only.install(connection)
