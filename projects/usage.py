"""What a project's AI work used and cost, grouped by day, model, kind of action or task.
Calls add up by the rule of `jobs.totals`."""

from datetime import date

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncDate

from jobs.models import ModelCall
from jobs.totals import COST_UNKNOWN, FAILED, TOKEN_COUNTS, TOKENS_KNOWN, TOKENS_UNKNOWN, known_total

# Each grouping: the key a group is named by, and a label for people.
GROUPS = {
    "day": {"key": TruncDate("created_at"), "label": TruncDate("created_at")},
    "ai_model": {"key": F("ai_model"), "label": F("ai_model__name")},
    "kind": {"key": F("job__kind"), "label": F("job__kind")},
    "task": {"key": F("job__task"), "label": F("job__task__title")},
}
COUNTS = ("calls", "failed_calls", "unknown_token_calls", "unknown_cost_calls")


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
            failed_calls=Count("pk", filter=FAILED),
            unknown_token_calls=Count("pk", filter=TOKENS_UNKNOWN),
            unknown_cost_calls=Count("pk", filter=COST_UNKNOWN),
            known_cost=Sum("cost"),
            # named apart from the columns, which the filters read
            **{f"known_{name}": Sum(name, filter=TOKENS_KNOWN) for name in TOKEN_COUNTS},
        )
        .order_by("key")
    )
    sums = [
        {
            **{name: row[name] for name in ("key", "label", *COUNTS)},
            **{name: row[f"known_{name}"] or 0 for name in ("cost", *TOKEN_COUNTS)},
        }
        for row in rows
    ]
    total = {name: sum(group[name] for group in sums) for name in (*COUNTS, "cost", *TOKEN_COUNTS)}
    return {
        "project": project.pk,
        "from": start,
        "to": end,
        "group_by": group_by,
        "groups": [_shown(group) for group in sums],
        "total": _shown(total),
    }


def _shown(sums: dict) -> dict:
    """Summed figures as shown: a sum none of whose values is known is null."""
    answered = sums["calls"] - sums["failed_calls"]
    tokens, cost = sums["unknown_token_calls"], sums["unknown_cost_calls"]
    return {
        **sums,
        **{name: known_total(sums[name], answered=answered, unknown=tokens) for name in TOKEN_COUNTS},
        "cost": known_total(sums["cost"], answered=answered, unknown=cost),
    }
