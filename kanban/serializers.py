from collections import defaultdict

from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aimodels.models import SystemSettings, ai_usage_of
from aimodels.serializers import AIActionSerializer, AIUsageSerializer
from core.exceptions import Conflict, PayloadTooLarge
from core.viewsets import OwnedRelatedField, ProjectScopedSerializer
from kanban import diffs
from kanban.brief import BriefSerializer
from kanban.conventional import CommitMessageError, commit_fields, normalised
from kanban.models import BOARD_ORDER, Checkpoint, Commit, Task, TaskApproval, TaskClaim, TaskDependency
from projects.models import Project, Prompt

# Bounds of the board's numeric inputs (a 0-based index past the end means "last").
MAX_INDEX = 2**31 - 1
MAX_LIMIT_PER_COLUMN = 1000


def holder_field(help_text: str, **options) -> serializers.CharField:
    """A claim's holder, at most as long as TaskClaim keeps one."""
    longest = TaskClaim._meta.get_field("holder").max_length
    return serializers.CharField(max_length=longest, help_text=help_text, **options)


class TaskClaimSerializer(serializers.Serializer):
    holder = holder_field("Who is working on it: an agent and where it runs, e.g. claude-code@laptop.")
    ttl_seconds = serializers.IntegerField(
        min_value=60,
        max_value=7 * 24 * 3600,
        required=False,
        help_text="How long the claim lasts unless renewed; the setting kanban.claim_ttl_seconds "
        "(30 minutes) by default.",
    )


class TaskReleaseSerializer(serializers.Serializer):
    holder = holder_field("Who holds the claim.")
    breaking = serializers.BooleanField(
        default=False,
        help_text="End someone else's claim (a stuck agent's): recorded as broken.",
    )


def claim_of(holder, claimed_at, expires_at) -> dict | None:
    """A claim as the API writes it, if it is live."""
    if holder is None or expires_at <= timezone.now():
        return None
    return {"holder": holder, "claimed_at": claimed_at, "expires_at": expires_at}


def checkpoint_of(policy: str, approved: set) -> dict:
    """A task's checkpoint state: the project's policy and its live approvals' checkpoints."""
    return {
        "required": policy,
        "plan_approved": Checkpoint.PLAN in approved,
        "result_approved": Checkpoint.RESULT in approved,
    }


class CheckpointSerializer(serializers.Serializer):
    required = serializers.ChoiceField(
        choices=Project.ApprovalPolicy.choices, help_text="The project's require_approval."
    )
    plan_approved = serializers.BooleanField(help_text="Whether a person approved the recommended solution.")
    result_approved = serializers.BooleanField(help_text="Whether a person approved the result.")

    def to_representation(self, task):
        approvals = getattr(task, "live_approvals", None)
        if approvals is None:
            approvals = task.approvals.live()
        return checkpoint_of(task.project.require_approval, {approval.checkpoint for approval in approvals})


class TaskSerializer(ProjectScopedSerializer):
    project = OwnedRelatedField(queryset=Project.objects.all())
    prompt = OwnedRelatedField(queryset=Prompt.objects.all(), required=False, allow_null=True)
    parent = OwnedRelatedField(
        queryset=Task.objects.all(),
        required=False,
        allow_null=True,
        help_text="The task this one is a subtask of (same project; subtasks have no subtasks).",
    )
    dependencies = OwnedRelatedField(
        queryset=Task.objects.all(),
        many=True,
        required=False,
        help_text="Tasks of the same project this one waits for (no cycles), in board order; "
        "a write replaces the list.",
    )
    blocked = serializers.BooleanField(
        source="is_blocked", read_only=True, help_text="Whether a task it depends on is not done."
    )
    ai_usage = serializers.SerializerMethodField(
        help_text="What the AI work on this task used and cost: every job for it, the agent turns "
        "of its chat sessions included."
    )
    claim = serializers.SerializerMethodField(
        allow_null=True, help_text="Who is working on it: a live claim (see tasks/{id}/claim/), or null."
    )
    brief = BriefSerializer(
        required=False,
        help_text="The task template's parts (GET tasks/{id}/brief/ reads it as Markdown). A write "
        "names the parts it changes; the others are kept.",
    )
    checkpoint = CheckpointSerializer(
        read_only=True,
        source="*",
        help_text="What the project's approval policy asks of this task, and what is approved.",
    )

    class Meta:
        model = Task
        fields = [
            "id",
            *Task.EDITABLE,
            "order",
            "dependencies",
            "blocked",
            "ai_usage",
            "claim",
            "brief",
            "checkpoint",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["order"]
        create_only = ["project"]

    @extend_schema_field(AIUsageSerializer)
    def get_ai_usage(self, task) -> dict:
        return task.ai_usage

    # Inline rather than a $ref: a validator of OpenAPI 3.0 reads `nullable` beside an allOf as
    # not reaching into it, so a null claim would be unlike its own schema.
    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "holder": {"type": "string", "description": "Who is working on it, e.g. claude-code@laptop."},
                "claimed_at": {"type": "string", "format": "date-time"},
                "expires_at": {
                    "type": "string",
                    "format": "date-time",
                    "description": "When it ends unless its holder works on the task again.",
                },
            },
            "required": ["holder", "claimed_at", "expires_at"],
        }
    )
    def get_claim(self, task) -> dict | None:
        try:
            claim = task.claim
        except TaskClaim.DoesNotExist:
            return None
        return claim_of(claim.holder, claim.claimed_at, claim.expires_at)


