from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAdminUser
from rest_framework.response import Response

from aimodels.actions import AIActionMixin
from aimodels.filters import AIModelFilter
from aimodels.models import AIModel, AIModelJob, SystemSettings
from aimodels.serializers import (
    AIModelSerializer,
    SettingsBulkSerializer,
    SystemSettingsSerializer,
)
from core.permissions import IsStaffOrReadOnly
from core.schema import NoBody
from jobs.views import ai_viewset_action


class AIModelViewSet(AIActionMixin, viewsets.ModelViewSet):
    """AI model configurations: any signed-in user reads, staff write."""

    queryset = AIModel.objects.prefetch_related("fallback_links")
    serializer_class = AIModelSerializer
    permission_classes = [IsStaffOrReadOnly]
    filterset_class = AIModelFilter
    search_fields = ["name", "model"]
    ordering_fields = ["name", "created_at", "updated_at"]

    @ai_viewset_action(NoBody, request=None, permission_classes=[IsAdminUser])
    def test(self, request, pk=None):
        """Staff: one tiny call to the model, to check its address, key and model id; a job
        whose result is `{"test": {"ok", "latency_ms", "error"}}`."""
        ai_model = self.get_object()
        return self.start_ai_job(request, AIModelJob.AI_MODEL_TEST, subject=ai_model, ai_model=ai_model)


class SystemSettingsViewSet(viewsets.ModelViewSet):
    """System settings addressed by key (keys may contain dots, e.g. `kanban.wip_limits`)."""

    queryset = SystemSettings.objects.all()
    serializer_class = SystemSettingsSerializer
    permission_classes = [IsStaffOrReadOnly]
    lookup_field = "key"
    lookup_value_regex = r"[^/]+"
    search_fields = ["key", "description"]
    ordering_fields = ["key", "updated_at"]

    @extend_schema(request=SettingsBulkSerializer, responses={200: SystemSettingsSerializer(many=True)})
    @action(detail=False, methods=["post"], serializer_class=SettingsBulkSerializer)
    def bulk(self, request):
        """Create or update many settings at once: all of them, or (on any error) none."""
        serializer = SettingsBulkSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stored = serializer.save()
        return Response(SystemSettingsSerializer(stored, many=True).data, status=status.HTTP_200_OK)
