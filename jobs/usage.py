"""What a project's AI work used and cost, grouped by day, model, kind of action or task."""

from datetime import date
from decimal import Decimal

from django.db import migrations
from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate

from jobs.models import ModelCall

TOKENS = ("input_tokens", "cached_input_tokens", "cache_write_tokens", "output_tokens", "reasoning_tokens")
# Each grouping: the key a group is named by, and a label for people.
GROUPS = {
    "day": {"key": TruncDate("created_at"), "label": TruncDate("created_at")},
    "ai_model": {"key": F("ai_model"), "label": F("ai_model__name")},
    "kind": {"key": F("job__kind"), "label": F("job__kind")},
    "task": {"key": F("job__task"), "label": F("job__task__title")},
}


def project_usage(*, project, start: date, end: date, group_by: str) -> dict:
    """Calls, tokens and cost of the project's model calls from `start` to `end` (both
    days included, UTC), per group and in total, as UsageSerializer writes them; one query."""
    grouping = GROUPS[group_by]
    rows = (
        ModelCall.objects.filter(project=project, created_at__date__gte=start, created_at__date__lte=end)
        .annotate(key=grouping["key"], label=grouping["label"])
        .values("key", "label")
        .annotate(
            calls=Count("*"), failed_calls=Count("error"), cost=Sum("cost"), **{n: Sum(n) for n in TOKENS}
        )
        .order_by("key")
    )
    groups = [{**row, "cost": row["cost"] or Decimal(0)} for row in rows]
    total = {name: sum(group[name] for group in groups) for name in ("calls", "failed_calls", *TOKENS)}
    total["cost"] = sum((group["cost"] for group in groups), Decimal(0))
    return {
        "project": project.pk,
        "from": start,
        "to": end,
        "group_by": group_by,
        "groups": groups,
        "total": total,
    }


def ai_usage_backfill(model_label: str, job_field: str) -> migrations.RunPython:
    """A migration operation that sets the AIUsageTotals columns of `model_label` from the
    model calls recorded before them, through the jobs' `job_field` (`task`, `chat_session`)."""

    def forwards(apps, schema_editor):
        model = apps.get_model(model_label)
        calls = apps.get_model("jobs", "ModelCall").objects.exclude(**{f"job__{job_field}": None})
        totals = calls.values(f"job__{job_field}").annotate(
            n=Count("*"), i=Sum("input_tokens"), o=Sum("output_tokens"), c=Sum("cost")
        )
        for row in totals.order_by():
            model.objects.filter(pk=row[f"job__{job_field}"]).update(
                ai_calls=row["n"],
                ai_input_tokens=row["i"] or 0,
                ai_output_tokens=row["o"] or 0,
                ai_cost=row["c"] or 0,
            )

    return migrations.RunPython(forwards, migrations.RunPython.noop)
