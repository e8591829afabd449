"""Benchmark: the lists at a million tasks, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orchestrator .venv/bin/python benchmarks/scale.py

Builds a throwaway database (test_<name>) with 1,000,000 tasks: two users, 50 projects
each, 10,000 tasks per project spread over the five columns (one INSERT ... SELECT from
generate_series, then VACUUM ANALYZE). Then times the server's side of a request, as a
worker runs it: Django's WSGI handler in this process (middleware, routing, the API token
checked, the view, the rendered body), no client. The median and p95 of 30 requests each
(after one that warms caches): an owner's task list on page 1 and 1,000 pages deep (a
cursor 20,000 rows in), one project's tasks, and the projects list with its four counts;
beside each, the median time its queries spent in the database (PostgreSQL's work and the
round trips of all of them, the token's included), and PostgreSQL's own time for the query
that reads the page (EXPLAIN ANALYZE: planning and execution). It asserts nothing; the
numbers go in the README.
"""

import base64
import json
import statistics
import time

import production

production.setup()

from database import throwaway_postgres_database  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from kanban.models import BOARD_ORDER, ORDER_GAP, Task  # noqa: E402
from projects.models import Project  # noqa: E402

USERS = 2
PROJECTS_PER_USER = 50
TASKS_PER_PROJECT = 10_000
REQUESTS = 30


def build():
    users = [get_user_model().objects.create_user(f"user{n}") for n in range(USERS)]
    for user in users:
        Project.objects.bulk_create(
            Project(owner=user, name=f"{user.username} project {n}") for n in range(PROJECTS_PER_USER)
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO kanban_task
                (id, created_at, updated_at, project_id, title, description, status, "order",
                 priority, details, test_strategy, brief)
            SELECT gen_random_uuid(), now(), now(), p.id, 'Task ' || g, '',
                   (ARRAY['backlog', 'todo', 'in_progress', 'review', 'done'])[g %% 5 + 1],
                   (g / 5 + 1) * %s,
                   (ARRAY['low', 'medium', 'high', 'urgent'])[g %% 4 + 1], '', '', '{}'::jsonb
            FROM projects_project p CROSS JOIN generate_series(0, %s - 1) AS g
            """,
            [ORDER_GAP, TASKS_PER_PROJECT],
        )
        cursor.execute("VACUUM ANALYZE")  # as autovacuum would: index-only scans for the counts
    print(f"Built {Task.objects.count():,} tasks in {time.perf_counter() - started:.0f} s.\n")
    return users[0]


def cursor_after(owner, rows: int) -> str:
    """The cursor the list gives out after `rows` rows of the owner's board order."""
    last = Task.objects.for_user(owner).in_board_order().values_list(*BOARD_ORDER)[rows - 1]
    return base64.urlsafe_b64encode(json.dumps([str(value) for value in last]).encode()).decode()


class DatabaseClock:
    """Time spent in the database driver's execute: PostgreSQL's work plus the round trips."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def timed(handler, environ):
    """Median and p95 of the server's time for the request, and median of its database time,
    in ms; the first request warms caches and is not counted."""
    latencies, database, statuses = [], [], []

    def start_response(status, headers, *exc_info):
        statuses.append(status)

    for _ in range(REQUESTS + 1):
        clock = DatabaseClock()
        started = time.perf_counter()
        with connection.execute_wrapper(clock):
            body = b"".join(handler(dict(environ), start_response))
        latencies.append((time.perf_counter() - started) * 1000)
        database.append(clock.seconds * 1000)
        assert statuses[-1].startswith("200"), (statuses[-1], body[:500])
    latencies, database = latencies[1:], database[1:]
    return (
        statistics.median(latencies),
        statistics.quantiles(latencies, n=20)[-1],
        statistics.median(database),
    )


def page_query_ms(handler, environ, table: str) -> float:
    """PostgreSQL's own time (planning and execution, EXPLAIN ANALYZE) for the query that
    reads the page's rows from `table`: the median of REQUESTS runs."""
    with CaptureQueriesContext(connection) as queries:
        b"".join(handler(dict(environ), lambda status, headers, *exc_info: None))
    page = next(q["sql"] for q in queries if f'FROM "{table}"' in q["sql"] and "LIMIT" in q["sql"])
    runs = []
    with connection.cursor() as cursor:
        for _ in range(REQUESTS):
            cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {page}")
            plan = cursor.fetchone()[0][0]
            runs.append(plan["Planning Time"] + plan["Execution Time"])
    return statistics.median(runs)


def main():
    with throwaway_postgres_database():
        owner = build()
        _, token = AuthToken.objects.create(owner)
        handler, factory = WSGIHandler(), RequestFactory(HTTP_AUTHORIZATION=f"Token {token}")
        project = Project.objects.filter(owner=owner).first()
        cases = [
            ("owner's tasks, page 1", "/api/v1/tasks/", {}),
            ("owner's tasks, 1,000 pages deep", "/api/v1/tasks/", {"cursor": cursor_after(owner, 20_000)}),
            ("one project's tasks (?project=), page 1", "/api/v1/tasks/", {"project": str(project.pk)}),
            ("projects with their four counts, page 1", "/api/v1/projects/", {}),
        ]
        print(
            "| request (20 rows) | server time median ms | p95 ms | database median ms "
            "| page query in PostgreSQL ms |"
        )
        print("|---|---:|---:|---:|---:|")
        for label, url, params in cases:
            environ = factory.get(url, params).environ
            median, p95, database = timed(handler, environ)
            page = page_query_ms(handler, environ, "projects_project" if "projects" in url else "kanban_task")
            print(f"| {label} | {median:.2f} | {p95:.2f} | {database:.2f} | {page:.2f} |")


if __name__ == "__main__":
    main()
