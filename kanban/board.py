"""The board of a project: every column in workflow order, in a constant number of queries."""

from uuid import UUID

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from aimodels.models import SystemSettings
from kanban.models import Task
from kanban.serializers import task_rows, with_computed_fields


def project_board(*, project_id: UUID, limit_per_column: int | None = None) -> dict:
    """`{"project", "columns": [{"status", "count", "wip_limit", "tasks"}]}` of the project with
    id `project_id`, as BoardSerializer writes it, the tasks as `task_rows`; counts stay exact
    whatever the limit.

    One query reads the tasks, two more their dependencies and AI usage. With a limit, each
    row carries its column's count (a window over the whole column); without one, a column's
    count is its length. Only a limit of 0, which lists nothing, counts apart.
    """
    wip_limits = SystemSettings.objects.value_of("kanban.wip_limits") or {}
    columns = {
        status: {"status": status, "count": 0, "wip_limit": wip_limits.get(status), "tasks": []}
        for status in Task.Status.values
    }
    tasks = Task.objects.filter(project=project_id).in_board_order()
    if limit_per_column == 0:
        for status, count in tasks.values_list("status").annotate(count=Count("*")).order_by():
            columns[status]["count"] = count
    elif limit_per_column is None:
        for task in with_computed_fields(list(task_rows(tasks)), project=project_id):
            columns[task["status"]]["tasks"].append(task)
        for column in columns.values():
            column["count"] = len(column["tasks"])
    else:
        in_column = {"partition_by": F("status")}
        tasks = tasks.annotate(
            rank=Window(RowNumber(), order_by=F("order").asc(), **in_column),
            in_column=Window(Count("*"), **in_column),
        ).filter(rank__lte=limit_per_column)
        for task in with_computed_fields(list(task_rows(tasks, "in_column")), project=project_id):
            column = columns[task["status"]]
            column["count"] = task.pop("in_column")
            column["tasks"].append(task)
    return {"project": project_id, "columns": list(columns.values())}
