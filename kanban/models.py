from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from aimodels.models import AIUsageTotals
from core.history import Recorded
from core.models import SameProjectMixin, TimeStampedModel, UUIDModel, choices_constraint
from projects.models import Project, ProjectScopedQuerySet, Prompt

# Distance between neighbouring order keys of a column: a task can be put
# between two neighbours this many times (halving the gap) before the column
# needs rebalancing.
ORDER_GAP = 2**32


class TaskQuerySet(ProjectScopedQuerySet):
    def in_column(self, *, project_id, status: str):
        """The column's tasks; `column` as well as `status`, so the board index serves it."""
        return self.filter(project_id=project_id, column=COLUMN_OF[status], status=status)

    def in_board_order(self):
        """Columns in workflow order (backlog first), then each column's order: the order of
        the indexes `task_board_order` and `task_project_board_order`, so no sort is needed."""
        return self.order_by(*BOARD_ORDER)

    def plan_approved(self, approved: bool = True):
        """The tasks whose recommended solution a person approved (a live approval), or, with
        `approved=False`, those whose plan is not approved."""
        live = TaskApproval.objects.live().filter(task=models.OuterRef("pk"), checkpoint=Checkpoint.PLAN)
        return self.filter(models.Exists(live)) if approved else self.exclude(models.Exists(live))


class BoardJob(models.TextChoices):
    """The kinds of job of the board (kanban.jobs)."""

    COMMIT_GENERATE = "commit_generate", "Commit generation"
    TASK_PLAN = "task_plan", "Task planning"
    TASK_EXPAND = "task_expand", "Task expansion"
    COMPLEXITY_ANALYZE = "complexity_analyze", "Complexity analysis"
    BRIEF_DRAFT = "brief_draft", "Brief drafting"


class TaskStatus(models.TextChoices):
    BACKLOG = "backlog", "Backlog"
    TODO = "todo", "To do"
    IN_PROGRESS = "in_progress", "In progress"
    REVIEW = "review", "Review"
    DONE = "done", "Done"


