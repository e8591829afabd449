"""The system settings the board and the commit writer read."""

from django.core.exceptions import ValidationError

from aimodels.registry import positive_int, register_setting, validate_boolean
from kanban.models import Task


def validate_wip_limits(value):
    if not isinstance(value, dict):
        raise ValidationError('Must be an object such as {"in_progress": 3}.')
    for status, limit in value.items():
        if status not in Task.Status.values:
            raise ValidationError(f"Unknown column {status!r}; columns are {', '.join(Task.Status.values)}.")
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 1):
            raise ValidationError(f"The limit of {status!r} must be a positive integer or null.")


register_setting(
    key="kanban.wip_limits",
    description='Most tasks each board column may hold, e.g. {"in_progress": 3}.',
    default={},
    validate=validate_wip_limits,
)
register_setting(
    key="kanban.claim_ttl_seconds",
    description="Seconds a claim on a task lasts unless its holder works on the task again.",
    default=1800,
    validate=positive_int(7 * 24 * 3600),
)
register_setting(
    key="kanban.enforce_dependencies",
    description="Whether a task waiting for unfinished tasks is kept from starting (true or false).",
    default=True,
    validate=validate_boolean,
)
register_setting(
    key="kanban.commit_diff_max_bytes",
    description="Largest `diff` commits/generate/ takes, in bytes (UTF-8); a larger one is a 413.",
    default=1_000_000,
    validate=positive_int(100_000_000),
)
register_setting(
    key="kanban.commit_diff_token_budget",
    description="How much of a diff the commit writer reads, in tokens (characters / 4): over it, "
    "the stat and the largest hunks that fit.",
    default=6000,
    validate=positive_int(1_000_000),
)
register_setting(
    key="kanban.commit_trailers",
    description="Whether generated commit messages end with the trailers Task: <id> and, for a "
    "task from a prompt, Prompt-Version: <lineage>@<version> (true or false).",
    default=True,
    validate=validate_boolean,
)
