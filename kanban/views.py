from datetime import timedelta

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.response import Response

from aimodels.actions import AIActionMixin
from aimodels.models import AIModel
from aimodels.serializers import AIActionSerializer
from core.pagination import KeysetPagination
from core.renderers import JSONRenderer, MarkdownRenderer
from core.schema import ErrorSerializer, writes_may_answer
from core.throttling import AIActionRateThrottle
from core.viewsets import ProjectScopedViewSet
from jobs.views import ai_action, ai_viewset_action
from kanban import services
from kanban.board import project_board
from kanban.filters import CommitFilter, TaskFilter
from kanban.markdown import task_markdown
from kanban.models import BOARD_ORDER, BoardJob, Commit, Task, TaskApproval
from kanban.serializers import (
    BoardQuerySerializer,
    BoardSerializer,
    CommitGenerateSerializer,
    CommitRecordSerializer,
    CommitSerializer,
    NextTaskQuerySerializer,
    NextTaskSerializer,
    TaskApproveSerializer,
    TaskBriefSerializer,
    TaskClaimSerializer,
    TaskDeletedSerializer,
    TaskExpandSerializer,
    TaskMoveSerializer,
    TaskReleaseSerializer,
    TaskSerializer,
    task_rows,
    whole,
    with_computed_fields,
)
from projects.models import Project, Prompt

WIP_LIMIT_RESPONSE = {409: ErrorSerializer}


