import django_filters

from chat.models import ChatSession
from core.filters import FilterSet


class ChatSessionFilter(FilterSet):
    task = django_filters.UUIDFilter()
    project = django_filters.UUIDFilter(field_name="task__project")

    class Meta:
        model = ChatSession
        fields = ["task", "project", "status"]
