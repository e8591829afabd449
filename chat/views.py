from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from chat.filters import ChatSessionFilter
from chat.models import ChatSession, Message, ToolCall
from chat.serializers import ChatSessionSerializer, MessageSerializer, ToolCallSerializer
from orchestrator.viewsets import ProjectScopedViewSet


class ChatSessionViewSet(ProjectScopedViewSet):
    queryset = ChatSession.objects.all()
    serializer_class = ChatSessionSerializer
    filterset_class = ChatSessionFilter
    ordering_fields = ["created_at", "updated_at"]

    def _paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)

    @extend_schema(responses=MessageSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def messages(self, request, pk=None):
        """The session's messages, oldest first, each with its tool calls."""
        session = self.get_object()
        messages = Message.objects.filter(session=session).prefetch_related("tool_calls")
        return self._paginated(messages, MessageSerializer)

    @extend_schema(responses=ToolCallSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="tool-calls", filter_backends=[])
    def tool_calls(self, request, pk=None):
        """Every tool call of the session, oldest first: the audit trail."""
        session = self.get_object()
        return self._paginated(ToolCall.objects.filter(message__session=session), ToolCallSerializer)
