"""Benchmark: CPU per read request against a floor, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orchestrator .venv/bin/python benchmarks/readpath.py

Builds a throwaway database with one user (signed in by an API token, as clients are), a
project of 10,000 tasks (2,000 per column, every tenth waiting for the one before it) and
49 more projects. Every request goes through
Django's WSGI handler in this process, as a server's worker runs it (middleware, URL
routing, the token check, the view, the rendered body). The floor is the least a request
for the same rows can do: a plain Django view, behind the same handler and middleware, that
checks the token with one query and dumps the same rows (with their AI usage, and their
dependencies read in one more query) from `values()` with orjson. Where the API's answer carries more
than rows, the floor works it out as well: the board's columns have their counts (a window,
as the API's) and WIP limits (one query), and the projects list pages by number, so its floor
counts the projects.

CPU time (this process: Python, the driver; not PostgreSQL's) per request is the median of
21 rounds, the API and its floor taking turns within each round, so both see the same
machine. The ratio is the median of the rounds' ratios (each pair measured back to back, so
a machine that drifts slower or faster moves both). It asserts nothing; the numbers go in
the README.
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator.settings")
os.environ.setdefault("DEBUG", "false")  # as in production: no query log
os.environ.setdefault("SECRET_KEY", "benchmark-only")
os.environ.setdefault("FIELD_ENCRYPTION_KEYS", "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=")

import django

django.setup()

import orjson  # noqa: E402
from database import throwaway_postgres_database  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, F, Window  # noqa: E402
from django.db.models.functions import RowNumber  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from knox.models import AuthToken  # noqa: E402
from knox.settings import CONSTANTS  # noqa: E402

from aimodels.models import SystemSettings, ai_usage_of  # noqa: E402
from kanban.models import BOARD_ORDER, ORDER_GAP, Task, TaskDependency  # noqa: E402
from kanban.serializers import STORED_TASK_FIELDS  # noqa: E402
from projects.models import Project  # noqa: E402

TASKS = 10_000
OTHER_PROJECTS = 49
ROUNDS = 21
# The task's columns (its AI usage included); its dependencies come from one more query.
TASK_FIELDS = [*STORED_TASK_FIELDS, *Task.AI_USAGE]
PROJECT_FIELDS = [
    "id",
    "name",
    "description",
    "git_repository_info",
    *Project.COUNTS,
    "created_at",
    "updated_at",
]


def token_user(request):
    """The floor's token check: one query, the token's user or None."""
    key = request.headers.get("Authorization", "").removeprefix("Token ")[: CONSTANTS.TOKEN_KEY_LENGTH]
    token = AuthToken.objects.select_related("user").filter(token_key=key).first()
    return token.user if token else None


def dumped(payload) -> HttpResponse:
    return HttpResponse(orjson.dumps(payload), content_type="application/json")


def with_edges(rows: list[dict], edges) -> list[dict]:
    """The floor's dependencies (what each row waits for, whether one is not done), in one
    more query, and AI usage (from the row's columns), as the API writes them."""
    waits_for, blocked = {}, set()
    edges = edges.order_by(
        "depends_on__column", "depends_on__order", "depends_on_id"
    )  # as the API lists them
    for task, awaited, status in edges.values_list("task_id", "depends_on_id", "depends_on__status"):
        waits_for.setdefault(task, []).append(awaited)
        if status != "done":
            blocked.add(task)
    for row in rows:
        row["dependencies"], row["blocked"] = waits_for.get(row["id"], []), row["id"] in blocked
        row["ai_usage"] = ai_usage_of({name: row.pop(name) for name in Task.AI_USAGE})
    return rows


def floor_tasks(request):
    user = token_user(request)
    tasks = Task.objects.filter(project__owner=user, project=request.GET["project"]).order_by(*BOARD_ORDER)
    rows = list(tasks.values(*TASK_FIELDS)[:20])
    ids = [row["id"] for row in rows]
    return dumped({"next": None, "results": with_edges(rows, TaskDependency.objects.filter(task__in=ids))})


def floor_board(request, pk):
    user = token_user(request)
    wip_limits = SystemSettings.objects.filter(key="kanban.wip_limits").values_list("value", flat=True)
    wip_limits = wip_limits.first() or {}
    tasks = Task.objects.filter(project__owner=user, project=pk).order_by(*BOARD_ORDER)
    fields = TASK_FIELDS
    if "limit_per_column" in request.GET:
        rank = Window(RowNumber(), partition_by=F("status"), order_by=F("order").asc())
        in_column = Window(Count("*"), partition_by=F("status"))
        tasks = tasks.annotate(rank=rank, in_column=in_column).filter(
            rank__lte=int(request.GET["limit_per_column"])
        )
        fields = [*TASK_FIELDS, "in_column"]
    columns = {
        status: {"status": status, "count": 0, "wip_limit": wip_limits.get(status), "tasks": []}
        for status in Task.Status.values
    }
    for row in with_edges(list(tasks.values(*fields)), TaskDependency.objects.filter(task__project=pk)):
        column = columns[row["status"]]
        column["count"] = row.pop("in_column", column["count"] + 1)
        column["tasks"].append(row)
    return dumped({"project": pk, "columns": list(columns.values())})


def floor_projects(request):
    user = token_user(request)
    projects = Project.objects.filter(owner=user)
    rows = projects.order_by("-created_at").values(*PROJECT_FIELDS)[:20]
    return dumped({"count": projects.count(), "next": None, "previous": None, "results": list(rows)})


class Routes:
    urlpatterns = [
        path("floor/tasks/", floor_tasks),
        path("floor/board/<uuid:pk>/", floor_board),
        path("floor/projects/", floor_projects),
        path("", include("orchestrator.urls")),
    ]


def build():
    owner = get_user_model().objects.create_user("owner")
    _, token = AuthToken.objects.create(owner)
    project = Project.objects.create(owner=owner, name="Big board")
    Project.objects.bulk_create(Project(owner=owner, name=f"Project {n}") for n in range(OTHER_PROJECTS))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO kanban_task
                (id, created_at, updated_at, project_id, title, description, status, "order",
                 priority, details, test_strategy)
            SELECT gen_random_uuid(), now(), now(), %s, 'Task ' || g, 'What to do for task ' || g,
                   (ARRAY['backlog', 'todo', 'in_progress', 'review', 'done'])[g %% 5 + 1],
                   (g / 5 + 1) * %s,
                   (ARRAY['low', 'medium', 'high', 'urgent'])[g %% 4 + 1], '', ''
            FROM generate_series(0, %s - 1) AS g
            """,
            [project.pk, ORDER_GAP, TASKS],
        )
        cursor.execute(  # every tenth task of a column waits for the one before it
            """
            INSERT INTO kanban_taskdependency (task_id, depends_on_id, created_at)
            SELECT t.id, d.id, now() FROM kanban_task t JOIN kanban_task d
                ON d.project_id = t.project_id AND d.status = t.status AND d."order" = t."order" - %s
            WHERE t.project_id = %s AND (t."order" / %s) %% 10 = 0
            """,
            [ORDER_GAP, project.pk, ORDER_GAP],
        )
        cursor.execute("VACUUM ANALYZE")
    return project, token


def cpu_ms(handler, environ, requests: int) -> float:
    started = time.process_time()
    statuses = []

    def start_response(status, headers, *exc_info):
        statuses.append(status)

    for _ in range(requests):
        body = b"".join(handler(dict(environ), start_response))
        assert statuses[-1].startswith("200"), (statuses[-1], body[:500])
    return (time.process_time() - started) * 1000 / requests


def main():
    with throwaway_postgres_database(), override_settings(ROOT_URLCONF=Routes):
        project, token = build()
        handler, factory = WSGIHandler(), RequestFactory(HTTP_AUTHORIZATION=f"Token {token}")
        board = f"/api/v1/projects/{project.pk}/board/"
        cases = [
            (
                "one project's tasks, page of 20",
                f"/api/v1/tasks/?project={project.pk}",
                f"/floor/tasks/?project={project.pk}",
                40,
            ),
            (
                "board, 50 per column",
                f"{board}?limit_per_column=50",
                f"/floor/board/{project.pk}/?limit_per_column=50",
                10,
            ),
            ("projects, page of 20", "/api/v1/projects/", "/floor/projects/", 40),
            ("whole board, 10,000 tasks", board, f"/floor/board/{project.pk}/", 1),
        ]
        print("| request | API CPU ms | floor CPU ms | ratio |")
        print("|---|---:|---:|---:|")
        for label, url, floor_url, requests in cases:
            ours, floor = factory.get(url, secure=True).environ, factory.get(floor_url, secure=True).environ
            cpu_ms(handler, ours, requests), cpu_ms(handler, floor, requests)  # warm up
            rounds = [
                (cpu_ms(handler, ours, requests), cpu_ms(handler, floor, requests)) for _ in range(ROUNDS)
            ]
            api, base = (statistics.median(column) for column in zip(*rounds, strict=True))
            ratio = statistics.median(ours / floor for ours, floor in rounds)
            print(f"| {label} | {api:.2f} | {base:.2f} | {ratio:.2f}x |")


if __name__ == "__main__":
    main()
