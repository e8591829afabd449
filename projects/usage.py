"""What a project's AI work used and cost, grouped by day, model, kind of action or task."""

from datetime import date
from decimal import Decimal

from django.db.models import Count, F, Sum
from django.db.models.functions import Coalesce, TruncDate

from aimodels.gateway.base import TOKEN_COUNTS
from jobs.models import ModelCall

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
            calls=Count("*"),
            failed_calls=Count("error"),
            cost=Sum("cost"),
            **{n: Coalesce(Sum(n), 0) for n in TOKEN_COUNTS},  # the counts providers reported
        )
        .order_by("key")
    )
    groups = [{**row, "cost": row["cost"] or Decimal(0)} for row in rows]
    total = {name: sum(group[name] for group in groups) for name in ("calls", "failed_calls", *TOKEN_COUNTS)}
    total["cost"] = sum((group["cost"] for group in groups), Decimal(0))
    return {
        "project": project.pk,
        "from": start,
        "to": end,
        "group_by": group_by,
        "groups": groups,
        "total": total,
    }
