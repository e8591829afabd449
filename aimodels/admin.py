from django import forms
from django.contrib import admin

from aimodels.models import AIModel, SystemSettings


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


@admin.register(AIModel)
class AIModelAdmin(admin.ModelAdmin):
    form = AIModelAdminForm
    list_display = ["name", "provider", "model", "usage_type", "is_active", "api_key_hint", "updated_at"]
    list_filter = ["provider", "usage_type", "is_active"]
    search_fields = ["name", "model", "base_url"]
    readonly_fields = ["api_key_hint", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "provider", "model", "base_url", "usage_type", "is_active"]}),
        ("API key", {"fields": ["api_key_hint", "api_key", "clear_api_key"]}),
        ("Configuration", {"fields": ["config"]}),
        ("Timestamps", {"fields": ["created_at", "updated_at"]}),
    ]

    @admin.display(description="API key")
    def api_key_hint(self, obj):
        return obj.api_key_hint or "—"


@admin.register(SystemSettings)
class SystemSettingsAdmin(admin.ModelAdmin):
    list_display = ["key", "value", "description", "updated_at"]
    search_fields = ["key", "description"]
    readonly_fields = ["updated_at"]
