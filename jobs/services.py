"""AI work as jobs: submit an action, run it on a worker or inline, stream what it does.

    job = job_submit(owner=user, kind=Job.Kind.PROMPT_GENERATE, project=..., ai_model=...,
                     input={"interview": str(interview.pk)})

A handler (registered per kind with `@handler`, in its app's `jobs.py`) receives a `JobRun`:
it calls models through `run.complete(...)`, which streams tokens into the job's events, and
records its effect and `run.finish(result)` inside `with run.step():`, one transaction in
which the job is known to be still running. A handler may be run again after a worker was
lost, so it never repeats a step it has already recorded.
"""

import hashlib
import json
import logging
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.db.models.functions import Coalesce, Now
from django.utils import timezone
from rest_framework.exceptions import APIException

from activity.recording import acting
from aimodels import gateway, pricing
from aimodels.gateway import AIModelUnavailable, AIProviderError, AIProviderTimeout
from aimodels.gateway.client import refuse_uncallable
from chat.models import ChatSession
from jobs.models import Job, JobEvent, ModelCall
from kanban.models import Task
from orchestrator.db import in_transaction, release_connection
from orchestrator.exceptions import Conflict

logger = logging.getLogger(__name__)

HANDLERS: dict[str, Callable[["JobRun"], None]] = {}

# Tokens are written to the event log in batches, at most this often.
TOKEN_FLUSH_SECONDS = 0.1
# The longest a request may wait for its job (`Prefer: wait=N`).
MAX_WAIT_SECONDS = 60
WAIT_POLL_SECONDS = 0.1


def handler(kind: str):
    """Register the function that runs jobs of `kind`."""

    def register(function):
        HANDLERS[kind] = function
        return function

    return register


class JobCancelled(Exception):
    """The job was cancelled while it ran: it stops without recording anything more."""


class OverBudget(Conflict):
    default_code = "over_budget"


def month_spend(project) -> Decimal:
    """What the project's model calls have cost since the start of this month (UTC)."""
    start = timezone.now().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    spent = ModelCall.objects.filter(project=project, created_at__gte=start).aggregate(total=Sum("cost"))
    return spent["total"] or Decimal(0)


def refuse_over_budget(project) -> None:
    """A 409 when the project's month spend is at or over its budget; a job already
    running finishes whatever it costs."""
    if project.monthly_budget is None:
        return
    spent = month_spend(project)
    if spent >= project.monthly_budget:
        raise OverBudget(
            {
                "detail": f"Project '{project.name}' has spent ${spent:.2f} this month, at or over its "
                f"monthly budget of ${project.monthly_budget:.2f}; raise the budget or wait for next month.",
                "monthly_budget": str(project.monthly_budget),
                "month_spend": f"{spent:.2f}",
            }
        )


class IdempotencyKeyReused(Conflict):
    default_code = "idempotency_key_reused"


def _digest(fingerprint: dict) -> str:
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True, default=str).encode()).hexdigest()


def _replayed(*, owner, idempotency_key: str, digest: str) -> Job | None:
    job = Job.objects.filter(owner=owner, idempotency_key=idempotency_key).first()
    if job is not None and job.request_digest != digest:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request; use a new key."
        )
    return job


