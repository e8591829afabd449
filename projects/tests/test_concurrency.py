"""Concurrent prompt versioning on PostgreSQL, with real threads."""

import pytest

from core.testing import postgres_only, run_in_threads
from projects import services
from projects.models import Prompt
from projects.tests.factories import PromptFactory

pytestmark = [postgres_only(), pytest.mark.django_db(transaction=True)]


def test_concurrent_new_versions_are_unique_and_gap_free():
    first = PromptFactory(content="v1")
    second = PromptFactory(project=first.project, parent=first, version=2, content="v2")
    writers = 10

    # Half derive from the first version, half from the second: one lineage either way.
    outcomes = run_in_threads(
        [
            lambda n=n: services.prompt_create_version(prompt=(first, second)[n % 2], content=f"writer {n}")
            for n in range(writers)
        ]
    )

    assert all(isinstance(outcome, Prompt) for outcome in outcomes), outcomes
    lineage = list(Prompt.objects.filter(lineage=first.lineage).order_by("version"))
    assert [prompt.version for prompt in lineage] == list(range(1, writers + 3))
    assert sorted(prompt.content for prompt in lineage[2:]) == sorted(f"writer {n}" for n in range(writers))
    for prompt in lineage[2:]:
        assert prompt.parent_id in (first.pk, second.pk)
