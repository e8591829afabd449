"""Board writes. Every write that places a task in a column locks the project
row first: that serialises the writers of one board, so two of them can never
pick the same free order key or both slip under a column's WIP limit."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, F, IntegerField, Max, Min, OuterRef, Value, When
from django.utils import timezone
from rest_framework.exceptions import PermissionDenied
from rest_framework.exceptions import ValidationError as DRFValidationError

from aimodels.models import SystemSettings
from core.exceptions import Conflict
from core.history import current, read_for_update, record
from kanban.brief import merged_brief, same
from kanban.models import (
    BOARD_ORDER,
    COLUMN_OF,
    ORDER_GAP,
    STARTED,
    Checkpoint,
    Commit,
    Task,
    TaskApproval,
    TaskClaim,
    TaskDependency,
)
from projects.models import ApprovalPolicy, Project

# A task's references, checked by the database (and by the serializers' own lookups) rather
# than by a query each in full_clean; Task.clean still checks their projects and depth.
REFERENCES = ["project", "prompt", "parent"]


def _lock_board(project_id) -> Project | None:
    """Serialise all placement writes of one project (see the module docstring); answers the
    project, read once here, so the rules that need it (the approval policy) read it no more."""
    return Project.objects.select_for_update().filter(pk=project_id).first()


def wip_limit(status: str) -> int | None:
    return (SystemSettings.objects.value_of("kanban.wip_limits") or {}).get(status)


def _check_wip_limit(*, project_id, status: str) -> None:
    limit = wip_limit(status)
    if limit is not None and Task.objects.in_column(project_id=project_id, status=status).count() >= limit:
        raise Conflict(f"Column '{status}' is at its WIP limit of {limit}; finish or move a task first.")


def dependencies_enforced() -> bool:
    return SystemSettings.objects.value_of("kanban.enforce_dependencies") is not False


def _check_may_enter(task: Task, status: str) -> None:
    """A task waiting for unfinished tasks cannot start (409 naming them, unless the setting
    `kanban.enforce_dependencies` is off); a task with open subtasks cannot be done."""
    if status in STARTED and task.pk is not None and dependencies_enforced():
        blockers = list(task.dependencies.exclude(status=Task.Status.DONE).values_list("pk", "title"))
        if blockers:
            names = ", ".join(f"'{title}'" for _, title in blockers)
            raise Conflict(
                {
                    "detail": f"Blocked: waits for {names}, not done yet.",
                    "blockers": [str(pk) for pk, _ in blockers],
                }
            )
    if status == Task.Status.DONE and task.pk is not None:
        open_subtasks = list(task.subtasks.exclude(status=Task.Status.DONE).values_list("pk", flat=True))
        if open_subtasks:
            raise Conflict(
                {
                    "detail": f"{len(open_subtasks)} subtask(s) are not done; finish them first.",
                    "subtasks": [str(pk) for pk in open_subtasks],
                }
            )
    _check_checkpoints(task, status)


def _check_checkpoints(task: Task, status: str) -> None:
    """The project's approval policy: with `plan`, a task starts (in progress, review, done)
    only once a person approved its recommended solution; with `plan_and_done`, done also
    needs every acceptance criterion ticked and the result approved. 409 naming the
    checkpoint, whatever the interface."""
    policy = task.project.require_approval
    if policy == ApprovalPolicy.OFF or status not in STARTED:
        return
    approved = set(task.approvals.live().values_list("checkpoint", flat=True)) if task.pk else set()
    if Checkpoint.PLAN not in approved:
        if not task.brief.get("recommendation"):
            detail = (
                "Checkpoint: work starts once a person approves the recommended solution, and the "
                "brief has none yet: write its recommendation first."
            )
        else:
            detail = (
                "Checkpoint: a person approves the recommended solution before work starts "
                f"(POST /api/v1/tasks/{task.pk}/approve/, or Approve on the task's page)."
            )
        raise Conflict({"detail": detail, "checkpoint": Checkpoint.PLAN})
    if policy == ApprovalPolicy.PLAN_AND_DONE and status == Task.Status.DONE:
        _refuse_unticked(task)
        if Checkpoint.RESULT not in approved:
            raise Conflict(
                {
                    "detail": "Checkpoint: a person approves the result before the task is done.",
                    "checkpoint": Checkpoint.RESULT,
                }
            )


def _refuse_unticked(task: Task) -> None:
    """409 naming the acceptance criteria not ticked yet, if any."""
    unticked = [item["text"] for item in task.brief.get("acceptance_criteria", []) if not item.get("done")]
    if unticked:
        raise Conflict(
            {
                "detail": f"Checkpoint: {len(unticked)} acceptance criteria are not ticked yet.",
                "checkpoint": Checkpoint.RESULT,
                "criteria": unticked,
            }
        )


def _set_dependencies(task: Task, depends_on) -> None:
    """Make `task` wait for exactly `depends_on` (tasks of its project), refusing a cycle.

    Runs under the board lock, so two writers cannot each add half of a cycle.
    """
    depends_on = {dependency.pk: dependency for dependency in depends_on}
    if any(dependency.project_id != task.project_id for dependency in depends_on.values()):
        raise ValidationError({"dependencies": "Must be tasks of the same project."})
    if task.pk in depends_on:
        raise ValidationError({"dependencies": "A task cannot depend on itself."})
    waits_for = defaultdict(set)
    edges = TaskDependency.objects.filter(task__project_id=task.project_id).exclude(task=task)
    for waiting, awaited in edges.values_list("task_id", "depends_on_id"):
        waits_for[waiting].add(awaited)
    for dependency in depends_on.values():
        if task.pk in _reachable(dependency.pk, waits_for):
            raise ValidationError(
                {"dependencies": f"'{dependency.title}' already waits for this task: that would be a cycle."}
            )
    before = set(TaskDependency.objects.filter(task=task).values_list("depends_on_id", flat=True))
    if before != depends_on.keys():
        record(
            task,
            "changed",
            {"dependencies": {"from": sorted(map(str, before)), "to": sorted(map(str, depends_on))}},
        )
    TaskDependency.objects.filter(task=task).exclude(depends_on__in=depends_on).delete()
    existing = set(TaskDependency.objects.filter(task=task).values_list("depends_on_id", flat=True))
    TaskDependency.objects.bulk_create(
        TaskDependency(task=task, depends_on_id=pk) for pk in depends_on if pk not in existing
    )


def _reachable(start, waits_for) -> set:
    """Every task `start` waits for, directly or not."""
    seen, stack = set(), [start]
    while stack:
        for awaited in waits_for[stack.pop()]:
            if awaited not in seen:
                seen.add(awaited)
                stack.append(awaited)
    return seen


@transaction.atomic
def dependency_add(*, task: Task, depends_on: Task) -> Task:
    _lock_board(task.project_id)
    current = list(task.dependencies.all())
    _set_dependencies(task, [*current, depends_on])
    return task


@transaction.atomic
def dependency_remove(*, task: Task, depends_on: Task) -> bool:
    """Whether there was such a dependency."""
    _lock_board(task.project_id)
    before = sorted(
        map(str, TaskDependency.objects.filter(task=task).values_list("depends_on_id", flat=True))
    )
    if str(depends_on.pk) not in before:
        return False
    after = [pk for pk in before if pk != str(depends_on.pk)]
    record(task, "changed", {"dependencies": {"from": before, "to": after}})
    TaskDependency.objects.filter(task=task, depends_on=depends_on).delete()
    return True


@transaction.atomic
def task_delete(*, task: Task) -> dict:
    """Delete the task with its subtasks; the tasks that waited for them stop waiting.

    Answers what went: `{"deleted": [ids], "dependencies_removed": [{"task", "depends_on"}]}`,
    the removed dependencies being those of the tasks that remain.
    """
    _lock_board(task.project_id)
    going = [task.pk, *task.subtasks.values_list("pk", flat=True)]
    released = (
        TaskDependency.objects.filter(depends_on__in=going)
        .exclude(task__in=going)
        .values_list("task_id", "depends_on_id")
    )
    removed = [{"task": str(waiting), "depends_on": str(awaited)} for waiting, awaited in released]
    Task.objects.filter(pk__in=going).delete()
    return {"deleted": [str(pk) for pk in going], "dependencies_removed": removed}


PRIORITY_RANK = {priority: rank for rank, priority in enumerate(Task.Priority.values)}
NOT_STARTED = (Task.Status.BACKLOG, Task.Status.TODO)
IN_REVIEW_OR_DONE = (Task.Status.REVIEW, Task.Status.DONE)


def next_task(*, project: Project, holder: str = "") -> tuple[Task, str] | None:
    """The task to do next, and why: of the project's unblocked, not-started tasks that no one
    else holds a live claim on (`holder`'s own claims do not count) and that may start (where
    the project requires approval, their plan is approved), the one with the highest
    priority, then the fewest dependencies, then first in board order."""
    waiting = TaskDependency.objects.filter(task=OuterRef("pk")).exclude(depends_on__status=Task.Status.DONE)
    claimed = TaskClaim.objects.live().filter(task=OuterRef("pk")).exclude(holder=holder)
    candidates = (
        Task.objects.filter(project=project, status__in=NOT_STARTED)
        .exclude(Exists(waiting))
        .exclude(Exists(claimed))
        .annotate(
            priority_rank=Case(
                *(When(priority=priority, then=Value(rank)) for priority, rank in PRIORITY_RANK.items()),
                output_field=IntegerField(),
            ),
            dependency_count=Count("dependency_edges"),
        )
        .order_by("-priority_rank", "dependency_count", *BOARD_ORDER)
    )
    if project.require_approval != ApprovalPolicy.OFF:
        candidates = candidates.plan_approved()
    task = candidates.first()
    if task is None:
        return None
    same_priority = candidates.filter(priority=task.priority)
    reason = f"Priority {task.priority}, the highest of {candidates.count()} unblocked task(s) not started"
    if project.require_approval != ApprovalPolicy.OFF:
        reason += " whose plan is approved"
    if (rivals := same_priority.count()) > 1:
        reason += (
            f"; of the {rivals} at that priority, it has the fewest dependencies ({task.dependency_count})"
        )
        if (tied := same_priority.filter(dependency_count=task.dependency_count).count()) > 1:
            reason += f", and of the {tied} with as few, it comes first on the board"
    return task, reason + "."


def nothing_next(*, project: Project) -> str:
    """Why `next_task` offers nothing: where the project requires approval, how many tasks
    not started wait for a person to approve their plan."""
    reason = "No unblocked task that no one else holds is waiting to be started"
    if project.require_approval == ApprovalPolicy.OFF:
        return reason + "."
    waiting = Task.objects.filter(project=project, status__in=NOT_STARTED).plan_approved(False).count()
    if not waiting:
        return reason + "."
    return (
        f"{reason}: {waiting} task(s) not started wait for a person to approve their plan (propose "
        "one with update_task's brief recommendation where there is none)."
    )


def _end_of_column(*, project_id, status: str) -> int:
    last = Task.objects.in_column(project_id=project_id, status=status).aggregate(last=Max("order"))["last"]
    return ORDER_GAP if last is None else last + ORDER_GAP


@transaction.atomic
def task_create(
    *,
    project: Project,
    title: str,
    status: str = Task.Status.BACKLOG,
    dependencies=(),
    **fields,
) -> Task:
    """A new task at the end of its column; `fields` are the task's other fields
    (description, prompt, priority, complexity, details, test_strategy, parent)."""
    _lock_board(project.pk)
    _check_wip_limit(project_id=project.pk, status=status)
    if "brief" in fields:
        fields["brief"] = _brief(fields["brief"])
    task = Task(project=project, title=title, status=status, **fields)
    task.order = _end_of_column(project_id=project.pk, status=status)
    # The database enforces references, uniqueness and constraints; the rest is checked here.
    task.full_clean(exclude=REFERENCES, validate_unique=False, validate_constraints=False)
    task.save()
    if dependencies:
        _set_dependencies(task, dependencies)
    if status in STARTED:
        _check_may_enter(task, status)
    return task


def _brief(changes, before=None) -> dict:
    """The brief after `changes` (its parts, each validated; the others kept), a 400 naming
    `brief` and the part otherwise."""
    if not isinstance(changes, dict):
        raise DRFValidationError({"brief": ["Must be an object of the brief's parts."]})
    try:
        return merged_brief(before or {}, changes)
    except DRFValidationError as exc:
        raise DRFValidationError({"brief": exc.detail}) from None


@transaction.atomic
def task_update(*, task: Task, whole_brief: bool = False, **fields) -> Task:
    """Change a task's fields; a new status moves it to the end of that column, and
    `dependencies`, if given, replaces what it waits for. A `brief` changes the parts it
    names (`whole_brief`: it is the whole brief, as admin edits it); changing the approved
    recommendation voids its approval.

    Locks in the order every board write uses (board, then task) so it cannot deadlock
    with a move, re-reads the task under its lock, and writes only the fields that change:
    a concurrent move is never reverted by a stale `status` or `order`.
    """
    project = _lock_board(task.project_id)
    task = read_for_update(Task.objects, pk=task.pk)
    task.project = project
    status = fields.pop("status", task.status)
    if "dependencies" in fields:
        _set_dependencies(task, fields.pop("dependencies"))
    if "brief" in fields:
        fields["brief"] = _brief(fields["brief"], None if whole_brief else task.brief)
        _void_what_changed(task, fields["brief"], status=status)
    changed = [name for name, value in fields.items() if getattr(task, name) != value]
    for name in changed:
        setattr(task, name, fields[name])
    if changed:
        task.full_clean(exclude=["order", *REFERENCES], validate_unique=False, validate_constraints=False)
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
    project = _lock_board(task.project_id)
    task = Task.objects.select_for_update().get(pk=task.pk)
    task.project = project
    record(task, "moved", {"status": {"from": task.status, "to": status}, "position": position})
    if status != task.status:
        _check_may_enter(task, status)
        _check_wip_limit(project_id=task.project_id, status=status)
        if status not in IN_REVIEW_OR_DONE and task.project.require_approval != ApprovalPolicy.OFF:
            _void_approvals(task, {Checkpoint.RESULT: "The task went back to work."})
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
        return _relabel(task=task, status=status, position=position, others=others)
    now = timezone.now()
    Task.objects.filter(pk=task.pk).update(status=status, order=order, updated_at=now)
    task.status, task.order, task.updated_at = status, order, now
    task.__dict__.pop("column", None)  # the database derived it anew: read again if asked for
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


def _room_needed(rows: int) -> int:
    """The keys a relabelled window of `rows` rows must leave between neighbours: more, the
    wider the window. A fixed minimum would let a gap moved into again and again drain its
    neighbourhood, each relabel leaving just enough room for the next move, until windows
    span the column; growing with the window, room is left for more moves the more a relabel
    wrote."""
    return max(2, 2 * rows * rows)


@dataclass(frozen=True)
class Window:
    """Rows `start` to `start + size - 1` of a column (counted without the moving task), to be
    spread `step` apart between the keys `lo` and `hi` that bound them (exclusive), the
    moving task among them at index `place`."""

    start: int
    size: int
    lo: int
    hi: int
    place: int

    @property
    def step(self) -> int:
        return (self.hi - self.lo) // (self.size + 2)


def pick_window(keys, *, position: int) -> Window:
    """The smallest window around `position` (k rows on each side, k doubling) whose bounds
    leave `_room_needed` keys between its rows once spread. `keys` are the column's keys in
    order without the moving task: a list, or a queryset (each slice is one query). At an
    end of the column the window extends past it by a gap per row, so the whole column
    always qualifies."""
    k = 1
    while True:
        start, end = max(position - k, 0), position + k
        # The window's keys, and the key bounding it on each side where there is one.
        rows = list(keys[max(start - 1, 0) : end + 1])
        below = rows.pop(0) if start > 0 else None
        above = rows.pop() if len(rows) > end - start else None
        margin = ORDER_GAP * (len(rows) + 1)
        window = Window(
            start=start,
            size=len(rows),
            lo=rows[0] - margin if below is None else below,
            hi=rows[-1] + margin if above is None else above,
            place=position - start,
        )
        if window.step >= _room_needed(window.size) or (below is None and above is None):
            return window
        k *= 2


def _relabel(*, task: Task, status: str, position: int, others) -> Task:
    """No free key at `position`: spread the window `pick_window` chooses evenly over the
    keys that bound it, the task at its place. A move thus writes a bounded neighbourhood,
    never the column, and the column's lock is held for one move."""
    window = pick_window(others.order_by("order").values_list("order", flat=True), position=position)
    column = Task.objects.in_column(project_id=task.project_id, status=status)
    # Every key of the first pass lies below this: below the column and the window.
    below = min(column.aggregate(lowest=Min("order"))["lowest"], window.lo, 0) - 1
    _out_of_the_way(task=task, status=status, window=window, below=below)
    Task.objects.filter(pk=task.pk).update(
        status=status, order=below - 2 * window.place - 1, updated_at=timezone.now()
    )
    # Then `step` apart above `lo`: a row at `below - r` takes rank (r + 1) / 2, and the rows
    # after the task one more.
    distance = Value(below) - F("order")
    rank = (distance + 1) / 2 + Case(When(order__lt=below - 2 * window.place - 1, then=1), default=0)
    column.filter(order__lte=below).update(order=window.lo + window.step * rank)
    task.refresh_from_db(fields=["status", "column", "order", "updated_at"])
    return task