def job_submit(
    *,
    owner,
    kind: str,
    input: dict,
    fingerprint: dict | None = None,
    project=None,
    task=None,
    chat_session=None,
    ai_model=None,
    idempotency_key: str = "",
    prepare: Callable[[Job], dict | None] | None = None,
) -> Job:
    """Create a job and hand it to the engine once it is committed.

    `prepare(job)` runs in the job's transaction: it stores the user's input (linked to the
    job) and may return more `input` for the handler; when it refuses, no job exists.
    `fingerprint` is what the request asked for (by default, the job's `input`): the same
    owner and `idempotency_key` with the same fingerprint give the first job back, and
    nothing runs again; with another fingerprint it is a 409.
    """
    if ai_model is not None:
        refuse_uncallable(ai_model)  # a 409 now, rather than a job bound to fail
    fingerprint = input if fingerprint is None else fingerprint
    digest = _digest({"kind": kind, "ai_model": ai_model and ai_model.pk, **fingerprint})
    if idempotency_key and (job := _replayed(owner=owner, idempotency_key=idempotency_key, digest=digest)):
        return job
    if project is not None and ai_model is not None:  # budgets are for AI work
        refuse_over_budget(project)
    try:
        with transaction.atomic():
            job = Job.objects.create(
                owner=owner,
                kind=kind,
                project=project,
                task=task,
                chat_session=chat_session,
                ai_model=ai_model,
                input=input,
                idempotency_key=idempotency_key,
                request_digest=digest if idempotency_key else "",
            )
            if prepare is not None and (more := prepare(job)):
                job.input = {**job.input, **more}
                job.save(update_fields=["input"])
            JobEvent.objects.create(job=job, type=JobEvent.Type.STATUS, data={"status": job.status})
    except IntegrityError:
        # Two requests with one key at once: the other one's job stands.
        if idempotency_key and (
            job := _replayed(owner=owner, idempotency_key=idempotency_key, digest=digest)
        ):
            return job
        raise
    _dispatch(job.pk)
    return job


def job_in_progress(*, kind: str, subject: str, key: str, but: Job) -> Job | None:
    """Another queued or running job of `kind` on the same object (`input[subject] == key`):
    an interview or a session answers one message at a time."""
    unfinished = Job.objects.filter(kind=kind, status__in=Job.UNFINISHED, **{f"input__{subject}": key})
    return unfinished.exclude(pk=but.pk).first()


def _dispatch(job_id) -> None:
    """Inline (no CELERY_BROKER_URL): run it here once the transaction commits. Otherwise
    queue it for a worker, also after the commit, so the worker finds the job."""
    if settings.JOBS_INLINE:
        if in_transaction():
            transaction.on_commit(lambda: execute(job_id))
        else:
            execute(job_id)
        return
    from jobs.tasks import run_job

    transaction.on_commit(lambda: run_job.delay(str(job_id)))


def execute(job_id, *, worker: str = "inline") -> None:
    """Run a job: claim it, call its handler, record how it ended. A job that has finished
    or was cancelled is left alone; a running one is taken over (its worker was lost).
    `worker` names who runs it, in the job's `status` event."""
    claimed = Job.objects.filter(pk=job_id, status__in=[Job.Status.QUEUED, Job.Status.RUNNING]).update(
        status=Job.Status.RUNNING, attempts=F("attempts") + 1, started_at=Coalesce(F("started_at"), Now())
    )
    if not claimed:
        return
    job = Job.objects.select_related("ai_model", "owner").get(pk=job_id)
    run = JobRun(job)
    run.event(JobEvent.Type.STATUS, status=job.status, attempt=job.attempts, worker=worker)
    # What the job writes is recorded as the work of whoever asked, through the API (or a
    # management command when no one did).
    via = {"job": str(job.pk)}
    try:
        with acting(channel="api" if job.owner else "command", user=job.owner, via=via):
            HANDLERS[job.kind](run)
    except JobCancelled:
        return
    except APIException as exc:
        run.fail(code=_code_of(exc), detail=_detail_of(exc.detail), http_status=exc.status_code)
    except Exception as exc:
        if _past_time_limit(exc):
            run.fail(code="job_time_limit", detail="The job ran past its time limit.", http_status=504)
            return
        logger.exception("Job %s (%s) failed", job.pk, job.kind)
        run.fail(code="internal_error", detail="The job failed unexpectedly.", http_status=500)
    else:
        run.fail_unfinished()


def _past_time_limit(exc: Exception) -> bool:
    """A worker's soft time limit (only a worker, which has Celery loaded, raises it)."""
    celery_exceptions = sys.modules.get("celery.exceptions")
    return celery_exceptions is not None and isinstance(exc, celery_exceptions.SoftTimeLimitExceeded)


# The normalised token counts a ModelCall stores (see `gateway.Completion.usage`).
TOKEN_COUNTS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
)


