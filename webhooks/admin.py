from django.contrib import admin, messages

from core.admin import AutocompleteAdminMixin, LinkedInlineMixin
from projects.admin import by_project
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.serializers import WebhookDeliverySerializer


def outcome(delivery: WebhookDelivery) -> str:
    """How sending went, for a message: "succeeded (ok)", "pending (HTTP 500)" (to be retried)."""
    return f"{delivery.status} ({delivery.error or 'ok'})"


class DeliveryInline(LinkedInlineMixin, admin.TabularInline):
    model = WebhookDelivery
    fields = ["event_type", "status", "attempts", "response_status", "error", "created_at"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(AutocompleteAdminMixin, admin.ModelAdmin):
    """A new subscription's signing secret is shown once, in the message after it is added
    (as the API shows it once); never afterwards. A test event checks a receiver."""

    list_display = ["url", "project", "event_types", "is_active", "created_at"]
    list_filter = ["is_active", by_project]
    search_fields = ["url"]
    fields = ["project", "url", "event_types", "is_active", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["project"]
    inlines = [DeliveryInline]
    actions = ["send_test"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "project"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = services.new_secret()
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                f"Signing secret, shown this once (keep it with the receiver): {obj.secret}",
                messages.WARNING,
            )

    @admin.action(description="Send a test event to the selected subscriptions")
    def send_test(self, request, queryset):
        for subscription in queryset:
            delivery = services.send_test(subscription=subscription)
            self.message_user(request, f"Test event to {subscription}: {outcome(delivery)}.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "subscription", "status", "attempts", "response_status", "created_at"]
    list_filter = ["status", "event_type"]
    readonly_fields = ["subscription", *WebhookDeliverySerializer.Meta.fields[2:]]
    actions = ["redeliver"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Send the selected deliveries again")
    def redeliver(self, request, queryset):
        for delivery in queryset.select_related("subscription"):
            receiver = delivery.subscription  # read before the service reloads the delivery
            services.redeliver(delivery=delivery)
            self.message_user(
                request, f"Sent {delivery.event_type} again to {receiver}: {outcome(delivery)}."
            )
