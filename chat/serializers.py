from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from aimodels.serializers import AIActionSerializer, AIUsageSerializer
from chat.models import ChatSession, Message, ToolCall
from core.viewsets import OwnedRelatedField, ProjectScopedSerializer
from kanban.models import Task


class ChatSessionSerializer(ProjectScopedSerializer):
    task = OwnedRelatedField(queryset=Task.objects.all())
    ai_usage = serializers.SerializerMethodField(help_text="What the session's agent turns used and cost.")

    class Meta:
        model = ChatSession
        fields = [
            "id",
            "task",
            "ai_model_used",
            "status",
            "allow_destructive",
            "ai_usage",
            "created_at",
            "updated_at",
        ]
        action_only = {"status": "use the complete action."}
        read_only_fields = ["ai_model_used", *action_only]
        create_only = ["task"]

    @extend_schema_field(AIUsageSerializer)
    def get_ai_usage(self, session) -> dict:
        return session.ai_usage


class ToolCallSerializer(serializers.ModelSerializer):
    class Meta:
        model = ToolCall
        fields = ["id", "message", "tool_name", "arguments", "result", "status", "duration_ms", "created_at"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer):
    tool_calls = ToolCallSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "session",
            "role",
            "content",
            "usage",
            "finish_reason",
            "truncated",
            "tool_calls",
            "created_at",
        ]
        read_only_fields = fields


class ChatMessageCreateSerializer(AIActionSerializer):
    content = serializers.CharField(help_text="The user's message to the task agent.")
