"""The system settings the AI gateway reads."""

from aimodels.registry import positive_int, register_setting

register_setting(
    key="ai.default_max_tokens",
    description="Most tokens a model may write in one answer, unless its config sets max_tokens.",
    default=1024,
    validate=positive_int(1_000_000),
)
