"""The project board in admin, in a real headless Chromium against a live server: drag and
drop to a place, refusals shown, the keyboard, live updates between two browsers, and who
may open it. Every test also checks the page logged no error and asked nothing of another
host."""

import re
import threading
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.db import connections
from django.urls import reverse
from playwright.sync_api import expect
from rest_framework.test import APIClient

from activity.models import Activity
from aimodels.tests.factories import SystemSettingsFactory
from kanban import services
from kanban.models import Task, TaskClaim, TaskDependency
from kanban.tests.factories import TaskFactory
from orchestrator.tests.test_browser import PASSWORD, assert_no_errors, watched
from projects.tests.factories import ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# How soon another person's change must show.
LIVE_MS = 2_000
# What Chromium itself logs for any response with an error status (the page logs nothing):
# a test expecting a refusal allows exactly that line.
REFUSED = "Failed to load resource: the server responded with a status of {} ({})"


class OneStatementAtATime:
    """A cursor that runs each statement to its last row under one lock, then hands the rows out.

    On in-memory SQLite the live server's threads share one connection, and Django warns that
    simultaneous queries through it "may sometimes randomly cause the tests to fail"
    (LiveServerTestCase): here the board's event stream polls while the page fetches.
    """

    lock = threading.Lock()

    def __init__(self, cursor):
        self.cursor, self.rows = cursor, []

    def execute(self, *args):
        return self._run(self.cursor.execute, *args)

    def executemany(self, *args):
        return self._run(self.cursor.executemany, *args)

    def _run(self, method, *args):
        with self.lock:
            method(*args)
            self.rows = self.cursor.fetchall() if self.cursor.description else []
        return self

    def fetchmany(self, size=1):
        rows, self.rows = self.rows[:size], self.rows[size:]
        return rows

    def fetchone(self):
        rows = self.fetchmany(1)
        return rows[0] if rows else None

    def fetchall(self):
        return self.fetchmany(len(self.rows))

    def __iter__(self):
        return iter(self.fetchall())

    def __getattr__(self, name):
        return getattr(self.cursor, name)


@pytest.fixture(scope="module", autouse=True)
def _one_connection(browser, live_server):
    """On in-memory SQLite, the test's code uses the live server's connection too, one
    statement at a time. Otherwise it would not: Playwright runs an event loop in the test's
    thread, so Django keeps the test's connection in a context variable, apart, and a second
    connection to the shared in-memory database fails at once on a table another one is
    writing ("database table is locked"). For the whole module, so each test's flush is
    covered. PostgreSQL needs none of this."""
    shared = live_server.thread.connections_override.get("default")
    if shared is None:
        yield
        return
    own = connections["default"]
    connections["default"] = shared
    create_cursor = shared.create_cursor
    shared.create_cursor = lambda name=None: OneStatementAtATime(create_cursor(name))
    yield
    del shared.create_cursor
    connections["default"] = own


@pytest.fixture(autouse=True)
def _short_streams(settings):
    """A stream learns that its page has closed only when it next writes: ending each after
    10 s (the browser reconnects meanwhile, after the last event) bounds how long the streams
    of finished tests go on polling."""
    settings.STREAM_MAX_SECONDS = 10


@pytest.fixture
def boss(db):
    """The signed-in user: staff (admin requires it) and the owner of the boards opened."""
    return UserFactory(username="boss", password=PASSWORD, is_staff=True, is_superuser=True)


@pytest.fixture
def new_page(browser, live_server):
    """Opens a page in a fresh context (its own cookies) that records every request it makes
    and every error it logs (test_browser.watched); each ends with no error but those its
    test allows."""
    opened = []

    def new_page():
        context = browser.new_context(base_url=live_server.url)
        page = watched(context.new_page())
        opened.append((context, page))
        return page

    yield new_page
    for context, _page in opened:
        context.close()
    for _context, page in opened:
        assert_no_errors(page)


