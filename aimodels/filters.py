from aimodels.models import AIModel
from core.filters import FilterSet


class AIModelFilter(FilterSet):
    class Meta:
        model = AIModel
        fields = ["provider", "usage_type", "is_active"]
