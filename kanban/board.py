"""The board of a project: every column in workflow order, in a constant number of queries."""

from django.db.models import Count, F, Window
from django.db.models.functions import RowNumber

from aimodels.models import SystemSettings
from kanban.models import Task
from projects.models import Project


def project_board(*, project: Project, limit_per_column: int | None = None) -> dict:
    """`{"project", "columns": [{"status", "count", "wip_limit", "tasks"}]}`; counts stay exact."""
    counts = dict(
        Task.objects.filter(project=project).values_list("status").annotate(count=Count("pk")).order_by()
    )
    tasks = Task.objects.filter(project=project).in_board_order()
    if limit_per_column is not None:
        tasks = tasks.annotate(
            rank=Window(RowNumber(), partition_by=F("status"), order_by=F("order").asc())
        ).filter(rank__lte=limit_per_column)
    by_status = {status: [] for status in Task.Status.values}
    for task in tasks:
        by_status[task.status].append(task)
    wip_limits = SystemSettings.objects.value_of("kanban.wip_limits") or {}
    return {
        "project": project.pk,
        "columns": [
            {
                "status": status,
                "count": counts.get(status, 0),
                "wip_limit": wip_limits.get(status),
                "tasks": by_status[status],
            }
            for status in Task.Status.values
        ],
    }