def _out_of_the_way(*, task: Task, status: str, window: Window, below: int) -> None:
    """The window's rows, in their order, to keys `below - 2n` (n = 1, 2, ...): the odd keys
    between them stay free for the task. One statement, whatever the window's size; the
    unique key per column holds throughout, as nothing moves onto a key in use."""
    table, quote = Task._meta.db_table, connection.ops.quote_name
    order, column = quote("order"), quote("column")
    as_stored = Task._meta.pk.get_db_prep_value  # raw SQL takes ids as the backend stores them
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {order} = %s - 2 * ranked.n "
            f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY {order}) AS n FROM {table} "
            f"WHERE project_id = %s AND {column} = %s AND {order} > %s AND {order} < %s AND id <> %s) "
            f"AS ranked WHERE {table}.id = ranked.id",
            [
                below,
                as_stored(task.project_id, connection),
                COLUMN_OF[status],
                window.lo,
                window.hi,
                as_stored(task.pk, connection),
            ],
        )


class Claimed(Conflict):
    """The task is held by someone else: who, and until when."""

    default_code = "claimed"


def claim_ttl() -> timedelta:
    return timedelta(seconds=SystemSettings.objects.value_of("kanban.claim_ttl_seconds"))


@transaction.atomic
def task_claim(*, task: Task, holder: str, user=None, ttl: timedelta | None = None) -> TaskClaim:
    """Give `holder` the lease on `task` for `ttl` (the setting `kanban.claim_ttl_seconds`, 30
    minutes, by default), or renew its own; a 409 naming the holder and until when while
    someone else's claim is live, or when the task is done. Claimers of one task take turns
    (the task's row lock), so of any number at once exactly one wins."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if task.status == Task.Status.DONE:
        raise Conflict("The task is done; there is nothing left to claim.")
    claim = TaskClaim.objects.filter(task=task).first()
    if claim is not None and claim.live and claim.holder != holder:
        raise Claimed(
            {
                "detail": f"Claimed by {claim.holder} until {claim.expires_at:%Y-%m-%d %H:%M:%S} UTC.",
                "holder": claim.holder,
                "expires_at": claim.expires_at.isoformat(),
            }
        )
    renewal = claim is not None and claim.live and claim.holder == holder
    claim = claim or TaskClaim(task=task)
    if not renewal:
        claim.claimed_at = timezone.now()
    claim.holder, claim.claimed_by = holder, user
    claim.expires_at = timezone.now() + (ttl or claim_ttl())
    claim.save()
    if not renewal:
        record(task, "claimed", {"claim": {"from": None, "to": holder}, "until": claim.expires_at})
    return claim


@transaction.atomic
def task_release(*, task: Task, holder: str, breaking: bool = False) -> bool:
    """End `holder`'s claim on `task` (True when there was a live one). Someone else's live
    claim ends only when `breaking` (the task's owner, through the API or admin; recorded as
    broken); an agent cannot break another's."""
    claim = TaskClaim.objects.select_for_update().filter(task=task).first()
    if claim is None or not claim.live:
        return False
    if claim.holder != holder and not breaking:
        raise Claimed(
            {
                "detail": f"Claimed by {claim.holder}, not {holder}; the task's owner may break it.",
                "holder": claim.holder,
                "expires_at": claim.expires_at.isoformat(),
            }
        )
    claim.delete()
    verb = "claim_broken" if claim.holder != holder else "released"
    record(task, verb, {"claim": {"from": claim.holder, "to": None}})
    return True


