"""A job's events as server-sent events: tokens as the model streams them, resumable."""

import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from conftest import ai_model_on, job_result
from jobs.models import JobEvent
from projects.tests.factories import InterviewFactory

REPLY = "Who will use the shop, and what will they buy there first?"


def parse(stream: str) -> list[dict]:
    """The events of a text/event-stream body: `{"id", "event", "data"}` each."""
    events = []
    for block in stream.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if line and not line.startswith(":"))
        if "event" in fields:
            events.append(
                {"id": int(fields["id"]), "event": fields["event"], "data": json.loads(fields["data"])}
            )
    return events


def read(client, job_id, **headers) -> tuple[object, list[dict]]:
    response = client.get(f"/api/v1/jobs/{job_id}/events/", headers=headers)
    return response, parse(b"".join(response.streaming_content).decode())


@pytest.fixture
def streamed_turn(owner_client, owner, provider_server):
    ai_model_on(provider_server, usage_type="interview")
    interview = InterviewFactory(project__owner=owner)
    provider_server.reply(REPLY, chunk_delay=0.04)  # tokens arrive over ~0.5 s, in several batches
    response = owner_client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "A shop"})
    return response.json()["id"], job_result(response, "interview")


@pytest.mark.django_db
class TestStream:
    def test_the_tokens_concatenate_to_the_stored_reply(self, owner_client, streamed_turn):
        job_id, interview = streamed_turn

        response, events = read(owner_client, job_id)

        assert response["Content-Type"] == "text/event-stream"
        assert response["Cache-Control"] == "no-cache"
        tokens = [e["data"]["text"] for e in events if e["event"] == "token"]
        assert len(tokens) > 1
        assert "".join(tokens) == interview["conversation_data"][-1]["content"] == REPLY
        assert [e["event"] for e in events if e["event"] != "token"] == ["status", "status", "status", "done"]
        assert [e["data"]["status"] for e in events if e["event"] == "status"] == [
            "queued",
            "running",
            "succeeded",
        ]
        assert events[-1]["data"] == {"job": job_id, "status": "succeeded"}
        ids = [e["id"] for e in events]
        assert ids == sorted(ids) and len(set(ids)) == len(ids)

    def test_last_event_id_resumes_with_no_gap_and_no_duplicate(self, owner_client, streamed_turn):
        job_id, _ = streamed_turn
        _, events = read(owner_client, job_id)
        middle = next(i for i, e in enumerate(events) if e["event"] == "token") + 1

        _, rest = read(owner_client, job_id, **{"Last-Event-ID": str(events[middle - 1]["id"])})
        response = owner_client.get(f"/api/v1/jobs/{job_id}/events/?last_event_id={events[middle - 1]['id']}")
        by_query = parse(b"".join(response.streaming_content).decode())

        assert rest == by_query == events[middle:]
        _, after_the_end = read(owner_client, job_id, **{"Last-Event-ID": str(events[-1]["id"])})
        assert after_the_end == []

    def test_session_authentication_reads_the_stream_too(self, client, owner, streamed_turn):
        job_id, _ = streamed_turn
        client.force_login(owner)

        response = client.get(f"/api/v1/jobs/{job_id}/events/", HTTP_ACCEPT="text/event-stream")

        assert parse(b"".join(response.streaming_content).decode())[-1]["event"] == "done"

    def test_a_bad_last_event_id_is_a_400_naming_it(self, owner_client, streamed_turn):
        job_id, _ = streamed_turn

        response = owner_client.get(
            f"/api/v1/jobs/{job_id}/events/", headers={"Last-Event-ID": "x1"}, HTTP_ACCEPT="text/event-stream"
        )

        assert (response.status_code, response["Content-Type"]) == (400, "application/json")
        assert response.json() == {"Last-Event-ID": ["An event id: a whole number."]}

    def test_a_failed_job_ends_with_an_error_event(self, owner_client, owner, openai_server):
        ai_model_on(openai_server, name="flaky")
        openai_server.reply(status=500)
        job = owner_client.post(
            f"/api/v1/interviews/{InterviewFactory(project__owner=owner).pk}/messages/", {"content": "Hi"}
        ).json()

        _, events = read(owner_client, job["id"])

        assert events[-1]["event"] == "error"
        assert (
            events[-1]["data"]
            == job["error"]
            == {
                "code": "ai_provider_error",
                "detail": "AI model 'flaky' answered HTTP 500: the model is on fire",
                "http_status": 502,
            }
        )


@pytest.mark.django_db
def test_an_agent_turn_streams_its_tool_calls_and_results(owner_client, agent_turn):
    _, events = read(owner_client, agent_turn)

    kinds = [e["event"] for e in events if e["event"] != "status"]
    merged = [kind for i, kind in enumerate(kinds) if kind != "token" or kinds[i - 1] != "token"]
    assert merged == ["token", "tool_call", "tool_result", "token", "done"]
    call = next(e["data"] for e in events if e["event"] == "tool_call")
    result = next(e["data"] for e in events if e["event"] == "tool_result")
    assert (call["name"], call["arguments"]) == ("create_task", {"title": "Checkout"})
    assert (result["id"], result["status"], result["result"]["task"]["title"]) == (
        call["id"],
        "success",
        "Checkout",
    )
    assert JobEvent.objects.filter(job_id=agent_turn, type="done").count() == 1


@pytest.mark.django_db(transaction=True)
def test_an_asgi_server_streams_the_same_events(owner, owner_client, openai_server):
    """Under ASGI the stream is an async iterator: its waits run in threads, not the loop."""
    ai_model_on(openai_server, usage_type="interview")
    interview = InterviewFactory(project__owner=owner)
    openai_server.reply(REPLY)
    job = owner_client.post(f"/api/v1/interviews/{interview.pk}/messages/", {"content": "A shop"}).json()
    _, expected = read(owner_client, job["id"])

    async def read_over_asgi():
        client = AsyncClient()
        await client.aforce_login(owner)
        response = await client.get(
            f"/api/v1/jobs/{job['id']}/events/", headers={"Accept": "text/event-stream"}
        )
        assert response.is_async
        return b"".join([chunk async for chunk in response.streaming_content]).decode()

    assert parse(async_to_sync(read_over_asgi)()) == expected
