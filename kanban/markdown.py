"""A board and a task as Markdown, for coding agents (the MCP resources) and anyone who reads
them as text: what a person would write on the card, in the order they would read it."""

from kanban.board import project_board
from kanban.brief import brief_markdown
from kanban.models import Task, TaskApproval, TaskClaim
from projects.models import Project

# Cards shown per column of a board in Markdown; the column's count stays exact.
BOARD_CARDS_PER_COLUMN = 50
STATUS_LABELS = dict(Task.Status.choices)


def _claim_line(holder, expires_at) -> str:
    return f"claimed by {holder} until {expires_at:%Y-%m-%d %H:%M} UTC"


def board_markdown(project: Project) -> str:
    board = project_board(project_id=project.pk, limit_per_column=BOARD_CARDS_PER_COLUMN)
    lines = [f"# Board: {project.name}", ""]
    if project.description:
        lines += [project.description, ""]
    for column in board["columns"]:
        limit = f", WIP limit {column['wip_limit']}" if column["wip_limit"] else ""
        lines.append(f"## {STATUS_LABELS[column['status']]} ({column['count']}{limit})")
        for task in column["tasks"]:
            facts = [task["priority"]]
            if task["complexity"] is not None:
                facts.append(f"complexity {task['complexity']}")
            if task["blocked"]:
                facts.append("blocked")
            if task["claim"]:
                facts.append(_claim_line(task["claim"]["holder"], task["claim"]["expires_at"]))
            lines.append(f"- {task['title']} (`{task['id']}`; {', '.join(facts)})")
        hidden = column["count"] - len(column["tasks"])
        if hidden > 0:
            lines.append(f"- … {hidden} more (list_tasks with this status reads them all)")
        lines.append("")
    return "\n".join(lines)


def task_markdown(task: Task) -> str:
    """The task as its brief, in the template's order (kanban.brief), with who holds it, the
    live approvals of its plan and result, what it waits for and its subtasks. What GET
    tasks/{id}/brief/ answers and the MCP task resource serves."""
    approvals = TaskApproval.objects.live().filter(task=task).select_related("approved_by")
    return brief_markdown(
        task,
        approvals={approval.checkpoint: approval for approval in approvals},
        claim=TaskClaim.objects.live().filter(task=task).first(),
        waits_for=list(task.dependencies.in_board_order().values_list("pk", "title", "status")),
        subtasks=list(task.subtasks.in_board_order().values_list("pk", "title", "status")),
    )
