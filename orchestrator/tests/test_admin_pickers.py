"""Admin's pickers (autocomplete) tell objects apart and keep a task's choices in its project,
while the API names objects as before."""

import re

import pytest
from django.urls import reverse

from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, staff):
    client.force_login(staff)
    return client


def search(client, field, term="", **forwarded) -> list[str]:
    """The labels a task form's picker `field` is offered for `term`."""
    query = {"app_label": "kanban", "model_name": "task", "field_name": field, "term": term, **forwarded}
    response = client.get(reverse("admin:autocomplete"), query)
    assert response.status_code == 200
    return [result["text"] for result in response.json()["results"]]


def picker_url(html, field) -> str:
    (url,) = re.findall(rf'<select name="{field}"[^>]*data-ajax--url="([^"]+)"', html)
    return url.replace("&amp;", "&")


def test_same_name_projects_are_told_apart_by_owner_and_day(signed_in, staff, outsider, staff_client):
    ours, theirs = ProjectFactory(owner=staff, name="Shop"), ProjectFactory(owner=outsider, name="Shop")

    labels = search(signed_in, "project", "Shop")

    assert sorted(labels) == [
        f"Shop (outsider, {theirs.created_at:%Y-%m-%d})",
        f"Shop (staff, {ours.created_at:%Y-%m-%d})",
    ]
    assert staff_client.get(f"/api/v1/projects/{ours.pk}/").json()["name"] == "Shop"  # the API's own


def test_a_tasks_pickers_offer_its_own_projects_tasks_and_prompts(signed_in, staff):
    task = TaskFactory(project__owner=staff, project__name="Shop", title="Pay")
    TaskFactory(project=task.project, title="Cart")
    TaskFactory(project__owner=staff, project__name="Blog", title="Comments")
    PromptFactory(project=task.project, type="spec")
    PromptFactory(project__owner=staff, type="spec")

    html = signed_in.get(reverse("admin:kanban_task_change", args=[task.pk])).content.decode()
    forwarded = {
        field: dict(pair.split("=") for pair in picker_url(html, field).split("?")[1].split("&"))
        for field in ("parent", "dependencies", "prompt")
    }

    oneself = {"project": str(task.project_id), "exclude": str(task.pk)}
    assert forwarded["parent"] == forwarded["dependencies"] == oneself
    assert forwarded["prompt"] == {"project": str(task.project_id)}
    assert search(signed_in, "parent", **forwarded["parent"]) == ["Cart (Shop)"]  # not itself
    assert search(signed_in, "dependencies", **forwarded["dependencies"]) == ["Cart (Shop)"]
    assert search(signed_in, "prompt", **forwarded["prompt"]) == ["spec v1 (Shop)"]
    assert sorted(search(signed_in, "parent")) == ["Cart (Shop)", "Comments (Blog)", "Pay (Shop)"]


def test_the_add_page_forwards_the_project_it_was_opened_for(signed_in, staff):
    project = ProjectFactory(owner=staff)

    html = signed_in.get(reverse("admin:kanban_task_add"), {"project": project.pk}).content.decode()

    assert picker_url(html, "parent").endswith(f"?project={project.pk}")
    assert picker_url(html, "project").endswith("/autocomplete/")


def test_a_chosen_parent_and_dependency_are_shown_as_the_search_labels_them(signed_in, staff):
    parent = TaskFactory(project__owner=staff, project__name="Shop", title="Pay")
    task = TaskFactory(project=parent.project, parent=parent, title="Card")
    task.dependencies.add(TaskFactory(project=parent.project, title="Cart"))

    html = signed_in.get(reverse("admin:kanban_task_change", args=[task.pk])).content.decode()

    assert f'<option value="{parent.pk}" selected>Pay (Shop)</option>' in html
    assert re.search(r'<option value="[^"]+" selected>Cart \(Shop\)</option>', html)


@pytest.mark.parametrize("forwarded", [{"project": "☃"}, {"exclude": "x"}])
def test_forwarded_junk_offers_nothing(signed_in, staff, forwarded):
    TaskFactory(project__owner=staff)

    assert search(signed_in, "parent", **forwarded) == []