def task_touch(*, task: Task, holder: str) -> None:
    """Work on a task renews its holder's live claim (one statement; nothing if it holds none)."""
    TaskClaim.objects.live().filter(task=task, holder=holder).update(expires_at=timezone.now() + claim_ttl())


def _void_what_changed(task: Task, brief: dict, *, status: str) -> None:
    """An approval covers what was approved: a new recommended solution voids the plan's and
    the result's (the work was approved against the old one), changed acceptance criteria
    (or their ticks) the result's. A task that is done, and stays done, keeps its approvals:
    it goes back to work first (409). Blanks and whitespace are no change."""
    voided = []
    if not same(task.brief.get("recommendation"), brief.get("recommendation")):
        voided = [
            (Checkpoint.PLAN, "The recommended solution changed."),
            (Checkpoint.RESULT, "The recommended solution changed."),
        ]
    elif not same(task.brief.get("acceptance_criteria"), brief.get("acceptance_criteria")):
        voided = [(Checkpoint.RESULT, "The acceptance criteria changed.")]
    if voided:
        _void_approvals(task, dict(voided), keep=task.status == Task.Status.DONE == status)


def _void_approvals(task: Task, reasons: dict, *, keep: bool = False) -> None:
    """Void the task's live approvals of `reasons`' checkpoints, each recorded with its
    reason (one query when there is none); with `keep`, refuse (409) instead."""
    live = list(TaskApproval.objects.live().filter(task=task, checkpoint__in=reasons))
    if live and keep:
        raise Conflict(
            {
                "detail": "The task is done, approved as it is: move it back to work before changing "
                "what was approved (its recommended solution or acceptance criteria).",
                "checkpoint": live[0].checkpoint,
            }
        )
    now = timezone.now()
    for approval in live:
        approval.voided_at, approval.void_reason = now, reasons[approval.checkpoint]
        approval.save(update_fields=["voided_at", "void_reason"])
        record(task, "approval_voided", {"checkpoint": approval.checkpoint, "reason": approval.void_reason})


