"""The system settings the chat agent reads."""

from aimodels.registry import positive_int, register_setting

register_setting(
    key="ai.max_tool_iterations",
    description="Most model calls one agent turn may make before it stops.",
    default=8,
    validate=positive_int(50),
)
