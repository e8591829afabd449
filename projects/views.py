from orchestrator.viewsets import ProjectScopedViewSet
from projects import services
from projects.filters import InterviewFilter, PromptFilter
from projects.models import Interview, Project, Prompt
from projects.serializers import InterviewSerializer, ProjectSerializer, PromptSerializer


class ProjectViewSet(ProjectScopedViewSet):
    queryset = Project.objects.with_counts()
    serializer_class = ProjectSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["created_at", "updated_at", "name"]

    def perform_create(self, serializer):
        project = serializer.save(owner=self.request.user)
        serializer.instance = self.get_queryset().get(pk=project.pk)


class InterviewViewSet(ProjectScopedViewSet):
    queryset = Interview.objects.all()
    serializer_class = InterviewSerializer
    filterset_class = InterviewFilter
    ordering_fields = ["created_at", "updated_at"]


class PromptViewSet(ProjectScopedViewSet):
    queryset = Prompt.objects.all()
    serializer_class = PromptSerializer
    filterset_class = PromptFilter
    search_fields = ["content"]
    ordering_fields = ["created_at", "updated_at", "version"]

    def perform_create(self, serializer):
        serializer.instance = services.prompt_create(**serializer.validated_data)
