"""docs/erd.md is generated from the models and kept up to date."""

import pytest
from django.core.management import CommandError, call_command

from orchestrator.management.commands.erd import DEFAULT_PATH, diagram, project_models


def test_the_committed_diagram_is_up_to_date():
    call_command("erd", "--check")


def test_every_model_is_an_entity_with_its_keys_and_relations():
    text = diagram()
    for model in project_models():
        assert f"    {model.__name__} {{" in text
    assert "UUIDField id PK" in text
    assert "UUIDField project_id FK" in text
    assert "Project ||--o{ Task : project" in text
    assert "Task |o--o{ Task : parent" in text
    assert "generated_PositiveSmallIntegerField column" in text


def test_check_fails_on_a_stale_file(tmp_path):
    stale = tmp_path / "erd.md"
    stale.write_text(DEFAULT_PATH.read_text().replace("Task {", "Chore {"))
    with pytest.raises(CommandError, match="out of date"):
        call_command("erd", "--check", "--path", str(stale))
