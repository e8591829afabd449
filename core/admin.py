"""Admin that writes through the services, so admin keeps every rule the API keeps; its site,
whose pickers tell objects apart and keep to a project (PickerSearchView)."""

from urllib.parse import urlencode

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.exceptions import NON_FIELD_ERRORS, FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.dispatch import Signal
from rest_framework.exceptions import APIException
from rest_framework.exceptions import ValidationError as DRFValidationError

from core.exceptions import one_line, refusal_message
from core.fields import EncryptedTextField


class PickerSearchView(AutocompleteJsonView):
    """Admin's autocomplete searches, answered as the pickers need them.

    Each result is labelled by its model admin's `picker_label(obj)` (`str(obj)` without one),
    read with its `picker_select_related`: two projects named "Shop" are told apart by their
    owner and day, a task by its project, while `__str__`, and so the API, stays as it is.

    A picker narrows its searches by the query parameters its widget forwards (`forward`, put
    in the widget's URL when the page is drawn, so no script has to keep them): `project`
    keeps the objects of that project (a task's parent, dependencies and prompt come from the
    task's own project), `exclude` leaves one object out (a task is not its own parent). It
    narrows what is offered only; the service still refuses a pick from another project.
    """

    def get_queryset(self):
        return narrowed(for_labels(self.model_admin, super().get_queryset()), self.request.GET)

    def serialize_result(self, obj, to_field_name):
        return {"id": str(getattr(obj, to_field_name)), "text": picker_label(self.model_admin, obj)}


def picker_label(model_admin, obj) -> str:
    label = getattr(model_admin, "picker_label", None)
    return label(obj) if label else str(obj)


def for_labels(model_admin, queryset):
    """`queryset` reading what its model admin's `picker_label` reads."""
    related = getattr(model_admin, "picker_select_related", ())
    return queryset.select_related(*related) if related else queryset


def narrowed(queryset, params):
    """`queryset` narrowed by the `project` and `exclude` a picker forwards (a model without
    a project is not narrowed by one); none for values that are not ids."""
    opts = queryset.model._meta
    try:
        if "project" in params and _has_field(opts, "project"):
            project = opts.get_field("project").target_field.to_python(params["project"])
            queryset = queryset.filter(project=project)
        if "exclude" in params:
            queryset = queryset.exclude(pk=opts.pk.to_python(params["exclude"]))
    except DjangoValidationError:
        return queryset.none()
    return queryset


def _has_field(opts, name: str) -> bool:
    try:
        opts.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


class AdminSite(admin.AdminSite):
    """Django's admin site with the pickers of `PickerSearchView`."""

    def autocomplete_view(self, request):
        return PickerSearchView.as_view(admin_site=self)(request)


class _IdsOnly:
    """An autocomplete widget that looks up only the submitted values that are ids: Django's
    queries whatever was posted, so a form shown again with its errors after junk (`"☃"` for
    a UUID) would be a 500. Its options are labelled as its searches label them, and its
    searches carry `forward` (see PickerSearchView)."""

    forward: dict = {}

    def get_url(self):
        url = super().get_url()
        return f"{url}?{urlencode(self.forward)}" if self.forward else url

    def optgroups(self, name, value, attr=None):
        pk = self.field.remote_field.model._meta.pk
        ids = []
        for item in value:
            try:
                pk.to_python(item)
            except DjangoValidationError:
                continue
            ids.append(item)
        model = self.field.remote_field.model
        model_admin = self.admin_site.get_model_admin(model) if self.admin_site.is_registered(model) else None
        self.choices.field.label_from_instance = lambda obj: picker_label(model_admin, obj)
        self.choices.queryset = for_labels(model_admin, self.choices.queryset)
        return super().optgroups(name, ids, attr)


def picker(field):
    """The autocomplete widget of a form field, inside admin's related-object wrapper or not."""
    return getattr(field.widget, "widget", field.widget)


class IdsOnlyAutocompleteSelect(_IdsOnly, AutocompleteSelect):
    pass


class IdsOnlyAutocompleteSelectMultiple(_IdsOnly, AutocompleteSelectMultiple):
    pass


