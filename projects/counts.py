"""Each project's counts of interviews, prompts, tasks and commits, kept by the database.

Triggers adjust `projects_project.<name>_count` in the statement that inserts, deletes or
re-parents the rows, so every writer (services, admin, cascades, bulk_create, raw SQL)
keeps them exact, atomically, and the projects list reads four columns instead of counting
10,000 tasks a project. PostgreSQL counts per statement (one UPDATE per project a statement
touches, from its transition table); SQLite per row.

SQLite drops a table's triggers when a migration rebuilds the table, so they are installed
again after every `migrate` (idempotently), once the counts' migration is applied.
"""

from django.db.migrations.recorder import MigrationRecorder

COUNTED_TABLES = {
    "interview_count": "projects_interview",
    "prompt_count": "projects_prompt",
    "task_count": "kanban_task",
    "commit_count": "kanban_commit",
}
MIGRATION = ("projects", "0002_project_counts")


def _postgresql(column: str, table: str) -> list[str]:
    def by_statement(name, event, transition, sign):
        return [
            f"""
            CREATE OR REPLACE FUNCTION {table}_{name}() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE projects_project AS project SET {column} = project.{column} {sign} rows.n
                FROM (SELECT project_id, count(*) AS n FROM {transition} GROUP BY project_id) AS rows
                WHERE project.id = rows.project_id;
                RETURN NULL;
            END $$
            """,
            f"""
            CREATE OR REPLACE TRIGGER {table}_{name} AFTER {event} ON {table}
            REFERENCING {"NEW" if sign == "+" else "OLD"} TABLE AS {transition}
            FOR EACH STATEMENT EXECUTE FUNCTION {table}_{name}()
            """,
        ]

    return [
        *by_statement("counted_in", "INSERT", "added", "+"),
        *by_statement("counted_out", "DELETE", "removed", "-"),
        f"""
        CREATE OR REPLACE FUNCTION {table}_counted_across() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE projects_project SET {column} = {column} - 1 WHERE id = OLD.project_id;
            UPDATE projects_project SET {column} = {column} + 1 WHERE id = NEW.project_id;
            RETURN NULL;
        END $$
        """,
        f"""
        CREATE OR REPLACE TRIGGER {table}_counted_across AFTER UPDATE OF project_id ON {table}
        FOR EACH ROW WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id)
        EXECUTE FUNCTION {table}_counted_across()
        """,
    ]


def _sqlite(column: str, table: str) -> list[str]:
    add = f"UPDATE projects_project SET {column} = {column} + 1 WHERE id = NEW.project_id;"
    remove = f"UPDATE projects_project SET {column} = {column} - 1 WHERE id = OLD.project_id;"
    return [
        f"CREATE TRIGGER IF NOT EXISTS {table}_counted_in AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {table}_counted_out AFTER DELETE ON {table} BEGIN {remove} END",
        f"""
        CREATE TRIGGER IF NOT EXISTS {table}_counted_across AFTER UPDATE OF project_id ON {table}
        WHEN OLD.project_id IS NOT NEW.project_id BEGIN {remove} {add} END
        """,
    ]


def install(connection):
    """Create (or replace) the triggers."""
    statements = {"postgresql": _postgresql, "sqlite": _sqlite}[connection.vendor]
    with connection.cursor() as cursor:
        for column, table in COUNTED_TABLES.items():
            for sql in statements(column, table):
                cursor.execute(sql)


def uninstall(connection):
    with connection.cursor() as cursor:
        for table in COUNTED_TABLES.values():
            for name in ("counted_in", "counted_out", "counted_across"):
                if connection.vendor == "postgresql":
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_{name} ON {table}")
                    cursor.execute(f"DROP FUNCTION IF EXISTS {table}_{name}()")
                else:
                    cursor.execute(f"DROP TRIGGER IF EXISTS {table}_{name}")


def recount(connection):
    """Set every project's counts from its rows."""
    counts = ", ".join(
        f"{column} = (SELECT count(*) FROM {table} WHERE {table}.project_id = projects_project.id)"
        for column, table in COUNTED_TABLES.items()
    )
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE projects_project SET {counts}")


def reinstall_after_migrate(using, **kwargs):
    """post_migrate: put back the triggers a SQLite table rebuild dropped."""
    from django.db import connections

    connection = connections[using]
    if MIGRATION in MigrationRecorder(connection).applied_migrations():
        install(connection)
