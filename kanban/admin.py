from django.contrib import admin

from kanban import services
from kanban.models import Commit, Task
from orchestrator.admin import ServiceAdmin


class CommitInline(admin.TabularInline):
    model = Commit
    fields = ["type", "scope", "breaking", "message", "timestamp"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    """A status change is a move to the end of that column, through `task_move` and its WIP limit."""

    list_display = ["title", "project", "status", "order", "prompt", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "description", "project__name"]
    list_select_related = ["project", "prompt"]
    raw_id_fields = ["project", "prompt"]
    readonly_fields = ["id", "order", "created_at", "updated_at"]
    inlines = [CommitInline]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project"] if obj else self.readonly_fields

    def service_write(self, form, *, change):
        data = form.cleaned_data
        if change:
            return services.task_update(
                task=form.instance, **{name: data[name] for name in form.changed_data}
            )
        return services.task_create(
            project=data["project"],
            title=data["title"],
            description=data["description"],
            status=data["status"],
            prompt=data["prompt"],
        )


@admin.register(Commit)
class CommitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "task", "type", "scope", "breaking", "author", "timestamp"]
    list_filter = ["type", "breaking", "created_by_ai_model"]
    search_fields = ["message", "scope", "task__title", "project__name"]
    list_select_related = ["project", "task"]
    raw_id_fields = ["task"]
    readonly_fields = ["id", "project"]