class AutocompleteAdminMixin:
    """`autocomplete_fields` with pickers that take any input (see `_IdsOnly`)."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = IdsOnlyAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdminMixin:
    """A record kept by the system (an audit trail, a history, a job's calls): shown in admin,
    every field of it (those of `fields`, where it names some) but for those it `exclude`s
    and its encrypted ones, never added, edited or deleted there."""

    def get_readonly_fields(self, request, obj=None):
        declared = list(super().get_readonly_fields(request, obj))
        hidden = {*declared, *(self.exclude or ())}
        shown = (
            field.name
            for field in self.model._meta.fields
            if field.name not in hidden and not isinstance(field, EncryptedTextField)
        )
        return [*declared, *shown]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin(ReadOnlyAdminMixin):
    """Rows under an object, shown only (their own page, where there is one, is a link away)."""

    extra = 0
    can_delete = False


class LinkedInlineMixin:
    """Rows under an object, listed read-only (`fields`) with a link to their own page, where
    they are changed; not added here."""

    extra = 0
    can_delete = False
    show_change_link = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None):
        return False


# What to do about a failed job, by its error's code (shown on job panels and job pages).
ERROR_HINTS = {
    "ai_provider_timeout": "The model did not answer in time: try again, or raise its timeout "
    "(AI models, config).",
    "ai_provider_error": "The model answered with an error or an unusable answer: check its base URL, key "
    "and model id, or pick another model.",
    "ai_model_unavailable": "No AI model can do this: add or activate one under AI models.",
    "over_budget": "The project is at its monthly budget: raise it on the project's page.",
    "job_cancelled": "The job was cancelled.",
    "job_time_limit": "The job ran past its time limit (JOB_TIME_LIMIT).",
    "conflict": "Something else is under way on this object: wait for it, then try again.",
}


# Panels an app above a model's own adds to its workspace: receivers get `sender` (the model),
# `request` and `obj`, and answer a panel (a dict with its `template`) or None.
workspace_panels = Signal()


class WorkspaceAdminMixin:
    """An object's change page as a workspace: below its fields, the panels `workspace(request,
    obj)` lists (each a template and what it shows), such as the AI steps it can start, each
    with the live panel of its job (core/static/core/ai_action.js)."""

    change_form_template = "admin/workspace_change_form.html"

    def workspace(self, request, obj) -> list[dict]:
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        panels = []
        if obj is not None:
            panels = self.workspace(request, obj)
            added = workspace_panels.send(sender=type(obj), request=request, obj=obj)
            panels += [panel for _receiver, panel in added if panel]
        extra_context = {**(extra_context or {}), "workspace": panels, "error_hints": ERROR_HINTS}
        return super().change_view(request, object_id, form_url, extra_context)


class ServiceAdmin(admin.ModelAdmin):
    """Saves through `service_write(form, change=...)` at the end of form validation.

    The service is the last validator: what it refuses (a WIP limit, a history conflict)
    becomes a form error on the page, never a 500. The admin view wraps the request in a
    transaction, and the service its own write, so a refused write leaves nothing behind.
    """

    def service_write(self, form, *, change: bool):
        raise NotImplementedError("ServiceAdmin subclasses write through their app's service.")

    @staticmethod
    def changed(form) -> dict:
        """The fields the form changes, with their new values: what a service's update takes."""
        return {name: form.cleaned_data[name] for name in form.changed_data}

    def get_form(self, request, obj=None, change=False, **kwargs):
        base = super().get_form(request, obj, change=change, **kwargs)
        model_admin = self

        class ServiceForm(base):
            acting_user = request.user  # who the service records as the actor

            def _post_clean(self):
                super()._post_clean()
                if not self._errors:
                    model_admin._write(self, change=change)

        return ServiceForm

    def _write(self, form, *, change: bool):
        try:
            form.instance = self.service_write(form, change=change)
        except DjangoValidationError as exc:
            _add_errors(form, exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
        except DRFValidationError as exc:
            _add_errors(form, exc.detail)
        except APIException as exc:  # a conflict with the object's state
            form.add_error(None, refusal_message(exc))

    def save_model(self, request, obj, form, change):
        """Already written by `service_write` during validation."""


def _add_errors(form, detail) -> None:
    if not isinstance(detail, dict):
        form.add_error(None, [str(message) for message in detail])
        return
    for name, messages in detail.items():
        if isinstance(messages, dict) or (
            isinstance(messages, list) and not all(isinstance(m, str) for m in messages)
        ):
            messages = [one_line(messages)]  # nested: a part of a JSON field, an item of a list
        messages = [str(m) for m in (messages if isinstance(messages, list) else [messages])]
        if name in form.fields:
            form.add_error(name, messages)
        elif name in (NON_FIELD_ERRORS, "non_field_errors"):
            form.add_error(None, messages)
        else:
            form.add_error(None, [f"{name}: {m}" for m in messages])
