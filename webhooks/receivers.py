"""What webhooks deliver: each stored activity record and each finished AI job, as signals
tell of them."""

from django.dispatch import receiver

from activity.signals import activity_recorded
from jobs.signals import job_finished
from webhooks.services import enqueue


@receiver(activity_recorded, dispatch_uid="webhooks-activity")
def activity_stored(sender, *, activity, event_type, **kwargs):
    enqueue(
        project_id=activity.project_id,
        event_type=event_type,
        data={
            "id": activity.object_id,
            "object": activity.object_repr,
            "changes": activity.changes,
            "actor": activity.actor.get_username() if activity.actor else None,
            "channel": activity.channel,
            "at": activity.created_at,
        },
    )


@receiver(job_finished, dispatch_uid="webhooks-job-finished")
def deliver_job_end(sender, *, job, **kwargs):
    enqueue(project_id=job.project_id, event_type=f"job.{job.status}", data={"id": job.pk, "kind": job.kind})
