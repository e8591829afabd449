"""Running a job: claim it, call its kind's handler with a JobRun, record how it ended.

A handler records its effect and `run.finish(result)` inside `with run.step():`, one
transaction in which the job is known to be still running. A handler may be run again after
a worker was lost, so it never repeats a step it has already recorded.
"""

import logging
import sys
import time
from contextlib import contextmanager

from django.db import transaction
from django.db.models import F
from django.db.models.functions import Coalesce, Now
from rest_framework.exceptions import APIException

from core.db import release_connection
from core.exceptions import Conflict, error_code, one_line
from core.history import acting
from jobs.kinds import KINDS
from jobs.models import Job, JobEvent
from jobs.services.record import record_failure, record_success

logger = logging.getLogger(__name__)

# Streamed text is written to the event log in batches, at most this often.
TOKEN_FLUSH_SECONDS = 0.1
UNEXPECTED = {"code": "internal_error", "detail": "The job failed unexpectedly.", "http_status": 500}


class JobCancelled(Exception):
    """The job was cancelled while it ran: it stops without recording anything more."""


class ModelDeleted(Conflict):
    default_code = "ai_model_unavailable"
    default_detail = "The job's AI model was deleted before it ran."


def execute(job_id, *, dispatch: int | None = None, worker: str = "inline") -> None:
    """Run a job: claim it, call its handler, record how it ended. A job that has finished
    or was cancelled is left alone; a running one is taken over (its worker was lost). A
    worker's message claims it only if it is the job's latest (`dispatch`, its number; see
    `dispatch`). `worker` names who runs it, in the job's `status` event."""
    claimable = Job.objects.filter(pk=job_id, status__in=Job.UNFINISHED)
    if dispatch is not None:
        claimable = claimable.filter(dispatches=dispatch)
    claimed = claimable.update(
        status=Job.Status.RUNNING, attempts=F("attempts") + 1, started_at=Coalesce(F("started_at"), Now())
    )
    if not claimed:
        return
    job = Job.objects.select_related("ai_model", "owner").get(pk=job_id)
    spec = KINDS[job.kind]
    run = (spec.run_class or JobRun)(job)
    run.event(JobEvent.Type.STATUS, status=job.status, attempt=job.attempts, worker=worker)
    # What the job writes is recorded as the work of whoever asked, through the API (or a
    # management command when no one did).
    try:
        with acting(channel="api" if job.owner else "command", user=job.owner, via={"job": str(job.pk)}):
            spec.handler(run)
    except JobCancelled:
        return
    except APIException as exc:
        run.fail(code=error_code(exc), detail=one_line(exc.detail), http_status=exc.status_code)
    except Exception as exc:
        if _past_time_limit(exc):
            run.fail(code="job_time_limit", detail="The job ran past its time limit.", http_status=504)
            return
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        run.fail(**UNEXPECTED)
    else:
        run.fail_unfinished()


def _past_time_limit(exc: Exception) -> bool:
    """A worker's soft time limit (only a worker, which has Celery loaded, raises it)."""
    celery_exceptions = sys.modules.get("celery.exceptions")
    return celery_exceptions is not None and isinstance(exc, celery_exceptions.SoftTimeLimitExceeded)


class JobRun:
    """What a handler uses to do its work and to say what happened."""

    def __init__(self, job: Job):
        self.job = job
        self.usage: dict[str, int] = dict(job.usage)
        self._tokens: list[str] = []
        self._flushed_at = time.monotonic()

    @property
    def ai_model(self):
        if self.job.ai_model is None:
            raise ModelDeleted
        return self.job.ai_model

    def event(self, type: str, **data) -> None:
        JobEvent.objects.create(job_id=self.job.pk, type=type, data=data)

    def token(self, text: str) -> None:
        """Stream a piece of text: `token` events, written in batches."""
        self._tokens.append(text)
        if time.monotonic() - self._flushed_at >= TOKEN_FLUSH_SECONDS:
            self.flush_tokens()
            release_connection()  # the stream goes on: no connection is held while it does

    def flush_tokens(self) -> None:
        if self._tokens:
            self.event(JobEvent.Type.TOKEN, text="".join(self._tokens))
            self._tokens = []
        self._flushed_at = time.monotonic()

    @contextmanager
    def step(self):
        """A transaction in which the job is locked and still running; raises JobCancelled
        (and writes nothing) when it was cancelled."""
        with transaction.atomic():
            status = Job.objects.select_for_update().values_list("status", flat=True).get(pk=self.job.pk)
            if status != Job.Status.RUNNING:
                raise JobCancelled
            yield

    def finish(self, result: dict) -> None:
        """Record success with `result`: call inside `step()`, with the effect it reports."""
        record_success(self.job, result=result, usage=self.usage)

    def fail(self, *, code: str, detail: str, http_status: int) -> None:
        error = {"code": code, "detail": detail, "http_status": http_status}
        record_failure(self.job, error=error, usage=self.usage)

    def fail_unfinished(self) -> None:
        """A handler that returned without finishing is a bug; the job must not stay running."""
        if Job.objects.filter(pk=self.job.pk, status=Job.Status.RUNNING).exists():
            logger.error("Job %s (%s) returned without finishing", self.job.pk, self.job.kind)
            self.fail(**UNEXPECTED)
