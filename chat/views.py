from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.response import Response

from aimodels.models import AIModel
from chat import services
from chat.filters import ChatSessionFilter
from chat.models import ChatSession, Message, ToolCall
from chat.serializers import (
    ChatMessageCreateSerializer,
    ChatSessionSerializer,
    MessageSerializer,
    ToolCallSerializer,
)
from jobs.views import ai_action, idempotency_key, job_response
from orchestrator.schema import ErrorSerializer
from orchestrator.throttling import AIActionRateThrottle
from orchestrator.viewsets import ProjectScopedViewSet


class ChatSessionViewSet(ProjectScopedViewSet):
    queryset = ChatSession.objects.all()
    serializer_class = ChatSessionSerializer
    filterset_class = ChatSessionFilter
    ordering_fields = ["created_at", "updated_at"]

    def _paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    @extend_schema(methods=["get"], responses=MessageSerializer(many=True), filters=False)
    @ai_action(ChatMessageCreateSerializer)
    @action(detail=True, methods=["get", "post"], filter_backends=[], throttle_classes=[AIActionRateThrottle])
    def messages(self, request, pk=None):
        """GET: the session's messages, oldest first, each with its tool calls.
        POST: send a message; the task agent answers it as a job, acting on the board through
        tools. The job's result is the messages the turn added."""
        session = self.get_object()
        if request.method == "GET":
            messages = Message.objects.filter(session=session).prefetch_related("tool_calls")
            return self._paginated(messages, MessageSerializer)
        key = idempotency_key(request)
        body = ChatMessageCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        job = services.chat_send(
            session=session,
            content=body.validated_data["content"],
            ai_model=body.chosen_ai_model(AIModel.UsageType.TASK_EXECUTION),
            owner=request.user,
            idempotency_key=key,
        )
        return job_response(request, job)

    @extend_schema(request=None, responses={200: ChatSessionSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Mark an active session completed: it takes no new messages afterwards."""
        session = services.chat_session_complete(session=self.get_object())
        return Response(self.get_serializer(session).data)

    @extend_schema(responses=ToolCallSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="tool-calls", filter_backends=[])
    def tool_calls(self, request, pk=None):
        """Every tool call of the session, oldest first: the audit trail."""
        session = self.get_object()
        return self._paginated(ToolCall.objects.filter(message__session=session), ToolCallSerializer)
