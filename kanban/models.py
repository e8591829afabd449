import functools
import operator

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from orchestrator.models import TimeStampedModel, UUIDModel, choices_constraint
from projects.models import Project, ProjectScopedQuerySet, Prompt, SameProjectMixin

# Distance between neighbouring order keys of a column: a task can be put
# between two neighbours this many times (halving the gap) before the column
# needs rebalancing.
ORDER_GAP = 2**32


class TaskQuerySet(ProjectScopedQuerySet):
    def in_column(self, *, project_id, status: str):
        return self.filter(project_id=project_id, status=status)

    def in_board_order(self):
        """Columns in workflow order (backlog first), then each column's order: the order of
        the indexes `task_board_order` and `task_project_board_order`, so no sort is needed."""
        return self.order_by(*BOARD_ORDER)


class TaskStatus(models.TextChoices):
    BACKLOG = "backlog", "Backlog"
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    REVIEW = "review", "Review"
    DONE = "done", "Done"


# A status's place in the workflow, stored on each task as `column`.
COLUMN_OF = {status: index for index, status in enumerate(TaskStatus.values)}
# The board order, unique: what the task list's cursor pages by.
BOARD_ORDER = ("column", "order", "id")


class Task(SameProjectMixin, TimeStampedModel):
    Status = TaskStatus

    same_project_fields = ("prompt",)

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    prompt = models.ForeignKey(Prompt, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BACKLOG, db_index=True)
    order = models.BigIntegerField(
        editable=False, help_text="Sort key within the status column (sparse: gaps between neighbours)."
    )
    column = models.PositiveSmallIntegerField(
        editable=False,
        help_text="The status's place in the workflow (backlog 0 ... done 4), for the board order.",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["project", "status", "order"]
        constraints = [
            choices_constraint(field="status", choices=TaskStatus, name="task_status_valid"),
            models.CheckConstraint(condition=~models.Q(title=""), name="task_title_not_blank"),
            models.UniqueConstraint(
                fields=["project", "status", "order"], name="task_order_unique_in_column"
            ),
            models.CheckConstraint(
                condition=functools.reduce(
                    operator.or_,
                    (models.Q(status=status, column=index) for status, index in COLUMN_OF.items()),
                ),
                name="task_column_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=list(BOARD_ORDER), name="task_board_order"),
            models.Index(fields=["project", *BOARD_ORDER], name="task_project_board_order"),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        if self.order is None:
            self.order = self.next_order_in_column()
        self.column = COLUMN_OF.get(self.status)
        if kwargs.get("update_fields") is not None and "status" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "column"}
        super().save(*args, **kwargs)

    def next_order_in_column(self) -> int:
        """The key after the last task of this task's column."""
        last = Task.objects.in_column(project_id=self.project_id, status=self.status).aggregate(
            last=models.Max("order")
        )["last"]
        return ORDER_GAP if last is None else last + ORDER_GAP


class CommitType(models.TextChoices):
    FEAT = "feat", "feat"
    FIX = "fix", "fix"
    DOCS = "docs", "docs"
    STYLE = "style", "style"
    REFACTOR = "refactor", "refactor"
    TEST = "test", "test"
    CHORE = "chore", "chore"
    PERF = "perf", "perf"
    BUILD = "build", "build"
    CI = "ci", "ci"
    REVERT = "revert", "revert"


class Commit(UUIDModel):
    """An AI-written Conventional Commit recorded for a task; its project is the task's."""

    Type = CommitType

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="commits")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="commits", editable=False)
    type = models.CharField(max_length=16, choices=Type.choices, db_index=True)
    scope = models.CharField(max_length=100, blank=True)
    breaking = models.BooleanField(default=False, db_index=True)
    message = models.TextField()
    changes = models.JSONField(default=dict, blank=True, help_text="Files, diff, summary of the change.")
    created_by_ai_model = models.CharField(max_length=100, blank=True)
    author = models.CharField(max_length=255, default="AI System")
    timestamp = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp"]
        constraints = [
            choices_constraint(field="type", choices=CommitType, name="commit_type_valid"),
            models.CheckConstraint(condition=~models.Q(message=""), name="commit_message_not_blank"),
        ]

    def __str__(self):
        return self.message.splitlines()[0] if self.message else f"Commit {self.id}"

    def clean(self):
        super().clean()
        self._check_project()

    def save(self, *args, **kwargs):
        self._check_project()
        super().save(*args, **kwargs)

    def _check_project(self):
        """The project follows the task; a different one is refused."""
        if self.task_id is None:
            return
        if self.project_id is None:
            self.project_id = self.task.project_id
        elif self.project_id != self.task.project_id:
            raise ValidationError({"task": "Must belong to the same project."})
