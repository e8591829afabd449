import pytest

from chat.models import ChatSession
from chat.tests.factories import ChatSessionFactory, MessageFactory, ToolCallFactory
from core.testing import iso
from kanban.tests.factories import TaskFactory


@pytest.mark.django_db
class TestChatSessionsApi:
    def test_crud(self, owner_client, owner):
        task = TaskFactory(project__owner=owner)

        created = owner_client.post("/api/v1/chat-sessions/", {"task": str(task.pk)})
        url = f"/api/v1/chat-sessions/{created.json()['id']}/"
        forged = owner_client.patch(url, {"status": "completed"})
        completed = owner_client.post(f"{url}complete/")
        again = owner_client.post(f"{url}complete/")
        reopened = owner_client.patch(url, {"status": "active"})
        deleted = owner_client.delete(url)

        assert created.status_code == 201
        assert created.json()["status"] == "active"
        assert forged.json() == {"status": ["Read-only; use the complete action."]}
        assert (completed.status_code, completed.json()["status"]) == (200, "completed")
        assert (again.status_code, again.json()) == (
            409,
            {"detail": "The chat session is already completed."},
        )
        assert reopened.status_code == 400
        assert deleted.status_code == 204
        assert not ChatSession.objects.exists()

    def test_messages_with_their_tool_calls_oldest_first(self, owner_client, owner):
        session = ChatSessionFactory(task__project__owner=owner)
        question = MessageFactory(session=session, content="What is left?")
        call = ToolCallFactory(message__session=session, message__content="")

        body = owner_client.get(f"/api/v1/chat-sessions/{session.pk}/messages/").json()

        assert body["count"] == 2
        assert [row["id"] for row in body["results"]] == [str(question.pk), str(call.message_id)]
        assert body["results"][1]["tool_calls"] == [
            {
                "id": str(call.pk),
                "message": str(call.message_id),
                "tool_name": "list_tasks",
                "arguments": {},
                "result": {"tasks": []},
                "status": "success",
                "duration_ms": 3,
                "created_at": iso(call.created_at),
            }
        ]

    def test_tool_calls_list(self, owner_client, owner):
        call = ToolCallFactory(message__session__task__project__owner=owner)
        ToolCallFactory()  # another session's

        body = owner_client.get(f"/api/v1/chat-sessions/{call.message.session_id}/tool-calls/").json()

        assert [row["id"] for row in body["results"]] == [str(call.pk)]

    def test_filters(self, owner_client, owner):
        wanted = ChatSessionFactory(task__project__owner=owner, status="failed")
        ChatSessionFactory(task__project__owner=owner)

        by_project = owner_client.get(
            "/api/v1/chat-sessions/", {"project": str(wanted.task.project_id)}
        ).json()
        by_status = owner_client.get("/api/v1/chat-sessions/", {"status": "failed"}).json()

        assert [row["id"] for row in by_project["results"]] == [str(wanted.pk)]
        assert [row["id"] for row in by_status["results"]] == [str(wanted.pk)]
