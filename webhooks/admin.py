from django.contrib import admin, messages

from core.admin import LinkedInlineMixin
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.serializers import WebhookDeliverySerializer


class DeliveryInline(LinkedInlineMixin, admin.TabularInline):
    model = WebhookDelivery
    fields = ["event_type", "status", "attempts", "response_status", "error", "created_at"]


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """The secret is never shown here: it is shown once, when the API creates the subscription."""

    list_display = ["url", "project", "event_types", "is_active", "created_at"]
    list_filter = ["is_active", ("project", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["url"]
    fields = ["project", "url", "event_types", "is_active", "created_at"]
    readonly_fields = ["project", "created_at"]
    inlines = [DeliveryInline]

    def has_add_permission(self, request):
        return False  # made through the API, which shows the new secret once


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
        for delivery in queryset.select_related("subscription__project"):
            services.redeliver(delivery=delivery)
        self.message_user(request, f"Sent {queryset.count()} delivery(ies) again.", messages.SUCCESS)
