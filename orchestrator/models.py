"""Building blocks shared by every app's models."""

import uuid

from django.db import models


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


class AIUsageTotals(KeptColumns):
    """What the AI work done for this row (its jobs' model calls, failed ones included) used
    and cost, in total. `jobs.services` adds each call in the transaction that records it, so
    a list reads four columns instead of summing every call of its page."""

    # Zero by default in the database too, for rows written by raw SQL.
    ai_calls = models.PositiveIntegerField("AI calls", default=0, db_default=0, editable=False)
    ai_input_tokens = models.PositiveBigIntegerField(
        "AI input tokens", default=0, db_default=0, editable=False
    )
    ai_output_tokens = models.PositiveBigIntegerField(
        "AI output tokens", default=0, db_default=0, editable=False
    )
    ai_cost = models.DecimalField(
        "AI cost",
        max_digits=20,
        decimal_places=8,
        default=0,
        db_default=0,
        editable=False,
        help_text="US dollars.",
    )

    AI_USAGE = ("ai_calls", "ai_input_tokens", "ai_output_tokens", "ai_cost")
    kept_columns = AI_USAGE

    class Meta:
        abstract = True

    @property
    def ai_usage(self) -> dict:
        return ai_usage_of({name: getattr(self, name) for name in self.AI_USAGE})


def ai_usage_of(row) -> dict:
    """`{"calls", "input_tokens", "output_tokens", "cost"}` of a row's AIUsageTotals columns
    (a model's, or a dict from `values()`), as the API writes it."""
    return {
        "calls": row["ai_calls"],
        "input_tokens": row["ai_input_tokens"],
        "output_tokens": row["ai_output_tokens"],
        "cost": f"{row['ai_cost']:.8f}",
    }
