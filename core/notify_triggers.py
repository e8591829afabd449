"""The PostgreSQL triggers that wake event streams (see `core.streams`): a row inserted into
a watched table sends `NOTIFY orchestrator, '<prefix>:<key>'`, delivered when its transaction
commits (identical ones once per transaction). Installed by a migration of the table's app;
nothing on other databases, whose streams poll."""

from django.db import migrations

from core.streams import CHANNEL


def notify_on_insert(table: str, prefix: str, key: str) -> migrations.RunPython:
    """A migration operation that makes inserts into `table` notify `<prefix>:<row's key>`."""
    name = f"{table}_notify"

    def install(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            f"""
            CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF NEW.{key} IS NOT NULL THEN
                    PERFORM pg_notify('{CHANNEL}', '{prefix}:' || NEW.{key});
                END IF;
                RETURN NULL;
            END $$
            """
        )
        schema_editor.execute(
            f"CREATE OR REPLACE TRIGGER {name} AFTER INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
        )

    def uninstall(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {name}()")

    return migrations.RunPython(install, uninstall)
