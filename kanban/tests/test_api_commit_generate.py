"""Commit generation, end to end through the real SDKs and local servers."""

import pytest

from conftest import ai_model_on, job_error, job_result
from core.testing import iso
from kanban.conventional import HOW_TO_BREAK
from kanban.models import Commit
from kanban.tests.factories import NOT_IN_GIT, TaskFactory

CHANGES = {"files": ["kanban/services.py"], "summary": "lock the board on moves"}


def generate(client, task, **extra):
    return client.post("/api/v1/commits/generate/", {"task": str(task.pk), "changes": CHANGES, **extra})


@pytest.mark.django_db
class TestCommitGeneration:
    def test_a_valid_message_is_stored_with_derived_fields(self, owner_client, owner, provider_server):
        ai_model_on(provider_server, name="committer", usage_type="commit_generation")
        task = TaskFactory(project__owner=owner, title="Safe moves")
        provider_server.reply("```\nfix(board)!: lock the board on moves\n\nBREAKING CHANGE: moves wait\n```")

        response = generate(owner_client, task)

        commit = Commit.objects.get()
        assert job_result(response, "commit") == {
            "id": str(commit.pk),
            "task": str(task.pk),
            "project": str(task.project_id),
            "type": "fix",
            "scope": "board",
            "breaking": True,
            "message": (
                f"fix(board)!: lock the board on moves\n\nBREAKING CHANGE: moves wait\nTask: {task.pk}"
            ),
            "changes": CHANGES,
            "created_by_ai_model": "committer",
            "author": "AI System",
            "timestamp": iso(commit.timestamp),
            **NOT_IN_GIT,
        }
        assert "Safe moves" in provider_server.requests[0]["messages"][-1]["content"]
        assert "kanban/services.py" in provider_server.requests[0]["messages"][-1]["content"]

    def test_an_invalid_answer_is_retried_once_with_the_complaint(self, owner_client, task, provider_server):
        ai_model_on(provider_server)
        provider_server.reply("Locked the board on moves")
        provider_server.reply("fix: lock the board on moves")

        response = generate(owner_client, task)

        assert job_result(response, "commit")["message"] == f"fix: lock the board on moves\n\nTask: {task.pk}"
        retry = provider_server.requests[1]["messages"]
        assert retry[-2]["content"] in (
            "Locked the board on moves",
            [{"type": "text", "text": "Locked the board on moves"}],
        )
        assert "The first line must be '<type>[(<scope>)][!]: <description>'" in retry[-1]["content"]

    def test_invalid_twice_is_a_502_and_stores_nothing(self, owner_client, task, provider_server):
        ai_model_on(provider_server, name="sloppy")
        provider_server.reply("Locked the board")
        provider_server.reply("update: locked the board")

        response = generate(owner_client, task)

        assert job_error(response)["detail"] == (
            "AI model 'sloppy' did not write a valid Conventional Commit in two tries: "
            "The type 'update' is not one of feat, fix, docs, style, refactor, test, chore, perf, "
            "build, ci, revert."
        )
        assert not Commit.objects.exists()
        assert len(provider_server.requests) == 2

    def test_another_users_task_is_refused(self, outsider_client, task, openai_server):
        ai_model_on(openai_server)

        response = generate(outsider_client, task)

        assert response.status_code == 400
        assert list(response.json()) == ["task"]
        assert openai_server.requests == []

    def test_changes_or_a_diff_are_required(self, owner_client, task, openai_server):
        ai_model_on(openai_server)

        response = owner_client.post("/api/v1/commits/generate/", {"task": str(task.pk)})

        assert response.status_code == 400
        assert response.json() == {
            "changes": ["Send `changes` or `diff`."],
            "diff": ["Send `changes` or `diff`."],
        }


@pytest.mark.django_db
def test_a_hidden_breaking_change_is_sent_back_with_how_to_write_the_footer(
    owner_client, task, openai_server
):
    ai_model_on(openai_server)
    openai_server.reply("feat: move the board\n\nThe board moved.\nBREAKING CHANGE: the old URL is gone")
    openai_server.reply("feat!: move the board\n\nBREAKING CHANGE: the old URL is gone")

    response = generate(owner_client, task)

    assert job_result(response, "commit")["breaking"] is True
    assert HOW_TO_BREAK in openai_server.requests[1]["messages"][-1]["content"]


@pytest.mark.django_db
def test_crlf_messages_are_stored_normalised(owner_client, task):
    response = owner_client.post(
        "/api/v1/commits/", {"task": str(task.pk), "message": "fix: x\r\n\r\nRefs: #1\r\n"}
    )

    assert response.status_code == 201
    assert Commit.objects.get().message == "fix: x\n\nRefs: #1"


@pytest.mark.django_db
def test_a_truncated_commit_is_never_stored(owner_client, task, openai_server):
    ai_model_on(openai_server)
    openai_server.reply("feat: add the board with columns and", finish="length")
    openai_server.reply("feat: add the board", finish="length")

    response = generate(owner_client, task)

    assert "cut off at the token limit" in job_error(response)["detail"]
    assert not Commit.objects.exists()
    assert "cut off at the token limit" in openai_server.requests[1]["messages"][-1]["content"]