@writes_may_answer(WIP_LIMIT_RESPONSE, TaskSerializer, create=True)
class TaskViewSet(AIActionMixin, ProjectScopedViewSet):
    """Tasks in board order (column, then place in the column), paged by cursor."""

    queryset = Task.objects.in_board_order()
    serializer_class = TaskSerializer
    filterset_class = TaskFilter
    filter_backends = [DjangoFilterBackend, SearchFilter]
    search_fields = ["title", "description"]
    pagination_class = KeysetPagination
    keyset = BOARD_ORDER

    def list(self, request, *args, **kwargs):
        tasks = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(task_rows(tasks, "column"))
        for row in page:
            del row["column"]  # read for the cursor only
        return self.get_paginated_response(with_computed_fields(page))

    @extend_schema(responses={200: TaskDeletedSerializer})
    def destroy(self, request, *args, **kwargs):
        """Delete the task and its subtasks; tasks that waited for them stop waiting, and the
        answer lists those dependencies."""
        return Response(services.task_delete(task=self.get_object()))

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.action == "retrieve":
            live = Prefetch("approvals", queryset=TaskApproval.objects.live(), to_attr="live_approvals")
            return queryset.select_related("claim", "project").prefetch_related("dependencies", live)
        return queryset

    def perform_create(self, serializer):
        serializer.instance = whole(services.task_create(**serializer.validated_data))

    def perform_update(self, serializer):
        task = services.task_update(task=serializer.instance, **serializer.validated_data)
        serializer.instance = whole(task)

    @ai_viewset_action(TaskExpandSerializer)
    def expand(self, request, pk=None):
        """Ask an AI model to break the task into subtasks (backlog), as a job whose result
        lists the subtasks `created` and those it already had and `kept`. A subtask is a 409:
        subtasks go one level deep."""
        return self.start_ai_job(
            request,
            BoardJob.TASK_EXPAND,
            usage_type=AIModel.UsageType.TASK_PLANNING,
            subject=self.get_object(),
        )

    @ai_viewset_action(AIActionSerializer, url_path="draft-brief")
    def draft_brief(self, request, pk=None):
        """Ask an AI model to draft the task's brief (summary, approaches, the recommended
        solution, acceptance criteria, test plan), as a job whose result is the task. The
        draft's parts replace those of the brief, the others are kept; nothing is approved."""
        return self.start_ai_job(
            request,
            BoardJob.BRIEF_DRAFT,
            usage_type=AIModel.UsageType.TASK_PLANNING,
            subject=self.get_object(),
        )

    @extend_schema(request=TaskMoveSerializer, responses={200: TaskSerializer, **WIP_LIMIT_RESPONSE})
    @action(detail=True, methods=["post"], serializer_class=TaskMoveSerializer)
    def move(self, request, pk=None):
        """Put the task at 0-based `position` of column `status` (omitted or past the end: last)."""
        move = TaskMoveSerializer(data=request.data)
        move.is_valid(raise_exception=True)
        task = whole(services.task_move(task=self.get_object(), **move.validated_data))
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)

    @extend_schema(request=TaskClaimSerializer, responses={200: TaskSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], serializer_class=TaskClaimSerializer)
    def claim(self, request, pk=None):
        """Take the task for `holder` (an agent, `claude-code@laptop`) for `ttl_seconds`, or
        renew its own claim: a 409 naming the holder and until when while another's is live.
        `next` skips tasks others hold; work on the task renews its holder's claim."""
        claim = TaskClaimSerializer(data=request.data)
        claim.is_valid(raise_exception=True)
        ttl = claim.validated_data.get("ttl_seconds")
        task = self.get_object()
        services.task_claim(
            task=task,
            holder=claim.validated_data["holder"],
            user=request.user,
            ttl=timedelta(seconds=ttl) if ttl else None,
        )
        return self.task_response(task)

    @extend_schema(request=TaskReleaseSerializer, responses={200: TaskSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], serializer_class=TaskReleaseSerializer)
    def release(self, request, pk=None):
        """End `holder`'s claim on the task; with `breaking`, end whoever's it is."""
        release = TaskReleaseSerializer(data=request.data)
        release.is_valid(raise_exception=True)
        task = self.get_object()
        services.task_release(task=task, **release.validated_data)
        return self.task_response(task)

    @extend_schema(
        request=TaskApproveSerializer,
        responses={200: TaskSerializer, 403: ErrorSerializer, 409: ErrorSerializer},
    )
    @action(detail=True, methods=["post"], serializer_class=TaskApproveSerializer)
    def approve(self, request, pk=None):
        """A person approves the task's checkpoint: its recommended solution (`plan`, before work
        starts) or its `result` (before done), as the project's `require_approval` asks; with a
        comment, recorded with who and when. Changing the approved recommendation voids it."""
        body = TaskApproveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        task = self.get_object()
        services.task_approve(task=task, user=request.user, **body.validated_data)
        return self.task_response(task)

    @extend_schema(
        responses={
            (200, "text/markdown"): OpenApiTypes.STR,
            (200, "application/json"): TaskBriefSerializer,
        }
    )
    @action(
        detail=True,
        methods=["get"],
        renderer_classes=[MarkdownRenderer, JSONRenderer],
        filter_backends=[],
        pagination_class=None,
    )
    def brief(self, request, pk=None):
        """The task's brief as the task template's document, in its section order: Markdown, or
        JSON with `Accept: application/json` (or `?format=json`)."""
        task = self.get_object()
        return Response({"markdown": task_markdown(task), "brief": task.brief})

    def task_response(self, task: Task) -> Response:
        """The task as it is now (its claim read again)."""
        task = whole(task)
        return Response(TaskSerializer(task, context=self.get_serializer_context()).data)


RECORDED_COMMIT = {
    409: OpenApiResponse(ErrorSerializer, description="The commit is recorded in git: it no longer changes.")
}


