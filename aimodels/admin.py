import json

from django import forms
from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from aimodels.gateway import AIModelUnavailable
from aimodels.models import AIModel, AIModelFallback, AIModelJob, SystemSettings
from aimodels.registry import CUSTOM_PREFIX, known_setting, known_settings
from jobs.services import job_start


def usage_sentence(usage: dict) -> str:
    """An `ai_usage` (or a usage total) as a person reads it, unknown counts said as such."""
    calls = f"{usage['calls']} call{'' if usage['calls'] == 1 else 's'} ({usage['failed_calls']} failed)"
    tokens = f"{usage['input_tokens']} input and {usage['output_tokens']} output tokens"
    tokens = _known(usage["input_tokens"], tokens, usage.get("unknown_token_calls"), "tokens")
    cost = None if usage["cost"] is None else f"${float(usage['cost']):.4f}"
    return f"{calls}, {tokens}, {_known(cost, cost, usage.get('unknown_cost_calls'), 'cost')}"


def _known(total, shown: str, unknown: int | None, what: str) -> str:
    """`shown`, or that `what` is unknown when `total` is; a partial sum says so."""
    if total is None:
        return f"{what} unknown"
    return f"{shown} (and {unknown} call(s) of unknown {what})" if unknown else shown


class AIUsageAdminMixin:
    """An object that keeps AI usage totals (AIUsageTotals) shows them as one sentence."""

    @admin.display(description="AI usage")
    def ai_usage_shown(self, obj) -> str:
        return usage_sentence(obj.ai_usage)


class AIModelAdminForm(forms.ModelForm):
    """Takes a new API key in a password input; left empty, the stored key stays."""

    api_key = forms.CharField(
        required=False,
        strip=True,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the current key. Stored encrypted.",
    )
    clear_api_key = forms.BooleanField(required=False, help_text="Remove the stored key.")

    class Meta:
        model = AIModel
        fields = [
            "name",
            "provider",
            "model",
            "base_url",
            "api_key",
            "clear_api_key",
            "usage_type",
            "is_active",
            "config",
            *AIModel.PRICES,
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored_key = self.instance.api_key if self.instance.pk else ""
        self.initial["api_key"] = ""

    def clean_api_key(self):
        if self.cleaned_data.get("api_key"):
            return self.cleaned_data["api_key"]
        return self._stored_key

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("clear_api_key"):
            cleaned["api_key"] = ""
        return cleaned


class FallbackInline(admin.TabularInline):
    """The models that answer, by position, when this one fails (timeout, connection, 429, 5xx)."""

    model = AIModelFallback
    fk_name = "ai_model"
    fields = ["position", "fallback"]
    extra = 0
    verbose_name_plural = "fallbacks, in order"


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    form = AIModelAdminForm
    inlines = [FallbackInline]
    list_display = ["name", "provider", "model", "usage_type", "is_active", "api_key_hint", "updated_at"]
    list_filter = ["provider", "usage_type", "is_active"]
    search_fields = ["name", "model", "base_url"]
    readonly_fields = ["api_key_hint", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "provider", "model", "base_url", "usage_type", "is_active"]}),
        ("API key", {"fields": ["api_key_hint", "api_key", "clear_api_key"]}),
        ("Configuration", {"fields": ["config"]}),
        (
            "Prices per million tokens (empty: genai-prices' published price)",
            {"fields": AIModel.PRICES},
        ),
        ("Timestamps", {"fields": ["created_at", "updated_at"]}),
    ]

    actions = ["test"]

    @admin.display(description="API key")
    def api_key_hint(self, obj):
        return obj.api_key_hint or "—"

    @admin.action(description="Test selected AI models (one tiny call each)")
    def test(self, request, queryset):
        for ai_model in queryset:
            try:
                job = job_start(
                    AIModelJob.AI_MODEL_TEST, subject=ai_model, ai_model=ai_model, owner=request.user
                )
            except AIModelUnavailable as exc:
                self.message_user(request, str(exc.detail), level=messages.ERROR)
                continue
            job.refresh_from_db()
            if not job.finished:  # a worker has it: its outcome will be on the job's page
                link = reverse("admin:jobs_job_change", args=[job.pk])
                self.message_user(
                    request,
                    format_html(
                        "AI model '{}': test queued as <a href=\"{}\">job {}</a>.",
                        ai_model.name,
                        link,
                        job.pk,
                    ),
                )
                continue
            if job.status != job.Status.SUCCEEDED:
                self.message_user(
                    request, f"AI model '{ai_model.name}': {job.error['detail']}", level=messages.ERROR
                )
                continue
            result = job.result["test"]
            if result["ok"]:
                tools = (result.get("tools") or {}).get("ok")
                self.message_user(
                    request,
                    f"AI model '{ai_model.name}' answered in {result['latency_ms']} ms"
                    + ("; it answers through tools too." if tools else "; it does not answer through tools."),
                )
            else:
                self.message_user(
                    request, f"AI model '{ai_model.name}': {result['error']}", level=messages.ERROR
                )


def _known_settings_help():
    rows = ((s.key, json.dumps(s.default), s.description) for s in known_settings())
    listed = format_html_join("", "<li><code>{}</code> (default <code>{}</code>): {}</li>", rows)
    return format_html(
        "Known settings:<ul>{}</ul>Keys of your own start with <code>{}</code>.", listed, CUSTOM_PREFIX
    )


@admin.register(SystemSettings)
class SystemSettingsAdmin(admin.ModelAdmin):
    """Known keys are listed with their default and description; any other key is refused
    (except under `custom.`)."""

    list_display = ["key", "value", "default", "description", "updated_at"]
    search_fields = ["key", "description"]
    readonly_fields = ["default", "about", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "key"] if obj else self.readonly_fields

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "key":
            field.help_text = _known_settings_help()
        return field

    @admin.display(description="Default")
    def default(self, setting):
        known = known_setting(setting.key)
        return json.dumps(known.default) if known else "—"

    @admin.display(description="What it does")
    def about(self, setting):
        known = known_setting(setting.key)
        return known.description if known else "A setting of your own."
