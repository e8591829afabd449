"""Provider adapters over the official SDKs: `openai` (Chat Completions, also for every
OpenAI-compatible server) and `anthropic` (Messages).

The SDKs are imported on first use: together they are most of a process's memory and of
its start-up time, and a web process may never call a model."""

import contextlib
import importlib
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable

from aimodels.gateway.base import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AIProviderError,
    AIProviderTimeout,
    Completion,
    ToolCallRequest,
    ToolSpec,
    is_temporary,
    scrub,
)
from aimodels.models import AIModel

# Local OpenAI-compatible servers (Ollama, vLLM, LM Studio) take no key, but the SDK wants one.
NO_KEY = "no-key"


def _backoff(attempt: int) -> float:
    return min(0.5 * 2**attempt, 8.0)


def _retry_after(response) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms` or `retry-after` in seconds)."""
    headers = getattr(response, "headers", {}) or {}
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return max(float(headers[name]) * scale, 0.0)
        except (KeyError, TypeError, ValueError):
            continue
    return None


# Finish reasons in one vocabulary: stop, length (truncated), tool_calls, content_filter.
ANTHROPIC_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "max_tokens": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}


def _parse_arguments(raw: str) -> dict | None:
    try:
        arguments = json.loads(raw or "{}")
    except json.JSONDecodeError:
        return None
    return arguments if isinstance(arguments, dict) else None


def httpx2():
    """The HTTP client both SDKs use: errors in the middle of a stream come from it."""
    return importlib.import_module("httpx2")


class StreamDeadline(Exception):
    """The answer was still streaming when the call's time ran out."""


class StreamEndedEarly(Exception):
    """The stream ended without a finish reason: with no chunk at all (`empty`), or halfway."""

    def __init__(self, *, empty: bool):
        super().__init__("no chunk" if empty else "no finish reason")
        self.empty = empty


def _offered_name(name: str, tools: list[ToolSpec]) -> str:
    """A tool's name as offered; some servers repeat it in every chunk of a streamed call
    (`submit_plansubmit_plan`), which the SDK's accumulator joins."""
    for tool in tools:
        if (
            name != tool.name
            and name
            and len(name) % len(tool.name) == 0
            and name == tool.name * (len(name) // len(tool.name))
        ):
            return tool.name
    return name


class Adapter:
    sdk_name = ""  # the SDK's module, imported on first use
    # What a streamed event carries, by its type: the answer's text, or another piece of the
    # answer (a tool call's arguments, a refusal, thinking); the event's attribute holding it.
    text_events: dict[str, str] = {}
    piece_events: dict[str, str] = {}
    helpers: tuple[str, ...] = ()  # its modules the adapter uses besides

    def __init__(self, ai_model: AIModel, *, addresses=()):
        self.ai_model = ai_model
        self.addresses = [str(address) for address in addresses]  # where its base URL was checked

    @property
    def sdk(self):
        for helper in self.helpers:
            importlib.import_module(helper)
        return importlib.import_module(self.sdk_name)

    def load(self) -> None:
        """Import the SDK and its HTTP client (the first call in a process takes seconds), so
        that neither a call's latency nor its deadline counts the import."""
        self.sdk, httpx2()

    def client_options(self, *, timeout: float) -> dict:
        # The SDK's own retries would retry a timeout too, and wait past the deadline: ours do
        # neither. Its client follows redirects, to addresses never checked: ours follows none
        # (a 3xx is an error of the call, with its status).
        return {
            "api_key": self.ai_model.api_key or NO_KEY,
            "base_url": self.ai_model.base_url or None,
            "timeout": timeout,
            "max_retries": 0,
            "http_client": self.sdk.DefaultHttpxClient(
                follow_redirects=False, timeout=timeout, transport=self.pinned_transport()
            ),
        }

    def complete(
        self,
        *,
        messages: list[dict],
        tools: list[ToolSpec],
        config: dict,
        tool_choice: str,
        max_tokens: int,
        on_token: Callable[[str], None],
        on_failed_attempt: Callable[[Exception, int], None],
    ) -> Completion:
        """One model call, within one deadline: the model's `timeout` bounds everything, the
        connection, each retry and its wait, and the answer, streamed or not, whatever it
        sends (keep-alives, pings, tool-call pieces, nothing): at the deadline the connection
        is closed, the call is a timeout, and nothing that arrived after it is answered.

        Connection errors, 429, 5xx, a stream that ends early and a connection dropped
        mid-answer are retried (honouring Retry-After, else backing off) up to `max_retries`
        times, never a timeout; each failed attempt that is retried goes to
        `on_failed_attempt(error, latency_ms)`, and the last one is raised. A retry whose wait
        would end past the deadline is not made: that attempt's own error is raised, saying
        so. Streamed unless tools are offered to a model whose config says `stream_tools:
        false`; a tool stream that ends with no chunk is asked again, once, without streaming."""
        retries = int(config.get("max_retries", DEFAULT_MAX_RETRIES))
        self._deadline = time.monotonic() + float(config.get("timeout", DEFAULT_TIMEOUT))
        stream = not (tools and config.get("stream_tools") is False)
        request = {"messages": messages, "tools": tools, "config": config, "tool_choice": tool_choice}
        for attempt in itertools.count():
            remaining = self._deadline - time.monotonic()
            if remaining <= 0:
                raise self._timed_out()
            started, self.received, self._response = time.monotonic(), 0, None
            watchdog = threading.Timer(remaining, self._close_response)  # the deadline, whatever comes
            watchdog.daemon = True
            watchdog.start()
            try:
                completion = self.call(
                    **request,
                    max_tokens=max_tokens,
                    timeout=remaining,
                    on_token=self._receiver(on_token),
                    on_piece=self._receiver(lambda piece: None),
                    stream=stream,
                )
            except Exception as exc:
                past, failure = time.monotonic() >= self._deadline, exc
                error, retry, wait = self._sorted(exc, attempt=attempt, past_deadline=past)
                error.latency_ms = round((time.monotonic() - started) * 1000)
            else:
                if time.monotonic() >= self._deadline:
                    raise self._timed_out()  # the answer came after the deadline: not acted on
                completion.latency_ms = round((time.monotonic() - started) * 1000)
                return completion
            finally:
                watchdog.cancel()
                self._response = None
            if isinstance(failure, StreamEndedEarly) and failure.empty and tools and stream:
                stream, retry, wait = False, True, 0  # once, without streaming (a server's quirk)
            elif not retry or attempt >= retries:
                raise error from None
            if time.monotonic() + wait >= self._deadline:
                raise self._not_retried(error, wait) from None
            on_failed_attempt(error, error.latency_ms)
            time.sleep(wait)

    def _receiver(self, then: Callable[[str], None]) -> Callable[[str], None]:
        """What takes each piece of the answer as it arrives (text, or a tool call's): counted
        when it is not empty (a stream's first chunk often only names the role), refused
        after the deadline (not shown, not kept)."""

        def receive(piece: str) -> None:
            if time.monotonic() >= self._deadline:
                raise StreamDeadline
            if piece:
                self.received += 1
                then(piece)

        return receive

    def _not_retried(self, error, wait: float):
        """A failed attempt's own error, saying that the wait it asked for was not made."""
        detail = (
            f"{str(error.detail).rstrip('.')}; not tried again, as waiting {wait:g} s first would end "
            "past the model's timeout."
        )
        if isinstance(error, AIProviderError):
            kept = AIProviderError(detail, provider_status=error.provider_status, temporary=error.temporary)
        else:
            kept = type(error)(detail)
        kept.latency_ms = error.latency_ms
        return kept

    def _sorted(self, exc: Exception, *, attempt: int, past_deadline: bool):
        """`(error to answer, whether it may be retried, seconds to wait first)` of a failed
        attempt. Whatever the SDK raised (its assertions included) is one of these, never an
        internal error."""
        sdk, transport = self.sdk, httpx2()
        name = self.ai_model.name
        timeouts = (StreamDeadline, sdk.APITimeoutError, transport.TimeoutException)
        if past_deadline or isinstance(exc, timeouts):
            return self._timed_out(), False, 0  # the server may still be generating: no second one
        if isinstance(exc, StreamEndedEarly):
            how = "with no answer" if exc.empty else f"after {self._tokens()}, with no finish reason"
            detail = f"AI model '{name}': the stream ended early, {how}."
            return AIProviderError(detail, temporary=True), True, _backoff(attempt)
        if isinstance(exc, (sdk.APIConnectionError, transport.TransportError)):
            if self._response is not None:  # it answered, then the connection went
                detail = f"The connection to AI model '{name}' dropped after {self._tokens()}."
                return AIProviderError(detail, temporary=True), True, _backoff(attempt)
            return AIProviderTimeout(f"AI model '{name}' could not be reached."), True, _backoff(attempt)
        if isinstance(exc, sdk.APIStatusError):
            retry = is_temporary(exc.status_code)
            return self._provider_error(exc), retry, _retry_after(exc.response) or _backoff(attempt)
        if isinstance(exc, (sdk.APIError, KeyError, TypeError, ValueError, AttributeError, IndexError)):
            return AIProviderError(f"AI model '{name}' gave an answer that cannot be used."), False, 0
        if isinstance(exc, AssertionError):  # an SDK's accumulator, on a stream it did not expect
            return AIProviderError(f"AI model '{name}' gave an answer that cannot be used."), False, 0
        raise exc

    def _tokens(self) -> str:
        """What arrived of the answer, in tokens as streamed: each piece a provider sends (a
        token, or a few) counts one."""
        return f"{self.received} token{'' if self.received == 1 else 's'}"

    def _relay(self, event, *, on_token, on_piece) -> None:
        """Pass a streamed event's text on to `on_token`, another piece of the answer to
        `on_piece`; any other event is not part of the answer."""
        if event.type in self.text_events:
            on_token(getattr(event, self.text_events[event.type]))
        elif event.type in self.piece_events:
            on_piece(getattr(event, self.piece_events[event.type]))

    def _opened(self, response) -> None:
        """The provider answered (`response`, httpx's): the watchdog may now close it."""
        self._response = response
        if time.monotonic() >= self._deadline:  # the watchdog went off before there was one
            self._close_response()

    def _close_response(self) -> None:
        """At the deadline: close the answer under way, from the watchdog's thread; its reader
        then stops, whatever the server was sending. Before an answer there is nothing to
        close: the connect and read timeouts (the time that remained) end that wait."""
        response = self._response
        if response is None:
            return
        # A read blocked in another thread wakes only when its socket is shut down; closing the
        # response alone would leave it waiting on the next keep-alive.
        network = getattr(response, "extensions", {}).get("network_stream")
        with contextlib.suppress(Exception):  # a broken stream may refuse: it is ending anyway
            network.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(Exception):
            response.close()

    def forced(self, tool_choice: str):
        """`tool_choice` for the provider: "auto", "none", or the name of the one tool to call."""
        raise NotImplementedError

    def _timed_out(self) -> AIProviderTimeout:
        return AIProviderTimeout(f"AI model '{self.ai_model.name}' did not answer in time.")

    def _provider_error(self, exc) -> AIProviderError:
        message = scrub(self.error_message(exc), self.ai_model.api_key)
        return AIProviderError(
            f"AI model '{self.ai_model.name}' answered HTTP {exc.status_code}: {message}",
            provider_status=exc.status_code,
        )

    def pinned_transport(self):
        """Connections to the base URL's host go to an address checked before the call, not
        to what the name resolves to when the SDK connects (no rebinding in between); TLS
        still checks the certificate against the name. None: the provider's own host."""
        if not self.addresses:
            return None
        httpcore2, transport = importlib.import_module("httpcore2"), httpx2().HTTPTransport()
        checked, address = httpx2().URL(self.ai_model.base_url).host, self.addresses[0]

        class Pinned(httpcore2.SyncBackend):
            def connect_tcp(self, host, port, **options):
                if host != checked:  # no redirect is followed: only the checked host is called
                    raise httpcore2.ConnectError(f"{host} is not the host that was checked.")
                return super().connect_tcp(address, port, **options)

        ssl_context = transport._pool._ssl_context
        transport._pool = httpcore2.ConnectionPool(ssl_context=ssl_context, network_backend=Pinned())
        return transport

    @staticmethod
    def error_message(exc) -> str:
        body = exc.body if isinstance(exc.body, dict) else {}
        error = body.get("error", body)
        if isinstance(error, dict) and isinstance(error.get("message"), str):
            return error["message"][:300]
        return "no details"


class OpenAIAdapter(Adapter):
    sdk_name = "openai"
    text_events = {"content.delta": "delta"}
    piece_events = {"tool_calls.function.arguments.delta": "arguments_delta", "refusal.delta": "delta"}
    helpers = ("openai.lib.streaming.chat",)

    def call(
        self, *, messages, tools, config, tool_choice, max_tokens, timeout, on_token, on_piece, stream
    ) -> Completion:
        client = self.sdk.OpenAI(**self.client_options(timeout=timeout))
        options = {"model": self.ai_model.model, "messages": [self.to_openai(m) for m in messages]}
        if tools:
            options["tools"] = [
                {
                    "type": "function",
                    "function": {"name": t.name, "description": t.description, "parameters": t.parameters},
                }
                for t in tools
            ]
            options["tool_choice"] = self.forced(tool_choice)
        options["max_tokens"] = max_tokens
        for key in ("temperature", "top_p"):
            if key in config:
                options[key] = config[key]
        if stream:
            response = self._streamed(client, options, on_token=on_token, on_piece=on_piece)
        else:
            with client.chat.completions.with_streaming_response.create(**options) as answer:
                self._opened(answer.http_response)
                response = answer.parse()
        choice = response.choices[0]
        if not choice.finish_reason:
            raise StreamEndedEarly(empty=False)
        message = choice.message
        calls = [
            ToolCallRequest(
                id=call.id,
                name=_offered_name(call.function.name, tools),
                arguments=_parse_arguments(call.function.arguments),
                raw_arguments=call.function.arguments or "",
            )
            for call in message.tool_calls or []
        ]
        if not stream and message.content:
            on_token(message.content)
        return Completion(
            text=message.content or "",
            tool_calls=calls,
            finish_reason="tool_calls" if choice.finish_reason == "function_call" else choice.finish_reason,
            usage=self.openai_usage(response.usage),
            raw_usage=response.usage.model_dump(mode="json") if response.usage else {},
            model=response.model or "",
        )

    def _streamed(self, client, options: dict, *, on_token, on_piece):
        """The streamed answer put together by the SDK's accumulator; usage comes in the last
        chunk. Text goes to `on_token`, a tool call's or a refusal's pieces to `on_piece`."""
        from openai.lib.streaming.chat import ChatCompletionStreamState

        state, chunks = ChatCompletionStreamState(), 0
        with client.chat.completions.create(
            **options, stream=True, stream_options={"include_usage": True}
        ) as answer:
            self._opened(answer.response)
            for chunk in answer:
                chunks += 1
                for event in state.handle_chunk(chunk):
                    self._relay(event, on_token=on_token, on_piece=on_piece)
        if not chunks:
            raise StreamEndedEarly(empty=True)
        return state.current_completion_snapshot

    @staticmethod
    def forced(tool_choice: str):
        if tool_choice in ("auto", "none", "required"):
            return tool_choice
        return {"type": "function", "function": {"name": tool_choice}}

    @staticmethod
    def openai_usage(usage) -> dict[str, int]:
        """Chat Completions usage in the neutral shape: `input_tokens` counts the cached ones
        too (`cached_input_tokens` of them), `output_tokens` the reasoning ones too."""
        if usage is None:
            return {}
        prompt_details = getattr(usage, "prompt_tokens_details", None)
        completion_details = getattr(usage, "completion_tokens_details", None)
        return {
            "input_tokens": usage.prompt_tokens,
            "cached_input_tokens": getattr(prompt_details, "cached_tokens", None) or 0,
            "cache_write_tokens": 0,
            "output_tokens": usage.completion_tokens,
            "reasoning_tokens": getattr(completion_details, "reasoning_tokens", None) or 0,
            "total_tokens": usage.total_tokens,
        }

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
    sdk_name = "anthropic"
    text_events = {"text": "text"}
    piece_events = {"input_json": "partial_json", "thinking": "thinking"}

    def call(
        self, *, messages, tools, config, tool_choice, max_tokens, timeout, on_token, on_piece, stream
    ) -> Completion:
        client = self.sdk.Anthropic(**self.client_options(timeout=timeout))
        system = "\n\n".join(m["content"] for m in messages if m["role"] == "system")
        options = {
            "model": self.ai_model.model,
            "max_tokens": max_tokens,
            "messages": self.to_anthropic([m for m in messages if m["role"] != "system"]),
        }
        if system:
            options["system"] = system
        if tools:
            options["tools"] = [
                {"name": t.name, "description": t.description, "input_schema": t.parameters} for t in tools
            ]
            options["tool_choice"] = self.forced(tool_choice)
        # This SDK takes no sampling keywords; the Messages API still reads them from the body.
        sampling = {key: config[key] for key in ("temperature", "top_p") if key in config}
        if sampling:
            options["extra_body"] = sampling
        if stream:
            response = self._streamed(client, options, on_token=on_token, on_piece=on_piece)
        else:
            with client.messages.with_streaming_response.create(**options) as answer:
                self._opened(answer.http_response)
                response = answer.parse()
        if not response.stop_reason:
            raise StreamEndedEarly(empty=False)
        text = "".join(block.text for block in response.content if block.type == "text")
        if not stream and text:
            on_token(text)
        calls = [
            ToolCallRequest(
                id=block.id,
                name=_offered_name(block.name, tools),
                arguments=block.input if isinstance(block.input, dict) else None,
                raw_arguments=json.dumps(block.input),
            )
            for block in response.content
            if block.type == "tool_use"
        ]
        return Completion(
            text=text,
            tool_calls=calls,
            finish_reason=ANTHROPIC_FINISH.get(response.stop_reason, response.stop_reason),
            usage=self.anthropic_usage(response.usage),
            raw_usage=response.usage.model_dump(mode="json"),
            model=response.model or "",
        )

    def _streamed(self, client, options: dict, *, on_token, on_piece):
        """The streamed message put together by the SDK. Text goes to `on_token`, a tool
        call's input and thinking to `on_piece`; a ping is not part of the answer."""
        events = 0
        with client.messages.stream(**options) as answer:
            self._opened(answer.response)
            for event in answer:
                events += event.type != "ping"
                self._relay(event, on_token=on_token, on_piece=on_piece)
            if not events:
                raise StreamEndedEarly(empty=True)
            return answer.get_final_message()

    @staticmethod
    def forced(tool_choice: str) -> dict:
        if tool_choice in ("auto", "none"):
            return {"type": tool_choice}
        return {"type": "tool", "name": tool_choice}

    @staticmethod
    def anthropic_usage(usage) -> dict[str, int]:
        """Messages usage in the neutral shape. Anthropic counts cache reads and writes apart
        from `input_tokens`; here `input_tokens` is every input token, cache ones included,
        and the total counts them too."""
        cached = getattr(usage, "cache_read_input_tokens", None) or 0
        written = getattr(usage, "cache_creation_input_tokens", None) or 0
        input_tokens = usage.input_tokens + cached + written
        return {
            "input_tokens": input_tokens,
            "cached_input_tokens": cached,
            "cache_write_tokens": written,
            "output_tokens": usage.output_tokens,
            "reasoning_tokens": 0,  # thinking is billed, and counted, as output
            "total_tokens": input_tokens + usage.output_tokens,
        }

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


def adapter_for(ai_model: AIModel, *, addresses=()) -> Adapter:
    return ADAPTERS[ai_model.provider](ai_model, addresses=addresses)