def whole(task: Task) -> Task:
    """The task with what TaskSerializer reads of its relations, read once each: its
    dependencies (for `dependencies` and `blocked`), its claim, its project (the approval
    policy) and its live approvals."""
    live = Prefetch("approvals", queryset=TaskApproval.objects.live(), to_attr="live_approvals")
    prefetch_related_objects([task], "dependencies", "claim", "project", live)
    return task


# What `task_rows` reads with values(): every field but those `with_computed_fields` adds or
# builds from the AIUsageTotals columns.
STORED_TASK_FIELDS = [
    name
    for name in TaskSerializer.Meta.fields
    if name not in ("dependencies", "blocked", "ai_usage", "claim", "checkpoint")
]
# The claim's columns, read in the same query (a join: a task has at most one claim), and
# the project's approval policy (a join to the one project row).
CLAIM_COLUMNS = ("claim__holder", "claim__claimed_at", "claim__expires_at")
POLICY_COLUMN = "project__require_approval"


def task_rows(tasks: QuerySet, *extra: str) -> QuerySet:
    """`tasks` as dicts of TaskSerializer's stored fields (plus the `extra` columns), read with
    `values()`: the lists of many tasks (the task list, the board) build neither model
    instances nor a serializer call per field. `with_computed_fields` adds the rest. The JSON
    renderer writes each value as the serializer would (UUIDs, UTC datetimes ending in "Z");
    a test holds the two equal."""
    return tasks.values(*STORED_TASK_FIELDS, *Task.AI_USAGE, *CLAIM_COLUMNS, POLICY_COLUMN, *extra)


def with_computed_fields(rows: list[dict], project=None, blockers: bool = False) -> list[dict]:
    """Give each row its `dependencies` (in board order) and `blocked`, in one query over the
    rows' ids or over the whole `project` (a board: every task), its `checkpoint` from one
    more (the live approvals, the same way), and its `ai_usage` and `claim` from its own
    columns; with `blockers`, its `blocked_by` (BoardTaskSerializer) from the first query."""
    if not rows:
        return rows
    ids = [row["id"] for row in rows]
    scope = {"task__project": project} if project else {"task__in": ids}
    approved = defaultdict(set)
    if POLICY_COLUMN in rows[0]:  # read by task_rows; a narrower read (an agent's list) has none
        live = TaskApproval.objects.live().filter(**scope).values_list("task_id", "checkpoint")
        for task, checkpoint in live:
            approved[task].add(checkpoint)
    edges = TaskDependency.objects.filter(**scope)
    waits_for = defaultdict(list)
    blocked_by = defaultdict(list)
    edges = edges.order_by(*(f"depends_on__{name}" for name in BOARD_ORDER))
    columns = ("task_id", "depends_on_id", "depends_on__status", "depends_on__title")
    for task, awaited, status, title in edges.values_list(*columns):
        waits_for[task].append(awaited)
        if status != Task.Status.DONE:
            blocked_by[task].append({"id": awaited, "title": title})
    for row in rows:
        row["dependencies"] = waits_for.get(row["id"], [])
        row["blocked"] = row["id"] in blocked_by
        if blockers:
            row["blocked_by"] = blocked_by.get(row["id"], [])
        row["ai_usage"] = ai_usage_of(row)
        for name in Task.AI_USAGE:
            del row[name]
        row["claim"] = claim_of(*(row.pop(name) for name in CLAIM_COLUMNS))
        if POLICY_COLUMN in row:
            row["checkpoint"] = checkpoint_of(row.pop(POLICY_COLUMN), approved.get(row["id"], set()))
    return rows


