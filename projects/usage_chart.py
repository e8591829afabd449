"""The usage page's charts: cost by day, and tokens by day (input and output), every day of
the range drawn, a day without calls as zero."""

from datetime import date, timedelta
from decimal import Decimal

# Bars are drawn this far apart, this wide, at most this high, above the day's number.
STEP, WIDTH, HEIGHT, BASE = 24, 18, 110, 120
# A longer range charts only its days with calls (a bar per day of years would be a wall).
MAX_FILLED_DAYS = 366


def every_day(groups: list[dict], start: date, end: date) -> list[dict]:
    """`project_usage`'s day groups with each day from `start` to `end` once, the days without
    calls as zeros; over MAX_FILLED_DAYS days, the groups as they are."""
    if (end - start).days >= MAX_FILLED_DAYS:
        return groups
    by_day = {group["label"]: group for group in groups}
    days = (start + timedelta(days=offset) for offset in range((end - start).days + 1))
    zero = {"calls": 0, "cost": Decimal(0), "input_tokens": 0, "output_tokens": 0}
    return [by_day.get(day) or {"label": day, **zero} for day in days]


def usage_bars(days: list[dict]) -> list[dict]:
    """One bar per day: its cost against the dearest day's, and its input and output tokens
    stacked against the busiest day's. Unknown figures (a provider that said none) draw as
    zero and are named unknown."""
    dearest = max((day["cost"] or 0 for day in days), default=0) or 1
    busiest = (
        max((_tokens(day, "input_tokens") + _tokens(day, "output_tokens") for day in days), default=0) or 1
    )
    every = max(1, -(-len(days) // 31))  # a day's number under every bar, or every few
    bars = []
    for index, day in enumerate(days):
        cost = _height(day["cost"] or 0, dearest)
        tokens_in = _height(_tokens(day, "input_tokens"), busiest)
        tokens_out = _height(_tokens(day, "output_tokens"), busiest)
        bars.append(
            {
                "x": index * STEP + 3,
                "label": day["label"],
                "short": f"{day['label']:%d}" if day["label"] and index % every == 0 else "",
                "cost": day["cost"],
                "input_tokens": day["input_tokens"],
                "output_tokens": day["output_tokens"],
                "cost_bar": {"y": BASE - cost, "height": cost},
                "input_bar": {"y": BASE - tokens_in, "height": tokens_in},
                "output_bar": {"y": BASE - tokens_in - tokens_out, "height": tokens_out},
            }
        )
    return bars


def chart_width(bars: list[dict]) -> int:
    return max(len(bars) * STEP, 240)


def _tokens(day: dict, name: str) -> int:
    return day[name] or 0


def _height(value, most) -> int:
    return round(float(value / most) * HEIGHT) if most else 0
