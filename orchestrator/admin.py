"""Admin wiring: the index lists your boards, list pages have the screen's width; API tokens
with a human title and no digest in the way."""

from django.contrib import admin
from knox.admin import AuthTokenAdmin
from knox.models import AuthToken

admin.site.index_template = "orchestrator/admin_index.html"
# The app list is the index (with the boards); beside a list page it would leave the table
# 630 px of a 1280 px screen, and most lists would scroll sideways.
admin.site.enable_nav_sidebar = False
admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class TokenAdmin(AuthTokenAdmin):
    """A token is named by its key's first characters (what `Authorization: Token` starts
    with) and its user; its digest, 128 characters of hash, is nothing a person reads."""

    list_display = ["token_key", "user", "created", "expiry"]
    search_fields = ["token_key", "user__username"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["token_key", "user", "created"]

    def get_fields(self, request, obj=None):
        return ["user", "expiry"] if obj is None else ["token_key", "user", "created", "expiry"]

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None:
            context["subtitle"] = f"Token {obj.token_key}… of {obj.user}"
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)
