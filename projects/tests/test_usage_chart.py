"""The usage page's charts: every day of the range, cost and tokens (input and output)."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from chat.models import ChatJob
from jobs.models import Job, ModelCall
from projects.tests.factories import ProjectFactory
from projects.usage_chart import every_day, usage_bars


def day(label, cost, tokens_in, tokens_out):
    return {"label": label, "calls": 1, "cost": cost, "input_tokens": tokens_in, "output_tokens": tokens_out}


def test_every_day_of_the_range_is_there_a_day_without_calls_as_zero():
    groups = [day(date(2026, 3, 2), Decimal("1"), 10, 5)]

    days = every_day(groups, date(2026, 3, 1), date(2026, 3, 3))

    assert [(d["label"].day, d["calls"], d["cost"], d["input_tokens"]) for d in days] == [
        (1, 0, 0, 0),
        (2, 1, Decimal("1"), 10),
        (3, 0, 0, 0),
    ]


def test_a_range_over_a_year_charts_only_its_days_with_calls():
    groups = [day(date(2026, 3, 2), Decimal("1"), 10, 5)]

    assert every_day(groups, date(2020, 1, 1), date(2026, 3, 3)) == groups


def test_tokens_stack_input_under_output_against_the_busiest_day():
    quiet, busy = day(date(2026, 3, 1), Decimal("1"), 10, 10), day(date(2026, 3, 2), Decimal("2"), 80, 30)

    first, second = usage_bars([quiet, busy])

    assert (first["cost_bar"]["height"], second["cost_bar"]["height"]) == (55, 110)
    assert (second["input_bar"], second["output_bar"]) == ({"y": 40, "height": 80}, {"y": 10, "height": 30})
    assert (first["input_bar"]["height"], first["output_bar"]) == (10, {"y": 100, "height": 10})


def test_unknown_figures_draw_as_zero():
    (bar,) = usage_bars([day(date(2026, 3, 1), None, None, 7)])

    assert (bar["cost_bar"]["height"], bar["input_bar"]["height"], bar["output_bar"]["height"]) == (0, 0, 110)


@pytest.mark.django_db
def test_the_page_charts_cost_and_tokens_for_each_day(client, staff):
    client.force_login(staff)
    project = ProjectFactory(owner=staff)
    job = Job.objects.create(owner=staff, kind=ChatJob.CHAT_MESSAGE, project=project)
    call = ModelCall.objects.create(
        job=job, project=project, cost=Decimal("1"), input_tokens=30, output_tokens=10
    )
    ModelCall.objects.filter(pk=call.pk).update(created_at=datetime.fromisoformat("2026-03-02T10:00:00Z"))
    url = reverse("admin:projects_project_usage", args=[project.pk])

    html = client.get(url, {"from": "2026-03-01", "to": "2026-03-03"}).content.decode()

    assert html.count('<rect class="cost"') == 3 and html.count('<rect class="input"') == 3
    assert "2026-03-01: $0.0000" in html and "2026-03-02: 30 input, 10 output tokens" in html
    assert 'id="usage-tokens-chart"' in html
