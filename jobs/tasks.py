from celery import shared_task


@shared_task(name="jobs.run_job", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_job(self, job_id: str, dispatch: int | None = None) -> None:
    """Deliver a job to its handler. Acknowledged only once it has ended; a worker lost
    mid-job leaves the message to be delivered again, and the handler resumes."""
    from jobs.services import execute

    execute(job_id, dispatch=dispatch, worker=self.request.hostname)


@shared_task(name="jobs.dispatch_queued", ignore_result=True)
def dispatch_queued() -> None:
    """Send again the jobs still queued long after they were sent (the beat runs it)."""
    from jobs.services import dispatch_queued

    dispatch_queued()
