from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.schema import NoBody
from core.viewsets import ProjectScopedViewSet
from webhooks import services
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.serializers import WebhookDeliverySerializer, WebhookSubscriptionSerializer


class WebhookViewSet(ProjectScopedViewSet):
    """A project's webhook subscriptions; the signing secret is shown once, on creation."""

    queryset = WebhookSubscription.objects.all()
    serializer_class = WebhookSubscriptionSerializer
    filterset_fields = ["project", "is_active"]
    ordering_fields = ["created_at"]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        subscription = serializer.save(secret=services.new_secret())
        context = {**self.get_serializer_context(), "show_secret": True}
        data = WebhookSubscriptionSerializer(subscription, context=context).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=WebhookDeliverySerializer(many=True), filters=False)
    @action(detail=True, methods=["get"], filter_backends=[])
    def deliveries(self, request, pk=None):
        """The subscription's delivery log, newest first: status, attempts, last answer."""
        deliveries = WebhookDelivery.objects.filter(subscription=self.get_object())
        page = self.paginate_queryset(deliveries)
        return self.get_paginated_response(WebhookDeliverySerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: WebhookDeliverySerializer, 202: WebhookDeliverySerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path=r"deliveries/(?P<delivery_id>[0-9a-fA-F-]{36})/redeliver",
        filter_backends=[],
        serializer_class=NoBody,
    )
    def redeliver(self, request, pk=None, delivery_id=None):
        """Send a delivery from the log again, with the same `webhook-id`: 202 while it waits for
        a worker (or a retry), 200 once it has ended (inline, without a broker)."""
        delivery = get_object_or_404(WebhookDelivery, subscription=self.get_object(), pk=delivery_id)
        delivery = services.redeliver(delivery=delivery)
        ended = delivery.status != WebhookDelivery.Status.PENDING
        return Response(
            WebhookDeliverySerializer(delivery).data,
            status=status.HTTP_200_OK if ended else status.HTTP_202_ACCEPTED,
        )
