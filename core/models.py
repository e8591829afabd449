"""Building blocks shared by every app's models, and the project's name for knox's token where
admin shows it to people (`APIToken`)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models
from knox.models import AuthToken


class UUIDModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)

    class Meta:
        abstract = True


class TimeStampedModel(UUIDModel):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


def choices_constraint(*, field: str, choices: type[models.TextChoices], name: str):
    """A database CHECK that keeps `field` within the values of `choices`."""
    return models.CheckConstraint(condition=models.Q(**{f"{field}__in": choices.values}), name=name)


class KeptColumns(models.Model):
    """A model some of whose columns (`kept_columns`) other writers keep, adding to them in
    place (database triggers, or `UPDATE ... SET n = n + 1`): a save() of a row read earlier
    leaves them alone, as it would write back the values it read."""

    kept_columns: tuple[str, ...] = ()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.kept_columns
            ]
        super().save(*args, **kwargs)


class SameProjectMixin:
    """Refuses references to objects of another project, in clean() and in save()."""

    same_project_fields: tuple[str, ...] = ()

    def cross_project_errors(self) -> dict[str, str]:
        errors = {}
        for name in self.same_project_fields:
            if getattr(self, f"{name}_id") is None:
                continue
            if getattr(self, name).project_id != self.project_id:
                errors[name] = "Must belong to the same project."
        return errors

    def clean(self):
        super().clean()
        if errors := self.cross_project_errors():
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        if errors := self.cross_project_errors():
            raise ValidationError(errors)
        super().save(*args, **kwargs)


class APIToken(AuthToken):
    """A knox token as a person reads it: by the first characters of its key (what
    `Authorization: Token` starts with) and its user. Every admin page that names it (title,
    breadcrumbs, delete and history pages, the change log) uses this, not knox's digest, 128
    characters of hash; the API and token authentication keep knox's model."""

    class Meta:
        proxy = True
        verbose_name = "API token"

    def __str__(self):
        return f"Token {self.token_key}… of {self.user}"
