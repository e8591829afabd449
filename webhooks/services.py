"""Webhooks: each activity record and each finished AI job of a project is an event, sent to
the project's subscriptions that want it, signed per Standard Webhooks (`webhook-id`,
`webhook-timestamp`, `webhook-signature`: HMAC-SHA256 over `id.timestamp.body`).

Out of the write path: a transaction's events go to one outbox row (`enqueue`), however many
subscriptions there are; once it commits, `dispatch` matches them to subscriptions and makes
the deliveries, on the `webhooks` queue when workers run. Each delivery is tried once per
`attempt`; a failed attempt sets `next_attempt_at` (WEBHOOK_BACKOFF_SECONDS doubling) and,
on workers, re-queues itself with that countdown, never sleeping; `deliver_due` (the
workers' beat, and `manage.py deliver_webhooks`) sends what is due, and dispatches outbox
rows a broker outage left behind. Inline (no broker), a dispatch tries its deliveries within
one attempt's time (WEBHOOK_TIMEOUT_SECONDS) in all; what is left is due for `deliver_due`.
"""

import base64
import json
import logging
import secrets
import time
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.module_loading import import_string
from standardwebhooks import Webhook

from core import outbound
from webhooks.models import WebhookDelivery, WebhookOutbox, WebhookSubscription

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"
# An outbox row older than this was not dispatched after its commit (a crash, a broker outage).
OUTBOX_GRACE_SECONDS = 30


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def enqueue(*, project_id, event_type: str, data: dict) -> None:
    """Add an event to this transaction's outbox row for the project (one row, written once
    and then updated, per transaction and project); dispatched once the transaction commits."""
    if project_id is None:
        return
    event = json.loads(json.dumps({"type": event_type, "data": data}, cls=DjangoJSONEncoder))
    if not connection.in_atomic_block:  # its own transaction: written, then dispatched
        _send_dispatch([WebhookOutbox.objects.create(project_id=project_id, events=[event]).pk])
        return
    pending = _this_transactions_outbox()
    outbox = pending["rows"].get(project_id)
    if outbox is None:
        outbox = pending["rows"][project_id] = WebhookOutbox.objects.create(
            project_id=project_id, events=[event]
        )
    else:
        outbox.events.append(event)
        WebhookOutbox.objects.filter(pk=outbox.pk).update(events=outbox.events)


def _this_transactions_outbox() -> dict:
    """`{"rows": {project_id: WebhookOutbox}}` of the transaction under way; a new one (with
    its dispatch on commit) when the last one's transaction has ended."""
    pending = getattr(connection, "webhook_outbox", None)
    registered = {id(callback) for _, callback, _ in connection.run_on_commit}
    if pending is None or id(pending["dispatch"]) not in registered:
        pending = {"rows": {}}

        def dispatch_them():
            _send_dispatch([outbox.pk for outbox in pending["rows"].values()])

        pending["dispatch"] = dispatch_them
        connection.webhook_outbox = pending
        transaction.on_commit(dispatch_them)
    return pending


def _celery():
    return import_string(settings.JOBS_CELERY_APP)


def _send_dispatch(outbox_ids) -> None:
    if settings.JOBS_INLINE:
        dispatch(outbox_ids, budget=settings.WEBHOOK_TIMEOUT_SECONDS)
        return
    try:
        _celery().send_task("webhooks.dispatch", args=[[str(pk) for pk in outbox_ids]], queue="webhooks")
    except Exception as exc:  # the broker is down: the outbox keeps them for deliver_due
        logger.warning("Webhook events not queued (%s); deliver_due sends them later.", exc)


def dispatch(outbox_ids, *, budget: float | None = None) -> list[WebhookDelivery]:
    """Turn outbox rows into deliveries for the subscriptions that want their events, and
    send them (within `budget` seconds in all, inline). A row is taken by one dispatcher."""
    with transaction.atomic():
        rows = list(WebhookOutbox.objects.select_for_update(skip_locked=True).filter(pk__in=outbox_ids))
        subscriptions = WebhookSubscription.objects.filter(
            project__in={row.project_id for row in rows}, is_active=True
        )
        deliveries = [
            WebhookDelivery(
                subscription=subscription,
                event_type=event["type"],
                payload=event,
                next_attempt_at=timezone.now(),
            )
            for row in rows
            for event in row.events
            for subscription in subscriptions
            if subscription.project_id == row.project_id and subscription.wants(event["type"])
        ]
        WebhookDelivery.objects.bulk_create(deliveries)
        WebhookOutbox.objects.filter(pk__in=[row.pk for row in rows]).delete()
    _send_all(deliveries, budget=budget)
    return deliveries


