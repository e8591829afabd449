from django import forms
from django.contrib import admin, messages
from django.urls import path

from aimodels.admin import AIUsageAdminMixin
from core.admin import (
    AutocompleteAdminMixin,
    IdsOnlyAutocompleteSelectMultiple,
    LinkedInlineMixin,
    ServiceAdmin,
    WorkspaceAdminMixin,
    picker,
)
from core.exceptions import Conflict, refusal_message
from core.history import acting
from jobs.models import Job
from kanban import services
from kanban.board_admin import board_view
from kanban.conventional import CommitMessageError, commit_fields
from kanban.models import STARTED, Commit, Task, TaskClaim
from projects.admin import by_owner, by_project


def each_task(model_admin, request, tasks, act, *, stop: bool) -> int:
    """`act` on each of `tasks` in turn; how many it was done to. A refusal is shown, and the
    action goes on with the next task, or with `stop` (the next could only be refused too)
    ends there."""
    done = 0
    for task in tasks:
        try:
            act(task)
        except Conflict as exc:
            model_admin.message_user(
                request, f"{'Stopped' if stop else task}: {refusal_message(exc)}", level=messages.ERROR
            )
            if stop:
                break
        else:
            done += 1
    return done


def task_action(name: str, description: str, action):
    action.__name__ = name
    return admin.action(description=description)(action)


def move_action(status: str, label: str):
    """An admin action moving the selected tasks to the end of column `status`, in board order."""

    def move(model_admin, request, queryset):
        tasks = queryset.in_board_order()
        moved = each_task(
            model_admin, request, tasks, lambda task: services.task_move(task=task, status=status), stop=True
        )
        model_admin.message_user(request, f"Moved {moved} task(s) to {label}.")

    return task_action(f"move_to_{status}", f"Move selected tasks to {label}", move)


def owned(model_admin, request, queryset, doing: str):
    """The selected tasks the signed-in person owns; the others are named and left alone, as
    the API leaves another user's task (staff see every task, but act only on their own)."""
    others = queryset.exclude(project__owner=request.user)
    for task in others.select_related("project"):
        model_admin.message_user(request, f"{task}: only the task's owner can {doing}.", level=messages.ERROR)
    return queryset.filter(project__owner=request.user)


@admin.action(description="Break the claims on the selected tasks")
def break_claims(model_admin, request, queryset):
    """The owner ends a stuck agent's claim: recorded as broken, by this user, through admin."""
    broken = 0
    with acting(channel="admin", user=request.user):
        for task in owned(model_admin, request, queryset, "break its claim"):
            broken += services.task_release(task=task, holder=request.user.get_username(), breaking=True)
    model_admin.message_user(request, f"Broke {broken} claim(s).")


def approve_action(checkpoint: str, label: str):
    """An admin action by which the signed-in person approves the selected tasks' checkpoint."""

    def approve(model_admin, request, queryset):
        def approve_task(task):
            services.task_approve(task=task, user=request.user, checkpoint=checkpoint)

        with acting(channel="admin", user=request.user):
            tasks = owned(model_admin, request, queryset, "approve it")
            approved = each_task(model_admin, request, tasks, approve_task, stop=False)
        model_admin.message_user(request, f"Approved {label} of {approved} task(s).")

    return task_action(f"approve_{checkpoint}", f"Approve {label}", approve)


class CommitInline(LinkedInlineMixin, admin.TabularInline):
    model = Commit
    fields = ["type", "scope", "breaking", "message", "timestamp"]


