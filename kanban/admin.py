from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import ManyToManyRawIdWidget

from core.admin import LinkedInlineMixin, ServiceAdmin
from core.exceptions import Conflict, refusal_message
from kanban import services
from kanban.conventional import CommitMessageError, commit_fields
from kanban.models import Commit, Task
from projects.admin import by_owner, by_project


def move_action(status: str, label: str):
    """An admin action moving the selected tasks to the end of column `status`, in board order."""

    def move(model_admin, request, queryset):
        moved = 0
        for task in queryset.in_board_order():
            try:
                services.task_move(task=task, status=status)
            except Conflict as exc:
                model_admin.message_user(request, f"Stopped: {refusal_message(exc)}", level=messages.ERROR)
                break
            moved += 1
        model_admin.message_user(request, f"Moved {moved} task(s) to {label}.")

    move.__name__ = f"move_to_{status}"
    return admin.action(description=f"Move selected tasks to {label}")(move)


class CommitInline(LinkedInlineMixin, admin.TabularInline):
    model = Commit
    fields = ["type", "scope", "breaking", "message", "timestamp"]


class TaskAdminForm(forms.ModelForm):
    """`dependencies` by id (a raw-id field: a board may hold a million tasks), written by the
    service with its rules (same project, no cycle)."""

    dependencies = forms.ModelMultipleChoiceField(
        queryset=Task.objects.all(),
        required=False,
        widget=ManyToManyRawIdWidget(Task._meta.get_field("dependencies").remote_field, admin.site),
        help_text="Tasks of the same project this one waits for: their ids, comma-separated.",
    )

    class Meta:
        model = Task
        fields = [
            "project",
            "prompt",
            "parent",
            "title",
            "description",
            "details",
            "test_strategy",
            "status",
            "priority",
            "complexity",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.initial["dependencies"] = [task.pk for task in self.instance.dependencies.all()]


class SubtaskInline(LinkedInlineMixin, admin.TabularInline):
    model = Task
    fk_name = "parent"
    fields = ["title", "status", "priority", "complexity"]
    verbose_name_plural = "subtasks"


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    """A status change is a move to the end of that column, through `task_move` and its WIP
    limit and dependency rules."""

    form = TaskAdminForm
    list_display = ["title", "project", "status", "priority", "complexity", "order", "parent", "updated_at"]
    list_filter = ["status", "priority", by_project, by_owner]
    search_fields = ["title", "description", "project__name"]
    list_select_related = ["project", "parent"]
    raw_id_fields = ["project", "prompt", "parent"]
    readonly_fields = ["id", "order", *Task.AI_USAGE, "created_at", "updated_at"]
    inlines = [SubtaskInline, CommitInline]
    actions = [move_action(status, label) for status, label in Task.Status.choices]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project"] if obj else self.readonly_fields

    def service_write(self, form, *, change):
        if change:
            return services.task_update(task=form.instance, **self.changed(form))
        return services.task_create(**form.cleaned_data)


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
class CommitAdmin(admin.ModelAdmin):
    form = CommitAdminForm
    list_display = ["__str__", "project", "task", "type", "scope", "breaking", "author", "timestamp"]
    list_filter = ["type", "breaking", by_project, by_owner, "created_by_ai_model"]
    search_fields = ["message", "scope", "task__title", "project__name"]
    list_select_related = ["project", "task"]
    raw_id_fields = ["task"]
    readonly_fields = ["id", "project", "type", "scope", "breaking", "created_by_ai_model", "timestamp"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "task"] if obj else self.readonly_fields
