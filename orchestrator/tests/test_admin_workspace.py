"""Admin as a workspace: each object's page shows what a person works with (a conversation,
versions, a job's summary, usage with a chart) and offers the AI steps it can start."""

from decimal import Decimal

import pytest
from django.urls import reverse

from activity.models import Activity
from chat.models import ChatJob
from chat.tests.factories import ChatSessionFactory, ToolCallFactory
from jobs.models import Job, ModelCall
from jobs.tests.factories import JobFactory
from kanban import services
from kanban.models import BoardJob, TaskApproval, TaskClaim, TaskDependency
from kanban.tests.factories import CommitFactory, TaskFactory
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory
from webhooks.models import WebhookDelivery, WebhookSubscription
from webhooks.services import new_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, staff):
    client.force_login(staff)
    return client


def page(client, name, *args) -> str:
    response = client.get(reverse(f"admin:{name}", args=args))
    assert response.status_code == 200, response.content[:500]
    return response.content.decode()


def test_an_interview_is_a_conversation_with_a_composer_and_its_next_steps(signed_in, staff):
    interview = InterviewFactory(
        project__owner=staff,
        conversation_data=[
            {"role": "user", "content": "A shop", "created_at": "x"},
            {"role": "assistant", "content": "Who buys?", "created_at": "x"},
        ],
    )

    html = page(signed_in, "projects_interview_change", interview.pk)

    assert '<li class="user"><span class="role">user</span><span class="content">A shop</span></li>' in html
    assert f'data-url="/api/v1/interviews/{interview.pk}/messages/"' in html
    assert f'data-url="/api/v1/interviews/{interview.pk}/complete/"' in html
    assert 'data-url="/api/v1/prompts/generate/"' in html
    assert "core/ai_action" in html and 'id="error-hints"' in html


def test_a_prompt_lists_its_versions_and_offers_diff_render_and_plan(signed_in, staff):
    first = PromptFactory(project__owner=staff, content="Build {{thing}}.")
    second = PromptFactory(
        project=first.project, parent=first, lineage=first.lineage, version=2, content="Fast."
    )
    tone = PromptFactory(project=first.project, content="Be brief.", is_reusable=True, type="tone")

    html = page(signed_in, "projects_prompt_change", first.pk)

    assert html.count('href="/admin/projects/prompt/') >= 2 and ">v2</a>" in html
    assert 'id="prompt-diff"' in html and f'value="{second.pk}"' in html
    assert 'name="thing" data-variable' in html
    assert f'data-url="/api/v1/prompts/{first.pk}/plan/"' in html
    # components are picked by name, on the latest version (an older one's are history)
    assert f'<option value="{tone.pk}">' in page(signed_in, "projects_prompt_change", second.pk)


def test_a_chat_session_is_a_conversation_with_its_tool_calls_and_a_composer(signed_in, staff):
    call = ToolCallFactory(
        message__session__task__project__owner=staff, tool_name="move_task", status="error"
    )
    session = call.message.session

    html = page(signed_in, "chat_chatsession_change", session.pk)

    assert "move_task(" in html and "→ error" in html
    assert f'data-url="/api/v1/chat-sessions/{session.pk}/messages/"' in html
    assert f"Chat on “{session.task.title}”" in html


def test_a_job_page_reads_as_a_summary(signed_in, staff):
    job = Job.objects.create(
        owner=staff,
        kind=BoardJob.COMMIT_GENERATE,
        status="failed",
        cost=Decimal("0.0012"),
        error={
            "code": "ai_provider_timeout",
            "detail": "AI model 'x' did not answer in time.",
            "http_status": 504,
        },
        result={"commit": {"message": "feat: x"}},
    )
    Job.objects.filter(pk=job.pk).update(
        created_at="2026-12-01T10:00:00Z",
        started_at="2026-12-01T10:00:01Z",
        finished_at="2026-12-01T10:00:03.5Z",
    )
    ModelCall.objects.create(
        job=job, model="gpt", input_tokens=None, latency_ms=1200, error={"detail": "slow"}
    )

    html = page(signed_in, "jobs_job_change", job.pk)

    assert "2026-12-01 10:00:01" in html and "2.5 s" in html and "$0.001200" in html
    assert "raise its timeout" in html  # what to do about it
    assert "&quot;message&quot;: &quot;feat: x&quot;" in html
    assert "? / ?" in html and "1200 ms" in html  # unknown token counts say so