class TaskAdminForm(forms.ModelForm):
    """`dependencies` picked by title as you type (a board may hold a million tasks), written
    by the service with its rules (same project, no cycle). The prompt, parent and dependency
    pickers offer the task's own project only (on the add page, the project it was opened
    for, `?project=`), and never the task itself (core.admin.PickerSearchView)."""

    dependencies = forms.ModelMultipleChoiceField(
        queryset=Task.objects.all(),
        required=False,
        widget=IdsOnlyAutocompleteSelectMultiple(Task._meta.get_field("dependencies"), admin.site),
        help_text="Tasks of the same project this one waits for.",
    )

    class Meta:
        model = Task
        fields = [*Task.EDITABLE, "brief"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["dependencies"] = [task.pk for task in self.instance.dependencies.all()]
        saved = not self.instance._state.adding  # (a new task has its UUID already)
        project = self.instance.project_id if saved else self.initial.get("project")
        for name in ("prompt", "parent", "dependencies"):
            if project and name in self.fields:
                oneself = {"exclude": self.instance.pk} if saved and name != "prompt" else {}
                picker(self.fields[name]).forward = {"project": project, **oneself}

    def clean_brief(self):
        return self.cleaned_data["brief"] or {}  # an emptied box is no brief


class SubtaskInline(LinkedInlineMixin, admin.TabularInline):
    model = Task
    fk_name = "parent"
    fields = ["title", "status", "priority", "complexity"]
    verbose_name_plural = "subtasks"


@admin.register(Task)
class TaskAdmin(AIUsageAdminMixin, AutocompleteAdminMixin, WorkspaceAdminMixin, ServiceAdmin):
    """A status change is a move to the end of that column, through `task_move` and its WIP
    limit and dependency rules. Its page is the task's workspace: what blocks it, its
    subtasks, who holds it, its AI steps, chats, commits, jobs and history."""

    form = TaskAdminForm
    list_display = ["title", "project", "status", "priority", "complexity", "claimed_by", "updated_at"]
    list_filter = ["status", "priority", by_project, by_owner]
    search_fields = ["title", "description", "project__name"]
    list_select_related = ["project", "claim"]
    autocomplete_fields = ["project", "prompt", "parent"]
    picker_select_related = ["project"]
    readonly_fields = ["id", "claimed_by", "order", "ai_usage_shown", "created_at", "updated_at"]
    inlines = [SubtaskInline, CommitInline]
    actions = [
        *(move_action(status, label) for status, label in Task.Status.choices),
        approve_action("plan", "the recommended solution"),
        approve_action("result", "the result"),
        break_claims,
    ]

    def picker_label(self, task):
        return f"{task.title} ({task.project.name})"

    @admin.display(description="claimed by")
    def claimed_by(self, task) -> str:
        try:
            claim = task.claim
        except TaskClaim.DoesNotExist:
            return "—"
        return str(claim) if claim.live else "—"

    def workspace(self, request, task):
        blockers = task.dependencies.exclude(status=Task.Status.DONE)
        subtasks = list(task.subtasks.in_board_order())
        sessions = list(task.chat_sessions.order_by("-created_at")[:20])
        claim = TaskClaim.objects.live().filter(task=task).first()
        approvals = task.approvals.select_related("approved_by")
        return [
            {
                "template": "admin/kanban/task_workspace.html",
                "claim": claim,
                "policy": task.project.get_require_approval_display(),
                "approvals": approvals,
                "approved": {approval.checkpoint for approval in approvals if approval.voided_at is None},
                "has_recommendation": bool(task.brief.get("recommendation")),
                "started": task.status in STARTED,  # a result is approved once work has started
                "blockers": blockers,
                "subtasks": subtasks,
                "subtasks_done": sum(subtask.status == Task.Status.DONE for subtask in subtasks),
                # the chat app's status "active" (it sits above this one)
                "active_session": next((s for s in sessions if s.status == "active"), None),
                "sessions": sessions,
                "commits": task.commits.order_by("-timestamp")[:20],
                "jobs": Job.objects.filter(task=task).select_related("ai_model").order_by("-created_at")[:20],
            }
        ]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project"] if obj else self.readonly_fields

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:  # two projects' "Checkout" told apart in the title
            context["subtitle"] = f"{obj.title} ({obj.project})"
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_urls(self):
        # Before the default URLs, whose `<path:object_id>/` would take "board/..." for a task id.
        board = path(
            "board/<uuid:project_id>/", self.admin_site.admin_view(board_view), name="kanban_task_board"
        )
        return [board, *super().get_urls()]

    def service_write(self, form, *, change):
        if change:
            return services.task_update(task=form.instance, whole_brief=True, **self.changed(form))
        return services.task_create(**form.cleaned_data)


class RecordedInGit(admin.SimpleListFilter):
    title = "recorded in git"
    parameter_name = "recorded"

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(sha="")
        if self.value() == "no":
            return queryset.filter(sha="")
        return queryset


class CommitAdminForm(forms.ModelForm):
    """The message is parsed; type, scope and breaking follow from its header."""

    class Meta:
        model = Commit
        fields = ["task", "message", "changes", "author"]

    def clean_message(self):
        message = self.cleaned_data["message"]
        try:
            self.derived = commit_fields(message)
        except CommitMessageError as exc:
            raise forms.ValidationError(str(exc)) from None
        return message

    def clean(self):
        cleaned = super().clean()
        for name, value in getattr(self, "derived", {}).items():
            setattr(self.instance, name, value)
        return cleaned


@admin.register(Commit)
class CommitAdmin(AutocompleteAdminMixin, WorkspaceAdminMixin, admin.ModelAdmin):
    form = CommitAdminForm
    list_display = [
        "__str__",
        "project",
        "task",
        "type",
        "scope",
        "breaking",
        "short_sha",
        "author",
        "timestamp",
    ]
    list_filter = ["type", "breaking", RecordedInGit, by_project, by_owner, "created_by_ai_model"]
    search_fields = ["message", "scope", "sha", "task__title", "project__name"]
    list_select_related = ["project", "task"]
    autocomplete_fields = ["task"]
    readonly_fields = [
        "id",
        "project",
        "type",
        "scope",
        "breaking",
        "created_by_ai_model",
        "timestamp",
        *Commit.RECORDED_IN_GIT,
    ]

    @admin.display(description="SHA", ordering="sha")
    def short_sha(self, commit) -> str:
        return commit.sha[:12] or "—"

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "task"] if obj else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        # Recorded in git (see record/), it is what git has: shown, not changed.
        return super().has_change_permission(request, obj) and not (obj is not None and obj.sha)
