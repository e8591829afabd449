import django_filters

from jobs.models import Job


class JobFilter(django_filters.FilterSet):
    project = django_filters.UUIDFilter()

    class Meta:
        model = Job
        fields = ["project", "kind", "status"]