def _falls_back(exc) -> bool:
    """A failure another model may answer: a timeout or no connection, a 429, a 5xx."""
    if isinstance(exc, AIProviderTimeout):
        return True
    status = getattr(exc, "provider_status", None)
    return status is not None and (status == 429 or status >= 500)


def _code_of(exc: APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def _detail_of(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{field}: {_detail_of(value)}" for field, value in detail.items())
    if isinstance(detail, list):
        return " ".join(_detail_of(item) for item in detail)
    return str(detail)


class JobRun:
    """What a handler uses to do its work and to say what happened."""

    def __init__(self, job: Job):
        self.job = job
        self.usage: dict[str, int] = dict(job.usage)
        self.answered_by = job.ai_model  # the model that answered the last call
        self._tokens: list[str] = []
        self._flushed_at = time.monotonic()

    @property
    def ai_model(self):
        if self.job.ai_model is None:
            raise AIModelUnavailable("The job's AI model was deleted before it ran.")
        return self.job.ai_model

    def event(self, type: str, **data) -> None:
        JobEvent.objects.create(job_id=self.job.pk, type=type, data=data)

    def complete(self, ai_model, **options) -> gateway.Completion:
        """One model call (see `gateway.complete`), its text streamed into `token` events.

        When `ai_model` times out, cannot be reached, or answers 429 or 5xx after its
        retries, its fallbacks answer in turn (a `status` event says so). Every attempt is
        recorded as a ModelCall with its tokens, latency and cost (or its error); the job's
        `usage` and `cost` add them up, and `answered_by` is the model that answered.
        """
        chain = ai_model.fallback_chain()
        for position, model in enumerate(chain):
            try:
                completion = gateway.complete(model, on_token=self._token, **options)
            except (AIProviderError, AIProviderTimeout) as exc:
                self._flush_tokens()
                self._record_failure(model, exc)
                if position + 1 == len(chain) or not _falls_back(exc):
                    raise
                self.event(
                    JobEvent.Type.STATUS,
                    status=Job.Status.RUNNING,
                    fallback={"from": model.name, "to": chain[position + 1].name, "error": _code_of(exc)},
                )
                continue
            self._flush_tokens()
            self._record_success(model, completion)
            self.answered_by = model
            return completion
        raise AssertionError("unreachable: a chain has at least its own model")

    @transaction.atomic
    def _record_success(self, ai_model, completion: gateway.Completion) -> None:
        cost, source = pricing.cost_of(ai_model, completion.usage, answered_by=completion.model)
        usage = {name: completion.usage.get(name, 0) for name in TOKEN_COUNTS}
        self._add_to_totals(usage["input_tokens"], usage["output_tokens"], cost or Decimal(0))
        ModelCall.objects.create(
            job_id=self.job.pk,
            project_id=self.job.project_id,
            ai_model=ai_model,
            model=completion.model or ai_model.model,
            provider=ai_model.provider,
            raw_usage=completion.raw_usage,
            latency_ms=completion.latency_ms,
            finish_reason=completion.finish_reason,
            cost=cost,
            price_source=source,
            **usage,
        )
        for name, count in completion.usage.items():
            self.usage[name] = self.usage.get(name, 0) + count
        self.usage["calls"] = self.usage.get("calls", 0) + 1
        Job.objects.filter(pk=self.job.pk).update(
            usage=self.usage, cost=Coalesce(F("cost"), Decimal(0)) + (cost or Decimal(0))
        )

    @transaction.atomic
    def _record_failure(self, ai_model, exc) -> None:
        self._add_to_totals(0, 0, Decimal(0))
        ModelCall.objects.create(
            job_id=self.job.pk,
            project_id=self.job.project_id,
            ai_model=ai_model,
            model=ai_model.model,
            provider=ai_model.provider,
            error={"code": _code_of(exc), "detail": _detail_of(exc.detail)},
        )

    def _add_to_totals(self, input_tokens: int, output_tokens: int, cost: Decimal) -> None:
        """One more call for the running totals (AIUsageTotals) of the job's task and chat
        session, added in place: concurrent jobs of one task never lose each other's."""
        added = {
            "ai_calls": F("ai_calls") + 1,
            "ai_input_tokens": F("ai_input_tokens") + input_tokens,
            "ai_output_tokens": F("ai_output_tokens") + output_tokens,
            "ai_cost": F("ai_cost") + cost,
        }
        if self.job.task_id:
            Task.objects.filter(pk=self.job.task_id).update(**added)
        if self.job.chat_session_id:
            ChatSession.objects.filter(pk=self.job.chat_session_id).update(**added)

    def _token(self, text: str) -> None:
        self._tokens.append(text)
        if time.monotonic() - self._flushed_at >= TOKEN_FLUSH_SECONDS:
            self._flush_tokens()
            release_connection()  # the stream goes on: no connection is held while it does

    def _flush_tokens(self) -> None:
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
        Job.objects.filter(pk=self.job.pk).update(
            status=Job.Status.SUCCEEDED, result=result, usage=self.usage, finished_at=timezone.now()
        )
        self.event(JobEvent.Type.STATUS, status=Job.Status.SUCCEEDED)
        self.event(JobEvent.Type.DONE, job=str(self.job.pk), status=Job.Status.SUCCEEDED)
        _announce(self.job, Job.Status.SUCCEEDED)

    def fail(self, *, code: str, detail: str, http_status: int) -> None:
        error = {"code": code, "detail": detail, "http_status": http_status}
        with transaction.atomic():
            failed = Job.objects.filter(pk=self.job.pk, status=Job.Status.RUNNING).update(
                status=Job.Status.FAILED, error=error, usage=self.usage, finished_at=timezone.now()
            )
            if failed:
                self.event(JobEvent.Type.STATUS, status=Job.Status.FAILED)
                self.event(JobEvent.Type.ERROR, **error)
                _announce(self.job, Job.Status.FAILED)

    def fail_unfinished(self) -> None:
        """A handler that returned without finishing is a bug; the job must not stay running."""
        if Job.objects.filter(pk=self.job.pk, status=Job.Status.RUNNING).exists():
            logger.error("Job %s (%s) returned without finishing", self.job.pk, self.job.kind)
            self.fail(code="internal_error", detail="The job failed unexpectedly.", http_status=500)


CANCELLED = {"code": "job_cancelled", "detail": "The job was cancelled.", "http_status": 409}


@transaction.atomic
def job_cancel(*, job: Job) -> Job:
    """Cancel a queued or running job. A running one stops before its next step, and what
    it was about to record is not written."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.finished:
        raise Conflict(f"The job has already {job.status}; only a queued or running job can be cancelled.")
    job.status, job.error, job.finished_at = Job.Status.CANCELLED, CANCELLED, timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    JobEvent.objects.create(job=job, type=JobEvent.Type.STATUS, data={"status": job.status})
    JobEvent.objects.create(job=job, type=JobEvent.Type.ERROR, data=CANCELLED)
    _announce(job, Job.Status.CANCELLED)
    return job


def _announce(job: Job, status: str) -> None:
    """`job.<status>` for the project's webhooks (not for the jobs that send webhooks)."""
    if job.kind == Job.Kind.WEBHOOK_DELIVERY:
        return
    from webhooks.services import emit  # webhooks build on jobs

    emit(project_id=job.project_id, event_type=f"job.{status}", data={"id": job.pk, "kind": job.kind})


def job_wait(*, job: Job, seconds: float) -> Job:
    """The job once it has finished, or as it is after `seconds`."""
    deadline = time.monotonic() + min(seconds, MAX_WAIT_SECONDS)
    while not job.finished and time.monotonic() < deadline:
        release_connection()
        time.sleep(WAIT_POLL_SECONDS)
        job.refresh_from_db()
    return job


def job_events(*, job_id, after: int = 0, limit: int = 500) -> list[JobEvent]:
    """The job's events after event id `after`, oldest first."""
    return list(JobEvent.objects.filter(job_id=job_id, pk__gt=after).order_by("pk")[:limit])
