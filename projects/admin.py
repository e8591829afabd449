from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from rest_framework.exceptions import ValidationError as DRFValidationError

from aimodels.admin import usage_sentence
from core.admin import (
    AutocompleteAdminMixin,
    LinkedInlineMixin,
    ReadOnlyAdminMixin,
    ServiceAdmin,
    WorkspaceAdminMixin,
)
from core.exceptions import Conflict
from jobs.models import Job
from projects import composition, services
from projects.budget import month_spend
from projects.models import Interview, Project, Prompt, PromptLabel, PromptLabelMove
from projects.serializers import UsageQuerySerializer
from projects.usage import project_usage
from projects.usage_chart import chart_width, every_day, usage_bars


def project_label(project: Project) -> str:
    """A project by name, told apart by its owner and the day it was made (two teams' "Shop")."""
    return f"{project.name} ({project.owner}, {project.created_at:%Y-%m-%d})"


class ProjectListFilter(admin.RelatedOnlyFieldListFilter):
    """Projects by `project_label`, for a project field at any path
    (`("task__project", ProjectListFilter)`)."""

    def field_choices(self, field, request, model_admin):
        listed = model_admin.get_queryset(request).values(self.field_path)
        projects = Project.objects.filter(pk__in=listed)
        return [
            (project.pk, project_label(project))
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
    picker_select_related = ["owner"]  # what `picker_label` reads (core.admin.PickerSearchView)

    def picker_label(self, project):
        return project_label(project)

    def get_list_display(self, request):
        return [*self.list_display, "views"]

    @admin.display(description="Board and usage")
    def views(self, project):
        return format_html(
            '<a href="{}">Board</a> · <a href="{}">Usage</a>',
            reverse("admin:kanban_task_board", args=[project.pk]),
            reverse("admin:projects_project_usage", args=[project.pk]),
        )

    def get_urls(self):
        usage = path(
            "<uuid:project_id>/usage/",
            self.admin_site.admin_view(self.usage_view),
            name="projects_project_usage",
        )
        return [usage, *super().get_urls()]

    def usage_view(self, request, project_id):
        """Cost and tokens by day (a chart), by model and by kind of action, and the month's
        spend against the budget; the owner's own projects only."""
        project = get_object_or_404(Project.objects.for_user(request.user), pk=project_id)
        query = UsageQuerySerializer(data=request.GET)
        if not query.is_valid():  # days that do not parse: this month
            query = UsageQuerySerializer(data={})
            query.is_valid()
        dates = query.validated_data
        usage = {
            group: project_usage(project=project, start=dates["from"], end=dates["to"], group_by=group)
            for group in ("day", "ai_model", "kind")
        }
        spent = month_spend(project)
        bars = usage_bars(every_day(usage["day"]["groups"], dates["from"], dates["to"]))
        context = {
            **self.admin_site.each_context(request),
            "page": "Usage",
            "project": project,
            "usage": usage["day"],
            "in_all": usage_sentence(usage["day"]["total"]),
            "bars": bars,
            "chart_width": chart_width(bars),
            "tables": [("model", usage["ai_model"]["groups"]), ("kind of action", usage["kind"]["groups"])],
            "month_spend": spent,
            "budget_share": round(spent / project.monthly_budget * 100) if project.monthly_budget else None,
        }
        return TemplateResponse(request, "admin/projects/usage.html", context)

    @admin.display(description="Work")
    def work(self, project):
        """Links to the project's board and usage, and its tasks, prompts, interviews and
        commits, filtered to it."""
        if project.pk is None:
            return "—"
        lists = [
            ("kanban_task", "tasks", project.task_count),
            ("projects_prompt", "prompts", project.prompt_count),
            ("projects_interview", "interviews", project.interview_count),
            ("kanban_commit", "commits", project.commit_count),
        ]
        listed = format_html_join(
            " · ",
            '<a href="{}?project__id__exact={}">{} {}</a>',
            ((reverse(f"admin:{name}_changelist"), project.pk, count, label) for name, label, count in lists),
        )
        return format_html("{} · {}", self.views(project), listed)


@admin.register(Interview)
class InterviewAdmin(AutocompleteAdminMixin, WorkspaceAdminMixin, admin.ModelAdmin):
    """An interview starts active and empty; turns and status change through its actions only:
    on its page, a conversation with a composer, and the prompt it may be turned into."""

    list_display = ["__str__", "project", "turns", "ai_model_used"]  # the title: its start and status
    list_filter = ["status", by_project, by_owner, "ai_model_used"]
    search_fields = ["project__name", "ai_model_used"]
    list_select_related = ["project"]
    autocomplete_fields = ["project"]
    fields = ["id", "project", "status", "ai_model_used", "created_at", "updated_at"]
    readonly_fields = ["id", "status", "ai_model_used", "created_at", "updated_at"]
    actions = ["complete", "cancel"]

    def workspace(self, request, interview):
        return [
            {
                "template": "admin/projects/interview_workspace.html",
                "turns": interview.conversation_data,
                "active": interview.status == Interview.Status.ACTIVE,
                "prompts": interview.prompts.all(),
                "jobs": Job.objects.filter(input__interview=str(interview.pk)).select_related("ai_model"),
            }
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project"] if obj else self.readonly_fields

    @admin.display(description="Turns")
    def turns(self, interview):
        return len(interview.conversation_data)

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


def _variables_of(prompt: Prompt) -> list[str]:
    """The `{{variables}}` of the prompt composed with its components (none if it cannot be)."""
    try:
        return sorted(set(composition.VARIABLE.findall(composition.compose(prompt))))
    except (ValidationError, DRFValidationError):
        return []


def _components_of(prompt: Prompt) -> list[dict]:
    """Each component by name: `{"text"}` (a block), or `{"prompt", "label"}`: the version it
    points at (None when there is none now) and, for a label's, the label."""
    found = composition.pointed_at(prompt.components)
    described = []
    for component in prompt.components:
        if "text" in component:
            described.append({"text": component["text"]})
            continue
        ref = composition.reference(component)
        described.append({"prompt": found.get(ref), "label": ref[1] if isinstance(ref, tuple) else None})
    return described


class ComponentsWidget(forms.Textarea):
    """The components as JSON, with a picker adding a reusable prompt by name, on the add page
    and the change page alike (projects/static/projects/components.js); `reusable` lists
    them by project: `[({"id", "label"}, [prompt, ...]), ...]`."""

    template_name = "projects/widgets/components.html"

    class Media:
        js = ["projects/components.js"]

    def __init__(self, *, reusable: list, attrs=None):
        super().__init__(attrs)
        self.reusable = reusable

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["reusable"] = self.reusable
        return context


def reusable_by_project(prompts) -> list:
    """Reusable `prompts` grouped by project, as ComponentsWidget lists them."""
    groups = {}
    for prompt in prompts.select_related("project__owner").order_by(
        "project__name", "project", "type", "version"
    ):
        project = prompt.project
        groups.setdefault(project.pk, ({"id": project.pk, "label": project_label(project)}, []))[1].append(
            prompt
        )
    return list(groups.values())


@admin.register(Prompt)
class PromptAdmin(WorkspaceAdminMixin, ServiceAdmin):
    """Adding with a parent makes the next version of its lineage; a version with newer
    versions is history: its content and components cannot change. Its page plans it into
    tasks, lists the lineage's versions, diffs any two and renders it with variables."""

    inlines = [LabelInline]
    list_display = ["__str__", "project", "type", "version", "is_reusable", "created_at"]
    list_filter = ["type", "is_reusable", by_project, by_owner]
    search_fields = ["content", "type", "project__name"]
    list_select_related = ["project"]
    raw_id_fields = ["project", "parent", "created_from_interview"]
    readonly_fields = ["id", "lineage", "version", "created_at", "updated_at"]
    picker_select_related = ["project"]

    def picker_label(self, prompt):
        return f"{prompt} ({prompt.project.name})"

    def workspace(self, request, prompt):
        versions = Prompt.objects.filter(lineage=prompt.lineage).select_related("created_by")
        return [
            {
                "template": "admin/projects/prompt_workspace.html",
                "board": reverse("admin:kanban_task_board", args=[prompt.project_id]),
                "versions": list(versions.prefetch_related("labels").order_by("version")),
                "variables": _variables_of(prompt),
                "components": _components_of(prompt),
            }
        ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        """The components field with its picker: the reusable prompts of the prompt's project
        (but its own lineage's), or on the add page those of every project the user has."""
        form = super().get_form(request, obj, change=change, **kwargs)
        if "components" in form.base_fields:
            reusable = Prompt.objects.for_user(request.user).filter(is_reusable=True)
            if obj is not None:
                reusable = reusable.filter(project=obj.project_id).exclude(lineage=obj.lineage)
            form.base_fields["components"].widget = ComponentsWidget(reusable=reusable_by_project(reusable))
        return form

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
