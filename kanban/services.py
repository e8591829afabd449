"""Board writes. Every write that places a task in a column locks the project
row first: that serialises the writers of one board, so two of them can never
pick the same free order key or both slip under a column's WIP limit."""

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from aimodels.models import AIModel, SystemSettings
from jobs.models import Job
from jobs.services import job_submit
from kanban.models import ORDER_GAP, Task
from orchestrator.exceptions import Conflict
from projects.models import Project, Prompt


def _lock_board(project_id) -> None:
    # Serialises all placement writes of one project (see the module docstring).
    Project.objects.select_for_update().filter(pk=project_id).values_list("pk", flat=True).first()


def wip_limit(status: str) -> int | None:
    return (SystemSettings.objects.value_of("kanban.wip_limits") or {}).get(status)


def _check_wip_limit(*, project_id, status: str) -> None:
    limit = wip_limit(status)
    if limit is not None and Task.objects.in_column(project_id=project_id, status=status).count() >= limit:
        raise Conflict(f"Column '{status}' is at its WIP limit of {limit}; finish or move a task first.")


def _end_of_column(*, project_id, status: str) -> int:
    last = Task.objects.in_column(project_id=project_id, status=status).aggregate(last=Max("order"))["last"]
    return ORDER_GAP if last is None else last + ORDER_GAP


@transaction.atomic
def task_create(
    *,
    project: Project,
    title: str,
    description: str = "",
    status: str = Task.Status.BACKLOG,
    prompt: Prompt | None = None,
) -> Task:
    """A new task at the end of its column."""
    _lock_board(project.pk)
    _check_wip_limit(project_id=project.pk, status=status)
    task = Task(project=project, title=title, description=description, status=status, prompt=prompt)
    task.order = _end_of_column(project_id=project.pk, status=status)
    task.full_clean(validate_constraints=False)  # the database enforces them
    task.save()
    return task


@transaction.atomic
def task_update(*, task: Task, **fields) -> Task:
    """Change a task's fields; a new status moves it to the end of that column.

    Locks in the order every board write uses (board, then task) so it cannot deadlock
    with a move, re-reads the task under its lock, and writes only the fields that change:
    a concurrent move is never reverted by a stale `status` or `order`.
    """
    _lock_board(task.project_id)
    task = Task.objects.select_for_update().get(pk=task.pk)
    status = fields.pop("status", task.status)
    changed = [name for name, value in fields.items() if getattr(task, name) != value]
    for name in changed:
        setattr(task, name, fields[name])
    if changed:
        task.full_clean(exclude=["order"], validate_constraints=False)
        task.save(update_fields=[*changed, "updated_at"])
    if status != task.status:
        task = task_move(task=task, status=status, position=None)
    return task


@transaction.atomic
def task_move(*, task: Task, status: str, position: int | None = None) -> Task:
    """Put `task` at 0-based `position` of column `status` (None or past the end: last).

    The position counts the column without the task itself, so moving within a
    column works the same way. An ordinary move writes the one row, keyed
    halfway between its new neighbours; only when they leave no gap is the
    column renumbered.
    """
    _lock_board(task.project_id)
    task = Task.objects.select_for_update().get(pk=task.pk)
    if status != task.status:
        _check_wip_limit(project_id=task.project_id, status=status)
    others = Task.objects.in_column(project_id=task.project_id, status=status).exclude(pk=task.pk)
    position = others.count() if position is None else position
    before, after = _neighbours(others, position)
    if before is None and after is None:
        order = ORDER_GAP
    elif after is None:
        order = before + ORDER_GAP
    elif before is None:
        order = after - ORDER_GAP
    elif after - before > 1:
        order = (before + after) // 2
    else:
        return _rebalance_column(task=task, status=status, position=position)
    now = timezone.now()
    Task.objects.filter(pk=task.pk).update(status=status, order=order, updated_at=now)
    task.status, task.order, task.updated_at = status, order, now
    return task


def _neighbours(others, position: int) -> tuple[int | None, int | None]:
    """The order keys just before and at `position` among `others`."""
    keys = others.order_by("order").values_list("order", flat=True)
    if position == 0:
        return None, keys.first()
    window = list(keys[position - 1 : position + 1])
    if not window:
        return keys.last(), None
    return window[0], (window[1] if len(window) > 1 else None)


def _rebalance_column(*, task: Task, status: str, position: int) -> Task:
    """Renumber column `status` with even gaps, placing `task` at `position`.

    Written in two passes so no statement ever holds two rows on one key: first
    every row moves to a distinct key below both zero and the column's lowest
    key, then to its final positive key.
    """
    column = Task.objects.in_column(project_id=task.project_id, status=status)
    lowest = min(column.aggregate(lowest=Min("order"))["lowest"] or 0, task.order, 0)
    rows = list(column.exclude(pk=task.pk).order_by("order").only("pk", "order", "status"))
    task.status = status
    task.updated_at = timezone.now()
    rows.insert(min(position, len(rows)), task)
    for index, row in enumerate(rows):
        row.order = lowest - 1 - index
    Task.objects.bulk_update(rows, ["order", "status"])
    for index, row in enumerate(rows, start=1):
        row.order = index * ORDER_GAP
    Task.objects.bulk_update(rows, ["order"])
    Task.objects.filter(pk=task.pk).update(updated_at=task.updated_at)
    return task


def commit_generate(*, task: Task, changes, ai_model: AIModel, owner, idempotency_key: str = "") -> Job:
    """Start the job in which the model writes a Conventional Commit for the task's changes
    (`kanban.jobs.commit_write`)."""
    return job_submit(
        owner=owner,
        kind=Job.Kind.COMMIT_GENERATE,
        project=task.project,
        ai_model=ai_model,
        input={"task": str(task.pk), "changes": changes},
        fingerprint={"task": str(task.pk), "changes": changes},
        idempotency_key=idempotency_key,
    )
