"""Admin and the API docs in a real headless Chromium (Debian's, driven by Playwright),
against a live server. `.ci/run` installs the browser; CI never skips these."""

import os
import shutil
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.urls import reverse
from knox.models import AuthToken

from aimodels.models import AIModel
from aimodels.tests.factories import AIModelFactory, SystemSettingsFactory
from chat.models import ChatJob
from chat.tests.factories import ToolCallFactory
from jobs.models import Job
from kanban.models import Task
from kanban.tests.factories import CommitFactory
from projects.models import Prompt
from projects.services import prompt_label_move
from projects.tests.factories import InterviewFactory, PromptFactory, UserFactory
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import new_secret

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SECRET = "sk-browser-0123456789-wxyz"
PASSWORD = "correct horse battery staple"

if not os.path.exists(CHROMIUM) and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (.ci/run installs it)", allow_module_level=True)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls here are plain sync ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


def watched(page):
    """`page`, recording every request it makes (`page.requested`) and every error it logs
    (`page.errors`); `page.allowed_errors` are those its test expects (a refusal's status)."""
    page.requested, page.errors, page.allowed_errors = [], [], []
    page.on("request", lambda request: page.requested.append(request.url))
    page.on("console", lambda message: is_error(message) and page.errors.append(message.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    return page


def is_error(message) -> bool:
    # A browser's own request for /favicon.ico is none of the pages'.
    return message.type == "error" and not message.location["url"].endswith("/favicon.ico")


def assert_no_errors(page):
    """No error logged on any page the test opened in it, but those it allows."""
    assert [error for error in page.errors if error not in page.allowed_errors] == []


@pytest.fixture
def page(browser, live_server):
    """A fresh page (see `watched`); whatever the test, it ends with no error logged."""
    context = browser.new_context(base_url=live_server.url)
    page = watched(context.new_page())
    yield page
    context.close()
    assert_no_errors(page)


@pytest.fixture
def signed_in(page):
    UserFactory(username="admin", password=PASSWORD, is_staff=True, is_superuser=True)
    page.goto("/admin/login/")
    page.fill("#id_username", "admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("text=Site administration")
    return page


def save(page):
    page.click("input[name=_save]")
    page.wait_for_load_state()


def test_add_an_ai_model_and_see_its_key_masked(signed_in):
    page = signed_in
    page.goto("/admin/aimodels/aimodel/add/")
    page.fill("#id_name", "gpt")
    page.select_option("#id_provider", "openai")
    page.fill("#id_model", "gpt-4o-mini")
    page.fill("#id_api_key", SECRET)
    page.fill("#id_config", "{}")
    save(page)

    assert page.locator("td.field-api_key_hint").inner_text() == "sk-...wxyz"
    assert SECRET not in page.content()
    page.click("text=gpt")
    assert page.locator("#id_api_key").input_value() == ""
    assert AIModel.objects.get(name="gpt").api_key == SECRET
    assert page.errors == []


def test_change_a_tasks_column(signed_in):
    page = signed_in
    # the owner's task: its page reads its activity from the API, which answers only the owner
    owner = get_user_model().objects.get(username="admin")
    call = ToolCallFactory(message__session__task__project__owner=owner)
    task = call.message.session.task
    page.goto(f"/admin/kanban/task/{task.pk}/change/")
    page.select_option("#id_status", "review")
    save(page)

    assert "was changed successfully" in page.content()
    assert page.errors == []
    task.refresh_from_db()
    assert task.status == "review"
    assert Task.objects.filter(status="review").count() == 1


def test_add_a_prompt_version(signed_in):
    page = signed_in
    first = PromptFactory(content="Build the shop.")
    page.goto("/admin/projects/prompt/add/")
    page.fill("#id_project", str(first.project_id))
    page.fill("#id_parent", str(first.pk))
    page.fill("#id_content", "Build the shop, with a cart.")
    page.fill("#id_components", "[]")
    save(page)

    second = Prompt.objects.get(content="Build the shop, with a cart.")
    assert (second.lineage, second.version) == (first.lineage, 2)
    assert "was added successfully" in page.content()
    assert page.errors == []


def test_open_a_chat_sessions_audit_trail(signed_in):
    page = signed_in
    call = ToolCallFactory(tool_name="move_task", message__content="Moving it to review.")
    page.goto(f"/admin/chat/chatsession/{call.message.session_id}/change/")

    trail = page.locator("#chat-workspace .conversation").inner_text()  # the conversation, the trail
    assert "Moving it to review." in trail
    assert "move_task(" in trail and "→ success" in trail
    assert page.errors == []


def test_every_list_page_fits_1280_px(signed_in):
    """No list scrolls sideways, the page nor its table beside the filters, with a row each."""
    page = signed_in
    page.set_viewport_size({"width": 1280, "height": 800})
    task = ToolCallFactory().message.session.task
    project = task.project
    Job.objects.create(
        owner=project.owner,
        kind=ChatJob.CHAT_MESSAGE,
        project=project,
        task=task,
        ai_model=AIModelFactory(name="gpt-4o-mini"),
    )
    CommitFactory(task=task)
    InterviewFactory(project=project)
    prompt_label_move(prompt=PromptFactory(project=project), name="production")
    subscription = WebhookSubscription.objects.create(
        project=project, url="https://hooks.example.com/orchestrator/events", secret=new_secret()
    )
    WebhookDelivery.objects.create(subscription=subscription, event_type="task.created", payload={})
    SystemSettingsFactory()
    AuthToken.objects.create(user=project.owner)

    wide = {}
    for model in admin.site._registry:
        page.goto(reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"))
        widths = page.evaluate(
            """[document.documentElement, document.querySelector('#changelist-form .results')]
                .filter(Boolean).map(box => box.scrollWidth - box.clientWidth)"""
        )
        if max(widths) > 0:
            wide[model._meta.label] = widths
    assert wide == {}
    assert page.errors == []


@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_a_tokens_pages_fit_1280_px_and_name_it_by_its_key(signed_in, view):
    page = signed_in
    page.set_viewport_size({"width": 1280, "height": 800})
    token = AuthToken.objects.create(user=UserFactory(username="dev"))[0]

    page.goto(reverse(f"admin:core_apitoken_{view}", args=[token.pk]))

    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert f"API tokens Token {token.token_key}… of dev" in page.locator(".breadcrumbs").inner_text()
    assert token.digest not in page.locator("body").inner_text()
    assert page.errors == []


@pytest.mark.parametrize(
    ("path", "rendered"), [("/api/docs/", ".swagger-ui .info .title"), ("/api/redoc/", "h1")]
)
def test_api_docs_render_offline(page, path, rendered):
    page.goto(path)
    page.wait_for_selector(f"{rendered}:has-text('Orchestrator API')", timeout=15_000)
    page.wait_for_load_state("networkidle")

    outside = [
        url for url in page.requested if urlsplit(url).hostname not in ("127.0.0.1", "localhost", None)
    ]
    assert outside == []
    assert page.errors == []
