from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics
from rest_framework.response import Response

from kanban.models import Commit, Task
from provenance.chain import task_provenance
from provenance.serializers import ProvenanceSerializer

CHAIN = ("project", "prompt__created_from_interview")


class TaskProvenanceView(generics.GenericAPIView):
    """Where the task came from and what became of it: interview, prompt version and its
    labels, the plan job, the task (brief, approvals, claims), chat sessions and their tool
    calls, model calls with cost, commits with their SHAs."""

    serializer_class = ProvenanceSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(responses=ProvenanceSerializer)
    def get(self, request, pk):
        task = get_object_or_404(Task.objects.for_user(request.user).select_related(*CHAIN), pk=pk)
        return Response(ProvenanceSerializer(task_provenance(task)).data)


class CommitProvenanceView(generics.GenericAPIView):
    """The provenance of the commit's task, with this commit as its last step."""

    serializer_class = ProvenanceSerializer
    pagination_class = None
    filter_backends = []

    @extend_schema(responses=ProvenanceSerializer)
    def get(self, request, pk):
        commit = get_object_or_404(
            Commit.objects.for_user(request.user).select_related(*(f"task__{name}" for name in CHAIN)), pk=pk
        )
        return Response(ProvenanceSerializer(task_provenance(commit.task, commit=commit)).data)
