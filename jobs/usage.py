"""What a project's AI work used and cost, grouped by day, model, kind of action or task."""

from datetime import date
from decimal import Decimal

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


# A task's or chat session's AI work, as their representations carry it.
NO_USAGE = {"calls": 0, "input_tokens": 0, "output_tokens": 0, "cost": "0.00000000"}


def usage_totals(**job_filter) -> dict:
    """`{id: {"calls", "input_tokens", "output_tokens", "cost"}}` of the model calls of the jobs
    matching `job_filter` (e.g. `task__in=ids`, `task__project=project`), by the job's task or
    chat session (the filter's first part names which); one query."""
    owner = next(iter(job_filter)).split("__")[0]
    calls = ModelCall.objects.filter(**{f"job__{name}": value for name, value in job_filter.items()})
    rows = calls.values(f"job__{owner}").annotate(
        calls=Count("*"),
        input_tokens=Sum("input_tokens"),
        output_tokens=Sum("output_tokens"),
        cost=Sum("cost"),
    )
    return {
        row[f"job__{owner}"]: {
            "calls": row["calls"],
            "input_tokens": row["input_tokens"] or 0,
            "output_tokens": row["output_tokens"] or 0,
            "cost": f"{row['cost'] or 0:.8f}",
        }
        for row in rows
    }
