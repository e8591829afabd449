import django_filters

from aimodels.models import AIModel


class AIModelFilter(django_filters.FilterSet):
    class Meta:
        model = AIModel
        fields = ["provider", "usage_type", "is_active"]
