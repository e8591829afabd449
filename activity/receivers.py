"""The history is fed by `core.history.change_recorded`: each change becomes an Activity."""

from activity.models import Activity
from activity.signals import activity_recorded


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
