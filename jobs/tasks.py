from celery import shared_task


@shared_task(name="jobs.run_job", bind=True, acks_late=True, reject_on_worker_lost=True)
def run_job(self, job_id: str) -> None:
    """Deliver a job to its handler. Acknowledged only once it has ended; a worker lost
    mid-job leaves the message to be delivered again, and the handler resumes."""
    from jobs.services import execute

    execute(job_id, worker=self.request.hostname)
