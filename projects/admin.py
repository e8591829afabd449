from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html_join

from orchestrator.admin import ServiceAdmin
from orchestrator.exceptions import Conflict
from projects import services
from projects.models import Interview, Project, Prompt

by_project = ("project", admin.RelatedOnlyFieldListFilter)
by_owner = ("project__owner", admin.RelatedOnlyFieldListFilter)


class InterviewInline(admin.TabularInline):
    model = Interview
    fields = ["status", "ai_model_used", "created_at"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "owner",
        "interview_count",
        "prompt_count",
        "task_count",
        "commit_count",
        "created_at",
    ]
    list_filter = [("owner", admin.RelatedOnlyFieldListFilter), "created_at"]
    search_fields = ["name", "description", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    readonly_fields = ["id", "work", "created_at", "updated_at"]
    inlines = [InterviewInline]

    @admin.display(description="Work")
    def work(self, project):
        """Links to the project's tasks, prompts, interviews and commits, filtered to it."""
        lists = [
            ("kanban_task", "tasks", project.task_count),
            ("projects_prompt", "prompts", project.prompt_count),
            ("projects_interview", "interviews", project.interview_count),
            ("kanban_commit", "commits", project.commit_count),
        ]
        return format_html_join(
            " · ",
            '<a href="{}?project__id__exact={}">{} {}</a>',
            ((reverse(f"admin:{name}_changelist"), project.pk, count, label) for name, label, count in lists),
        )


@admin.register(Interview)
class InterviewAdmin(admin.ModelAdmin):
    """An interview starts active and empty; turns and status change through its actions only."""

    list_display = ["id", "project", "status", "turns", "ai_model_used", "created_at"]
    list_filter = ["status", by_project, by_owner, "ai_model_used"]
    search_fields = ["project__name", "ai_model_used"]
    list_select_related = ["project"]
    raw_id_fields = ["project"]
    fields = ["id", "project", "status", "ai_model_used", "transcript", "created_at", "updated_at"]
    readonly_fields = ["id", "status", "ai_model_used", "transcript", "created_at", "updated_at"]
    actions = ["complete", "cancel"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project"] if obj else self.readonly_fields

    @admin.display(description="Turns")
    def turns(self, interview):
        return len(interview.conversation_data)

    @admin.display(description="Transcript")
    def transcript(self, interview):
        if not interview.conversation_data:
            return "—"
        return format_html_join(
            "",
            '<div style="margin-bottom:1em"><strong>{}</strong> <small>{}</small>'
            '<div style="white-space:pre-wrap">{}</div></div>',
            (
                (turn["role"], turn.get("created_at", ""), turn["content"])
                for turn in interview.conversation_data
            ),
        )

    def _finish(self, request, queryset, status):
        done, refused = 0, []
        for interview in queryset:
            try:
                services.interview_finish(interview=interview, status=status)
                done += 1
            except Conflict as exc:
                refused.append(str(exc.detail))
        self.message_user(request, f"{done} interview(s) {status}.")
        for reason in sorted(set(refused)):
            self.message_user(request, f"Skipped: {reason}", level=messages.WARNING)

    @admin.action(description="Complete selected interviews")
    def complete(self, request, queryset):
        self._finish(request, queryset, Interview.Status.COMPLETED)

    @admin.action(description="Cancel selected interviews")
    def cancel(self, request, queryset):
        self._finish(request, queryset, Interview.Status.CANCELLED)


@admin.register(Prompt)
class PromptAdmin(ServiceAdmin):
    """Adding with a parent makes the next version of its lineage; a version with newer
    versions is history: its content and components cannot change."""

    list_display = ["__str__", "project", "type", "version", "is_reusable", "created_at"]
    list_filter = ["type", "is_reusable", by_project, by_owner]
    search_fields = ["content", "type", "project__name"]
    list_select_related = ["project"]
    raw_id_fields = ["project", "parent", "created_from_interview"]
    readonly_fields = ["id", "lineage", "version", "created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return self.readonly_fields
        history = ["content", "components"] if obj.has_newer_versions() else []
        return [*self.readonly_fields, "project", "parent", *history]

    def service_write(self, form, *, change):
        data = form.cleaned_data
        if change:
            stored = Prompt.objects.get(pk=form.instance.pk)
            return services.prompt_update(prompt=stored, **self.changed(form))
        return services.prompt_create(
            project=data["project"],
            content=data["content"],
            type=data["type"],
            is_reusable=data["is_reusable"],
            components=data["components"],
            parent=data["parent"],
            created_from_interview=data["created_from_interview"],
        )
