import django_filters

from core.filters import FilterSet
from projects.models import Interview, Prompt


class InterviewFilter(FilterSet):
    project = django_filters.UUIDFilter()

    class Meta:
        model = Interview
        fields = ["project", "status"]


class PromptFilter(FilterSet):
    project = django_filters.UUIDFilter()
    parent = django_filters.UUIDFilter()
    created_from_interview = django_filters.UUIDFilter()
    lineage = django_filters.UUIDFilter()

    class Meta:
        model = Prompt
        fields = ["project", "type", "is_reusable", "parent", "created_from_interview", "lineage"]
