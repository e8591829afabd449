"""The provenance document (chain.task_provenance) in the API: each step's fields."""

from rest_framework import serializers

from activity.models import Activity
from chat.models import ChatSession, ToolCall
from jobs.models import Job, ModelCall
from kanban.models import Commit, Task, TaskApproval
from projects.models import Interview, Prompt, PromptLabelMove
from provenance.chain import claim_holder


class InterviewStepSerializer(serializers.ModelSerializer):
    turns = serializers.SerializerMethodField()

    class Meta:
        model = Interview
        fields = ["id", "status", "ai_model_used", "created_at", "turns"]

    def get_turns(self, interview) -> int:
        return len(interview.conversation_data)


class LabelMoveSerializer(serializers.ModelSerializer):
    moved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = PromptLabelMove
        fields = ["name", "from_version", "to_version", "moved_by", "moved_at"]


class PromptVersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Prompt
        fields = ["id", "lineage", "version", "type", "created_at"]


class PromptStepSerializer(serializers.Serializer):
    prompt = PromptVersionSerializer()
    labels = serializers.ListField(child=serializers.CharField(), help_text="The labels on this version now.")
    label_moves = LabelMoveSerializer(many=True, help_text="Every move of a label to or from this version.")


class JobStepSerializer(serializers.ModelSerializer):
    ai_model = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = Job
        fields = ["id", "kind", "status", "ai_model", "created_at", "finished_at", "cost"]


class ApprovalStepSerializer(serializers.ModelSerializer):
    approved_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = TaskApproval
        fields = ["checkpoint", "approved_by", "comment", "created_at", "voided_at", "void_reason"]


class ClaimStepSerializer(serializers.ModelSerializer):
    holder = serializers.SerializerMethodField()
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)

    class Meta:
        model = Activity
        fields = ["verb", "holder", "actor", "channel", "created_at"]

    def get_holder(self, record) -> str:
        return claim_holder(record)


class TaskOfChainSerializer(serializers.ModelSerializer):
    class Meta:
        model = Task
        fields = ["id", "title", "status", "parent", "created_at", "brief"]


class TaskStepSerializer(serializers.Serializer):
    task = TaskOfChainSerializer()
    approvals = ApprovalStepSerializer(many=True)
    claims = ClaimStepSerializer(many=True, help_text="Claims taken, released and broken, oldest first.")


class ToolCallStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = ToolCall
        fields = ["id", "tool_name", "status", "arguments", "duration_ms", "created_at"]


class ChatSessionStepSerializer(serializers.ModelSerializer):
    tool_calls = ToolCallStepSerializer(many=True)

    class Meta:
        model = ChatSession
        fields = ["id", "status", "ai_model_used", "created_at", "tool_calls"]


class ModelCallStepSerializer(serializers.ModelSerializer):
    job_kind = serializers.CharField(source="job.kind")

    class Meta:
        model = ModelCall
        fields = [
            "id",
            "job",
            "job_kind",
            "model",
            "provider",
            "input_tokens",
            "output_tokens",
            "cost",
            "latency_ms",
            "error",
            "created_at",
        ]


class CommitStepSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commit
        fields = [
            "id",
            "message",
            "type",
            "scope",
            "breaking",
            "created_by_ai_model",
            "timestamp",
            *Commit.RECORDED_IN_GIT,
        ]


class ProvenanceSerializer(serializers.Serializer):
    """The chain in the order the work happened; a step that did not happen is null (or an
    empty list)."""

    interview = InterviewStepSerializer(allow_null=True, help_text="The interview the prompt came from.")
    prompt = PromptStepSerializer(allow_null=True, help_text="The prompt version the task was planned from.")
    plan_job = JobStepSerializer(
        allow_null=True, help_text="The job that planned the task (its parent's expansion, for a subtask)."
    )
    task = TaskStepSerializer()
    chat_sessions = ChatSessionStepSerializer(many=True)
    jobs = JobStepSerializer(many=True, help_text="Every AI job of the chain, oldest first.")
    model_calls = ModelCallStepSerializer(many=True, help_text="The jobs' model calls, oldest first.")
    cost = serializers.DecimalField(
        max_digits=14,
        decimal_places=8,
        allow_null=True,
        help_text="The model calls' known costs summed (see jobs.totals): a partial sum when "
        "`unknown_cost_calls` is above 0, null when no answered call's cost is known.",
    )
    unknown_cost_calls = serializers.IntegerField(help_text="Answered calls whose cost is not known.")
    commits = CommitStepSerializer(many=True)
