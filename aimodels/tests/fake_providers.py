"""Local HTTP servers that speak the OpenAI Chat Completions and the Anthropic Messages
protocols, streamed as server-sent events the way each provider streams them, so tests drive
the real SDK clients over real HTTP. Replies are scripted; text streams a word at a time."""

import json
import re
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# What a scripted reply's usage reads as, in the gateway's vocabulary, by default.
USAGE = {
    "input_tokens": 12,
    "cached_input_tokens": 0,
    "cache_write_tokens": 0,
    "output_tokens": 7,
    "reasoning_tokens": 0,
    "total_tokens": 19,
}


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[dict] = field(default_factory=list)  # {"name", "arguments": dict or raw str}
    status: int = 200
    delay: float = 0.0
    usage: tuple[int, int] = (12, 7)  # input (uncached, for Anthropic) and output tokens
    cached: int = 0  # input tokens read from the cache (OpenAI: part of the input count)
    cache_write: int = 0  # input tokens written to the cache (Anthropic)
    reasoning: int = 0  # output tokens spent reasoning (OpenAI: part of the output count)
    model: str = ""  # the model the answer says answered (default: the one asked for)
    error: str = "the model is on fire"
    retry_after: float | None = None  # seconds, sent as Retry-After with an error status
    finish: str | None = None  # "length": the answer was cut off at max_tokens
    chunk_delay: float = 0.0  # seconds between streamed pieces
    # Servers' quirks, each as a real one was seen to behave:
    # seconds of keep-alives (OpenAI comments, Anthropic pings; blanks before an answer that
    # is not streamed) ...
    stall: float = 0.0
    stall_at: str = "start"  # ... before the first piece ("start") or the first tool call ("tools")
    empty: bool = False  # 200, then the stream ends with no chunk (llama.cpp, tools with "auto")
    cut: bool = False  # the stream ends cleanly halfway, with no finish reason ...
    cut_at: str = "text"  # ... after the text ("text") or halfway through a tool call ("tools")
    drop: bool = False  # the connection is dropped halfway (a reset) ...
    drop_after: int = 2  # ... after this many events
    no_usage: bool = False  # no usage is reported (llama.cpp ignores include_usage)
    repeat_name: bool = False  # the function name is repeated in every tool-call chunk


