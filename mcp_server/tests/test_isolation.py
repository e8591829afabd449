"""Another user's objects over MCP: every tool, resource and prompt with their ids answers as
"not found", shows nothing of theirs and changes nothing (checked as the owner afterwards)."""

import pytest
from django.forms.models import model_to_dict

from activity.models import Activity
from aimodels.models import SystemSettings
from jobs.models import Job
from kanban.models import BoardJob, Commit, Task, TaskClaim
from kanban.tests.factories import CommitFactory, TaskFactory
from mcp_server.tests.conftest import MCP, token_for
from mcp_server.tools import CORE_TOOLS, EXTENDED_TOOLS, BoardTools
from projects import services as prompt_services
from projects.models import Prompt
from projects.tests.factories import ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db

# A valid value for each argument that is not an id.
VALUES = {
    "status": "todo",
    "position": 0,
    "title": "Taken",
    "description": "x",
    "details": "x",
    "test_strategy": "x",
    "priority": "low",
    "complexity": 3,
    "ttl_seconds": 600,
    "limit": 10,
    "label": "production",
    "variables": {"thing": "x"},
    "count": 2,
    "sha": "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
    "branch": "main",
    "repository": "shop",
    "brief": {"summary": "Taken"},
}


@pytest.fixture
def theirs(owner):
    """The owner's objects, each kind a tool can name."""
    project = ProjectFactory(owner=owner, name="Secret")
    task = TaskFactory(project=project, title="Secret task")
    awaited = TaskFactory(project=project, title="Secret awaited")
    prompt = PromptFactory(project=project, content="Secret {{thing}}", type="secret")
    prompt_services.prompt_label_move(prompt=prompt, name="production")
    job = Job.objects.create(owner=owner, project=project, kind=BoardJob.TASK_EXPAND, task=task)
    commit = CommitFactory(task=task, message="feat: secret")
    return {
        "project_id": str(project.pk),
        "task_id": str(task.pk),
        "depends_on_id": str(awaited.pk),
        "parent": str(task.pk),
        "lineage": str(prompt.lineage),
        "prompt_id": str(prompt.pk),
        "job_id": str(job.pk),
        "commit_id": str(commit.pk),
    }


def snapshot() -> dict:
    return {
        "tasks": sorted((model_to_dict(task) | {"id": task.pk} for task in Task.objects.all()), key=str),
        "claims": list(TaskClaim.objects.values()),
        "prompts": Prompt.objects.count(),
        "jobs": sorted(Job.objects.values_list("pk", "status")),
        "activity": Activity.objects.count(),
        "commits": sorted(Commit.objects.values_list("pk", "sha")),
    }


def arguments_for(name: str, ids: dict) -> dict:
    properties = BoardTools.tools[name].parameters["properties"]
    return {argument: ids.get(argument, VALUES.get(argument)) for argument in properties}


@pytest.mark.parametrize("name", [*CORE_TOOLS, *EXTENDED_TOOLS])
def test_every_tool_with_another_users_ids_is_not_found(outsider, theirs, name):
    SystemSettings.objects.create(key="mcp.allow_destructive", value=True)
    intruder = MCP(token_for(outsider), path="/mcp/?tools=extended")
    before = snapshot()
    if name == "list_projects":  # no id to send: it must list none of theirs
        assert intruder.ok(name) == {"projects": []}
        return

    text = intruder.refused(name, arguments_for(name, theirs))

    assert "not found" in text or "No prompt of lineage" in text, text
    assert "Secret" not in text
    assert snapshot() == before


@pytest.mark.parametrize("name", ["add_dependency", "remove_dependency", "create_task"])
def test_their_id_beside_an_own_one_is_not_found_either(outsider, theirs, name):
    own = TaskFactory(project=ProjectFactory(owner=outsider), title="Mine")
    intruder = MCP(token_for(outsider), path="/mcp/?tools=extended")
    ids = {**theirs, "task_id": str(own.pk), "project_id": str(own.project_id)}
    before = snapshot()

    text = intruder.refused(name, arguments_for(name, ids))

    assert "not found" in text or "not exist" in text or "Invalid pk" in text, text
    assert snapshot() == before


def test_resources_of_another_user_are_not_found_and_not_listed(outsider, theirs):
    intruder = MCP(token_for(outsider))

    listed = intruder.rpc("resources/list")["result"]["resources"]
    assert [resource["uri"] for resource in listed] == ["orchestrator://guide"]
    for uri in (
        f"orchestrator://projects/{theirs['project_id']}/board",
        f"orchestrator://tasks/{theirs['task_id']}",
        f"orchestrator://prompts/{theirs['lineage']}@production",
        f"orchestrator://prompts/{theirs['lineage']}@latest",
    ):
        answer = intruder.rpc("resources/read", {"uri": uri})
        assert answer["error"]["code"] == -32002, uri
        assert "Secret" not in str(answer)


def test_prompts_of_another_user_are_not_listed_nor_got(owner, outsider, theirs):
    (prompt,) = MCP(token_for(owner)).rpc("prompts/list")["result"]["prompts"]
    intruder = MCP(token_for(outsider))

    assert intruder.rpc("prompts/list")["result"]["prompts"] == []
    answer = intruder.rpc("prompts/get", {"name": prompt["name"], "arguments": {"thing": "x"}})
    assert answer["error"]["code"] == -32602
    assert "Secret" not in str(answer)
