"""How long the records that grow with use are kept (settings RETAIN_*_DAYS; empty: forever),
and their pruning in batches: job events, finished jobs' model-call payloads, webhook
deliveries, activity records. `manage.py prune` runs it, and the workers' beat daily."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from activity.models import Activity
from jobs.models import Job, JobEvent, ModelCall
from webhooks.models import WebhookDelivery

BATCH = 1000


@dataclass(frozen=True)
class Kind:
    name: str
    setting: str
    rows: Callable[[object], QuerySet]  # the rows past their time, given the cutoff
    prune: Callable[[QuerySet], int]  # prune one batch of them; how many


def _delete(rows: QuerySet) -> int:
    return rows.model.objects.filter(pk__in=list(rows.values_list("pk", flat=True)[:BATCH])).delete()[0]


def _clear_payloads(rows: QuerySet) -> int:
    return ModelCall.objects.filter(pk__in=list(rows.values_list("pk", flat=True)[:BATCH])).update(
        raw_usage={}
    )


KINDS = [
    Kind(
        "job events",
        "RETAIN_JOB_EVENTS_DAYS",
        lambda cutoff: JobEvent.objects.filter(job__status__in=Job.FINISHED, created_at__lt=cutoff),
        _delete,
    ),
    Kind(
        "model-call payloads",
        "RETAIN_MODEL_CALL_PAYLOADS_DAYS",
        lambda cutoff: ModelCall.objects.filter(job__status__in=Job.FINISHED, created_at__lt=cutoff).exclude(
            raw_usage={}
        ),
        _clear_payloads,
    ),
    Kind(
        "webhook deliveries",
        "RETAIN_WEBHOOK_DELIVERIES_DAYS",
        lambda cutoff: WebhookDelivery.objects.exclude(status=WebhookDelivery.Status.PENDING).filter(
            created_at__lt=cutoff
        ),
        _delete,
    ),
    Kind(
        "activity records",
        "RETAIN_ACTIVITY_DAYS",
        lambda cutoff: Activity.objects.filter(created_at__lt=cutoff),
        _delete,
    ),
]


def due(kind: Kind) -> QuerySet | None:
    """The rows of `kind` past their time; None when they are kept forever."""
    days = getattr(settings, kind.setting)
    return None if days is None else kind.rows(timezone.now() - timedelta(days=days))


def prune(kind: Kind) -> Iterator[int]:
    """Prune `kind` a batch (one transaction) at a time, answering each batch's count."""
    rows = due(kind)
    while rows is not None:
        with transaction.atomic():
            pruned = kind.prune(rows)
        if not pruned:
            return
        yield pruned
