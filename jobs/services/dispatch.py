"""Handing jobs to the workers. The job row is the outbox: a job is committed first and its
message sent second, and a job still queued after JOBS_REDISPATCH_AFTER seconds (its message
was never sent, or the broker lost it) is sent again by `dispatch_queued`, which the workers'
beat runs and `manage.py dispatch_jobs` too. Each send is numbered (`Job.dispatches`) and a
worker claims a job only with the latest number, so however many messages a job has had,
one runs it. Inline (no CELERY_BROKER_URL), jobs run in this process instead."""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.module_loading import import_string

from core.db import in_transaction
from jobs.kinds import KINDS
from jobs.models import Job

logger = logging.getLogger(__name__)


def dispatch(job: Job) -> None:
    """Run or queue a new job (its first dispatch) once the transaction commits."""
    if settings.JOBS_INLINE:
        from jobs.services.run import execute

        if in_transaction():
            transaction.on_commit(lambda: execute(job.pk))
        else:
            execute(job.pk)
        return
    transaction.on_commit(lambda: _send(job.pk, job.kind, job.dispatches))


def _send(job_id, kind: str, number: int) -> bool:
    """Send message `number` of a job to its queue; False when the broker did not take it
    (the job stays queued, and `dispatch_queued` sends it again)."""
    celery = import_string(settings.JOBS_CELERY_APP)
    try:
        celery.send_task("jobs.run_job", args=[str(job_id), number], queue=KINDS[kind].queue)
    except Exception as exc:  # the broker is down or unreachable: the job waits in its row
        logger.warning("Job %s not queued (%s); it is sent again once the broker answers.", job_id, exc)
        return False
    return True


def dispatch_queued(*, older_than: float | None = None) -> int:
    """Send again every job still queued `older_than` seconds (default JOBS_REDISPATCH_AFTER)
    after it was last sent; how many were sent."""
    age = settings.JOBS_REDISPATCH_AFTER if older_than is None else older_than
    cutoff = timezone.now() - timedelta(seconds=age)
    stale = Job.objects.filter(status=Job.Status.QUEUED).annotate(
        last_sent=Coalesce("dispatched_at", "created_at")
    )
    sent = 0
    for job in stale.filter(last_sent__lte=cutoff).order_by("created_at").only("kind", "dispatches")[:1000]:
        if settings.JOBS_INLINE:
            from jobs.services.run import execute

            execute(job.pk)
            sent += 1
            continue
        # Numbered only while still queued with the number seen: a worker that claimed it
        # meanwhile keeps it, and a message sent before this one no longer claims it.
        renumbered = Job.objects.filter(
            pk=job.pk, status=Job.Status.QUEUED, dispatches=job.dispatches
        ).update(dispatches=F("dispatches") + 1, dispatched_at=timezone.now())
        if renumbered and _send(job.pk, job.kind, job.dispatches + 1):
            sent += 1
    return sent
