"""Admin wiring: the index lists your boards, list pages have the screen's width; API tokens
with a human title and no digest in the way."""

from django.contrib import admin
from knox.admin import AuthTokenAdmin
from knox.models import AuthToken

from core.models import APIToken

admin.site.index_template = "orchestrator/admin_index.html"
# The app list is the index (with the boards); beside a list page it would leave the table
# 630 px of a 1280 px screen, and most lists would scroll sideways.
admin.site.enable_nav_sidebar = False
admin.site.unregister(AuthToken)


@admin.register(APIToken)
class TokenAdmin(AuthTokenAdmin):
    """knox's token admin on the proxy that names a token by its key and user (its title,
    breadcrumbs, delete and history pages); the digest is never shown."""

    list_display = ["token_key", "user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["token_key", "user__username"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["token_key", "user", "created"]

    def get_fields(self, request, obj=None):
        return ["user", "expiry"] if obj is None else ["token_key", "user", "created", "expiry"]