# Channels through which no one approves: an agent's tool call is not a person's decision.
AGENT_CHANNELS = ("agent", "mcp")


@transaction.atomic
def task_approve(*, task: Task, user, checkpoint: str | None = None, comment: str = "") -> TaskApproval:
    """A person approves the task's recommended solution (`plan`) or its result; without a
    checkpoint, what waits for approval (the result once the plan is approved and work has
    started, where the project asks for it). Approving again what is approved changes nothing. Refused (403)
    through an agent's tools or MCP: approval is a person's, in the API or admin."""
    if current().channel in AGENT_CHANNELS:
        raise PermissionDenied(
            "Approval is a person's: ask the task's owner to approve it in admin or the API."
        )
    task = Task.objects.select_for_update().get(pk=task.pk)
    live = {approval.checkpoint: approval for approval in TaskApproval.objects.live().filter(task=task)}
    if checkpoint is None:  # what is waiting for a person: the plan, then (started) the result
        result_waits = (
            task.project.require_approval == ApprovalPolicy.PLAN_AND_DONE and task.status in STARTED
        )
        checkpoint = Checkpoint.RESULT if Checkpoint.PLAN in live and result_waits else Checkpoint.PLAN
    if checkpoint in live:
        return live[checkpoint]
    if checkpoint == Checkpoint.PLAN and not task.brief.get("recommendation"):
        raise Conflict("Nothing to approve yet: write the brief's recommended solution first.")
    if checkpoint == Checkpoint.RESULT:
        if Checkpoint.PLAN not in live or task.status not in STARTED:
            raise Conflict("A result is approved once its plan is approved and the work has started.")
        _refuse_unticked(task)
    approved = (
        task.brief["recommendation"]
        if checkpoint == Checkpoint.PLAN
        else {"acceptance_criteria": task.brief.get("acceptance_criteria", [])}
    )
    approval = TaskApproval.objects.create(
        task=task, checkpoint=checkpoint, approved_by=user, comment=comment, approved=approved
    )
    record(task, "approved", {"checkpoint": checkpoint, "comment": comment})
    return approval