class RemovedDependencySerializer(serializers.Serializer):
    task = serializers.UUIDField(help_text="The task that remains, no longer waiting.")
    depends_on = serializers.UUIDField(help_text="The deleted task it waited for.")


class TaskDeletedSerializer(serializers.Serializer):
    deleted = serializers.ListField(child=serializers.UUIDField(), help_text="The task and its subtasks.")
    dependencies_removed = RemovedDependencySerializer(many=True)


class NextTaskSerializer(serializers.Serializer):
    task = TaskSerializer()
    reason = serializers.CharField(help_text="Why this task comes next.")


class TaskMoveSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)
    position = serializers.IntegerField(
        min_value=0,
        max_value=MAX_INDEX,
        required=False,
        help_text="0-based index in the column; omitted or past the end: last.",
    )


class CommitSerializer(ProjectScopedSerializer):
    """`type`, `scope` and `breaking` come from the message header; if given, they must agree."""

    task = OwnedRelatedField(queryset=Task.objects.all())

    class Meta:
        model = Commit
        fields = [
            "id",
            "task",
            "project",
            "type",
            "scope",
            "breaking",
            "message",
            "changes",
            "created_by_ai_model",
            "author",
            "timestamp",
            *Commit.RECORDED_IN_GIT,
        ]
        read_only_fields = ["project", "created_by_ai_model", "timestamp", *Commit.RECORDED_IN_GIT]
        extra_kwargs = {
            "type": {"required": False},
            "scope": {"required": False},
            "breaking": {"required": False},
        }
        create_only = ["task"]

    def validate_message(self, message):
        return normalised(message)

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if self.instance is not None and self.instance.sha:
            changing = sorted(name for name, value in attrs.items() if getattr(self.instance, name) != value)
            if changing:
                raise Conflict(
                    f"This commit is recorded in git as {self.instance.sha}: its {', '.join(changing)} "
                    "can no longer change."
                )
        message = attrs.get("message", getattr(self.instance, "message", ""))
        try:
            derived = commit_fields(message)
        except CommitMessageError as exc:
            raise serializers.ValidationError({"message": [str(exc)]}) from None
        mismatched = {
            name: [f"Does not match the message header ({derived[name]!r})."]
            for name in derived
            if name in attrs and attrs[name] != derived[name]
        }
        if mismatched:
            raise serializers.ValidationError(mismatched)
        return {**attrs, **derived}


class BlockerSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()


class SubtaskProgressSerializer(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class BoardTaskSerializer(TaskSerializer):
    """A card: the task, and what it shows of other tasks, which the board may not list."""

    blocked_by = BlockerSerializer(
        many=True, read_only=True, help_text="The tasks it waits for that are not done, in board order."
    )
    subtask_progress = SubtaskProgressSerializer(
        read_only=True, help_text="Its subtasks: how many, and how many are done."
    )
    place = serializers.IntegerField(
        read_only=True,
        help_text="Its 0-based index in its whole column, whatever the filters leave out: the "
        "`position` of a move to its place.",
    )

    class Meta(TaskSerializer.Meta):
        fields = [*TaskSerializer.Meta.fields, "blocked_by", "subtask_progress", "place"]


class BoardColumnSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Task.Status.choices)
    count = serializers.IntegerField(
        help_text="Tasks in the column, whatever `limit_per_column` lists and the filters match."
    )
    matching = serializers.IntegerField(help_text="Tasks in the column the filters match (all: `count`).")
    wip_limit = serializers.IntegerField(allow_null=True)
    tasks = BoardTaskSerializer(many=True, help_text="The first tasks the filters match, in order.")


class BoardSerializer(serializers.Serializer):
    project = serializers.UUIDField()
    columns = BoardColumnSerializer(many=True)


class BoardQuerySerializer(serializers.Serializer):
    limit_per_column = serializers.IntegerField(
        min_value=0,
        max_value=MAX_LIMIT_PER_COLUMN,
        required=False,
        help_text="List at most this many tasks per column.",
    )
    # The filters (kanban.filters.BoardFilter): columns list and count (`matching`) only the
    # tasks they match; `count` stays the column's whole, what its WIP limit is about.
    priority = serializers.ChoiceField(choices=Task.Priority.choices, required=False)
    blocked = serializers.BooleanField(
        required=False, allow_null=True, help_text="Only blocked tasks (true), or only unblocked ones."
    )
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text="Terms (or a quoted phrase) each in the title or the description.",
    )

    def board_arguments(self) -> dict:
        """project_board's keyword arguments: the limit, and the filters given."""
        data = dict(self.validated_data)
        limit = {"limit_per_column": data.pop("limit_per_column")} if "limit_per_column" in data else {}
        return {**limit, "filters": {name: value for name, value in data.items() if value not in (None, "")}}


