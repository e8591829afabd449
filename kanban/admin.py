from django.contrib import admin

from kanban.models import Commit, Task


class CommitInline(admin.TabularInline):
    model = Commit
    fields = ["type", "scope", "breaking", "message", "timestamp"]
    readonly_fields = ["timestamp"]
    extra = 0
    show_change_link = True


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    list_display = ["title", "project", "status", "order", "prompt", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title", "description", "project__name"]
    list_select_related = ["project", "prompt"]
    raw_id_fields = ["project", "prompt"]
    readonly_fields = ["id", "order", "created_at", "updated_at"]
    inlines = [CommitInline]


@admin.register(Commit)
class CommitAdmin(admin.ModelAdmin):
    list_display = ["__str__", "project", "task", "type", "scope", "breaking", "author", "timestamp"]
    list_filter = ["type", "breaking", "created_by_ai_model"]
    search_fields = ["message", "scope", "task__title", "project__name"]
    list_select_related = ["project", "task"]
    raw_id_fields = ["task"]
    readonly_fields = ["id", "project"]
