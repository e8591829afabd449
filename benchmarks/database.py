"""The throwaway PostgreSQL database every benchmark runs in, and the boards they fill it with."""

import sys
from contextlib import contextmanager

from django.db import connection
from django.test.utils import setup_test_environment


@contextmanager
def throwaway_postgres_database():
    """A fresh test_<name> database for the block, dropped after it."""
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to a PostgreSQL database: this benchmark measures PostgreSQL.")
    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def fill_board(project, *, tasks: int, order_gap: int) -> None:
    """`tasks` tasks on `project`'s board, in one statement: spread over the five columns in
    board order, priorities in turn, and every tenth task of a column waiting for the one
    before it."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO kanban_task
                (id, created_at, updated_at, project_id, title, description, status, "order",
                 priority, details, test_strategy, brief)
            SELECT gen_random_uuid(), now(), now(), %s, 'Task ' || g, 'What to do for task ' || g,
                   (ARRAY['backlog', 'todo', 'in_progress', 'review', 'done'])[g %% 5 + 1],
                   (g / 5 + 1) * %s,
                   (ARRAY['low', 'medium', 'high', 'urgent'])[g %% 4 + 1], '', '', '{}'::jsonb
            FROM generate_series(0, %s - 1) AS g
            """,
            [project.pk, order_gap, tasks],
        )
        cursor.execute(
            """
            INSERT INTO kanban_taskdependency (task_id, depends_on_id, created_at)
            SELECT t.id, d.id, now() FROM kanban_task t JOIN kanban_task d
                ON d.project_id = t.project_id AND d.status = t.status AND d."order" = t."order" - %s
            WHERE t.project_id = %s AND (t."order" / %s) %% 10 = 0
            """,
            [order_gap, project.pk, order_gap],
        )