@transaction.atomic
def commit_record(*, commit: Commit, sha: str, branch: str = "", repository: str = "") -> Commit:
    """Store the SHA git made with `commit`'s message, and its branch and repository, recorded
    as `committed`. The same SHA again changes nothing; another SHA for a recorded commit, or
    a SHA another commit of the project has, is a 409."""
    # Recorders of one project take turns, so two commits never both take one SHA (the
    # constraint would refuse the second with an error, not a 409).
    Project.objects.select_for_update().filter(pk=commit.project_id).values_list("pk", flat=True).first()
    commit = Commit.objects.get(pk=commit.pk)
    if commit.sha:
        if commit.sha == sha:
            return commit
        raise Conflict(f"This commit is already recorded as {commit.sha}.")
    taken = Commit.objects.filter(project_id=commit.project_id, sha=sha).values_list("pk", flat=True).first()
    if taken is not None:
        raise Conflict(f"Commit {taken} of this project is already recorded as {sha}.")
    recorded = {"sha": sha, "branch": branch, "repository": repository, "recorded_at": timezone.now()}
    # One write, recorded once as `committed` (a save would record it as `changed` too).
    Commit.objects.filter(pk=commit.pk).update(**recorded)
    changes = {name: {"from": getattr(commit, name), "to": value} for name, value in recorded.items()}
    record(commit, "committed", changes)
    for name, value in recorded.items():
        setattr(commit, name, value)
    return commit
