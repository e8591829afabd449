"""The history is fed by `core.history.change_recorded`: each change becomes an Activity."""

from django.dispatch import receiver

from activity.models import Activity
from activity.signals import activity_recorded
from core.history import change_recorded
from jobs.models import Job
from jobs.signals import job_finished


@receiver(change_recorded, dispatch_uid="activity-store-change")
def store_change(sender, *, instance, verb, changes, acting, project_id, **kwargs):
    activity = Activity.objects.create(
        project_id=project_id,
        object_type=instance._meta.label_lower,
        object_id=str(instance.pk),
        object_repr=str(instance)[:200],
        verb=verb,
        changes=changes,
        actor=acting.actor,
        channel=acting.channel,
        via=acting.via,
    )
    activity_recorded.send(
        sender=Activity, activity=activity, event_type=f"{instance._meta.model_name}.{verb}"
    )


@receiver(job_finished, dispatch_uid="activity-store-job-end")
def store_job_end(sender, *, job, **kwargs):
    """A project's history, and so its event stream, shows how each of its AI jobs ended."""
    if job.project_id is None:
        return
    Activity.objects.create(
        project_id=job.project_id,
        object_type=job._meta.label_lower,
        object_id=str(job.pk),
        object_repr=job.get_kind_display(),
        verb=job.status,
        changes={"status": {"from": Job.Status.RUNNING, "to": job.status}},
        actor_id=job.owner_id,
        channel=Activity.Channel.API if job.owner_id else Activity.Channel.COMMAND,
        via={"job": str(job.pk), "kind": job.kind},
    )
