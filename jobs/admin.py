import json

from django.contrib import admin, messages

from core.admin import ERROR_HINTS, ReadOnlyInlineMixin, WorkspaceAdminMixin
from core.exceptions import Conflict
from jobs import services
from jobs.models import Job, JobEvent


class JobEventInline(ReadOnlyInlineMixin, admin.TabularInline):
    model = JobEvent
    fields = ["id", "type", "data", "created_at"]


@admin.register(Job)
class JobAdmin(WorkspaceAdminMixin, admin.ModelAdmin):
    """Jobs are written by the actions that start them and by their workers: shown here, and
    cancelled with the action. Its page reads as a summary (times to the second, how long it
    took, its cost, its result, each model call) and follows the job while it runs."""

    list_display = [
        "id",
        "kind",
        "status",
        "owner",
        "project",
        "model_name",
        "attempts",
        "cost",
        "created_at",
    ]
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
        "input",
    ]
    readonly_fields = fields
    inlines = [JobEventInline]
    actions = ["cancel"]

    def workspace(self, request, job):
        return [
            {
                "template": "admin/jobs/job_workspace.html",
                "result": json.dumps(job.result, indent=2, default=str) if job.result else "",
                "hint": ERROR_HINTS.get((job.error or {}).get("code"), ""),
                "calls": job.model_calls.select_related("ai_model"),
            }
        ]

    @admin.display(description="AI model", ordering="ai_model__name")
    def model_name(self, job) -> str | None:
        """The name alone: the model's whole title, in a cell that never wraps, widened the list
        past 1280 px."""
        return job.ai_model.name if job.ai_model else None

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
