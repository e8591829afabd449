"""Benchmark: task moves and the board endpoint on PostgreSQL, at growing column sizes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orchestrator .venv/bin/python benchmarks/kanban.py

Creates a throwaway database (test_<name>), fills one column with 100, 1,000 and
10,000 tasks, and reports per size: the median and p95 latency of a move (random
task to a random position, within the column and across columns), the rows
written per move (mean and worst), and the latency of GET /projects/{id}/board/; then the
adversarial patterns: 2,000 moves of the last task (then of the first and the last in turn)
to the middle of a 10,000-task column.
It is a measurement, not a test: it asserts nothing and the numbers go in the README.
"""

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "orchestrator.settings")

import django

django.setup()

from database import throwaway_postgres_database  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from core.db_metrics import count_writes  # noqa: E402
from kanban import services  # noqa: E402
from kanban.models import ORDER_GAP, Task  # noqa: E402
from projects.models import Project  # noqa: E402

SIZES = (100, 1_000, 10_000)
MOVES = 300
BOARD_REQUESTS = 30


def p95(values):
    return statistics.quantiles(values, n=20)[-1]


def fill_column(owner, size):
    project = Project.objects.create(owner=owner, name=f"bench {size}")
    Task.objects.bulk_create(
        Task(project=project, title=f"Task {n}", status="backlog", order=(n + 1) * ORDER_GAP)
        for n in range(size)
    )
    return project


def measure_moves(project, size, rng):
    ids = list(Task.objects.filter(project=project).values_list("pk", flat=True))
    latencies, rows = [], []
    for n in range(MOVES):
        task = Task.objects.get(pk=rng.choice(ids))
        status = "backlog" if n % 4 else "todo"  # mostly within the big column, some across
        started = time.perf_counter()
        with count_writes(Task._meta.db_table) as writes:
            services.task_move(task=task, status=status, position=rng.randint(0, size))
        latencies.append((time.perf_counter() - started) * 1000)
        rows.append(writes.rows)
    return latencies, rows


ADVERSARIAL_SIZE = 10_000
ADVERSARIAL_MOVES = 2_000


def measure_adversarial(owner, *, alternate: bool):
    """The last task of a 10,000-task column moved to its middle index, 2,000 times: every
    move lands in the same gap, which halves until a window around it is relabelled. With
    `alternate`, the first and the last task take turns, draining the gap from both sides."""
    project = fill_column(owner, ADVERSARIAL_SIZE)
    latencies, rows = [], []
    for n in range(ADVERSARIAL_MOVES):
        column = Task.objects.in_column(project_id=project.pk, status="backlog")
        last = column.order_by("order" if alternate and n % 2 else "-order").first()
        started = time.perf_counter()
        with count_writes(Task._meta.db_table) as writes:
            services.task_move(task=last, status="backlog", position=ADVERSARIAL_SIZE // 2)
        latencies.append((time.perf_counter() - started) * 1000)
        rows.append(writes.rows)
    return latencies, rows


def measure_board(client, project, params):
    latencies = []
    for _ in range(BOARD_REQUESTS):
        started = time.perf_counter()
        response = client.get(f"/api/v1/projects/{project.pk}/board/", params)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.content
    return latencies


def main():
    with throwaway_postgres_database():
        owner = get_user_model().objects.create_user("bench")
        client = APIClient()
        client.force_authenticate(owner)
        rng = random.Random(42)
        print(
            "| tasks in column | move median ms | move p95 ms | rows/move mean | rows/move max "
            "| board (50/column) median ms | board (all) median ms |"
        )
        print("|---:|---:|---:|---:|---:|---:|---:|")
        for size in SIZES:
            project = fill_column(owner, size)
            latencies, rows = measure_moves(project, size, rng)
            board_limited = measure_board(client, project, {"limit_per_column": 50})
            board_full = measure_board(client, project, {})
            print(
                f"| {size:,} | {statistics.median(latencies):.2f} | {p95(latencies):.2f} "
                f"| {statistics.mean(rows):.2f} | {max(rows)} "
                f"| {statistics.median(board_limited):.1f} | {statistics.median(board_full):.1f} |"
            )
        print()
        print(
            "| pattern | moves | rows/move mean | rows/move max | median ms | p99 ms | worst ms "
            "| worst relabelling move ms |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for label, alternate in (("last task", False), ("first and last task in turn", True)):
            latencies, rows = measure_adversarial(owner, alternate=alternate)
            relabelling = [ms for ms, written in zip(latencies, rows, strict=True) if written > 1]
            print(
                f"| {label} to the middle of {ADVERSARIAL_SIZE:,} | {ADVERSARIAL_MOVES:,} "
                f"| {statistics.mean(rows):.3f} | {max(rows)} | {statistics.median(latencies):.2f} "
                f"| {statistics.quantiles(latencies, n=100)[-1]:.1f} | {max(latencies):.1f} "
                f"| {max(relabelling):.1f} |"
            )


if __name__ == "__main__":
    main()
