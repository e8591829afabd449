"""Recording activity: who changed what, through which channel, in the change's transaction.

Who and how come from the context a change runs in (`acting`): a request (the middleware:
`api`, or `admin` under /admin/, the user read when the change is recorded, so after the
API has authenticated), an agent's tool call (`agent`, the project's owner, with the
session and call), a job (the channel and owner of the request that started it), and
otherwise a management command (`command`).

Recording sends `change_recorded`; the activity app stores it, and apps above react to
what it stored. Nothing here knows who listens.

Models opt in with `Recorded`: a save writes its `created`/`changed` record in one
transaction with the change (an update reads the row before it), a delete its `deleted`
record (a cascade is recorded once, by what was deleted). Writes that bypass `save()` (a
task's move, a dependency, a label) are recorded by their service with `record`.
"""

import contextvars
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.apps import apps
from django.db import models, transaction
from django.db.models.signals import post_delete
from django.dispatch import Signal

# Shown instead of a secret's value: that it changed is all the history says.
SECRET = "(secret)"


@dataclass(frozen=True)
class Acting:
    channel: str
    user: object = None
    request: object = None
    via: dict = field(default_factory=dict)

    @property
    def actor(self):
        user = self.user if self.request is None else getattr(self.request, "user", None)
        return user if user is not None and getattr(user, "is_authenticated", False) else None


_acting: contextvars.ContextVar[Acting | None] = contextvars.ContextVar("activity_acting", default=None)


@contextmanager
def acting(*, channel: str, user=None, request=None, via: dict | None = None):
    """Changes made in the block are recorded as made by `user` (or the request's user)
    through `channel`."""
    token = _acting.set(Acting(channel=channel, user=user, request=request, via=via or {}))
    try:
        yield
    finally:
        _acting.reset(token)


def current() -> Acting:
    return _acting.get() or Acting(channel="command")


# Sent for each recorded change, in the change's transaction (so a receiver's writes commit
# or roll back with it): `instance`, `verb`, `changes` ({field: {"from", "to"}}), `acting`,
# and `project_id` (the project whose history it is, or None). The activity app stores it.
change_recorded = Signal()


def record(instance, verb: str, changes: dict) -> None:
    """Record one change of `instance`, a Recorded model (in the caller's transaction)."""
    change_recorded.send(
        sender=type(instance),
        instance=instance,
        verb=verb,
        changes=changes,
        acting=current(),
        project_id=instance.recorded_project_id(verb),
    )


def read_for_update(queryset, **lookup):
    """The row `lookup` names, locked for the rest of the transaction: its values as read are
    the database's, so saving it records the change without reading the row again."""
    instance = queryset.select_for_update().get(**lookup)
    instance._recorded_before = instance._recorded_fields()
    return instance


class Recorded(models.Model):
    """A model whose creates, changes and deletes are recorded (see the module docstring).
    `activity_ignored`: fields left out; `activity_secrets`: fields recorded only as changed."""

    activity_ignored: tuple[str, ...] = ("id", "created_at", "updated_at")
    activity_secrets: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        adding = self._state.adding
        with transaction.atomic(using=kwargs.get("using")):
            before = None if adding else self.__dict__.pop("_recorded_before", None)
            if not adding and before is None:
                before = self._recorded_fields_in_db()
            super().save(*args, **kwargs)
            after = self._recorded_fields()
            if adding:
                changes = {name: {"from": None, "to": value} for name, value in after.items()}
                record(self, "created", self._masked(changes))
            elif before is not None and (changes := _diff(before, after)):
                record(self, "changed", self._masked(changes))

    def recorded_project_id(self, verb: str):
        """The project whose history the change belongs to."""
        return getattr(self, "project_id", None)

    @classmethod
    def _recorded_names(cls) -> list[str]:
        return [f.attname for f in cls._meta.concrete_fields if f.name not in cls.activity_ignored]

    def _recorded_fields(self) -> dict:
        return {name: getattr(self, name) for name in self._recorded_names()}

    def _recorded_fields_in_db(self) -> dict | None:
        return type(self)._base_manager.filter(pk=self.pk).values(*self._recorded_names()).first()

    def _masked(self, changes: dict) -> dict:
        secrets = {self._meta.get_field(name).attname for name in self.activity_secrets}
        return {
            name: ({"from": SECRET, "to": SECRET} if name in secrets else change)
            for name, change in changes.items()
        }


def _diff(before: dict, after: dict) -> dict:
    return {
        name: {"from": before[name], "to": value}
        for name, value in after.items()
        if before.get(name) != value
    }


def _record_deletion(sender, instance, origin=None, **kwargs):
    if origin is not None and origin is not instance and getattr(origin, "model", None) is not sender:
        return  # a cascade: what was deleted is recorded, not everything that went with it
    changes = {name: {"from": value, "to": None} for name, value in instance._recorded_fields().items()}
    record(instance, "deleted", instance._masked(changes))


def connect_deletions() -> None:
    for model in apps.get_models():
        if issubclass(model, Recorded):
            post_delete.connect(_record_deletion, sender=model, dispatch_uid=f"activity-{model._meta.label}")