def _send_all(deliveries, *, budget: float | None) -> None:
    if not settings.JOBS_INLINE:
        for delivery in deliveries:
            _queue_attempt(delivery.pk)
        return
    deadline = time.monotonic() + (budget or settings.WEBHOOK_TIMEOUT_SECONDS)
    for delivery in deliveries:
        remaining = deadline - time.monotonic()
        if remaining <= 0.05:
            break  # the rest is due: deliver_due sends it
        attempt(delivery.pk, timeout=remaining)


def _queue_attempt(delivery_id, countdown: float = 0) -> None:
    try:
        _celery().send_task(
            "webhooks.attempt", args=[str(delivery_id)], queue="webhooks", countdown=countdown
        )
    except Exception as exc:
        logger.warning("Webhook delivery %s not queued (%s); deliver_due sends it.", delivery_id, exc)


def attempt(delivery_id, *, timeout: float | None = None) -> WebhookDelivery | None:
    """One attempt of a delivery that is due, by whoever claims it first (a queued attempt and
    `deliver_due` never both send it); None when it was not due or not pending."""
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS if timeout is None else timeout
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery_id, status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now
    ).update(next_attempt_at=now + timedelta(seconds=timeout + 30), attempts=F("attempts") + 1)
    if not claimed:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").get(pk=delivery_id)
    status, error = _post(delivery, timeout=timeout)
    delivery.response_status, delivery.error, delivery.last_attempt_at = status, error, timezone.now()
    if status is not None and 200 <= status < 300:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.SUCCEEDED, None
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
    else:
        wait = settings.WEBHOOK_BACKOFF_SECONDS * 2 ** (delivery.attempts - 1)
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=wait)
        if not settings.JOBS_INLINE:
            transaction.on_commit(lambda: _queue_attempt(delivery.pk, countdown=wait))
    delivery.save(update_fields=["status", "response_status", "error", "last_attempt_at", "next_attempt_at"])
    return delivery


def _post(delivery: WebhookDelivery, *, timeout: float) -> tuple[int | None, str]:
    """`(HTTP status or None, error)` of one POST; a redirect is not followed (its status is
    the attempt's)."""
    subscription, body = delivery.subscription, json.dumps(delivery.payload)
    timestamp = datetime.now(UTC)
    headers = {
        "Content-Type": "application/json",
        "webhook-id": delivery.message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(subscription.secret).sign(delivery.message_id, timestamp, body),
    }
    try:
        status = outbound.post(subscription.url, body=body.encode(), headers=headers, timeout=timeout)
    except ValidationError as exc:
        return None, exc.messages[0]
    except OSError as exc:
        return None, f"Could not deliver: {exc}"
    return status, "" if 200 <= status < 300 else f"HTTP {status}"


def deliver_due() -> dict:
    """Dispatch outbox rows left behind, and send every delivery that is due; the counts."""
    stale = timezone.now() - timedelta(seconds=OUTBOX_GRACE_SECONDS)
    left = list(WebhookOutbox.objects.filter(created_at__lte=stale).values_list("pk", flat=True)[:500])
    dispatched = dispatch(left) if left else []
    due = WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=timezone.now()
    )
    sent = 0
    for delivery_id in list(due.values_list("pk", flat=True)[:500]):
        if settings.JOBS_INLINE:
            sent += attempt(delivery_id) is not None
        else:
            _queue_attempt(delivery_id)
            sent += 1
    return {"dispatched": len(dispatched), "sent": sent}


def send_test(*, subscription: WebhookSubscription) -> WebhookDelivery:
    """A `webhook.test` event to this subscription alone, whatever events it wants: tried now
    inline (the answer says how it went), queued with workers."""
    event = {"type": "webhook.test", "data": {"subscription": str(subscription.pk), "at": timezone.now()}}
    delivery = WebhookDelivery.objects.create(
        subscription=subscription,
        event_type=event["type"],
        payload=json.loads(json.dumps(event, cls=DjangoJSONEncoder)),
        next_attempt_at=timezone.now(),
    )
    if settings.JOBS_INLINE:
        return attempt(delivery.pk) or delivery
    _queue_attempt(delivery.pk)
    return delivery


def redeliver(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again from the log (same `webhook-id`, one more attempt), whatever
    became of it. Inline the attempt is made now, and the answer is how it went; with workers
    it is queued (pending)."""
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now()
    )
    send = (lambda: attempt(delivery.pk)) if settings.JOBS_INLINE else (lambda: _queue_attempt(delivery.pk))
    transaction.on_commit(send)
    delivery.refresh_from_db()
    return delivery
