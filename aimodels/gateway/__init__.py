"""The one way the rest of Orchestrator talks to AI models.

    reply = complete(ai_model, messages=[...], tools=[...])

Messages are plain dicts in a neutral shape: `{"role": "system"|"user"|"assistant",
"content": str}`, an assistant turn may carry `"tool_calls": [ToolCallRequest]`, and
a tool result is `{"role": "tool", "tool_call_id": str, "content": str}`. Adapters
translate them to each provider's protocol through its official SDK.

Never call this inside a transaction that holds locks: a provider call can take
seconds and the locks would be held all that time.
"""

from aimodels.gateway.base import (
    AIModelUnavailable,
    AIProviderError,
    AIProviderTimeout,
    Completion,
    ToolCallRequest,
    ToolSpec,
)
from aimodels.gateway.client import complete
from aimodels.gateway.routing import resolve_ai_model

__all__ = [
    "AIModelUnavailable",
    "AIProviderError",
    "AIProviderTimeout",
    "Completion",
    "ToolCallRequest",
    "ToolSpec",
    "complete",
    "resolve_ai_model",
]
