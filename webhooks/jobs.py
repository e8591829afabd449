"""Sending a webhook delivery, run as a job."""

import json
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from standardwebhooks import Webhook

from core.outbound import validate_outbound_url
from jobs.models import Job
from jobs.services import JobRun, job_kind
from webhooks.models import WebhookDelivery

TIMEOUT_SECONDS = 10


def for_subscription_project(delivery: WebhookDelivery) -> dict:
    return {"project": delivery.subscription.project}


@job_kind(Job.Kind.WEBHOOK_DELIVERY, subject="delivery", links=for_subscription_project)
def webhook_send(run: JobRun) -> None:
    """POST the delivery's payload, signed, until a 2xx answer or the last attempt; each
    attempt is recorded on the delivery."""
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=run.job.input["delivery"])
    subscription = delivery.subscription
    body = json.dumps(delivery.payload)
    for attempt in range(settings.WEBHOOK_MAX_ATTEMPTS):
        if attempt:
            time.sleep(settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (attempt - 1))
        status, error = _send(subscription, delivery, body)
        delivered = status is not None and 200 <= status < 300
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            attempts=delivery.attempts + attempt + 1,
            response_status=status,
            error=error,
            last_attempt_at=timezone.now(),
            status=WebhookDelivery.Status.SUCCEEDED if delivered else WebhookDelivery.Status.PENDING,
        )
        if delivered:
            break
    else:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(status=WebhookDelivery.Status.FAILED)
    delivery.refresh_from_db()
    with run.step():
        run.finish(
            {"delivery": {"id": str(delivery.pk), "status": delivery.status, "attempts": delivery.attempts}}
        )


def _send(subscription, delivery, body: str) -> tuple[int | None, str]:
    """`(HTTP status or None, error)` of one attempt."""
    try:
        validate_outbound_url(subscription.url)  # again: what the name resolves to may change
    except ValidationError as exc:
        return None, exc.messages[0]
    timestamp = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(subscription.secret).sign(delivery.message_id, timestamp, body),
    }
    request = urllib.request.Request(subscription.url, data=body.encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status, ""
    except urllib.error.HTTPError as exc:
        return exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        return None, f"Could not deliver: {getattr(exc, 'reason', exc)}"
