"""What webhooks deliver: each stored activity record and each finished AI job, as signals
tell of them."""

from webhooks.services import emit


def activity_stored(sender, *, activity, event_type, **kwargs):
    emit(
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


def job_finished(sender, *, job, **kwargs):
    if job.kind != job.Kind.WEBHOOK_DELIVERY:  # a delivery's own end is not an event
        emit(project_id=job.project_id, event_type=f"job.{job.status}", data={"id": job.pk, "kind": job.kind})
