"""How model calls add up, wherever a total of them is kept or shown: a job's `usage` and
`cost`, a task's and a chat session's `ai_usage`, a project's usage.

- A call that failed counts in `calls` and `failed_calls` and adds no tokens and no cost:
  providers report no usage for it.
- A call that answered adds its token counts when its provider reported them (input and
  output), else it counts in `unknown_token_calls`; it adds its cost when that is known (a
  price, and token counts to apply it to), else it counts in `unknown_cost_calls`.
- A total is the sum of the values known. With an unknown count above 0 it is a partial sum
  (that much at least); when no call that answered has a known value it is null (unknown),
  never 0. No call at all, or only failed ones, is 0.
"""

from django.db.models import Q

# The token counts of a call, in one vocabulary: ModelCall's columns, a completion's `usage`.
TOKEN_COUNTS = (
    "input_tokens",
    "cached_input_tokens",
    "cache_write_tokens",
    "output_tokens",
    "reasoning_tokens",
)

# Which calls are which, as lookups on ModelCall (for aggregates).
FAILED = Q(error__isnull=False)
TOKENS_KNOWN = Q(error__isnull=True, input_tokens__isnull=False, output_tokens__isnull=False)
TOKENS_UNKNOWN = Q(error__isnull=True) & (Q(input_tokens__isnull=True) | Q(output_tokens__isnull=True))
COST_UNKNOWN = Q(error__isnull=True, cost__isnull=True)


def known_total(total, *, answered: int, unknown: int):
    """`total`, the sum of the values known, as shown: None when the `unknown` calls are all
    of the `answered` ones (and there are some)."""
    return None if unknown and unknown >= answered else total
