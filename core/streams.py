"""Server-sent event streams that hold no database connection while they wait.

A stream reads what it has missed (one query), then waits. On PostgreSQL it waits to be
woken: rows written to a channel's table fire `NOTIFY orchestrator, '<channel>'` (a trigger,
so no writer does anything), and one thread per process LISTENs on its own connection. On a
notification that thread reads the channel's new rows once, whatever the number of streams
watching it, and hands them to each; the streams themselves do not query while they wait.
Elsewhere (SQLite) each stream looks for new rows every POLL_SECONDS instead.

    stream = EventStream(channel=f"job:{job.pk}", fetch=lambda after: ..., after=last_event_id)
    StreamingHttpResponse(stream.sync() or stream.asynchronous(), content_type="text/event-stream")
"""

import asyncio
import json
import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections, connection

from core.db import release_connection

logger = logging.getLogger(__name__)

CHANNEL = "orchestrator"
POLL_SECONDS = 0.2
KEEPALIVE_SECONDS = 15
# Milliseconds a client waits before it reconnects (EventSource reads it).
RETRY_MS = 1000
# The most events one read answers (a fetch's limit); more are read in turns.
BATCH = 500


@dataclass(frozen=True)
class Event:
    id: int
    type: str
    data: dict
    final: bool = False

    def sse(self) -> str:
        return f"id: {self.id}\nevent: {self.type}\ndata: {json.dumps(self.data, default=str)}\n\n"


class _Channel:
    def __init__(self, fetch, after: int):
        self.fetch, self.cursor, self.watchers = fetch, after, set()


class Hub:
    """One per process (PostgreSQL): LISTENs, and on each notification reads a watched
    channel's new rows once and hands them to its watchers."""

    def __init__(self):
        self.lock = threading.Lock()
        self.channels: dict[str, _Channel] = {}
        self.thread = None
        self.stopping = threading.Event()

    def watch(self, channel: str, fetch, after: int, deliver) -> Callable[[], None]:
        """Hand `deliver(events)` the channel's rows after `after` as they come; the answer
        stops it."""
        with self.lock:
            self._start()
            watched = self.channels.setdefault(channel, _Channel(fetch, after))
            watched.cursor = min(watched.cursor, after)
            watched.watchers.add(deliver)

        def stop():
            with self.lock:
                watched.watchers.discard(deliver)
                if not watched.watchers:
                    self.channels.pop(channel, None)

        return stop

    def _start(self):
        if self.thread is None or not self.thread.is_alive():
            self.thread = threading.Thread(target=self._listen, name="event-streams", daemon=True)
            self.thread.start()

    def _listen(self):
        import psycopg

        database = connection.settings_dict
        while not self.stopping.is_set():
            try:
                with psycopg.connect(
                    host=database["HOST"] or None,
                    port=database["PORT"] or None,
                    user=database["USER"] or None,
                    password=database["PASSWORD"] or None,
                    dbname=database["NAME"],
                    autocommit=True,
                    **{k: v for k, v in database["OPTIONS"].items() if k == "sslmode"},
                ) as listener:
                    listener.execute(f"LISTEN {CHANNEL}")
                    self._read_all()  # anything written while (re)connecting
                    while not self.stopping.is_set():
                        for notice in listener.notifies(timeout=1):
                            self._read(notice.payload)
            except Exception:
                logger.exception("Event streams lost their LISTEN connection; reconnecting.")
                time.sleep(1)

    def stop(self):
        """End the LISTEN connection (a process that ends, a test run)."""
        self.stopping.set()
        if self.thread is not None:
            self.thread.join(5)
        self.thread = None
        self.stopping.clear()

    def _read_all(self):
        with self.lock:
            names = list(self.channels)
        for name in names:
            self._read(name)

    def _read(self, name: str):
        with self.lock:
            watched = self.channels.get(name)
        if watched is None:
            return
        while True:
            try:
                events = watched.fetch(watched.cursor)
            finally:
                close_old_connections()
                release_connection()
            if not events:
                return
            with self.lock:
                watched.cursor = max(watched.cursor, events[-1].id)
                watchers = list(watched.watchers)
            for deliver in watchers:
                deliver(events)
            if len(events) < BATCH:
                return


HUB = Hub()


def notified() -> bool:
    """Whether streams are woken by notifications (PostgreSQL) rather than polling."""
    return connection.vendor == "postgresql"


