"""The AI steps and the workspace pages in a real Chromium (Playwright) against a live server
and the local fake providers: streamed text and tool calls in the job panel, a prompt's diff
and components, a project's usage charts. No console errors (the `page` fixture checks every
test), no request leaving 127.0.0.1."""

import json
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from chat.models import ChatJob
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on
from jobs.models import Job, JobEvent, ModelCall
from kanban.models import BoardJob, Task
from projects.models import Prompt
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
    page.wait_for_selector(".job-panel .job-text:has-text('Checkout is on the board.')")  # streamed
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
    only_local(page)


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
    job = Job.objects.create(owner=project.owner, kind=ChatJob.CHAT_MESSAGE, project=project)
    ModelCall.objects.create(
        job=job, project=project, cost=Decimal("1.25"), input_tokens=100, output_tokens=20
    )

    page.goto(f"/admin/projects/project/{project.pk}/usage/")

    today = page.locator("#usage-chart rect.cost").last  # this month's days so far, today last
    assert today.is_visible() and float(today.get_attribute("height")) == 110
    days = page.locator("#usage-chart rect.cost").count()
    assert days == page.locator("#usage-tokens-chart rect.input").count() == timezone.now().day
    tokens_in = page.locator("#usage-tokens-chart rect.input").last
    tokens_out = page.locator("#usage-tokens-chart rect.output").last
    assert (tokens_in.get_attribute("height"), tokens_out.get_attribute("height")) == ("92", "18")
    assert tokens_in.is_visible() and tokens_out.is_visible()
    assert "of a $5.00 budget (25%)" in page.inner_text("#budget")
    only_local(page)


def test_components_are_added_by_name_and_bad_json_is_kept_and_reported(signed_in):
    page = signed_in
    tone = PromptFactory(project__owner=admin_user(), type="tone", is_reusable=True, content="Be brief.")

    page.goto("/admin/projects/prompt/add/")
    page.fill("#id_project", str(tone.project_id))
    page.fill("#id_content", "Build the shop.")
    assert page.locator(".component-error").is_hidden()
    page.fill("#id_components", '[{"text": "Hello"')
    page.click(".component-picker .component-add")

    error = page.get_by_role("alert").filter(has_text="not a JSON list")
    assert error.is_visible()
    assert page.input_value("#id_components") == '[{"text": "Hello"'  # kept as typed
    page.fill("#id_components", '[{"text": "Hello"}]')
    page.select_option(".component-picker .component-choice", str(tone.pk))
    page.click(".component-picker .component-add")
    assert error.is_hidden()
    assert json.loads(page.input_value("#id_components")) == [{"text": "Hello"}, {"prompt": str(tone.pk)}]
    page.click("input[name=_save]")
    page.wait_for_load_state()

    prompt = Prompt.objects.get(content="Build the shop.")
    assert prompt.components == [{"text": "Hello"}, {"prompt": str(tone.pk)}]
    only_local(page)


def test_a_job_page_follows_the_job_while_it_runs(signed_in):
    """Opened while the job runs: its status, streamed text, tool calls and model calls appear
    as the worker records them, and once it ends the page shows its result."""
    page = signed_in
    project = ProjectFactory(owner=admin_user())
    job = Job.objects.create(
        owner=admin_user(), project=project, kind=BoardJob.TASK_PLAN, status=Job.Status.QUEUED, input={}
    )

    page.goto(f"/admin/jobs/job/{job.pk}/change/")
    page.wait_for_selector("#job-live")
    Job.objects.filter(pk=job.pk).update(status=Job.Status.RUNNING, started_at=timezone.now())
    JobEvent.objects.create(job=job, type="status", data={"status": "running"})
    page.wait_for_selector("#job-status:text-is('running')")
    JobEvent.objects.create(job=job, type="token", data={"text": "Planning the shop"})
    JobEvent.objects.create(
        job=job, type="tool_call", data={"id": "c1", "name": "submit_plan", "arguments": {}}
    )
    page.wait_for_selector("#job-text:has-text('Planning the shop')")
    page.wait_for_selector("#job-events code:has-text('submit_plan')")
    ModelCall.objects.create(job=job, project=project, model="gpt-live", input_tokens=12, output_tokens=34)
    JobEvent.objects.create(job=job, type="status", data={"status": "running", "attempt": 1})
    page.wait_for_selector("#job-model-calls td:has-text('gpt-live')")
    assert "12 / 34" in page.inner_text("#job-model-calls")
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED, finished_at=timezone.now(), result={"created": [], "kept": []}
    )
    JobEvent.objects.create(job=job, type="done", data={"job": str(job.pk), "status": "succeeded"})

    page.wait_for_selector("h2:has-text('Result')")  # read again whole
    assert page.inner_text("#job-status") == "succeeded"
    only_local(page)
