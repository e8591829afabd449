import logging
import time
from typing import Any

from aimodels.gateway.adapters import adapter_for
from aimodels.gateway.base import AIProviderError, AIProviderTimeout, Completion, ToolSpec
from aimodels.models import AIModel

logger = logging.getLogger(__name__)


def complete(ai_model: AIModel, *, messages: list[dict[str, Any]], tools: list[ToolSpec] = ()) -> Completion:
    """One model call. Raises AIProviderError (502) or AIProviderTimeout (504)."""
    config = ai_model.config or {}
    if config.get("system_prompt"):
        messages = [{"role": "system", "content": config["system_prompt"]}, *messages]
    started = time.monotonic()
    try:
        completion = adapter_for(ai_model).complete(messages=messages, tools=list(tools), config=config)
    except (AIProviderError, AIProviderTimeout) as exc:
        logger.warning("AI model %r failed: %s", ai_model.name, exc.detail)
        raise
    completion.latency_ms = round((time.monotonic() - started) * 1000)
    return completion
