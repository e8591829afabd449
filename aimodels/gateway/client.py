import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from django.core.exceptions import ValidationError

from aimodels.gateway.adapters import adapter_for
from aimodels.gateway.base import AIModelUnavailable, AIProviderError, AIProviderTimeout, Completion, ToolSpec
from aimodels.models import AIModel, SystemSettings
from core.db import in_transaction, release_connection
from core.outbound import checked_addresses
from core.text import storable, storable_json

logger = logging.getLogger(__name__)


def complete(
    ai_model: AIModel,
    *,
    messages: list[dict[str, Any]],
    tools: list[ToolSpec] = (),
    tool_choice: str = "auto",
    on_token: Callable[[str], None] | None = None,
    on_failed_attempt: Callable[[Exception, int], None] | None = None,
) -> Completion:
    """One model call, streamed, within the model's `timeout` in all (see Adapter.complete).
    With tools, `tool_choice` "auto" lets the model call them, "none" makes it answer in
    words, and a tool's name makes it call that tool. `on_token` receives each piece of text
    as it arrives; `on_failed_attempt(error, latency_ms)` each attempt that failed and was
    tried again. Raises AIProviderError (502) or AIProviderTimeout (504), with the last
    attempt's `latency_ms`."""
    _refuse_inside_a_transaction()
    addresses = refuse_uncallable(ai_model)
    config = ai_model.config or {}
    max_tokens = config.get("max_tokens") or SystemSettings.objects.value_of("ai.default_max_tokens")
    release_connection()
    if config.get("system_prompt"):
        messages = [{"role": "system", "content": config["system_prompt"]}, *messages]
    adapter = adapter_for(ai_model, addresses=addresses)
    adapter.load()
    try:
        completion = adapter.complete(
            messages=messages,
            tools=list(tools),
            config=config,
            tool_choice=tool_choice,
            max_tokens=max_tokens,
            on_token=_storable_tokens(on_token),
            on_failed_attempt=on_failed_attempt or (lambda error, latency_ms: None),
        )
    except (AIProviderError, AIProviderTimeout) as exc:
        logger.warning("AI model %r failed: %s", ai_model.name, exc.detail)
        raise
    return _storable(completion)


def _storable_tokens(on_token):
    def receive(text: str) -> None:
        if on_token is not None and text:
            on_token(storable(text))

    return receive


def _storable(completion: Completion) -> Completion:
    """A model's answer is outside input: NUL and lone surrogates become U+FFFD before it is stored."""
    completion.text = storable(completion.text)
    completion.tool_calls = [
        replace(
            call,
            id=storable(call.id),
            name=storable(call.name),
            arguments=storable_json(call.arguments),
            raw_arguments=storable(call.raw_arguments),
        )
        for call in completion.tool_calls
    ]
    return completion


def refuse_uncallable(ai_model: AIModel) -> list:
    """Raise AIModelUnavailable (409) when no call to `ai_model` could succeed; else the
    addresses its base URL may be called at, checked now (none: the provider's own host)."""
    _refuse_unusable_key(ai_model)
    return _refuse_forbidden_address(ai_model)


def _refuse_unusable_key(ai_model: AIModel) -> None:
    if ai_model.api_key_undecryptable:
        raise AIModelUnavailable(
            f"AI model '{ai_model.name}' cannot be called: its API key cannot be decrypted with "
            "FIELD_ENCRYPTION_KEYS. Add the key it was encrypted with, or store a new API key."
        )


def _refuse_forbidden_address(ai_model: AIModel) -> list:
    """Checked again at call time: a host name may resolve elsewhere than when it was saved."""
    if not ai_model.base_url:
        return []
    try:
        return checked_addresses(ai_model.base_url)
    except ValidationError as exc:
        raise AIModelUnavailable(f"AI model '{ai_model.name}' cannot be called: {exc.messages[0]}") from None


def _refuse_inside_a_transaction() -> None:
    """A provider call can take a minute; inside a transaction it would hold its locks that long."""
    if in_transaction():
        raise RuntimeError(
            "AI providers are never called inside a database transaction: commit first, "
            "call the provider, then record the answer in a new transaction."
        )
