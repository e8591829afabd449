"""Webhooks: each activity record and each finished AI job of a project becomes an event,
sent to the project's subscriptions that want it, by a job, signed per Standard Webhooks
(`webhook-id`, `webhook-timestamp`, `webhook-signature`: HMAC-SHA256 over
`id.timestamp.body`). A delivery is tried `WEBHOOK_MAX_ATTEMPTS` times, waiting
`WEBHOOK_BACKOFF_SECONDS` × 2^n between tries; any 2xx answer delivers it."""

import base64
import json
import secrets

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction

from jobs.models import Job
from jobs.services import job_start
from webhooks.models import WebhookDelivery, WebhookSubscription

SECRET_PREFIX = "whsec_"


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def emit(*, project_id, event_type: str, data: dict) -> None:
    """Queue `event_type` for each active subscription of the project that wants it; each
    delivery is sent by its own job once the transaction that made the event commits."""
    if project_id is None:
        return
    for subscription in WebhookSubscription.objects.filter(project_id=project_id, is_active=True):
        if subscription.wants(event_type):
            payload = json.loads(json.dumps({"type": event_type, "data": data}, cls=DjangoJSONEncoder))
            delivery = WebhookDelivery.objects.create(
                subscription=subscription, event_type=event_type, payload=payload
            )
            deliver(delivery)


def deliver(delivery: WebhookDelivery) -> Job:
    """Send (or send again) `delivery` by a job."""
    return job_start(Job.Kind.WEBHOOK_DELIVERY, subject=delivery, owner=None)


@transaction.atomic
def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again from the log (same `webhook-id`), whatever became of it."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.PENDING)
    delivery.refresh_from_db()
    deliver(delivery)
    return delivery
