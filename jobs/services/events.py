"""Reading what a job did: its events, and waiting for it to finish."""

import time

from core.db import release_connection
from jobs.models import Job, JobEvent

# The longest a request may wait for its job (`Prefer: wait=N`).
MAX_WAIT_SECONDS = 60
WAIT_POLL_SECONDS = 0.1


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
