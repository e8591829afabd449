from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aimodels.serializers import AIActionSerializer
from core.viewsets import OwnedRelatedField, ProjectScopedSerializer
from projects.models import LATEST, Interview, Project, Prompt, PromptLabel, PromptLabelMove
from projects.usage import GROUPS
from projects.validators import validate_components


class ProjectSerializer(serializers.ModelSerializer):
    class Meta:
        model = Project
        fields = [
            "id",
            "name",
            "description",
            "git_repository_info",
            "require_approval",
            "monthly_budget",
            "interview_count",
            "prompt_count",
            "task_count",
            "commit_count",
            "created_at",
            "updated_at",
        ]


class InterviewSerializer(ProjectScopedSerializer):
    project = OwnedRelatedField(queryset=Project.objects.all())

    class Meta:
        model = Interview
        fields = ["id", "project", "conversation_data", "ai_model_used", "status", "created_at", "updated_at"]
        # An interview starts active and empty; only its actions add turns or change its status.
        action_only = {
            "conversation_data": "POST the user's turns to messages/; the model answers them.",
            "status": "use the complete or cancel action.",
        }
        read_only_fields = ["ai_model_used", *action_only]
        create_only = ["project"]


class PromptSerializer(ProjectScopedSerializer):
    project = OwnedRelatedField(queryset=Project.objects.all())
    parent = OwnedRelatedField(queryset=Prompt.objects.all(), required=False, allow_null=True)
    created_from_interview = OwnedRelatedField(
        queryset=Interview.objects.all(), required=False, allow_null=True
    )
    labels = serializers.SlugRelatedField(
        many=True,
        read_only=True,
        slug_field="name",
        help_text="The labels pointing at this version (`latest` is implicit: the highest version).",
    )

    class Meta:
        model = Prompt
        fields = [
            "id",
            "project",
            "created_from_interview",
            "parent",
            "lineage",
            "content",
            "type",
            "is_reusable",
            "components",
            "version",
            "labels",
            "generated_by_ai_model",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["lineage", "version", "generated_by_ai_model"]
        create_only = ["project", "parent"]
        extra_kwargs = {"content": {"trim_whitespace": False}}  # a prompt's text is kept exactly


class PromptVersionSerializer(serializers.Serializer):
    """A new version: fields left out carry over from the version it derives from."""

    content = serializers.CharField(allow_blank=True, trim_whitespace=False)
    components = serializers.JSONField(required=False, validators=[validate_components])
    type = serializers.CharField(max_length=50, required=False, allow_blank=True)
    is_reusable = serializers.BooleanField(required=False)


class PromptDiffQuerySerializer(serializers.Serializer):
    other = OwnedRelatedField(queryset=Prompt.objects.all(), help_text="The prompt to compare with.")


class PromptDiffSerializer(serializers.Serializer):
    from_ = serializers.UUIDField()
    to = serializers.UUIDField()
    diff = serializers.CharField(help_text="Unified diff of the two contents.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields


class PromptLabelSerializer(serializers.ModelSerializer):
    label = serializers.SlugField(source="name", max_length=50)
    version = serializers.IntegerField(source="prompt.version", read_only=True)

    class Meta:
        model = PromptLabel
        fields = ["lineage", "label", "prompt", "version", "updated_at"]
        read_only_fields = ["lineage", "prompt", "updated_at"]


class PromptLabelWriteSerializer(serializers.Serializer):
    label = serializers.SlugField(max_length=50, help_text="e.g. production, staging; not `latest`.")


class PromptLabelMoveSerializer(serializers.ModelSerializer):
    label = serializers.CharField(source="name")
    moved_by = serializers.CharField(source="moved_by.username", allow_null=True, default=None)

    class Meta:
        model = PromptLabelMove
        fields = ["label", "from_prompt", "from_version", "to_prompt", "to_version", "moved_by", "moved_at"]


class PromptResolveQuerySerializer(serializers.Serializer):
    lineage = serializers.UUIDField(help_text="The lineage: the id of its first version.")
    label = serializers.SlugField(
        max_length=50, default=LATEST, help_text="A label, or `latest` (the default)."
    )


@extend_schema_field({"type": "object", "additionalProperties": {"type": "string"}})
class VariablesField(serializers.JSONField):
    """`{{name}}` values: an object of names and text. A JSON field, so the browsable API's
    form takes it as JSON text too."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict) or not all(isinstance(text, str) for text in value.values()):
            raise serializers.ValidationError('An object of names and text values, e.g. {"name": "Ada"}.')
        return value


class PromptRenderSerializer(serializers.Serializer):
    variables = VariablesField(required=False, default=dict)


class RenderedPromptSerializer(serializers.Serializer):
    content = serializers.CharField()


class InterviewMessageSerializer(AIActionSerializer):
    content = serializers.CharField(help_text="The user's message.")


class PromptGenerateSerializer(AIActionSerializer):
    subject = "interview"  # the job is the interview's

    interview = OwnedRelatedField(queryset=Interview.objects.all())
    type = serializers.CharField(max_length=50, required=False, allow_blank=True)


class UsageQuerySerializer(serializers.Serializer):
    """`?from=&to=&group_by=`; `from` and `to` are Python keywords, so they are added here."""

    group_by = serializers.ChoiceField(choices=list(GROUPS), default="day")

    def get_fields(self):
        return {
            "from": serializers.DateField(
                required=False, help_text="First day (UTC); default: the 1st of this month."
            ),
            "to": serializers.DateField(
                required=False, help_text="Last day, included (UTC); default: today."
            ),
            **super().get_fields(),
        }

    def validate(self, attrs):
        today = timezone.now().date()
        attrs.setdefault("from", today.replace(day=1))
        attrs.setdefault("to", today)
        if attrs["to"] < attrs["from"]:
            raise serializers.ValidationError({"to": ["Must not be before `from`."]})
        return attrs


def _known_tokens(help_text: str = "") -> serializers.IntegerField:
    return serializers.IntegerField(
        allow_null=True,
        help_text=f"{help_text} Of the calls that reported them; null when none did.".lstrip(),
    )


class UsageFiguresSerializer(serializers.Serializer):
    """Sums of what is known, with the count of calls whose values are not (see `jobs.totals`):
    a partial sum never reads as a whole one."""

    calls = serializers.IntegerField()
    failed_calls = serializers.IntegerField(
        help_text="Calls that failed (a retry or a fallback may have answered)."
    )
    unknown_token_calls = serializers.IntegerField(
        help_text="Calls that answered without token counts: not in the token sums."
    )
    unknown_cost_calls = serializers.IntegerField(
        help_text="Calls that answered with no known cost (no price, or no token counts): not in cost."
    )
    input_tokens = _known_tokens("Every input token, cached ones included.")
    cached_input_tokens = _known_tokens()
    cache_write_tokens = _known_tokens()
    output_tokens = _known_tokens("Reasoning tokens included.")
    reasoning_tokens = _known_tokens()
    cost = serializers.DecimalField(
        max_digits=16,
        decimal_places=8,
        allow_null=True,
        help_text="US dollars: the costs known; null when no call that answered has one.",
    )


class UsageGroupSerializer(UsageFiguresSerializer):
    key = serializers.CharField(allow_null=True, help_text="The day, AI model id, job kind or task id.")
    label = serializers.CharField(
        allow_null=True, help_text="The day, the model's or task's name, or the kind."
    )


class UsageSerializer(serializers.Serializer):
    project = serializers.UUIDField()
    group_by = serializers.CharField()
    groups = UsageGroupSerializer(many=True)
    total = UsageFiguresSerializer()

    def get_fields(self):
        return {"from": serializers.DateField(), "to": serializers.DateField(), **super().get_fields()}