class FakeProvider:
    """One protocol ("openai" or "anthropic") on 127.0.0.1, with a queue of scripted replies."""

    def __init__(self, protocol: str):
        self.protocol = protocol
        self.api_key = f"sk-fake-{protocol}-0123456789-wxyz"
        self.replies: deque[Reply] = deque()
        self.requests: list[dict] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def base_url(self) -> str:
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}/v1" if self.protocol == "openai" else f"http://127.0.0.1:{port}"

    def reply(self, text: str = "", *, tool_calls=(), error: str = "", **options) -> None:
        """Script the next answer; `options`: status, delay, retry_after, finish, chunk_delay (see Reply)."""
        reply = Reply(text=text, tool_calls=list(tool_calls), **options)
        if error:
            reply.error = error
        self.replies.append(reply)

    def reset(self) -> None:
        self.replies.clear()
        self.requests.clear()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- protocol ---------------------------------------------------------------------------

    def _authorised(self, headers) -> bool:
        bearer = headers.get("Authorization") == f"Bearer {self.api_key}"
        if self.protocol == "openai":
            return bearer
        # Anthropic takes the key as x-api-key; newer SDKs send it as a bearer token.
        return bearer or headers.get("x-api-key") == self.api_key

    def _error(self, status: int, message: str) -> dict:
        if self.protocol == "openai":
            return {"error": {"message": message, "type": "server_error", "code": None}}
        return {"type": "error", "error": {"type": "api_error", "message": message}}

    def _answer(self, request: dict, reply: Reply) -> dict:
        """The reply as one JSON answer (a request with `stream` false)."""
        calls = [(f"call_{index}", c["name"], c["arguments"]) for index, c in enumerate(reply.tool_calls)]
        model = reply.model or request.get("model", "")
        raw = [(i, n, a if isinstance(a, str) else json.dumps(a)) for i, n, a in calls]
        if self.protocol == "openai":
            message = {"role": "assistant", "content": reply.text or None}
            if raw:
                message["tool_calls"] = [
                    {"id": i, "type": "function", "function": {"name": n, "arguments": a}} for i, n, a in raw
                ]
            return {
                "id": "chatcmpl-fake",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": model,
                "choices": [
                    {"index": 0, "message": message, "finish_reason": "tool_calls" if raw else "stop"}
                ],
                "usage": {
                    "prompt_tokens": reply.usage[0],
                    "completion_tokens": reply.usage[1],
                    "total_tokens": sum(reply.usage),
                },
            }
        content = [{"type": "text", "text": reply.text}] if reply.text else []
        content += [{"type": "tool_use", "id": i, "name": n, "input": json.loads(a)} for i, n, a in raw]
        return {
            "id": "msg_fake",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content,
            "stop_reason": "tool_use" if raw else "end_turn",
            "stop_sequence": None,
            "usage": {"input_tokens": reply.usage[0], "output_tokens": reply.usage[1]},
        }

    def _stream(self, request: dict, reply: Reply):
        """The reply as the provider streams it: `(event name or None, payload)` pairs, a
        pause as `("stall", seconds)`."""
        if reply.empty:
            return
        if reply.stall and reply.stall_at == "start":
            yield "stall", reply.stall
        pieces = re.findall(r"\s*\S+\s*", reply.text) or ([reply.text] if reply.text else [])
        calls = [
            (f"call_{index}", call["name"], call["arguments"]) for index, call in enumerate(reply.tool_calls)
        ]
        model = reply.model or request.get("model", "")
        if self.protocol == "openai":
            yield from self._openai_chunks(request, reply, pieces, calls, model)
        else:
            yield from self._anthropic_events(reply, pieces, calls, model)

    @staticmethod
    def _openai_chunks(request, reply, pieces, calls, model):
        def chunk(delta, finish=None, **extra):
            choice = {"index": 0, "delta": delta, "finish_reason": finish}
            return None, {
                "id": "chatcmpl-fake",
                "object": "chat.completion.chunk",
                "created": int(time.time()),
                "model": model,
                "choices": [choice],
                **extra,
            }

        yield chunk({"role": "assistant", "content": ""})
        for piece in pieces:
            yield chunk({"content": piece})
        if reply.cut and reply.cut_at == "text":
            return
        if calls and reply.stall and reply.stall_at == "tools":
            yield "stall", reply.stall
        for index, (call_id, name, args) in enumerate(calls):
            raw = args if isinstance(args, str) else json.dumps(args)
            yield chunk(
                {
                    "tool_calls": [
                        {
                            "index": index,
                            "id": call_id,
                            "type": "function",
                            "function": {"name": name, "arguments": ""},
                        }
                    ]
                }
            )
            half = len(raw) // 2
            for part in (raw[:half], raw[half:]):
                function = {"arguments": part, **({"name": name} if reply.repeat_name else {})}
                yield chunk({"tool_calls": [{"index": index, "function": function}]})
                if reply.cut:
                    return
        yield chunk({}, reply.finish or ("tool_calls" if calls else "stop"))
        if request.get("stream_options", {}).get("include_usage") and not reply.no_usage:
            _, last = chunk({})
            last["choices"] = []
            last["usage"] = {
                "prompt_tokens": reply.usage[0],
                "completion_tokens": reply.usage[1],
                "total_tokens": sum(reply.usage),
                "prompt_tokens_details": {"cached_tokens": reply.cached},
                "completion_tokens_details": {"reasoning_tokens": reply.reasoning},
            }
            yield None, last

    @staticmethod
    def _anthropic_events(reply, pieces, calls, model):
        def event(kind, **payload):
            return kind, {"type": kind, **payload}

        yield event(
            "message_start",
            message={
                "id": "msg_fake",
                "type": "message",
                "role": "assistant",
                "model": model,
                "content": [],
                "stop_reason": None,
                "stop_sequence": None,
                "usage": {
                    "input_tokens": reply.usage[0],
                    "output_tokens": 1,
                    "cache_read_input_tokens": reply.cached,
                    "cache_creation_input_tokens": reply.cache_write,
                },
            },
        )
        index = 0
        if pieces:
            yield event("content_block_start", index=index, content_block={"type": "text", "text": ""})
            for piece in pieces:
                yield event("content_block_delta", index=index, delta={"type": "text_delta", "text": piece})
            yield event("content_block_stop", index=index)
            index += 1
        if reply.cut and reply.cut_at == "text":
            return
        if calls and reply.stall and reply.stall_at == "tools":
            yield "stall", reply.stall
        for call_id, name, args in calls:
            raw = args if isinstance(args, str) else json.dumps(args)
            block = {"type": "tool_use", "id": call_id, "name": name, "input": {}}
            yield event("content_block_start", index=index, content_block=block)
            half = len(raw) // 2
            for part in (raw[:half], raw[half:]):
                delta = {"type": "input_json_delta", "partial_json": part}
                yield event("content_block_delta", index=index, delta=delta)
                if reply.cut:
                    return
            yield event("content_block_stop", index=index)
            index += 1
        stop = {"length": "max_tokens"}.get(reply.finish, "tool_use" if calls else "end_turn")
        yield event(
            "message_delta",
            delta={"stop_reason": stop, "stop_sequence": None},
            usage={"output_tokens": reply.usage[1]},
        )
        yield event("message_stop")

    def _handler(self):
        provider = self
        path = "/v1/chat/completions" if self.protocol == "openai" else "/v1/messages"

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                if self.path != path:
                    return self._send(404, provider._error(404, f"no route {self.path}"))
                if not provider._authorised(self.headers):
                    return self._send(401, provider._error(401, "Incorrect API key provided."))
                provider.requests.append(body)
                if not provider.replies:
                    return self._send(500, provider._error(500, "the test scripted no reply"))
                reply = provider.replies.popleft()
                time.sleep(reply.delay)
                if not body.get("stream") and reply.status == 200:
                    return self._send(200, provider._answer(body, reply), stall=reply.stall)
                if reply.status != 200:
                    headers = {} if reply.retry_after is None else {"Retry-After": str(reply.retry_after)}
                    if 300 <= reply.status < 400:  # to this very endpoint: a client that follows comes back
                        headers["Location"] = self.path
                    return self._send(reply.status, provider._error(reply.status, reply.error), headers)
                self._send_stream(provider._stream(body, reply), reply.chunk_delay, reply)

            def _keep_alive(self, seconds):
                """What servers send while they think: comments (OpenAI-compatible) or pings."""
                ping = (
                    b": keep-alive\n\n"
                    if provider.protocol == "openai"
                    else (b'event: ping\ndata: {"type": "ping"}\n\n')
                )
                deadline = time.monotonic() + seconds
                while time.monotonic() < deadline:
                    self.wfile.write(ping)
                    self.wfile.flush()
                    time.sleep(0.1)

            def _reset(self):
                """Drop the connection as a crashed server or proxy does: a reset, not an end."""
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()

            def _send_stream(self, events, chunk_delay, reply):
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "text/event-stream")
                    self.send_header("Cache-Control", "no-cache")
                    self.end_headers()
                    sent = 0
                    for name, payload in events:
                        if name == "stall":
                            self._keep_alive(payload)
                            continue
                        if reply.drop and sent >= reply.drop_after:
                            return self._reset()
                        head = f"event: {name}\n" if name else ""
                        self.wfile.write(f"{head}data: {json.dumps(payload)}\n\n".encode())
                        self.wfile.flush()
                        sent += 1
                        time.sleep(chunk_delay)
                    if provider.protocol == "openai" and not reply.empty:
                        self.wfile.write(b"data: [DONE]\n\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)
                self.close_connection = True

            def _send(self, status, payload, headers=None, *, stall=0.0):
                """`payload` as JSON; with `stall`, after that many seconds of blanks (which
                JSON allows before a value), as servers keep a slow answer's connection open."""
                data = json.dumps(payload).encode()
                try:
                    self.send_response(status)
                    for name, value in (headers or {}).items():
                        self.send_header(name, value)
                    self.send_header("Content-Type", "application/json")
                    blanks = int(stall / 0.1)
                    self.send_header("Content-Length", str(blanks + len(data)))
                    self.end_headers()
                    for _ in range(blanks):
                        self.wfile.write(b" ")
                        self.wfile.flush()
                        time.sleep(0.1)
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

        return Handler
