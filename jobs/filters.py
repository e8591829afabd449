import django_filters

from jobs.models import Job
from orchestrator.filters import FilterSet


class JobFilter(FilterSet):
    project = django_filters.UUIDFilter()

    class Meta:
        model = Job
        fields = ["project", "kind", "status"]
