from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models

from core.history import Recorded
from core.models import KeptColumns, SameProjectMixin, TimeStampedModel, choices_constraint
from projects.validators import validate_components, validate_conversation, validate_json_object


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user):
        """Projects `user` may see: the ones they own."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner=user)


class ApprovalPolicy(models.TextChoices):
    OFF = "off", "Off"
    PLAN = "plan", "The recommended solution, before work starts"
    PLAN_AND_DONE = "plan_and_done", "The solution before work, and the result before done"


class Project(Recorded, TimeStampedModel, KeptColumns):
    activity_ignored = (
        *Recorded.activity_ignored,
        "interview_count",
        "prompt_count",
        "task_count",
        "commit_count",
    )

    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="projects")
    name = models.CharField(max_length=255, db_index=True)
    description = models.TextField(blank=True)
    git_repository_info = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_json_object],
        help_text='Repository details, e.g. {"url": "...", "default_branch": "main"}.',
    )
    ApprovalPolicy = ApprovalPolicy

    require_approval = models.CharField(
        max_length=16,
        choices=ApprovalPolicy.choices,
        default=ApprovalPolicy.OFF,
        help_text="What needs a person's approval: with plan, a task enters in progress only once its "
        "recommended solution is approved; with plan_and_done, done also needs every acceptance "
        "criterion ticked and the result approved.",
    )
    monthly_budget = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text="US dollars of AI work per calendar month (UTC); an AI action that would start "
        "at or over it is refused. Empty: no budget.",
    )

    # How many interviews, prompts, tasks and commits the project has, kept by database
    # triggers (migration projects 0002) in the statement that inserts or deletes them, so
    # every writer keeps them exact and the projects list reads them instead of counting.
    # A save() leaves them alone (KeptColumns): it would write back the counts it read.
    interview_count = models.PositiveIntegerField("interviews", default=0, editable=False)
    prompt_count = models.PositiveIntegerField("prompts", default=0, editable=False)
    task_count = models.PositiveIntegerField("tasks", default=0, editable=False)
    commit_count = models.PositiveIntegerField("commits", default=0, editable=False)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="project_name_not_blank"),
            choices_constraint(
                field="require_approval", choices=ApprovalPolicy, name="project_approval_policy_valid"
            ),
        ]

    COUNTS = ("interview_count", "prompt_count", "task_count", "commit_count")
    kept_columns = COUNTS

    def __str__(self):
        return self.name

    def recorded_project_id(self, verb: str):
        """A project's history is its own; a deleted project's record belongs to none (its
        history goes with it)."""
        return None if verb == "deleted" else self.pk


class ProjectScopedQuerySet(models.QuerySet):
    """Narrows through `Project.objects.for_user`; `project_path` leads to the project."""

    project_path = "project"

    def for_user(self, user):
        """Rows of the projects `user` may see (those `Project.objects.for_user` answers)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(**{f"{self.project_path}__owner": user})


class InterviewJob(models.TextChoices):
    """The kinds of job of an interview (projects.jobs)."""

    INTERVIEW_MESSAGE = "interview_message", "Interview turn"
    PROMPT_GENERATE = "prompt_generate", "Prompt generation"


class InterviewStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class Interview(Recorded, TimeStampedModel):
    # Each turn is its own record in the transcript; the history notes status and model changes.
    activity_ignored = (*Recorded.activity_ignored, "conversation_data")

    Status = InterviewStatus

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="interviews")
    conversation_data = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_conversation],
        help_text="The transcript: a list of {role, content, created_at}.",
    )
    ai_model_used = models.CharField(
        max_length=100, blank=True, help_text="Name of the AI model that answered."
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE, db_index=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            choices_constraint(field="status", choices=InterviewStatus, name="interview_status_valid")
        ]

    def __str__(self):
        if self.created_at is None:
            return "Interview (new)"
        return f"Interview of {self.created_at:%Y-%m-%d %H:%M} ({self.status})"


class Prompt(Recorded, SameProjectMixin, TimeStampedModel):
    """One version of a prompt. A new version is a new row; history is never rewritten.

    `lineage` is the id of the first version, shared by every version derived
    from it, so a lineage is one indexed query and version numbers are unique
    per lineage in the database. It survives the deletion of any version.
    """

    same_project_fields = ("parent", "created_from_interview")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prompts")
    created_from_interview = models.ForeignKey(
        Interview, on_delete=models.SET_NULL, null=True, blank=True, related_name="prompts"
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="children",
        help_text="The version this one was derived from.",
    )
    lineage = models.UUIDField(editable=False, help_text="Id of the first version of this prompt.")
    content = models.TextField(blank=True)
    type = models.CharField(max_length=50, blank=True, db_index=True)
    is_reusable = models.BooleanField(default=False, db_index=True)
    components = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_components],
        help_text='Composed in order: {"prompt": <id>} references and {"text": "..."} blocks.',
    )
    version = models.PositiveIntegerField(default=1)
    generated_by_ai_model = models.CharField(
        max_length=100, blank=True, editable=False, help_text="The AI model that wrote it, if one did."
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
        help_text="Who made this version (who asked for it, when a model wrote it).",
    )

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["lineage", "version"], name="prompt_version_unique_in_lineage"),
            models.CheckConstraint(condition=models.Q(version__gte=1), name="prompt_version_positive"),
        ]

    def __str__(self):
        return f"{self.type or 'prompt'} v{self.version}"

    def save(self, *args, **kwargs):
        if self.lineage is None:
            self.lineage = self.parent.lineage if self.parent_id else self.id
        super().save(*args, **kwargs)

    def has_newer_versions(self) -> bool:
        return Prompt.objects.filter(lineage=self.lineage, version__gt=self.version).exists()


# The label every lineage has without storing it: its highest version.
LATEST = "latest"


class PromptLabel(models.Model):
    """A name (`production`, `staging`, any slug) pointing at one version of a lineage;
    moved only through `projects.services.prompt_label_move`, which records each move."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prompt_labels")
    lineage = models.UUIDField(db_index=True)
    name = models.SlugField(max_length=50)
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="labels")
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["lineage", "name"], name="prompt_label_unique_in_lineage"),
            models.CheckConstraint(condition=~models.Q(name=LATEST), name="prompt_label_not_latest"),
        ]

    def __str__(self):
        return f"{self.name} → v{self.prompt.version}"


class PromptLabelMove(models.Model):
    """One move of a label, append-only: who moved it, when, from which version to which."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="prompt_label_moves")
    lineage = models.UUIDField()
    name = models.SlugField(max_length=50)
    from_prompt = models.ForeignKey(Prompt, on_delete=models.SET_NULL, null=True, related_name="+")
    from_version = models.PositiveIntegerField(null=True, help_text="Empty when the label was new.")
    to_prompt = models.ForeignKey(Prompt, on_delete=models.SET_NULL, null=True, related_name="+")
    to_version = models.PositiveIntegerField(null=True, help_text="Empty when the label was removed.")
    moved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    moved_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = ProjectScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-moved_at", "-id"]
        indexes = [models.Index(fields=["lineage", "name", "-moved_at"], name="prompt_label_move_history")]

    def __str__(self):
        before = "(new)" if self.from_version is None else f"v{self.from_version}"
        after = "(removed)" if self.to_version is None else f"v{self.to_version}"
        return f"{self.name}: {before} → {after}"
