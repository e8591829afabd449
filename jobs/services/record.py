"""How a job ended, written once: its status, its final events, and `job_finished` for the
apps above, all in one transaction."""

from django.db import transaction
from django.utils import timezone

from core.exceptions import Conflict
from jobs.models import Job, JobEvent
from jobs.signals import job_finished

CANCELLED = {"code": "job_cancelled", "detail": "The job was cancelled.", "http_status": 409}


def _ended(job: Job, status: str, **final) -> None:
    JobEvent.objects.create(job_id=job.pk, type=JobEvent.Type.STATUS, data={"status": status})
    for type, data in final.items():
        JobEvent.objects.create(job_id=job.pk, type=type, data=data)
    job.status = status
    job_finished.send(sender=Job, job=job)


def record_success(job: Job, *, result: dict, usage: dict) -> None:
    """Call inside the job's step, with the effect `result` reports."""
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED, result=result, usage=usage, finished_at=timezone.now()
    )
    _ended(job, Job.Status.SUCCEEDED, done={"job": str(job.pk), "status": Job.Status.SUCCEEDED})


@transaction.atomic
def record_failure(job: Job, *, error: dict, usage: dict) -> None:
    """A running job failed with `error` (`{code, detail, http_status}`); one that was
    cancelled meanwhile stays cancelled."""
    failed = Job.objects.filter(pk=job.pk, status=Job.Status.RUNNING).update(
        status=Job.Status.FAILED, error=error, usage=usage, finished_at=timezone.now()
    )
    if failed:
        _ended(job, Job.Status.FAILED, error=error)


@transaction.atomic
def job_cancel(*, job: Job) -> Job:
    """Cancel a queued or running job. A running one stops before its next step, and what
    it was about to record is not written."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.finished:
        raise Conflict(f"The job has already {job.status}; only a queued or running job can be cancelled.")
    job.status, job.error, job.finished_at = Job.Status.CANCELLED, CANCELLED, timezone.now()
    job.save(update_fields=["status", "error", "finished_at"])
    _ended(job, Job.Status.CANCELLED, error=CANCELLED)
    return job