def _sent(events: list[Event], *, ends: float) -> tuple[list[str], bool]:
    """The SSE text of `events` up to the first final one, and whether the stream is over
    (a final event, or its time is up)."""
    chunks = []
    for event in events:
        chunks.append(event.sse())
        if event.final:
            return chunks, True
    return chunks, time.monotonic() > ends


class EventStream:
    """The events of one channel after `after`, as SSE text, until a final event or
    STREAM_MAX_SECONDS; `fetch(after)` reads the next events (a list of Event, oldest first)."""

    def __init__(
        self,
        *,
        channel: str,
        fetch: Callable[[int], list[Event]],
        after: int = 0,
        over: Callable[[], bool] = lambda: False,
    ):
        """`over()` says, when nothing is missed, that nothing more will come (a finished
        job's stream resumed after its last event)."""
        self.channel, self.fetch, self.after, self.over = channel, fetch, after, over

    def _fresh(self, events: list[Event]) -> list[Event]:
        fresh = [event for event in events if event.id > self.after]
        if fresh:
            self.after = fresh[-1].id
        return fresh

    def _missed(self) -> list[Event]:
        try:
            return self._fresh(self.fetch(self.after))
        finally:
            release_connection()  # no connection is held while the stream waits

    def _catch_up(self) -> list[Event] | None:
        """What was missed; None when there is nothing and nothing more will come."""
        try:
            events = self._missed()
            return None if not events and self.over() else events
        finally:
            release_connection()

    def sync(self):
        """For a WSGI server: one thread per stream, waiting on a queue."""
        inbox: queue.SimpleQueue = queue.SimpleQueue()
        stop = HUB.watch(self.channel, self.fetch, self.after, inbox.put) if notified() else None
        try:
            yield f"retry: {RETRY_MS}\n\n"
            ends = time.monotonic() + settings.STREAM_MAX_SECONDS
            events = self._catch_up()
            if events is None:
                return
            while True:
                chunks, over = _sent(events, ends=ends)
                yield from chunks
                if over:
                    return
                events = self._next(inbox, until=min(time.monotonic() + KEEPALIVE_SECONDS, ends))
                if events is None:
                    yield ": keep-alive\n\n"
                    events = []
        finally:
            if stop:
                stop()

    def _next(self, inbox, *, until: float) -> list[Event] | None:
        """The next events; None when `until` comes without any."""
        deadline = until
        while time.monotonic() < deadline:
            if notified():
                try:
                    return self._fresh(inbox.get(timeout=max(deadline - time.monotonic(), 0)))
                except queue.Empty:
                    return None
            time.sleep(POLL_SECONDS)
            if events := self._missed():
                return events
        return None

    async def asynchronous(self):
        """For an ASGI server: waiting costs no thread, only a queue on the event loop; on
        SQLite each poll runs in a thread."""
        from asgiref.sync import sync_to_async

        loop = asyncio.get_running_loop()
        inbox: asyncio.Queue = asyncio.Queue()
        stop = None
        if notified():
            stop = HUB.watch(
                self.channel,
                self.fetch,
                self.after,
                lambda events: loop.call_soon_threadsafe(inbox.put_nowait, events),
            )
        try:
            yield f"retry: {RETRY_MS}\n\n"
            started = time.monotonic()
            ends = started + settings.STREAM_MAX_SECONDS
            events = await sync_to_async(self._catch_up, thread_sensitive=False)()
            if events is None:
                return
            while True:
                chunks, over = _sent(events, ends=ends)
                for chunk in chunks:
                    yield chunk
                if over:
                    return
                if notified():
                    wait = min(KEEPALIVE_SECONDS, max(ends - time.monotonic(), 0))
                    try:
                        events = self._fresh(await asyncio.wait_for(inbox.get(), wait))
                    except TimeoutError:
                        yield ": keep-alive\n\n"
                        events = []
                else:
                    await asyncio.sleep(POLL_SECONDS)
                    events = await sync_to_async(self._missed, thread_sensitive=False)()
                    # (a poll that finds nothing for KEEPALIVE_SECONDS sends a comment)
                    if not events and time.monotonic() - getattr(self, "_quiet", started) > KEEPALIVE_SECONDS:
                        self._quiet = time.monotonic()
                        yield ": keep-alive\n\n"
        finally:
            if stop:
                stop()
