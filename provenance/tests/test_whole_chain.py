"""From an interview to a recorded SHA, through the API only: the real OpenAI SDK against a
local server speaking its protocol, and a real git repository made with the git CLI. Then
the provenance of the commit tells the whole story back."""

import pytest

from conftest import ai_model_on, finished_job
from kanban.tests.test_commit_diffs import Repo

pytestmark = pytest.mark.django_db

PLAN = {
    "tasks": [
        {
            "id": 1,
            "title": "Take card payments",
            "description": "Card payments at checkout.",
            "priority": "high",
            "complexity": 5,
        }
    ]
}
DRAFT = {
    "summary": "Let shoppers pay by card at checkout.",
    "approaches": [{"name": "Hosted checkout"}, {"name": "Embedded card form"}],
    "recommendation": {"solution": "Hosted checkout.", "primary_reason": "No card data on our servers."},
    "acceptance_criteria": ["A paid order is marked paid"],
    "test_plan": "A fake provider answers paid.",
}


def ok(response, status=200) -> dict:
    assert response.status_code == status, response.content
    return response.json()


def test_from_an_interview_to_a_recorded_sha(owner_client, openai_server, tmp_path):
    ai_model_on(openai_server, name="writer")
    client = owner_client
    project = ok(client.post("/api/v1/projects/", {"name": "Shop", "require_approval": "plan"}), 201)

    # The interview, and a prompt written from it, labelled for production.
    interview = ok(client.post("/api/v1/interviews/", {"project": project["id"]}), 201)
    openai_server.reply("How will shoppers pay?")
    finished_job(client.post(f"/api/v1/interviews/{interview['id']}/messages/", {"content": "A shop."}))
    openai_server.reply("Build an online shop where small shops take card payments.")
    prompt = finished_job(client.post("/api/v1/prompts/generate/", {"interview": interview["id"]}))["result"][
        "prompt"
    ]
    ok(client.post(f"/api/v1/prompts/{prompt['id']}/labels/", {"label": "production"}))

    # Planned into a task, whose brief the model drafts.
    openai_server.reply(tool_calls=[{"name": "submit_plan", "arguments": PLAN}])
    task = finished_job(client.post(f"/api/v1/prompts/{prompt['id']}/plan/", {}))["result"]["created"][0]
    openai_server.reply(tool_calls=[{"name": "submit_brief", "arguments": DRAFT}])
    finished_job(client.post(f"/api/v1/tasks/{task['id']}/draft-brief/", {}))

    # It cannot start before a person approves the recommended solution.
    refused = client.post(f"/api/v1/tasks/{task['id']}/move/", {"status": "in_progress"})
    assert (refused.status_code, refused.json()["checkpoint"]) == (409, "plan")
    ok(client.post(f"/api/v1/tasks/{task['id']}/approve/", {"comment": "Hosted is right."}))

    # The agent starts it in a chat; a coding agent claims it.
    session = ok(client.post("/api/v1/chat-sessions/", {"task": task["id"]}), 201)
    openai_server.reply(
        tool_calls=[{"name": "move_task", "arguments": {"task_id": task["id"], "status": "in_progress"}}]
    )
    openai_server.reply("Started.")
    finished_job(client.post(f"/api/v1/chat-sessions/{session['id']}/messages/", {"content": "Start it"}))
    ok(client.post(f"/api/v1/tasks/{task['id']}/claim/", {"holder": "claude-code@laptop"}))

    # The work, staged in a real repository; the message from the diff; the SHA recorded.
    repo = Repo(tmp_path / "shop")
    repo.write("checkout.py", "def pay():\n    return None\n")
    repo.commit_all("chore: start")
    repo.write("checkout.py", "def pay(card):\n    return provider.charge(card)\n")
    diff = repo.staged()
    openai_server.reply("feat(checkout): take card payments")
    commit = finished_job(client.post("/api/v1/commits/generate/", {"task": task["id"], "diff": diff}))[
        "result"
    ]["commit"]
    assert commit["changes"]["files"][0]["path"] == "checkout.py"
    repo.git("commit", "-q", "-F", "-", input=commit["message"])
    sha = repo.git("rev-parse", "HEAD").strip()
    assert f"Task: {task['id']}" in repo.git("log", "-1", "--format=%B")
    ok(
        client.post(
            f"/api/v1/commits/{commit['id']}/record/", {"sha": sha, "branch": "main", "repository": "shop"}
        )
    )

    chain = ok(client.get(f"/api/v1/commits/{commit['id']}/provenance/"))

    assert chain["interview"]["id"] == interview["id"]
    assert chain["interview"]["turns"] == 2
    assert (chain["prompt"]["prompt"]["id"], chain["prompt"]["labels"]) == (prompt["id"], ["production"])
    assert [move["moved_by"] for move in chain["prompt"]["label_moves"]] == ["owner"]
    assert chain["plan_job"]["kind"] == "task_plan"
    assert chain["task"]["task"]["brief"]["recommendation"]["solution"] == "Hosted checkout."
    approval = chain["task"]["approvals"][0]
    assert (approval["approved_by"], approval["comment"], approval["voided_at"]) == (
        "owner",
        "Hosted is right.",
        None,
    )
    assert [(claim["verb"], claim["holder"]) for claim in chain["task"]["claims"]] == [
        ("claimed", "claude-code@laptop")
    ]
    assert [[call["tool_name"] for call in s["tool_calls"]] for s in chain["chat_sessions"]] == [
        ["move_task"]
    ]
    assert [call["job_kind"] for call in chain["model_calls"]] == [
        "interview_message",
        "prompt_generate",
        "task_plan",
        "brief_draft",
        "chat_message",
        "chat_message",
        "commit_generate",
    ]
    assert [(c["sha"], c["branch"], c["repository"]) for c in chain["commits"]] == [(sha, "main", "shop")]
