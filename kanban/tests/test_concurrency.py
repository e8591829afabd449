"""Concurrent board writers on PostgreSQL, with real threads and real row locks."""

import random
import threading

import pytest

from aimodels.models import SystemSettings
from conftest import client_for
from core.exceptions import Conflict
from core.testing import postgres_only, run_in_threads
from kanban import services
from kanban.models import Task
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory, UserFactory

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]

COLUMNS = Task.Status.values


def test_many_concurrent_movers_lose_and_duplicate_nothing():
    project = ProjectFactory()
    tasks = [TaskFactory(project=project, title=f"T{n:02d}") for n in range(24)]
    threads = 8
    last_status = {}

    def mover(seed, mine):
        def run():
            rng = random.Random(seed)
            for _ in range(15):
                task = rng.choice(mine)
                status = rng.choice(COLUMNS)
                services.task_move(task=task, status=status, position=rng.randint(0, 30))
                last_status[task.pk] = status

        return run

    # Each thread owns its own tasks, so each task's final column is its thread's last move.
    outcomes = run_in_threads([mover(seed, tasks[seed::threads]) for seed in range(threads)])

    assert outcomes == [None] * threads
    final = {task.pk: (task.status, task.order) for task in Task.objects.filter(project=project)}
    assert sorted(final) == sorted(task.pk for task in tasks)
    for task in tasks:
        assert final[task.pk][0] == last_status.get(task.pk, "backlog"), task.title
    for status in COLUMNS:
        keys = [order for task_status, order in final.values() if task_status == status]
        assert len(keys) == len(set(keys)), status


def test_concurrent_moves_into_a_limited_column_never_exceed_it():
    SystemSettings.objects.create(key="kanban.wip_limits", value={"in_progress": 3})
    project = ProjectFactory()
    tasks = [TaskFactory(project=project) for _ in range(8)]

    outcomes = run_in_threads(
        [lambda task=task: services.task_move(task=task, status="in_progress", position=0) for task in tasks]
    )

    moved = [outcome for outcome in outcomes if isinstance(outcome, Task)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert (len(moved), len(refused)) == (3, 5)
    in_progress = set(Task.objects.filter(status="in_progress").values_list("pk", flat=True))
    assert in_progress == {task.pk for task in moved}
    assert Task.objects.filter(status="backlog").count() == 5


def test_concurrent_creates_get_distinct_keys_in_one_column():
    project = ProjectFactory()

    outcomes = run_in_threads(
        [lambda n=n: services.task_create(project=project, title=f"T{n}") for n in range(10)]
    )

    assert all(isinstance(outcome, Task) for outcome in outcomes)
    keys = list(Task.objects.filter(project=project, status="backlog").values_list("order", flat=True))
    assert len(keys) == len(set(keys)) == 10


PAIRS = 100


def in_lockstep(*loops):
    """Run each loop in its own thread; before each step, every loop waits for the others."""
    barrier = threading.Barrier(len(loops))

    def stepping(loop):
        return lambda: [response for response in loop(barrier.wait)]

    return run_in_threads([stepping(loop) for loop in loops], timeout=300)


@pytest.mark.parametrize("field", ["title", "description", "status"])
def test_patches_racing_moves_of_the_same_task_lose_nothing(field):
    owner = UserFactory()
    project = ProjectFactory(owner=owner)
    tasks = [TaskFactory(project=project, status="todo") for _ in range(PAIRS)]
    patched_value = {"title": "patched", "description": "patched", "status": "in_progress"}[field]

    def patcher(step):
        client = client_for(owner)
        for task in tasks:
            step()
            yield client.patch(f"/api/v1/tasks/{task.pk}/", {field: patched_value})

    def mover(step):
        client = client_for(owner)
        for task in tasks:
            step()
            yield client.post(f"/api/v1/tasks/{task.pk}/move/", {"status": "review", "position": 0})

    patches, moves = in_lockstep(patcher, mover)

    assert [r.status_code for r in patches] == [200] * PAIRS, patches
    assert [r.status_code for r in moves] == [200] * PAIRS, moves
    final = {task.pk: task for task in Task.objects.filter(project=project)}
    for task, patch, move in zip(tasks, patches, moves, strict=True):
        row, patch, move = final[task.pk], patch.json(), move.json()
        if field == "status":
            # Both wrote the column: the one that took the lock last holds it, whole.
            last = max(patch, move, key=lambda answer: answer["updated_at"])
            assert (row.status, row.order) == (last["status"], last["order"]), task.pk
        else:
            assert getattr(row, field) == patched_value, task.pk
            assert (row.status, row.order) == ("review", move["order"]), task.pk
