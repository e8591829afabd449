import io

import pytest
from django.core.management import CommandError, call_command

from chat.models import ToolCall
from conftest import client_for
from kanban.models import Commit, Task
from projects.models import Interview, Project, Prompt

pytestmark = pytest.mark.django_db


def seed() -> str:
    out = io.StringIO()
    call_command("seed_demo", "--allow-without-debug", stdout=out)  # the test runner turns DEBUG off
    return out.getvalue()


def counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (Project, Interview, Prompt, Task, ToolCall, Commit)
    }


def test_builds_a_realistic_demo_once_and_prints_working_tokens():
    seed()
    output = seed()

    assert counts() == {"Project": 1, "Interview": 1, "Prompt": 3, "Task": 50, "ToolCall": 2, "Commit": 3}
    assert "[##############################] 7/7" in output
    tokens = dict(
        line.split(": password ")[0:1] + [line.rsplit(" ", 1)[1]] for line in output.splitlines()[-2:]
    )
    ada = client_for()
    ada.credentials(HTTP_AUTHORIZATION=f"Token {tokens['ada']}")
    board = ada.get(f"/api/v1/projects/{Project.objects.get().pk}/board/").json()
    assert [column["count"] for column in board["columns"]] == [18, 11, 6, 5, 10]
    spec = Prompt.objects.get(type="spec", version=1)
    rendered = ada.post(f"/api/v1/prompts/{spec.pk}/render/", {"variables": {"shop": "Chapter One"}})
    assert rendered.json()["content"].startswith(
        "Write plainly; prefer short sentences.\n\nThe shop is called Chapter One."
    )


def test_refuses_to_run_without_debug_unless_told(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="known passwords"):
        call_command("seed_demo", stdout=io.StringIO())
    assert counts()["Project"] == 0