class TaskApproveSerializer(serializers.Serializer):
    checkpoint = serializers.ChoiceField(
        choices=Checkpoint.choices,
        required=False,
        help_text="What is approved: plan (the recommended solution; the default until it is "
        "approved), then result.",
    )
    comment = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class TaskBriefSerializer(serializers.Serializer):
    markdown = serializers.CharField(help_text="The brief as the template's document.")
    brief = BriefSerializer(help_text="The brief's parts.")


class NextTaskQuerySerializer(serializers.Serializer):
    holder = holder_field(
        "Whose claims not to pass over: tasks claimed by anyone else are skipped.",
        required=False,
        allow_blank=True,
        default="",
    )


class CommitGenerateSerializer(AIActionSerializer):
    """What changed, as `changes` or as a `diff` read into them (see kanban.diffs), and what the
    message should sound like."""

    subject = "task"  # the job is the task's

    task = OwnedRelatedField(queryset=Task.objects.all())
    changes = serializers.JSONField(
        required=False, help_text="What changed: files, summary... Send this or `diff`."
    )
    diff = serializers.CharField(
        required=False,
        trim_whitespace=False,
        help_text="A unified diff, as `git diff --cached` prints it, read into `changes`; at most the "
        "setting kanban.commit_diff_max_bytes (1,000,000) bytes, a 413 over it. Send this or `changes`.",
    )
    recent_subjects = serializers.ListField(
        child=serializers.CharField(max_length=200),
        max_length=20,
        required=False,
        help_text="Subjects of the repository's recent commits (`git log -10 --format=%s`), for style.",
    )

    def validate_diff(self, diff: str) -> list[diffs.FileChange]:
        limit = SystemSettings.objects.value_of("kanban.commit_diff_max_bytes")
        if len(diff.encode()) > limit:
            raise PayloadTooLarge(
                f"The diff is larger than {limit} bytes (the setting kanban.commit_diff_max_bytes)."
            )
        try:
            return diffs.parse(diff)
        except diffs.DiffError as exc:
            raise serializers.ValidationError(str(exc)) from None

    def validate(self, attrs):
        attrs = super().validate(attrs)
        if "changes" not in attrs and "diff" not in attrs:
            raise serializers.ValidationError(
                {name: ["Send `changes` or `diff`."] for name in ("changes", "diff")}
            )
        if "changes" in attrs and "diff" in attrs:
            raise serializers.ValidationError(
                {"diff": ["Send `changes` or `diff`, not both: a diff's changes are read from it."]}
            )
        if files := attrs.pop("diff", None):
            budget = SystemSettings.objects.value_of("kanban.commit_diff_token_budget")
            attrs["changes"] = diffs.changes_of(files)
            attrs["diff_view"] = diffs.model_view(files, token_budget=budget)
        return attrs


class CommitRecordSerializer(serializers.Serializer):
    """What git made of a commit's message (`git rev-parse HEAD`, its branch and repository)."""

    sha = serializers.RegexField(
        r"^(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$",
        error_messages={"invalid": "Must be 40 (SHA-1) or 64 (SHA-256) hexadecimal digits."},
        help_text="The commit's SHA, 40 or 64 hexadecimal digits.",
    )
    branch = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")
    repository = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="The remote's URL (an http(s) URL's credentials are dropped) or the repository's name.",
    )

    def validate_sha(self, sha: str) -> str:
        return sha.lower()

    def validate_repository(self, repository: str) -> str:
        """A remote URL without its credentials: an http(s) remote (git+https too) without
        its user part (often a token), any other without a password (`ssh://git@host` keeps
        its user)."""
        scheme, separator, rest = repository.partition("://")
        authority, slash, path = rest.partition("/")
        userinfo, at, host = authority.rpartition("@")
        if not separator or not at:
            return repository
        if scheme.lower().endswith(("http", "https")):
            authority = host
        elif ":" in userinfo:
            authority = f"{userinfo.partition(':')[0]}@{host}"
        return f"{scheme}://{authority}{slash}{path}"


class TaskExpandSerializer(AIActionSerializer):
    count = serializers.IntegerField(
        min_value=1, max_value=20, required=False, help_text="About how many subtasks to write."
    )