class TaskPriority(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    URGENT = "urgent", "Urgent"


# The statuses a task may not enter while a task it depends on is not done.
STARTED = (TaskStatus.IN_PROGRESS, TaskStatus.REVIEW, TaskStatus.DONE)
# Most levels of subtasks: a task's subtasks have no subtasks of their own.
MAX_SUBTASK_DEPTH = 1
# A status's place in the workflow, stored on each task as `column`.
COLUMN_OF = {status: index for index, status in enumerate(TaskStatus.values)}
# The board order, unique: what the task list's cursor pages by.
BOARD_ORDER = ("column", "order", "id")


class Task(Recorded, SameProjectMixin, TimeStampedModel, AIUsageTotals):
    # Moves are recorded by `kanban.services.task_move`, as moves; AI usage by the job's calls.
    activity_ignored = (*Recorded.activity_ignored, "order", "column", *AIUsageTotals.AI_USAGE)

    Status = TaskStatus
    Priority = TaskPriority

    same_project_fields = ("prompt", "parent")
    # The task's own fields a person sets (its project only on making it), in the order the
    # admin form and the API show them; the brief and dependencies, which follow, are written
    # by rules of their own.
    EDITABLE = (
        "project",
        "prompt",
        "parent",
        "title",
        "description",
        "details",
        "test_strategy",
        "status",
        "priority",
        "complexity",
    )

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tasks")
    prompt = models.ForeignKey(Prompt, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    title = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BACKLOG, db_index=True)
    order = models.BigIntegerField(
        editable=False, help_text="Sort key within the status column (sparse: gaps between neighbours)."
    )
    # Derived from `status` by the database, in one place: no writer sets it.
    column = models.GeneratedField(
        expression=models.Case(
            *(models.When(status=status, then=models.Value(index)) for status, index in COLUMN_OF.items()),
            output_field=models.PositiveSmallIntegerField(),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
        help_text="The status's place in the workflow (backlog 0 ... done 4), for the board order.",
    )
    priority = models.CharField(
        max_length=8, choices=Priority.choices, default=Priority.MEDIUM, db_index=True
    )
    complexity = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="1 (trivial) to 10 (very complex); empty when unscored.",
    )
    details = models.TextField(blank=True, help_text="How to do it: the implementation notes.")
    test_strategy = models.TextField(blank=True, help_text="How to know it is done.")
    parent = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="subtasks",
        help_text="The task this one is a subtask of (same project; subtasks have no subtasks).",
    )
    dependencies = models.ManyToManyField(
        "self",
        through="TaskDependency",
        symmetrical=False,
        related_name="dependents",
        blank=True,
        help_text="Tasks of the same project this one waits for.",
    )
    brief = models.JSONField(
        default=dict,
        blank=True,
        help_text="The task template's parts: summary, approaches, the recommended solution, "
        "steps, acceptance criteria, deliverables... (kanban.brief).",
    )

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = list(BOARD_ORDER)
        constraints = [
            choices_constraint(field="status", choices=TaskStatus, name="task_status_valid"),
            models.CheckConstraint(condition=~models.Q(title=""), name="task_title_not_blank"),
            choices_constraint(field="priority", choices=TaskPriority, name="task_priority_valid"),
            models.CheckConstraint(
                condition=models.Q(complexity__isnull=True) | models.Q(complexity__range=(1, 10)),
                name="task_complexity_1_to_10",
            ),
            models.CheckConstraint(
                condition=~models.Q(parent=models.F("id")), name="task_not_its_own_parent"
            ),
            models.UniqueConstraint(
                fields=["project", "status", "order"], name="task_order_unique_in_column"
            ),
        ]
        indexes = [
            models.Index(fields=list(BOARD_ORDER), name="task_board_order"),
            models.Index(fields=["project", *BOARD_ORDER], name="task_project_board_order"),
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.parent_id is None:
            return
        if self.parent_id == self.pk:
            raise ValidationError({"parent": "A task cannot be its own subtask."})
        if self.parent.parent_id is not None or (self.pk is not None and self.subtasks.exists()):
            raise ValidationError(
                {"parent": f"Subtasks go {MAX_SUBTASK_DEPTH} level deep: no subtasks of subtasks."}
            )

    @property
    def is_blocked(self) -> bool:
        """Whether a task this one depends on is not done (from its prefetched dependencies,
        when they are)."""
        if "dependencies" in getattr(self, "_prefetched_objects_cache", {}):
            return any(task.status != TaskStatus.DONE for task in self.dependencies.all())
        return self.dependencies.exclude(status=TaskStatus.DONE).exists()

    def save(self, *args, **kwargs):
        if self.order is None:
            self.order = self.next_order_in_column()
        super().save(*args, **kwargs)

    def next_order_in_column(self) -> int:
        """The key after the last task of this task's column."""
        last = Task.objects.in_column(project_id=self.project_id, status=self.status).aggregate(
            last=models.Max("order")
        )["last"]
        return ORDER_GAP if last is None else last + ORDER_GAP


class TaskDependency(models.Model):
    """`task` waits for `depends_on` (both of one project; the graph stays acyclic, checked
    by `kanban.services` under the board lock)."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dependency_edges")
    depends_on = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="dependent_edges")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["task", "depends_on"], name="task_dependency_unique"),
            models.CheckConstraint(
                condition=~models.Q(task=models.F("depends_on")), name="task_dependency_not_self"
            ),
        ]
        indexes = [models.Index(fields=["depends_on", "task"], name="task_dependency_reverse")]

    def __str__(self):
        return f"{self.task_id} waits for {self.depends_on_id}"


class TaskClaimQuerySet(models.QuerySet):
    def live(self):
        """Claims that have not expired."""
        return self.filter(expires_at__gt=timezone.now())


class TaskClaim(models.Model):
    """Who is working on a task: a lease one holder (a coding agent, `claude-code@laptop`)
    takes, renewed by its work on the task and ending by itself at `expires_at`. A task has at
    most one (the database holds it), so two agents never take the same task."""

    task = models.OneToOneField(Task, on_delete=models.CASCADE, related_name="claim", primary_key=True)
    holder = models.CharField(max_length=100, help_text="Who holds it, e.g. claude-code@laptop.")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    claimed_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(db_index=True)

    objects = TaskClaimQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=~models.Q(holder=""), name="taskclaim_holder_not_blank")
        ]

    def __str__(self):
        return f"{self.holder} until {self.expires_at:%Y-%m-%d %H:%M}"

    @property
    def live(self) -> bool:
        return self.expires_at > timezone.now()


class Checkpoint(models.TextChoices):
    PLAN = "plan", "The recommended solution"
    RESULT = "result", "The result"


class TaskApprovalQuerySet(models.QuerySet):
    def live(self):
        """Approvals not voided since."""
        return self.filter(voided_at__isnull=True)


class TaskApproval(models.Model):
    """A person's approval of a task's checkpoint: its recommended solution (`plan`), before
    work starts, or its result, before it is done. Kept when voided (an edit of the approved
    recommendation voids it), so the history of approvals stays whole."""

    Checkpoint = Checkpoint

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="approvals")
    checkpoint = models.CharField(max_length=8, choices=Checkpoint.choices)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    comment = models.CharField(max_length=1000, blank=True)
    approved = models.JSONField(default=dict, blank=True, help_text="What was approved, as it read.")
    created_at = models.DateTimeField(default=timezone.now)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.CharField(max_length=200, blank=True)

    objects = TaskApprovalQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            choices_constraint(field="checkpoint", choices=Checkpoint, name="taskapproval_checkpoint_valid"),
            # At most one live approval per checkpoint of a task.
            models.UniqueConstraint(
                fields=["task", "checkpoint"],
                condition=models.Q(voided_at__isnull=True),
                name="taskapproval_one_live_per_checkpoint",
            ),
        ]

    def __str__(self):
        return f"{self.get_checkpoint_display()} approved by {self.approved_by} on {self.created_at:%Y-%m-%d}"


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


class Commit(Recorded, UUIDModel):
    """An AI-written Conventional Commit recorded for a task; its project is the task's."""

    Type = CommitType
    # What `record` stores of what git did; set by the system, never edited.
    RECORDED_IN_GIT = ("sha", "branch", "repository", "recorded_at")

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
    # What git did with the message, once recorded (POST commits/{id}/record/).
    sha = models.CharField(max_length=64, blank=True, help_text="The commit's SHA (SHA-1 or SHA-256).")
    branch = models.CharField(max_length=255, blank=True)
    repository = models.CharField(max_length=500, blank=True)
    recorded_at = models.DateTimeField(null=True, blank=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-timestamp"]
        constraints = [
            choices_constraint(field="type", choices=CommitType, name="commit_type_valid"),
            models.CheckConstraint(condition=~models.Q(message=""), name="commit_message_not_blank"),
            models.UniqueConstraint(
                fields=["project", "sha"], condition=~models.Q(sha=""), name="commit_sha_unique_in_project"
            ),
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
