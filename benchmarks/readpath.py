"""Benchmark: CPU per read request against a floor, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orchestrator .venv/bin/python benchmarks/readpath.py

Builds a throwaway database with one user (signed in by an API token, as clients are), a
project of 10,000 tasks (2,000 per column, every tenth waiting for the one before it) and
49 more projects. Every request goes through
Django's WSGI handler in this process, as a server's worker runs it (middleware, URL
routing, the token check, the view, the rendered body). The floor is the least a request
for the same rows can do: a plain Django view, behind the same handler and middleware, that
checks the token with one query and dumps the same rows (with their AI usage and claim from
their columns, their dependencies read in one more query and their approval checkpoint in
another) from `values()` with orjson. Where the API's answer carries more than rows, the
floor works it out as well: the board's columns have their counts (a window, as the API's)
and WIP limits (one query), its cards the titles of what blocks them, their subtasks'
progress (one query) and their place; the projects list pages by number, so its floor
counts the projects.

CPU time (this process: Python, the driver; not PostgreSQL's) per request is the median of
21 rounds, the API and its floor taking turns within each round, so both see the same
machine. The ratio is the median of the rounds' ratios (each pair measured back to back, so
a machine that drifts slower or faster moves both). It asserts nothing; the numbers go in
the README.
"""

import statistics
import time

import production

production.setup()

import orjson  # noqa: E402
from database import fill_board, throwaway_postgres_database  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, F, Q, Window  # noqa: E402
from django.db.models.functions import RowNumber  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.urls import include, path  # noqa: E402
from floors import token_user  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from aimodels.models import SystemSettings, ai_usage_of  # noqa: E402
from kanban.board import empty_columns  # noqa: E402
from kanban.models import BOARD_ORDER, ORDER_GAP, Task, TaskApproval, TaskDependency  # noqa: E402
from kanban.serializers import (  # noqa: E402
    CLAIM_COLUMNS,
    POLICY_COLUMN,
    STORED_TASK_FIELDS,
    checkpoint_of,
    claim_of,
)
from projects.models import Project  # noqa: E402

TASKS = 10_000
OTHER_PROJECTS = 49
ROUNDS = 21
# The task's columns (its AI usage included); its dependencies come from one more query.
TASK_FIELDS = [*STORED_TASK_FIELDS, *Task.AI_USAGE, *CLAIM_COLUMNS, POLICY_COLUMN]
PROJECT_FIELDS = [
    "id",
    "name",
    "description",
    "git_repository_info",
    *Project.COUNTS,
    "created_at",
    "updated_at",
]


def dumped(payload) -> HttpResponse:
    return HttpResponse(orjson.dumps(payload), content_type="application/json")


def with_edges(rows: list[dict], scope: dict, *, cards: bool = False) -> list[dict]:
    """What the floor adds to its rows, as the API writes it: dependencies (what each row waits
    for, whether one is not done) and, on a board's cards, the titles of those not done, in one
    query over `scope`; the checkpoint from the live approvals, in one more; AI usage and the
    claim from the row's columns."""
    approved = {}
    for task, checkpoint in TaskApproval.objects.filter(voided_at=None, **scope).values_list(
        "task_id", "checkpoint"
    ):
        approved.setdefault(task, set()).add(checkpoint)
    waits_for, blocked_by = {}, {}
    edges = TaskDependency.objects.filter(**scope).order_by(
        "depends_on__column", "depends_on__order", "depends_on_id"
    )  # as the API lists them
    columns = ("task_id", "depends_on_id", "depends_on__status", "depends_on__title")
    for task, awaited, status, title in edges.values_list(*columns):
        waits_for.setdefault(task, []).append(awaited)
        if status != "done":
            blocked_by.setdefault(task, []).append({"id": awaited, "title": title})
    for row in rows:
        row["dependencies"], row["blocked"] = waits_for.get(row["id"], []), row["id"] in blocked_by
        if cards:
            row["blocked_by"] = blocked_by.get(row["id"], [])
        row["ai_usage"] = ai_usage_of({name: row.pop(name) for name in Task.AI_USAGE})
        row["claim"] = claim_of(*(row.pop(name) for name in CLAIM_COLUMNS))
        row["checkpoint"] = checkpoint_of(row.pop(POLICY_COLUMN), approved.get(row["id"], set()))
    return rows


def floor_tasks(request):
    user = token_user(request)
    tasks = Task.objects.filter(project__owner=user, project=request.GET["project"]).order_by(*BOARD_ORDER)
    rows = list(tasks.values(*TASK_FIELDS)[:20])
    ids = [row["id"] for row in rows]
    return dumped({"next": None, "results": with_edges(rows, {"task__in": ids})})


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
        fields = [*TASK_FIELDS, "in_column", "rank"]
    columns = empty_columns(wip_limits)
    subtasks = (
        Task.objects.filter(project=pk, parent__isnull=False)
        .values("parent")
        .annotate(total=Count("*"), done=Count("pk", filter=Q(status="done")))
        .order_by()
    )
    progress = {row["parent"]: {"done": row["done"], "total": row["total"]} for row in subtasks}
    for row in with_edges(list(tasks.values(*fields)), {"task__project": pk}, cards=True):
        column = columns[row["status"]]
        row["subtask_progress"] = progress.get(row["id"], {"done": 0, "total": 0})
        row["place"] = row.pop("rank", len(column["tasks"]) + 1) - 1
        column["count"] = column["matching"] = row.pop("in_column", column["count"] + 1)
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
    fill_board(project, tasks=TASKS, order_gap=ORDER_GAP)
    with connection.cursor() as cursor:
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
