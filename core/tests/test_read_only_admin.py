from django.contrib import admin

from aimodels.models import AIModel
from core.admin import ReadOnlyAdminMixin


def test_a_read_only_admin_shows_every_field_but_its_excluded_and_encrypted_ones():
    class Record(ReadOnlyAdminMixin, admin.ModelAdmin):
        exclude = ["config"]
        readonly_fields = ["name"]

    shown = Record(AIModel, admin.site).get_readonly_fields(request=None)

    assert shown[0] == "name"  # the declared ones first
    assert {"id", "provider", "model", "base_url", "created_at"} <= set(shown)
    assert "api_key" not in shown  # encrypted: never shown
    assert "config" not in shown
    assert len(shown) == len(set(shown))