def test_a_projects_usage_page_charts_its_days_and_its_budget(signed_in, staff):
    project = ProjectFactory(owner=staff, monthly_budget=Decimal("10"))
    job = Job.objects.create(owner=staff, kind=ChatJob.CHAT_MESSAGE, project=project)
    for cost in ("1.00", "3.00"):
        ModelCall.objects.create(
            job=job, project=project, cost=Decimal(cost), input_tokens=10, output_tokens=5
        )

    html = page(signed_in, "projects_project_usage", project.pk)

    assert 'id="usage-chart"' in html and "<rect" in html
    assert "This month: $4.00 of a $10.00 budget (40%)." in html
    assert "By model" in html and "By kind of action" in html


def test_another_users_usage_page_is_not_found(signed_in, outsider):
    project = ProjectFactory(owner=outsider)

    assert signed_in.get(reverse("admin:projects_project_usage", args=[project.pk])).status_code == 404


def test_the_index_and_the_project_list_link_to_boards(signed_in, staff):
    project = ProjectFactory(owner=staff, name="Shop")
    board = reverse("admin:kanban_task_board", args=[project.pk])

    assert f'href="{board}"' in page(signed_in, "index")
    assert f'href="{board}"' in page(signed_in, "projects_project_changelist")
    assert f'href="{board}"' in page(signed_in, "projects_project_change", project.pk)


def test_a_webhook_made_in_admin_shows_its_secret_once(signed_in, staff):
    project = ProjectFactory(owner=staff)

    response = signed_in.post(
        reverse("admin:webhooks_webhooksubscription_add"),
        {
            "project": project.pk,
            "url": "http://127.0.0.1:9/hooks",
            "event_types": '["*"]',
            "is_active": "on",
            "deliveries-TOTAL_FORMS": "0",
            "deliveries-INITIAL_FORMS": "0",
        },
        follow=True,
    )

    subscription = WebhookSubscription.objects.get()
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()
    assert subscription.secret not in page(signed_in, "webhooks_webhooksubscription_change", subscription.pk)


def test_a_task_page_shows_what_blocks_it_its_subtasks_claim_and_ai_steps(signed_in, staff):
    task = TaskFactory(project__owner=staff, title="Pay")
    awaited = TaskFactory(project=task.project, title="Cart", status="todo")
    TaskDependency.objects.create(task=task, depends_on=awaited)
    TaskFactory(project=task.project, parent=task, title="Card", status="done")
    TaskFactory(project=task.project, parent=task, title="Refund")
    CommitFactory(task=task, message="feat(pay): take cards")
    services.task_claim(task=task, holder="cursor@desktop")

    html = page(signed_in, "kanban_task_change", task.pk)

    assert "Waits for: <a" in html and ">Cart</a> (To do)" in html
    assert "Subtasks (1/2 done)" in html
    assert "By <strong>cursor@desktop</strong> since" in html
    assert f'data-url="/api/v1/tasks/{task.pk}/release/"' in html
    assert f'data-url="/api/v1/tasks/{task.pk}/expand/"' in html
    assert "feat(pay): take cards" in html
    assert f'data-url="/api/v1/tasks/{task.pk}/activity/"' in html


def test_the_break_claims_action_ends_them_and_records_who(signed_in, staff):
    task = TaskFactory(project__owner=staff)
    services.task_claim(task=task, holder="stuck@ci")

    response = signed_in.post(
        reverse("admin:kanban_task_changelist"),
        {"action": "break_claims", "_selected_action": [str(task.pk)]},
        follow=True,
    )

    assert "Broke 1 claim(s)." in response.content.decode()
    assert not TaskClaim.objects.exists()
    (broken,) = Activity.objects.filter(verb="claim_broken")
    assert (broken.actor, broken.channel, broken.changes["claim"]["from"]) == (staff, "admin", "stuck@ci")


