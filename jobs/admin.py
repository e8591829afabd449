from django.contrib import admin, messages

from core.admin import ReadOnlyInlineMixin
from core.exceptions import Conflict
from jobs import services
from jobs.models import Job, JobEvent, ModelCall
from jobs.serializers import ModelCallSerializer


class JobEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = JobEvent
    fields = ["id", "type", "data", "created_at"]
    readonly_fields = fields


class ModelCallInline(ReadOnlyInlineMixin, admin.TabularInline):
    """Every provider call of the job: who answered, the tokens, the cost, or the error."""

    model = ModelCall
    fields = [name for name in ModelCallSerializer.Meta.fields if name != "created_at"]
    readonly_fields = fields


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    """Jobs are written by the actions that start them and by their workers: shown here, and
    cancelled with the action."""

    list_display = ["id", "kind", "status", "owner", "project", "ai_model", "attempts", "cost", "created_at"]
    list_filter = ["status", "kind", ("owner", admin.RelatedOnlyFieldListFilter), "ai_model"]
    search_fields = ["id", "project__name"]
    list_select_related = ["owner", "project", "ai_model"]
    date_hierarchy = "created_at"
    fields = [
        "id",
        "kind",
        "status",
        "owner",
        "project",
        "task",
        "ai_model",
        "attempts",
        "created_at",
        "started_at",
        "finished_at",
        "input",
        "result",
        "error",
        "usage",
        "cost",
    ]
    readonly_fields = fields
    inlines = [ModelCallInline, JobEventInline]
    actions = ["cancel"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected jobs")
    def cancel(self, request, queryset):
        for job in queryset:
            try:
                services.job_cancel(job=job)
            except Conflict as exc:
                self.message_user(request, f"{job}: {exc.detail}", messages.WARNING)
            else:
                self.message_user(request, f"{job}: cancelled.", messages.SUCCESS)
