"""Provider adapters over the official SDKs: `openai` (Chat Completions, also for every
OpenAI-compatible server) and `anthropic` (Messages)."""

import json

import anthropic
import openai

from aimodels.gateway.base import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_MAX_TOKENS,
    DEFAULT_TIMEOUT,
    AIProviderError,
    AIProviderTimeout,
    Completion,
    ToolCallRequest,
    ToolSpec,
    scrub,
)
from aimodels.models import AIModel

# Local OpenAI-compatible servers (Ollama, vLLM, LM Studio) take no key, but the SDK wants one.
NO_KEY = "no-key"


def _parse_arguments(raw: str) -> dict | None:
    try:
        arguments = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return None
    return arguments if isinstance(arguments, dict) else None


class Adapter:
    sdk = None  # the SDK module, for its exception classes

    def __init__(self, ai_model: AIModel):
        self.ai_model = ai_model

    def client_options(self, config: dict) -> dict:
        return {
            "api_key": self.ai_model.api_key or NO_KEY,
            "base_url": self.ai_model.base_url or None,
            "timeout": float(config.get("timeout", DEFAULT_TIMEOUT)),
            "max_retries": int(config.get("max_retries", DEFAULT_MAX_RETRIES)),
        }

    def complete(self, *, messages: list[dict], tools: list[ToolSpec], config: dict) -> Completion:
        try:
            return self.call(messages=messages, tools=tools, config=config)
        except self.sdk.APITimeoutError:
            raise AIProviderTimeout(f"AI model '{self.ai_model.name}' did not answer in time.") from None
        except self.sdk.APIConnectionError:
            raise AIProviderTimeout(f"AI model '{self.ai_model.name}' could not be reached.") from None
        except self.sdk.APIStatusError as exc:
            message = scrub(self.error_message(exc), self.ai_model.api_key)
            raise AIProviderError(
                f"AI model '{self.ai_model.name}' answered HTTP {exc.status_code}: {message}",
                provider_status=exc.status_code,
            ) from None
        except (self.sdk.APIError, KeyError, TypeError, ValueError, AttributeError, IndexError):
            raise AIProviderError(
                f"AI model '{self.ai_model.name}' gave an answer that cannot be used."
            ) from None

    @staticmethod
    def error_message(exc) -> str:
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"][:300]
        return "no details"


class OpenAIAdapter(Adapter):
    sdk = openai

    def call(self, *, messages, tools, config) -> Completion:
        client = openai.OpenAI(**self.client_options(config))
        options = {"model": self.ai_model.model, "messages": [self.to_openai(m) for m in messages]}
        if tools:
            options["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in tools
            ]
        for key in ("temperature", "top_p", "max_tokens"):
            if key in config:
                options[key] = config[key]
        response = client.chat.completions.create(**options)
        message = response.choices[0].message
        calls = [
            ToolCallRequest(
                id=call.id,
                name=call.function.name,
                arguments=_parse_arguments(call.function.arguments),
                raw_arguments=call.function.arguments or "",
            )
            for call in message.tool_calls or []
        ]
        usage = response.usage
        return Completion(
            text=message.content or "",
            tool_calls=calls,
            usage={
                "input_tokens": usage.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            }
            if usage
            else {},
        )

    @staticmethod
    def to_openai(message: dict) -> dict:
        if message["role"] == "tool":
            return {"role": "tool", "tool_call_id": message["tool_call_id"], "content": message["content"]}
        converted = {"role": message["role"], "content": message.get("content") or ""}
        if message.get("tool_calls"):
            converted["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {
                        "name": call.name,
                        "arguments": call.raw_arguments or json.dumps(call.arguments),
                    },
                }
                for call in message["tool_calls"]
            ]
        return converted


class AnthropicAdapter(Adapter):
    sdk = anthropic

    def call(self, *, messages, tools, config) -> Completion:
        client = anthropic.Anthropic(**self.client_options(config))
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        options = {
            "model": self.ai_model.model,
            "max_tokens": config.get("max_tokens", DEFAULT_MAX_TOKENS),
            "messages": self.to_anthropic([m for m in messages if m["role"] != "system"]),
        }
        if system:
            options["system"] = system
        if tools:
            options["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
            ]
        # This SDK takes no sampling keywords; the Messages API still reads them from the body.
        sampling = {key: config[key] for key in ("temperature", "top_p") if key in config}
        if sampling:
            options["extra_body"] = sampling
        response = client.messages.create(**options)
        text = "".join(block.text for block in response.content if block.type == "text")
        calls = [
            ToolCallRequest(
                id=block.id,
                name=block.name,
                arguments=block.input if isinstance(block.input, dict) else None,
                raw_arguments=json.dumps(block.input),
            )
            for block in response.content
            if block.type == "tool_use"
        ]
        usage = response.usage
        return Completion(
            text=text,
            tool_calls=calls,
            usage={
                "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens,
                "total_tokens": usage.input_tokens + usage.output_tokens,
            },
        )

    @staticmethod
    def to_anthropic(messages: list[dict]) -> list[dict]:
        """Anthropic wants tool results as user turns of tool_result blocks, merged when adjacent."""
        converted: list[dict] = []
        for message in messages:
            if message["role"] == "tool":
                block = {
                    "type": "tool_result",
                    "tool_use_id": message["tool_call_id"],
                    "content": message["content"],
                }
                if (
                    converted
                    and converted[-1]["role"] == "user"
                    and isinstance(converted[-1]["content"], list)
                ):
                    converted[-1]["content"].append(block)
                else:
                    converted.append({"role": "user", "content": [block]})
            elif message.get("tool_calls"):
                blocks = [{"type": "text", "text": message["content"]}] if message.get("content") else []
                blocks += [
                    {"type": "tool_use", "id": call.id, "name": call.name, "input": call.arguments or {}}
                    for call in message["tool_calls"]
                ]
                converted.append({"role": "assistant", "content": blocks})
            else:
                converted.append({"role": message["role"], "content": message["content"]})
        return converted


ADAPTERS = {
    AIModel.Provider.OPENAI: OpenAIAdapter,
    AIModel.Provider.OPENAI_COMPATIBLE: OpenAIAdapter,
    AIModel.Provider.ANTHROPIC: AnthropicAdapter,
}


def adapter_for(ai_model: AIModel) -> Adapter:
    return ADAPTERS[ai_model.provider](ai_model)
