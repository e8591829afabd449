import django_filters

from core.filters import FilterSet
from jobs.models import Job


class JobFilter(FilterSet):
    project = django_filters.UUIDFilter()

    class Meta:
        model = Job
        fields = ["project", "kind", "status"]