@writes_may_answer(RECORDED_COMMIT, CommitSerializer)
class CommitViewSet(AIActionMixin, ProjectScopedViewSet):
    """Commits; one recorded in git (`sha`, see record/) keeps its message, changes and author."""

    queryset = Commit.objects.all()
    serializer_class = CommitSerializer
    filterset_class = CommitFilter
    search_fields = ["message", "scope"]
    ordering_fields = ["timestamp"]

    @ai_viewset_action(CommitGenerateSerializer, detail=False)
    def generate(self, request):
        """Ask an AI model for a Conventional Commit message for a task's `changes` or staged
        `diff`, as a job whose result is the stored commit. A diff over the setting
        kanban.commit_diff_max_bytes is a 413."""
        return self.start_ai_job(
            request,
            BoardJob.COMMIT_GENERATE,
            usage_type=AIModel.UsageType.COMMIT_GENERATION,
        )

    @extend_schema(request=CommitRecordSerializer, responses={200: CommitSerializer, 409: ErrorSerializer})
    @action(detail=True, methods=["post"], serializer_class=CommitRecordSerializer)
    def record(self, request, pk=None):
        """Store the SHA git made with the commit's message, with its branch and repository.
        The same SHA again changes nothing; another SHA for a recorded commit, or a SHA another
        commit of the project has, is a 409."""
        commit = self.get_object()
        recorded = CommitRecordSerializer(data=request.data)
        recorded.is_valid(raise_exception=True)
        commit = services.commit_record(commit=commit, **recorded.validated_data)
        return Response(CommitSerializer(commit, context=self.get_serializer_context()).data)


class BoardView(generics.GenericAPIView):
    """A project's board: the five columns in workflow order, each with its tasks in order;
    `priority`, `blocked` and `search` narrow the cards listed (the counts stay whole, and
    `matching` counts what they match)."""

    serializer_class = BoardSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(parameters=[BoardQuerySerializer])
    def get(self, request, pk):
        query = BoardQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        project_id = get_object_or_404(
            Project.objects.for_user(request.user).values_list("pk", flat=True), pk=pk
        )
        return Response(project_board(project_id=project_id, **query.board_arguments()))


class NextTaskView(generics.GenericAPIView):
    """The task to do next in a project: of its unblocked tasks not started yet (backlog or
    to do) that no one else holds a live claim on, the one with the highest priority, then
    the fewest dependencies, then first in board order; 204 when there is none."""

    serializer_class = NextTaskSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(parameters=[NextTaskQuerySerializer], responses={200: NextTaskSerializer, 204: None})
    def get(self, request, pk):
        query = NextTaskQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        project = get_object_or_404(Project.objects.for_user(request.user), pk=pk)
        chosen = services.next_task(project=project, holder=query.validated_data["holder"])
        if chosen is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        task, reason = chosen
        context = self.get_serializer_context()
        return Response({"task": TaskSerializer(task, context=context).data, "reason": reason})


class ProjectAIActionView(AIActionMixin, generics.GenericAPIView):
    """An AI action on a project's or a prompt's page: the body names the model, if any."""

    serializer_class = AIActionSerializer
    throttle_classes = [AIActionRateThrottle]
    pagination_class = None
    filter_backends = []


class AnalyzeComplexityView(ProjectAIActionView):
    @ai_action(AIActionSerializer)
    def post(self, request, pk):
        """Ask an AI model to score every open task of the project 1-10 with a one-line reason,
        as a job: the scores are stored on the tasks, and the result recommends which to expand."""
        project = get_object_or_404(Project.objects.for_user(request.user), pk=pk)
        return self.start_ai_job(
            request, BoardJob.COMPLEXITY_ANALYZE, usage_type=AIModel.UsageType.TASK_PLANNING, subject=project
        )


class PromptPlanView(ProjectAIActionView):
    @ai_action(AIActionSerializer)
    def post(self, request, pk):
        """Ask an AI model to break this prompt (with its components) into tasks in backlog,
        linked to it, as a job whose result lists the tasks `created` and, for a newer version
        of a lineage already planned, those `kept` (matched by title, not written again)."""
        prompt = get_object_or_404(Prompt.objects.for_user(request.user), pk=pk)
        return self.start_ai_job(
            request, BoardJob.TASK_PLAN, usage_type=AIModel.UsageType.TASK_PLANNING, subject=prompt
        )
