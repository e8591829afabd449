"""The AI steps and the workspace pages in a real Chromium (Playwright) against a live server
and the local fake providers: streamed text and tool calls in the job panel, a prompt's diff,
a project's usage chart. No console errors, no request leaving 127.0.0.1."""

from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model

from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on
from jobs.models import Job, ModelCall
from kanban.models import Task
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db(transaction=True)


def admin_user():
    return get_user_model().objects.get(username="admin")


def only_local(page):
    assert {urlsplit(url).hostname for url in page.requested} <= {"127.0.0.1", "localhost"}
    assert page.errors == []


def test_an_interview_turn_streams_into_the_job_panel(signed_in, openai_server):
    page = signed_in
    ai_model_on(openai_server, usage_type="interview")
    openai_server.reply("Who will use the shop, and what will they buy first?")
    interview = InterviewFactory(project__owner=admin_user())

    page.goto(f"/admin/projects/interview/{interview.pk}/change/")
    page.fill("#interview-composer", "We need a shop")
    page.click("#interview-workspace form.ai-action button.default")

    page.wait_for_selector(".job-panel .job-text:has-text('Who will use the shop')")
    page.wait_for_selector(".conversation li.assistant:has-text('what will they buy first?')")  # reloaded
    assert page.locator(".conversation li.user").first.inner_text().endswith("We need a shop")
    only_local(page)


def test_a_chat_turn_shows_its_tool_calls_and_their_results(signed_in, openai_server):
    page = signed_in
    ai_model_on(openai_server, usage_type="task_execution")
    session = ChatSessionFactory(task__project__owner=admin_user(), task__title="Shop")
    openai_server.reply(
        "Adding it.", tool_calls=[{"name": "create_task", "arguments": {"title": "Checkout"}}]
    )
    openai_server.reply("Checkout is on the board.")

    page.goto(f"/admin/chat/chatsession/{session.pk}/change/")
    page.fill("#chat-composer", "Add a checkout task")
    page.click("#chat-workspace form.ai-action button.default")

    page.wait_for_selector(".job-panel .job-tool-call:has-text('create_task')")
    page.wait_for_selector(".job-panel .job-tool-result.success")
    page.wait_for_selector(".conversation .tool:has-text('create_task')")
    assert Task.objects.filter(title="Checkout").exists()
    only_local(page)


def test_a_failed_step_says_what_to_do(signed_in, openai_server):
    page = signed_in
    ai_model_on(openai_server, usage_type="interview", config={"timeout": 2, "max_retries": 0})
    openai_server.reply(status=500)
    interview = InterviewFactory(project__owner=admin_user())

    page.goto(f"/admin/projects/interview/{interview.pk}/change/")
    page.fill("#interview-composer", "We need a shop")
    page.click("#interview-workspace form.ai-action button.default")

    status = page.wait_for_selector(".job-panel .job-status.errornote")
    assert "HTTP 500" in status.inner_text() and "check its base URL" in status.inner_text()


def test_a_prompts_diff_and_render_preview(signed_in):
    page = signed_in
    first = PromptFactory(project__owner=admin_user(), content="Build {{thing}}.\n")
    PromptFactory(
        project=first.project, parent=first, lineage=first.lineage, version=2, content="Build it fast.\n"
    )

    page.goto(f"/admin/projects/prompt/{first.pk}/change/")
    page.click("#prompt-diff button")
    page.wait_for_selector("#prompt-diff-output .removed:has-text('-Build {{thing}}.')")
    assert page.locator("#prompt-diff-output .added").first.inner_text().startswith("+Build it fast.")
    page.fill("input[name=thing]", "a shop")
    page.click("#prompt-render button")
    page.wait_for_selector("#prompt-render-output:has-text('Build a shop.')")
    only_local(page)


def test_the_usage_chart_renders(signed_in):
    page = signed_in
    project = ProjectFactory(owner=admin_user(), monthly_budget=Decimal("5"))
    job = Job.objects.create(owner=project.owner, kind=Job.Kind.CHAT_MESSAGE, project=project)
    ModelCall.objects.create(
        job=job, project=project, cost=Decimal("1.25"), input_tokens=100, output_tokens=20
    )

    page.goto(f"/admin/projects/project/{project.pk}/usage/")

    bar = page.locator("#usage-chart rect").first
    assert bar.is_visible() and float(bar.get_attribute("height")) > 0
    assert "of a $5.00 budget (25%)" in page.inner_text("#budget")
    only_local(page)
