"""The board of a project: every column in workflow order, in a constant number of queries."""

from uuid import UUID

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Window
from django.db.models.functions import Coalesce, RowNumber

from aimodels.models import SystemSettings
from kanban.filters import BoardFilter
from kanban.models import Task
from kanban.serializers import task_rows, with_computed_fields


def project_board(
    *, project_id: UUID, limit_per_column: int | None = None, filters: dict | None = None
) -> dict:
    """`{"project", "columns": [{"status", "count", "matching", "wip_limit", "tasks"}]}` of the
    project with id `project_id`, as BoardSerializer writes it, the tasks as `task_rows` with
    what a card shows (BoardTaskSerializer); counts stay exact whatever the limit.

    `filters` (BoardFilter's: priority, blocked, search) narrow the tasks listed and counted
    in `matching`; `count` stays the whole column's, what its WIP limit is about, and each
    card's `place` its index in the whole column, what a move's `position` is about.

    One query reads the tasks, three more their dependencies (with the titles of what blocks
    them), live approvals and subtask progress. With a limit, each row carries its column's
    count (a window over the whole column); without one, a column's count is its length. Only
    a limit of 0, which lists nothing, counts apart. Filters add one query, the whole counts,
    and a subquery per card, its place.
    """
    columns = empty_columns(SystemSettings.objects.value_of("kanban.wip_limits") or {})
    everything = Task.objects.filter(project=project_id).in_board_order()
    tasks = BoardFilter(filters, queryset=everything).qs.annotate(place=_place()) if filters else everything
    if limit_per_column == 0:
        _count(tasks, columns, "matching")
    elif limit_per_column is None:
        for task in _cards(list(task_rows(tasks, *(["place"] if filters else []))), project_id):
            column = columns[task["status"]]
            task.setdefault("place", len(column["tasks"]))  # unfiltered: its index in the list
            column["tasks"].append(task)
        for column in columns.values():
            column["matching"] = len(column["tasks"])
    else:
        in_column = {"partition_by": F("status")}
        tasks = tasks.annotate(
            rank=Window(RowNumber(), order_by=F("order").asc(), **in_column),
            in_column=Window(Count("*"), **in_column),
        ).filter(rank__lte=limit_per_column)
        for task in _cards(list(task_rows(tasks, "in_column", "place" if filters else "rank")), project_id):
            column = columns[task["status"]]
            column["matching"] = task.pop("in_column")
            if "rank" in task:  # unfiltered: the place is the rank
                task["place"] = task.pop("rank") - 1
            column["tasks"].append(task)
    if filters:
        _count(everything, columns, "count")
    else:
        for column in columns.values():
            column["count"] = column["matching"]
    return {"project": project_id, "columns": list(columns.values())}


def empty_columns(wip_limits: dict) -> dict[str, dict]:
    """The board's columns by status, in workflow order, before any task is counted in."""
    return {
        status: {
            "status": status,
            "count": 0,
            "matching": 0,
            "wip_limit": wip_limits.get(status),
            "tasks": [],
        }
        for status in Task.Status.values
    }


def _place() -> Coalesce:
    """A task's 0-based index in its whole column: how many tasks of the column come before
    it, whatever the filters leave out (an index range of `task_order_unique_in_column`)."""
    before = Task.objects.filter(
        project=OuterRef("project"), status=OuterRef("status"), order__lt=OuterRef("order")
    )
    return Coalesce(Subquery(before.order_by().values("project").annotate(n=Count("*")).values("n")), 0)


def _count(tasks: QuerySet, columns: dict, name: str) -> None:
    for status, count in tasks.values_list("status").annotate(count=Count("*")).order_by():
        columns[status][name] = count


def _cards(rows: list[dict], project_id: UUID) -> list[dict]:
    """The rows with their computed fields, what blocks them by title, and their subtasks'
    progress: what a card shows of tasks the board may not list."""
    rows = with_computed_fields(rows, project=project_id, blockers=True)
    if not rows:
        return rows
    subtasks = (
        Task.objects.filter(project=project_id, parent__isnull=False)
        .values("parent")
        .annotate(total=Count("*"), done=Count("pk", filter=Q(status=Task.Status.DONE)))
        .order_by()
    )
    progress = {row["parent"]: {"done": row["done"], "total": row["total"]} for row in subtasks}
    for row in rows:
        row["subtask_progress"] = progress.get(row["id"], {"done": 0, "total": 0})
    return rows
