from django.contrib import admin

from activity.models import Activity
from core.admin import ReadOnlyAdminMixin
from projects.admin import by_project


@admin.register(Activity)
class ActivityAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The activity history: read-only, as it is append-only."""

    list_display = ["created_at", "project", "object_type", "object_repr", "verb", "actor", "channel"]
    list_filter = ["verb", "channel", "object_type", by_project]
    search_fields = ["object_repr", "object_id", "actor__username"]
    list_select_related = ["project", "actor"]
    date_hierarchy = "created_at"