@pytest.mark.parametrize("action", ["break_claims", "approve_plan", "approve_result"])
def test_staff_break_and_approve_only_their_own_tasks(signed_in, owner, action):
    task = TaskFactory(project__owner=owner, project__require_approval="plan_and_done", status="in_progress")
    services.task_claim(task=task, holder="agent@ci")

    response = signed_in.post(
        reverse("admin:kanban_task_changelist"),
        {"action": action, "_selected_action": [str(task.pk)]},
        follow=True,
    )

    assert "only the task&#x27;s owner can" in response.content.decode()
    assert TaskClaim.objects.filter(task=task).exists()
    assert not TaskApproval.objects.exists()
    assert (
        not Activity.objects.filter(object_id=str(task.pk)).exclude(verb__in=["created", "claimed"]).exists()
    )


def test_a_webhook_is_tested_and_redelivered_from_admin(signed_in, staff, django_capture_on_commit_callbacks):
    subscription = WebhookSubscription.objects.create(
        project=ProjectFactory(owner=staff), url="http://127.0.0.1:9/hooks", secret=new_secret()
    )

    tested = signed_in.post(
        reverse("admin:webhooks_webhooksubscription_changelist"),
        {"action": "send_test", "_selected_action": [str(subscription.pk)]},
        follow=True,
    )
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):  # the attempt, once the action commits
        redelivered = signed_in.post(
            reverse("admin:webhooks_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
            follow=True,
        )

    assert "Test event to http://127.0.0.1:9/hooks: " in tested.content.decode()
    assert "Sent webhook.test again to http://127.0.0.1:9/hooks: " in redelivered.content.decode()
    delivery.refresh_from_db()
    assert delivery.attempts == 2
    assert str(delivery) == f"webhook.test of {delivery.created_at:%Y-%m-%d %H:%M:%S} ({delivery.status})"


def test_tasks_chats_and_interviews_have_human_titles(signed_in, staff):
    session = ChatSessionFactory(task__title="Pay", task__project__name="Shop", task__project__owner=staff)
    InterviewFactory(project=session.task.project)

    assert "<title>Pay (Shop) | Change task" in page(signed_in, "kanban_task_change", session.task.pk)
    assert f'<a href="{reverse("admin:chat_chatsession_change", args=[session.pk])}">Chat on “Pay”' in page(
        signed_in, "chat_chatsession_changelist"
    )
    assert ">Interview of " in page(signed_in, "projects_interview_changelist")


@pytest.mark.parametrize(
    "changelist",
    [
        "kanban_task_changelist",
        "chat_chatsession_changelist",
        "activity_activity_changelist",
        "webhooks_webhooksubscription_changelist",
    ],
)
def test_project_filters_tell_same_name_projects_apart(signed_in, staff, outsider, changelist):
    for owner in (staff, outsider):
        session = ChatSessionFactory(task__project__name="Shop", task__project__owner=owner)
        WebhookSubscription.objects.create(
            project=session.task.project, url="http://127.0.0.1:9/hooks", secret="whsec_x"
        )

    html = page(signed_in, changelist)

    assert "Shop (staff, " in html and "Shop (outsider, " in html


def test_usage_not_reported_reads_as_unknown_not_zero(signed_in, staff):
    """A provider that reports no usage: the task, the session, the project's usage and the
    job's page say the tokens and the cost are unknown."""
    task = TaskFactory(project__owner=staff)
    session = ChatSessionFactory(task=task)
    unknown = {"ai_calls": 1, "ai_unknown_token_calls": 1, "ai_unknown_cost_calls": 1}
    type(task).objects.filter(pk=task.pk).update(**unknown)
    type(session).objects.filter(pk=session.pk).update(**unknown)
    usage = {"calls": 1, "input_tokens": None, "output_tokens": None}
    job = JobFactory(task=task, status=Job.Status.SUCCEEDED, usage=usage)
    ModelCall.objects.create(job=job, project=task.project, model="local")

    pages = {
        "task": signed_in.get(reverse("admin:kanban_task_change", args=[task.pk])),
        "session": signed_in.get(reverse("admin:chat_chatsession_change", args=[session.pk])),
        "usage": signed_in.get(reverse("admin:projects_project_usage", args=[task.project_id])),
        "job": signed_in.get(reverse("admin:jobs_job_change", args=[job.pk])),
    }

    for name in ("task", "session"):
        assert "1 call (0 failed), tokens unknown, cost unknown" in pages[name].content.decode(), name
    usage = pages["usage"].content.decode()
    assert "In all: 1 call (0 failed), tokens unknown, cost unknown." in usage
    assert "None" not in usage.split('id="in-all"')[1]
    assert "input_tokens: unknown" in pages["job"].content.decode()
