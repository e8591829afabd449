"""The PostgreSQL triggers that order and wake event streams (see `core.streams`).

A row inserted into a watched table, in its channel (`<prefix>:<key>`):
- waits for the other inserting transactions of the same channel to end (a transaction-wide
  advisory lock) and only then takes its id, so a channel's ids follow the order in which
  its rows commit: a stream that has read up to id N has missed nothing below N, and
  `Last-Event-ID` resumes exactly (without this, a row taking id 2 and committing after id 3
  would be passed over for good);
- sends `NOTIFY orchestrator, '<prefix>:<key>'`, delivered when the transaction commits
  (identical ones once per transaction).

Installed by a migration of the table's app; nothing on other databases (SQLite lets one
transaction write at a time, so its ids follow commits already, and its streams poll).
"""

from django.db import migrations

from core.streams import CHANNEL


def _install(schema_editor, table: str, prefix: str, key: str, *, ordered: bool) -> None:
    name = f"{table}_notify"
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
    order = (
        f"""PERFORM pg_advisory_xact_lock(hashtext('{prefix}:' || NEW.{key}));
                    NEW.id := nextval(pg_get_serial_sequence('{table}', 'id'));"""
        if ordered
        else ""
    )
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF NEW.{key} IS NOT NULL THEN
                {order}
                PERFORM pg_notify('{CHANNEL}', '{prefix}:' || NEW.{key});
            END IF;
            RETURN NEW;
        END $$
        """
    )
    when = "BEFORE" if ordered else "AFTER"
    schema_editor.execute(
        f"CREATE TRIGGER {name} {when} INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION {name}()"
    )


def _uninstall(schema_editor, table: str) -> None:
    schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_notify ON {table}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_notify()")


def stream_trigger(table: str, prefix: str, key: str, *, ordered: bool = True) -> migrations.RunPython:
    """A migration operation that installs the trigger on `table` (`ordered`: the second
    form, which also orders a channel's ids; going back restores the first)."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            _install(schema_editor, table, prefix, key, ordered=ordered)

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        if ordered:
            _install(schema_editor, table, prefix, key, ordered=False)
        else:
            _uninstall(schema_editor, table)

    return migrations.RunPython(forwards, backwards)


def notify_on_insert(table: str, prefix: str, key: str) -> migrations.RunPython:
    """The first form: inserts notify their channel."""
    return stream_trigger(table, prefix, key, ordered=False)
