from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from aimodels.actions import AIActionMixin
from aimodels.models import AIModel
from chat import services
from chat.filters import ChatSessionFilter
from chat.models import ChatJob, ChatSession, Message, ToolCall
from chat.serializers import (
    ChatMessageCreateSerializer,
    ChatSessionSerializer,
    MessageSerializer,
    ToolCallSerializer,
)
from core.schema import ErrorSerializer, NoBody
from core.viewsets import ProjectScopedViewSet
from jobs.views import ai_viewset_action


class ChatSessionViewSet(AIActionMixin, ProjectScopedViewSet):
    queryset = ChatSession.objects.all()
    serializer_class = ChatSessionSerializer
    filterset_class = ChatSessionFilter
    ordering_fields = ["created_at", "updated_at"]

    def _paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    @extend_schema(methods=["get"], responses=MessageSerializer(many=True), filters=False)
    @ai_viewset_action(ChatMessageCreateSerializer, methods=["get", "post"], filter_backends=[])
    def messages(self, request, pk=None):
        """GET: the session's messages, oldest first, each with its tool calls.
        POST: send a message; the task agent answers it as a job, acting on the board through
        tools. The job's result is the messages the turn added."""
        session = self.get_object()
        if request.method == "GET":
            messages = Message.objects.filter(session=session).prefetch_related("tool_calls")
            return self._paginated(messages, MessageSerializer)
        return self.start_ai_job(
            request,
            ChatJob.CHAT_MESSAGE,
            usage_type=AIModel.UsageType.TASK_EXECUTION,
            subject=session,
        )

    @extend_schema(request=None, responses={200: ChatSessionSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], serializer_class=NoBody)
    def complete(self, request, pk=None):
        """Mark an active session completed: it takes no new messages afterwards."""
        session = services.chat_session_complete(session=self.get_object())
        return Response(ChatSessionSerializer(session, context=self.get_serializer_context()).data)

    @extend_schema(responses=ToolCallSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="tool-calls", filter_backends=[])
    def tool_calls(self, request, pk=None):
        """Every tool call of the session, oldest first: the audit trail."""
        session = self.get_object()
        return self._paginated(ToolCall.objects.filter(message__session=session), ToolCallSerializer)
