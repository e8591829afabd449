from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response

from aimodels.actions import AIActionMixin
from aimodels.models import AIModel
from core.schema import ErrorSerializer, NoBody, writes_may_answer
from core.viewsets import ProjectScopedViewSet
from jobs.views import ai_viewset_action
from projects import composition, services
from projects.filters import InterviewFilter, PromptFilter
from projects.models import Interview, InterviewJob, Project, Prompt, PromptLabel, PromptLabelMove
from projects.serializers import (
    InterviewMessageSerializer,
    InterviewSerializer,
    ProjectSerializer,
    PromptDiffQuerySerializer,
    PromptDiffSerializer,
    PromptGenerateSerializer,
    PromptLabelMoveSerializer,
    PromptLabelSerializer,
    PromptLabelWriteSerializer,
    PromptRenderSerializer,
    PromptResolveQuerySerializer,
    PromptSerializer,
    PromptVersionSerializer,
    RenderedPromptSerializer,
    UsageQuerySerializer,
    UsageSerializer,
)
from projects.usage import project_usage


class ProjectViewSet(ProjectScopedViewSet):
    queryset = Project.objects.all()
    serializer_class = ProjectSerializer
    search_fields = ["name", "description"]
    ordering_fields = ["created_at", "updated_at", "name"]

    def list(self, request, *args, **kwargs):
        """Rows read with `values()`, every field being a column: the JSON renderer writes them
        as ProjectSerializer would (a test holds the two equal), without a serializer call
        per field."""
        projects = self.filter_queryset(self.get_queryset()).values(*ProjectSerializer.Meta.fields)
        return self.get_paginated_response(self.paginate_queryset(projects))

    def perform_create(self, serializer):
        serializer.save(owner=self.request.user)


class InterviewViewSet(AIActionMixin, ProjectScopedViewSet):
    queryset = Interview.objects.all()
    serializer_class = InterviewSerializer
    filterset_class = InterviewFilter
    ordering_fields = ["created_at", "updated_at"]

    @ai_viewset_action(InterviewMessageSerializer)
    def messages(self, request, pk=None):
        """Add the user's message to an active interview; the AI interviewer answers it as a
        job, whose result is the interview with both turns."""
        return self.start_ai_job(
            request,
            InterviewJob.INTERVIEW_MESSAGE,
            usage_type=AIModel.UsageType.INTERVIEW,
            subject=self.get_object(),
        )

    def _finish(self, status_to):
        interview = services.interview_finish(interview=self.get_object(), status=status_to)
        return Response(InterviewSerializer(interview, context=self.get_serializer_context()).data)

    @extend_schema(request=None, responses={200: InterviewSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], serializer_class=NoBody)
    def complete(self, request, pk=None):
        """Mark an active interview completed."""
        return self._finish(Interview.Status.COMPLETED)

    @extend_schema(request=None, responses={200: InterviewSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], serializer_class=NoBody)
    def cancel(self, request, pk=None):
        """Mark an active interview cancelled."""
        return self._finish(Interview.Status.CANCELLED)


HISTORY_CONFLICT = {409: ErrorSerializer}


def lineage_collection(listed, *, body, answer):
    """A prompt's action on what its lineage holds: GET lists it whole (`listed`, unpaged),
    POST takes `body` and answers `answer`."""

    def decorate(function):
        function = action(
            detail=True,
            methods=["get", "post"],
            filter_backends=[],
            pagination_class=None,
            serializer_class=body,
        )(function)
        function = extend_schema(methods=["post"], request=body, responses=answer)(function)
        return extend_schema(methods=["get"], responses=listed(many=True), filters=False)(function)

    return decorate


