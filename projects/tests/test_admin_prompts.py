"""A prompt's components in admin: picked by name on the add and change pages alike, and
listed by name, labels included (never a lineage's UUID)."""

import re

import pytest
from django.urls import reverse

from projects.services import prompt_label_move
from projects.tests.factories import PromptFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, staff):
    client.force_login(staff)
    return client


def picker(html) -> str:
    (found,) = re.findall(r'<div class="component-picker".*?</div>', html, re.S)
    return found


def test_the_add_page_picks_reusable_prompts_of_your_projects_by_name(signed_in, staff, outsider):
    tone = PromptFactory(project__owner=staff, project__name="Shop", type="tone", is_reusable=True)
    PromptFactory(project=tone.project, type="spec")  # not reusable
    PromptFactory(project__owner=outsider, type="voice", is_reusable=True)

    html = signed_in.get(reverse("admin:projects_prompt_add")).content.decode()

    offered = picker(html)
    assert f'<optgroup label="Shop (staff, {tone.project.created_at:%Y-%m-%d})"' in offered
    assert f'data-project="{tone.project_id}"><option value="{tone.pk}">tone v1 — ' in offered
    assert "spec v1" not in offered and "voice" not in offered
    assert 'src="/static/projects/components.js"' in html
    assert 'name="components"' in html  # the JSON box stays, for text blocks


def test_the_change_page_offers_its_projects_other_lineages(signed_in, staff):
    prompt = PromptFactory(project__owner=staff, is_reusable=True, type="spec")
    tone = PromptFactory(project=prompt.project, type="tone", is_reusable=True)
    PromptFactory(project__owner=staff, type="voice", is_reusable=True)  # another project

    offered = picker(
        signed_in.get(reverse("admin:projects_prompt_change", args=[prompt.pk])).content.decode()
    )

    assert re.findall(r'<option value="([^"]+)"', offered) == [str(tone.pk)]


def test_components_are_listed_by_name_labels_included(signed_in, staff):
    tone = PromptFactory(project__owner=staff, type="tone", is_reusable=True, content="Be brief.")
    tone2 = PromptFactory(
        project=tone.project, type="tone", is_reusable=True, parent=tone, lineage=tone.lineage, version=2
    )
    prompt_label_move(prompt=tone2, name="production")
    prompt = PromptFactory(
        project=tone.project,
        components=[
            {"prompt": str(tone.pk)},
            {"prompt": str(tone.lineage), "label": "production"},
            {"text": "Then the task."},
        ],
    )

    html = signed_in.get(reverse("admin:projects_prompt_change", args=[prompt.pk])).content.decode()

    (listed,) = re.findall(r'<ol id="prompt-components">(.*?)</ol>', html, re.S)
    assert ">tone v1</a> (Be brief.)" in listed
    assert '>tone v2</a>, the version labelled <span class="badge">production</span>' in listed
    assert "text: Then the task." in listed
    assert str(tone.lineage) not in re.sub("<[^>]+>", "", listed)  # (the first version's id: in its link)
