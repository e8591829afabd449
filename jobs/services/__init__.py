"""The job engine: work that runs apart from the request that asked for it, on a worker or
inline once the request's transaction has committed, streaming what it does. It knows no
domain: apps declare their kinds (`job_kind`) and start them (`job_start`).

    job = job_start(InterviewJob.PROMPT_GENERATE, subject=interview, owner=user, ai_model=model)
"""

from jobs.kinds import KINDS, job_kind, schema_list, schema_ref
from jobs.services.dispatch import dispatch_queued
from jobs.services.events import MAX_WAIT_SECONDS, job_events, job_wait
from jobs.services.idempotency import IdempotencyKeyReused
from jobs.services.record import job_cancel
from jobs.services.run import JobCancelled, JobRun, execute
from jobs.services.submit import job_in_progress, job_start, refuse_while_answering

__all__ = [
    "KINDS",
    "MAX_WAIT_SECONDS",
    "IdempotencyKeyReused",
    "JobCancelled",
    "JobRun",
    "dispatch_queued",
    "execute",
    "job_cancel",
    "job_events",
    "job_in_progress",
    "job_kind",
    "job_start",
    "job_wait",
    "refuse_while_answering",
    "schema_list",
    "schema_ref",
]