@writes_may_answer(HISTORY_CONFLICT, PromptSerializer)
class PromptViewSet(AIActionMixin, ProjectScopedViewSet):
    queryset = Prompt.objects.prefetch_related("labels")
    serializer_class = PromptSerializer
    filterset_class = PromptFilter
    search_fields = ["content"]
    ordering_fields = ["created_at", "updated_at", "version"]

    def perform_create(self, serializer):
        serializer.instance = services.prompt_create(**serializer.validated_data)

    def perform_update(self, serializer):
        serializer.instance = services.prompt_update(prompt=serializer.instance, **serializer.validated_data)

    def _created(self, prompt):
        data = PromptSerializer(prompt, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)

    @lineage_collection(PromptSerializer, body=PromptVersionSerializer, answer={201: PromptSerializer})
    def versions(self, request, pk=None):
        """GET: the whole lineage ordered by version. POST: a new latest version derived from this one."""
        prompt = self.get_object()
        if request.method == "GET":
            lineage = self.get_queryset().filter(lineage=prompt.lineage).order_by("version")
            return Response(PromptSerializer(lineage, many=True, context=self.get_serializer_context()).data)
        version = PromptVersionSerializer(data=request.data)
        version.is_valid(raise_exception=True)
        return self._created(services.prompt_create_version(prompt=prompt, **version.validated_data))

    @ai_viewset_action(PromptGenerateSerializer, detail=False)
    def generate(self, request):
        """Ask an AI model to write a prompt (version 1) from an interview's transcript, as a
        job whose result is the new prompt."""
        return self.start_ai_job(
            request,
            InterviewJob.PROMPT_GENERATE,
            usage_type=AIModel.UsageType.PROMPT_GENERATION,
        )

    @extend_schema(parameters=[PromptDiffQuerySerializer], responses=PromptDiffSerializer, filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def diff(self, request, pk=None):
        """A unified diff from this prompt's content to `other`'s (same project)."""
        prompt = self.get_object()
        query = PromptDiffQuerySerializer(data=request.query_params, context=self.get_serializer_context())
        query.is_valid(raise_exception=True)
        other = query.validated_data["other"]
        if other.project_id != prompt.project_id:
            raise ValidationError({"other": ["Must belong to the same project."]})
        diff = services.prompt_diff(prompt=prompt, other=other)
        return Response({"from": prompt.pk, "to": other.pk, "diff": diff})

    @extend_schema(request=None, responses={201: PromptSerializer})
    @action(detail=True, methods=["post"], serializer_class=NoBody)
    def restore(self, request, pk=None):
        """A new latest version of the lineage carrying this version's content and components."""
        return self._created(services.prompt_restore(prompt=self.get_object()))

    @lineage_collection(PromptLabelSerializer, body=PromptLabelWriteSerializer, answer=PromptLabelSerializer)
    def labels(self, request, pk=None):
        """GET: the labels of this prompt's lineage. POST: point `label` at this version (a new
        label, or moved from another version; recorded in the label history)."""
        prompt = self.get_object()
        if request.method == "GET":
            labels = PromptLabel.objects.filter(lineage=prompt.lineage).select_related("prompt")
            return Response(PromptLabelSerializer(labels, many=True).data)
        body = PromptLabelWriteSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        label = services.prompt_label_move(
            prompt=prompt, name=body.validated_data["label"], user=request.user
        )
        return Response(PromptLabelSerializer(label).data)

    @extend_schema(request=None, responses={204: None, 404: ErrorSerializer})
    @action(detail=True, methods=["delete"], url_path=r"labels/(?P<label>[-a-zA-Z0-9_]+)", filter_backends=[])
    def remove_label(self, request, pk=None, label=None):
        """Remove a label from this prompt's lineage (recorded in the label history)."""
        prompt = self.get_object()
        if not services.prompt_label_remove(lineage=prompt.lineage, name=label, user=request.user):
            raise NotFound(f"The lineage has no label {label!r}.")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(responses=PromptLabelMoveSerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], url_path="label-history", filter_backends=[])
    def label_history(self, request, pk=None):
        """Every move of the lineage's labels, newest first: who, when, from and to which version."""
        prompt = self.get_object()
        moves = PromptLabelMove.objects.filter(lineage=prompt.lineage).select_related("moved_by")
        page = self.paginate_queryset(moves)
        return self.get_paginated_response(PromptLabelMoveSerializer(page, many=True).data)

    @extend_schema(
        parameters=[PromptResolveQuerySerializer], responses={200: PromptSerializer, 404: ErrorSerializer}
    )
    @action(detail=False, methods=["get"], filter_backends=[], pagination_class=None)
    def resolve(self, request):
        """The version of a lineage a label points at (`latest`, the default: the highest)."""
        query = PromptResolveQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        prompt = services.prompt_resolve(self.get_queryset(), **query.validated_data)
        if prompt is None:
            raise NotFound("No version of that lineage has that label.")
        return Response(PromptSerializer(prompt, context=self.get_serializer_context()).data)

    @extend_schema(request=PromptRenderSerializer, responses=RenderedPromptSerializer)
    @action(detail=True, methods=["post"], serializer_class=PromptRenderSerializer)
    def render(self, request, pk=None):
        """Compose the components and content, replacing every `{{name}}` with its variable."""
        prompt = self.get_object()
        body = PromptRenderSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response({"content": composition.render(prompt, body.validated_data["variables"])})


class ProjectUsageView(generics.GenericAPIView):
    """What the project's AI work used and cost: calls, tokens (input with cached and
    cache-write, output with reasoning) and US dollars, from `from` to `to` (days included,
    UTC), grouped by `day`, `ai_model`, `kind` (of action) or `task`, with the total."""

    serializer_class = UsageSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(parameters=[UsageQuerySerializer])
    def get(self, request, pk):
        project = get_object_or_404(Project.objects.for_user(request.user), pk=pk)
        query = UsageQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        usage = project_usage(
            project=project,
            start=query.validated_data["from"],
            end=query.validated_data["to"],
            group_by=query.validated_data["group_by"],
        )
        return Response(UsageSerializer(usage).data)
