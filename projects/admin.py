from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html_join

from core.admin import LinkedInlineMixin, ReadOnlyAdminMixin, ServiceAdmin
from core.exceptions import Conflict
from projects import services
from projects.models import Interview, Project, Prompt, PromptLabel, PromptLabelMove


class ProjectListFilter(admin.RelatedOnlyFieldListFilter):
    """Projects by name, told apart by their owner and the day they were made (two teams'
    "Shop")."""

    def field_choices(self, field, request, model_admin):
        projects = Project.objects.filter(pk__in=model_admin.get_queryset(request).values("project"))
        return [
            (project.pk, f"{project.name} ({project.owner}, {project.created_at:%Y-%m-%d})")
            for project in projects.select_related("owner").order_by("name", "created_at")
        ]


by_project = ("project", ProjectListFilter)
by_owner = ("project__owner", admin.RelatedOnlyFieldListFilter)


class InterviewInline(LinkedInlineMixin, admin.TabularInline):
    model = Interview
    fields = ["status", "ai_model_used", "created_at"]


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


class LabelInline(LinkedInlineMixin, admin.TabularInline):
    model = PromptLabel
    fields = ["name", "updated_at"]
    verbose_name_plural = "labels on this version (move them under Prompt labels)"


@admin.register(Prompt)
class PromptAdmin(ServiceAdmin):
    """Adding with a parent makes the next version of its lineage; a version with newer
    versions is history: its content and components cannot change."""

    inlines = [LabelInline]
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


@admin.register(PromptLabel)
class PromptLabelAdmin(ServiceAdmin):
    """A label points at one version of a lineage; moving it to another version of the same
    lineage goes through the service, which records the move. `latest` is implicit."""

    list_display = ["name", "lineage", "prompt", "version", "project", "updated_at"]
    list_filter = ["name", by_project, by_owner]
    search_fields = ["name", "lineage"]
    list_select_related = ["prompt", "project"]
    raw_id_fields = ["prompt"]
    fields = ["name", "prompt", "lineage", "project", "updated_at"]
    readonly_fields = ["lineage", "project", "updated_at"]

    @admin.display(description="Version", ordering="prompt__version")
    def version(self, label):
        return label.prompt.version

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "name"] if obj else self.readonly_fields

    def service_write(self, form, *, change):
        prompt = form.cleaned_data["prompt"]
        if change and prompt.lineage != form.instance.lineage:
            raise ValidationError({"prompt": "Must be a version of the label's lineage."})
        name = form.instance.name if change else form.cleaned_data["name"]
        return services.prompt_label_move(prompt=prompt, name=name, user=form.acting_user)

    def delete_model(self, request, obj):
        services.prompt_label_remove(lineage=obj.lineage, name=obj.name, user=request.user)

    def delete_queryset(self, request, queryset):
        for label in queryset:
            self.delete_model(request, label)


@admin.register(PromptLabelMove)
class PromptLabelMoveAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The label history: append-only."""

    list_display = ["name", "lineage", "from_version", "to_version", "moved_by", "moved_at"]
    list_filter = ["name", by_project]
    search_fields = ["name", "lineage"]
    list_select_related = ["moved_by"]