def signed_in(page, user):
    page.goto("/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("text=Site administration")
    return page


@pytest.fixture
def page(new_page, boss):
    return signed_in(new_page(), boss)


def open_board(page, project):
    page.goto(reverse("admin:kanban_task_board", args=[project.pk]))
    expect(page.locator("[data-status=backlog] .board-count")).not_to_have_text("")
    expect(page.locator(".board-live")).to_have_text("Live")  # the stream is open
    return page


def column(page, status):
    return page.locator(f"[data-status={status}]")


def card(page, task):
    return page.locator(f"[data-task-id='{task.pk}']")


def titles_on_page(page, status) -> list[str]:
    return column(page, status).locator(".board-card-title").all_inner_texts()


def titles_in_api(user, project, status) -> list[str]:
    client = APIClient()
    client.force_authenticate(user)
    board = client.get(f"/api/v1/projects/{project.pk}/board/").json()
    (listed,) = [each for each in board["columns"] if each["status"] == status]
    return [task["title"] for task in listed["tasks"]]


def assert_clean(page, *allowed):
    """No error logged but the `allowed` ones, and every request to the live server."""
    page.allowed_errors.extend(allowed)
    assert_no_errors(page)
    outside = [url for url in page.requested if urlsplit(url).hostname not in ("127.0.0.1", "localhost")]
    assert outside == []


def test_drag_a_card_to_a_place_in_another_column(page, boss):
    project = ProjectFactory(owner=boss)
    _, dragged, _ = (TaskFactory(project=project, title=title) for title in ("Cart", "Checkout", "Search"))
    TaskFactory(project=project, title="Login", status="todo")
    below = TaskFactory(project=project, title="Logout", status="todo")
    open_board(page, project)

    # Dropped on the upper half of "Logout": between "Login" and it, index 1 of the column.
    card(page, dragged).drag_to(
        card(page, below), source_position={"x": 3, "y": 3}, target_position={"x": 10, "y": 3}
    )

    expect(page.locator(".board-announcement")).to_have_text("Moved 'Checkout' to To do, place 2 of 3.")
    assert titles_in_api(boss, project, "todo") == ["Login", "Checkout", "Logout"]
    assert titles_on_page(page, "todo") == ["Login", "Checkout", "Logout"]
    assert titles_on_page(page, "backlog") == ["Cart", "Search"]
    assert page.locator(".board-message").is_hidden()
    assert_clean(page)


def test_a_refused_move_shows_the_servers_words_and_puts_the_card_back(page, boss):
    SystemSettingsFactory(key="kanban.wip_limits", value={"in_progress": 1})
    project = ProjectFactory(owner=boss)
    TaskFactory(project=project, title="Busy", status="in_progress")
    waiting = TaskFactory(project=project, title="Waiting", status="todo")
    TaskFactory(project=project, title="Next", status="todo")
    open_board(page, project)
    expect(column(page, "in_progress").locator(".board-count")).to_have_text("1/1")
    expect(column(page, "in_progress")).to_have_class("board-column full")

    card(page, waiting).drag_to(column(page, "in_progress"), source_position={"x": 3, "y": 3})

    message = page.get_by_role("alert")
    expect(message).to_have_text(
        "Column 'in_progress' is at its WIP limit of 1; finish or move a task first."
    )
    expect(column(page, "todo").locator(f"[data-task-id='{waiting.pk}']")).to_be_visible()
    assert titles_on_page(page, "todo") == ["Waiting", "Next"]
    assert titles_on_page(page, "in_progress") == ["Busy"]
    stored = Task.objects.get(pk=waiting.pk)
    assert (stored.status, stored.order) == ("todo", waiting.order)
    assert_clean(page, REFUSED.format(409, "Conflict"))


def test_another_persons_changes_show_within_two_seconds(page, new_page, boss):
    project = ProjectFactory(owner=boss)
    task = TaskFactory(project=project, title="Cart")
    other = open_board(signed_in(new_page(), boss), project)
    open_board(page, project)  # both streams open: what follows reaches them

    card(page, task).get_by_role("combobox").select_option("review")
    card(page, task).get_by_role("button", name="Move").click()
    expect(column(page, "review").locator(f"[data-task-id='{task.pk}']")).to_be_visible()
    expect(column(other, "review").locator(f"[data-task-id='{task.pk}']")).to_be_visible(timeout=LIVE_MS)

    created = TaskFactory(project=project, title="Made through the ORM")
    for each in (page, other):
        expect(column(each, "backlog").locator(f"[data-task-id='{created.pk}']")).to_be_visible(
            timeout=LIVE_MS
        )
    assert Task.objects.get(pk=task.pk).status == "review"
    assert_clean(page)
    assert_clean(other)


def test_move_a_card_with_the_keyboard(page, boss):
    project = ProjectFactory(owner=boss)
    task = TaskFactory(project=project, title="Cart")
    TaskFactory(project=project, title="Login", status="todo")
    open_board(page, project)

    card(page, task).focus()
    page.keyboard.press("ArrowRight")

    expect(page.locator(".board-announcement")).to_have_text("Moved 'Cart' to To do, place 2 of 2.")
    assert titles_on_page(page, "todo") == ["Login", "Cart"]
    expect(card(page, task)).to_be_focused()  # the card keeps the focus: the next key moves it on
    page.keyboard.press("ArrowUp")
    expect(page.locator(".board-announcement")).to_have_text("Moved 'Cart' to To do, place 1 of 2.")
    assert titles_in_api(boss, project, "todo") == ["Cart", "Login"]
    assert_clean(page)


def test_cards_show_blockers_subtasks_and_cost(page, boss):
    project = ProjectFactory(owner=boss)
    waits = TaskFactory(
        project=project, title="Pay", priority="high", complexity=7, ai_cost=Decimal("0.0123")
    )
    for title in ("Cart", "Checkout"):
        TaskDependency.objects.create(task=waits, depends_on=TaskFactory(project=project, title=title))
    TaskFactory(project=project, title="Pay: card", parent=waits, status="done")
    TaskFactory(project=project, title="Pay: refund", parent=waits)
    open_board(page, project)

    pay = card(page, waits)
    expect(pay).to_contain_text("High")
    expect(pay).to_contain_text("complexity 7")
    expect(pay).to_contain_text("1/2 subtasks")
    expect(pay).to_contain_text("$0.0123")
    assert_clean(page)


def test_the_blocked_badge_names_its_blockers_on_hover_and_on_focus(page, boss):
    project = ProjectFactory(owner=boss)
    waits = TaskFactory(project=project, title="Pay")
    for title in ("Cart", "Checkout"):
        TaskDependency.objects.create(task=waits, depends_on=TaskFactory(project=project, title=title))
    open_board(page, project)
    why = "Blocked: waits for 'Cart', 'Checkout'"
    badge = card(page, waits).get_by_role("button", name=why)
    tooltip = badge.locator(".board-tooltip")
    expect(tooltip).to_be_hidden()

    badge.hover()
    expect(tooltip).to_be_visible()
    expect(tooltip).to_have_text(why)
    page.mouse.move(0, 0)
    expect(tooltip).to_be_hidden()
    card(page, waits).focus()
    page.keyboard.press("Tab")  # the card's title
    page.keyboard.press("Tab")
    expect(badge).to_be_focused()
    expect(tooltip).to_be_visible()
    page.keyboard.press("Escape")
    expect(tooltip).to_be_hidden()
    assert_clean(page)


def test_filters_ask_the_server_so_a_big_board_filters_whole(page, boss):
    """The card the filters find is past the first 50 of its column, and its blocker and
    subtask are filtered away: the server's board names them still."""
    project = ProjectFactory(owner=boss)
    TaskFactory.create_batch(52, project=project, title="Filler", priority="low")
    far = TaskFactory(project=project, title="Pay in Zanzibar", priority="high")
    TaskDependency.objects.create(
        task=far, depends_on=TaskFactory(project=project, title="Cart", status="todo")
    )
    TaskFactory(project=project, title="Zanzibar: card", parent=far, status="done")
    open_board(page, project)
    expect(card(page, far)).to_have_count(0)
    shown = page.locator(".board-card .board-card-title")

    page.fill("input[name=search]", "pay zanzibar")
    expect(shown).to_have_text(["Pay in Zanzibar"])
    expect(column(page, "backlog").locator(".board-count")).to_have_text("1 of 53")
    expect(card(page, far)).to_contain_text("1/1 subtasks")
    expect(card(page, far).get_by_role("button", name="Blocked: waits for 'Cart'")).to_be_visible()
    page.fill("input[name=search]", "")
    page.check("input[name=blocked]")
    expect(shown).to_have_text(["Pay in Zanzibar"])
    page.uncheck("input[name=blocked]")
    page.select_option("select[name=priority]", "high")
    expect(shown).to_have_text(["Pay in Zanzibar"])
    page.select_option("select[name=priority]", "")
    expect(column(page, "backlog").locator(".board-count")).to_have_text("53")
    expect(column(page, "backlog").locator(".board-card")).to_have_count(50)
    assert_clean(page)


def test_drag_a_card_up_and_down_its_own_column(page, boss):
    project = ProjectFactory(owner=boss)
    cart, checkout, search = (
        TaskFactory(project=project, title=t, status="todo") for t in ("Cart", "Checkout", "Search")
    )
    open_board(page, project)

    card(page, search).drag_to(
        card(page, cart), source_position={"x": 3, "y": 3}, target_position={"x": 10, "y": 3}
    )
    expect(page.locator(".board-announcement")).to_have_text("Moved 'Search' to To do, place 1 of 3.")
    assert titles_in_api(boss, project, "todo") == ["Search", "Cart", "Checkout"]

    below = card(page, checkout).bounding_box()["height"] - 3  # the lower half of the last card
    card(page, cart).drag_to(
        card(page, checkout), source_position={"x": 3, "y": 3}, target_position={"x": 10, "y": below}
    )
    expect(page.locator(".board-announcement")).to_have_text("Moved 'Cart' to To do, place 3 of 3.")
    assert titles_in_api(boss, project, "todo") == ["Search", "Checkout", "Cart"]
    assert titles_on_page(page, "todo") == ["Search", "Checkout", "Cart"]
    assert_clean(page)


def test_with_a_filter_on_a_drop_lands_at_its_place_in_the_whole_column(page, boss):
    project = ProjectFactory(owner=boss)
    cart, _, search = (
        TaskFactory(project=project, title=title, status="todo", priority=priority)
        for title, priority in (("Cart", "high"), ("Login", "low"), ("Search", "high"))
    )
    open_board(page, project)
    page.select_option("select[name=priority]", "high")
    expect(column(page, "todo").locator(".board-card")).to_have_count(2)

    card(page, search).drag_to(
        card(page, cart), source_position={"x": 3, "y": 3}, target_position={"x": 10, "y": 3}
    )

    expect(page.locator(".board-announcement")).to_have_text("Moved 'Search' to To do, place 1 of 3.")
    assert titles_in_api(boss, project, "todo") == ["Search", "Cart", "Login"]
    assert titles_on_page(page, "todo") == ["Search", "Cart"]
    card(page, cart).focus()
    page.keyboard.press("ArrowUp")  # past the card above it on the page: before "Search"
    expect(page.locator(".board-announcement")).to_have_text("Moved 'Cart' to To do, place 1 of 3.")
    assert titles_in_api(boss, project, "todo") == ["Cart", "Search", "Login"]
    assert_clean(page)


def test_another_persons_edit_and_delete_show_within_two_seconds(page, boss):
    project = ProjectFactory(owner=boss)
    edited, deleted = TaskFactory(project=project, title="Cart"), TaskFactory(project=project, title="Old")
    open_board(page, project)
    elsewhere = APIClient()  # another person's client (an agent's, a colleague's)
    elsewhere.force_authenticate(boss)

    elsewhere.patch(f"/api/v1/tasks/{edited.pk}/", {"title": "Cart and checkout", "priority": "urgent"})
    expect(card(page, edited).locator(".board-card-title")).to_have_text("Cart and checkout", timeout=LIVE_MS)
    expect(card(page, edited)).to_contain_text("Urgent")
    elsewhere.delete(f"/api/v1/tasks/{deleted.pk}/")
    expect(card(page, deleted)).to_have_count(0, timeout=LIVE_MS)

    assert titles_on_page(page, "backlog") == ["Cart and checkout"]
    assert_clean(page)


def test_a_claim_shows_on_its_card_as_it_is_taken_and_the_owner_breaks_it(page, boss):
    project = ProjectFactory(owner=boss)
    task = TaskFactory(project=project, title="Cart")
    open_board(page, project)

    services.task_claim(task=task, holder="claude-code@laptop")  # an agent takes it, elsewhere

    claimed = card(page, task).locator(".badge.claimed")
    expect(claimed).to_have_text("claude-code@laptop", timeout=LIVE_MS)
    expect(claimed).to_have_attribute("title", re.compile(r"^Claimed by claude-code@laptop until "))
    card(page, task).locator(".board-card-title").click()
    expect(page.locator(".task-claim")).to_contain_text("By claude-code@laptop since")
    page.get_by_role("button", name="Break the claim").click()
    expect(page.locator(".task-claim")).to_have_count(0)
    assert not TaskClaim.objects.filter(task=task).exists()
    (broken,) = Activity.objects.filter(verb="claim_broken")
    assert (broken.actor, broken.channel) == (boss, "api")
    assert_clean(page)


def test_a_card_awaiting_approval_says_so_and_the_board_keeps_the_checkpoint(page, boss):
    project = ProjectFactory(owner=boss, require_approval="plan")
    task = TaskFactory(
        project=project, title="Cart", status="todo", brief={"recommendation": {"solution": "Session."}}
    )
    open_board(page, project)

    expect(card(page, task).locator(".badge.checkpoint")).to_have_text("needs approval")
    card(page, task).drag_to(column(page, "in_progress"), source_position={"x": 3, "y": 3})

    expect(page.get_by_role("alert")).to_contain_text(
        "Checkpoint: a person approves the recommended solution"
    )
    expect(column(page, "todo").locator(f"[data-task-id='{task.pk}']")).to_be_visible()
    assert Task.objects.get(pk=task.pk).status == "todo"
    assert_clean(page, REFUSED.format(409, "Conflict"))


def test_show_more_loads_the_rest_of_a_column(page, boss):
    project = ProjectFactory(owner=boss)
    TaskFactory.create_batch(53, project=project)
    open_board(page, project)
    backlog = column(page, "backlog")
    expect(backlog.locator(".board-count")).to_have_text("53")
    expect(backlog.locator(".board-card")).to_have_count(50)

    backlog.get_by_role("button", name="Show more").click()

    expect(backlog.locator(".board-card")).to_have_count(53)
    expect(backlog.get_by_role("button", name="Show more")).to_be_hidden()
    assert titles_on_page(page, "backlog") == titles_in_api(boss, project, "backlog")
    assert_clean(page)


def test_another_users_board_is_not_found(page):
    project = ProjectFactory(owner=UserFactory(is_staff=True))

    response = page.goto(reverse("admin:kanban_task_board", args=[project.pk]))

    assert response.status == 404
    assert page.locator("#kanban-board").count() == 0
    assert_clean(page, REFUSED.format(404, "Not Found"))
