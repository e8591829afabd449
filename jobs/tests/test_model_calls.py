"""Each provider call of a job is recorded with its tokens, cost and latency; fallback models
answer when one fails for a reason another may not have."""

import importlib
from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from django.db.models import Sum
from django.utils import timezone

from aimodels.calls import SUMMED_TOKENS, AIJobRun
from aimodels.gateway import AIProviderError, Completion
from aimodels.models import AIModelFallback
from aimodels.tests.factories import AIModelFactory
from chat.models import ChatJob, ChatSession
from chat.tests.factories import ChatSessionFactory
from conftest import ai_model_on, finished_job, job_result
from core.testing import postgres_only, run_in_threads
from jobs.models import Job, JobEvent, ModelCall
from kanban.models import Commit, Task
from kanban.tests.factories import TaskFactory

pytestmark = pytest.mark.django_db

COMMIT = "feat(cart): add the cart"


def generate_commit(client, task, **body):
    return client.post("/api/v1/commits/generate/", {"task": str(task.pk), "changes": {"files": 1}, **body})


@pytest.fixture
def task(owner):
    return TaskFactory(project__owner=owner)


class TestUsage:
    def test_openai_usage_counts_cached_and_reasoning_tokens(self, owner_client, task, openai_server):
        ai_model_on(openai_server, model="gpt-4o")
        openai_server.reply(COMMIT, usage=(1000, 200), cached=400, reasoning=50, model="gpt-4o-2024-08-06")

        job = finished_job(generate_commit(owner_client, task))

        call = ModelCall.objects.get()
        assert (call.input_tokens, call.cached_input_tokens, call.output_tokens, call.reasoning_tokens) == (
            1000,
            400,
            200,
            50,
        )
        assert call.raw_usage["prompt_tokens_details"]["cached_tokens"] == 400
        assert (call.model, call.finish_reason, call.job_id, call.project_id) == (
            "gpt-4o-2024-08-06",
            "stop",
            task.project_id and call.job_id,
            task.project_id,
        )
        assert call.latency_ms >= 0
        assert call.price_source.startswith("genai-prices ")
        assert call.cost > 0
        assert Decimal(job["cost"]) == call.cost
        assert job["usage"]["cached_input_tokens"] == 400

    def test_anthropic_input_and_total_count_the_cache_tokens(self, owner_client, task, anthropic_server):
        ai_model_on(anthropic_server)
        anthropic_server.reply(COMMIT, usage=(100, 20), cached=300, cache_write=50)

        job = finished_job(generate_commit(owner_client, task))

        call = ModelCall.objects.get()
        assert (call.input_tokens, call.cached_input_tokens, call.cache_write_tokens) == (450, 300, 50)
        assert job["usage"]["total_tokens"] == 470
        assert call.raw_usage["cache_read_input_tokens"] == 300

    def test_a_price_override_wins_and_an_unknown_price_is_an_unknown_cost(
        self, owner_client, task, openai_server
    ):
        priced = ai_model_on(
            openai_server,
            name="priced",
            model="house-model",
            price_input_per_mtok=Decimal("2"),
            price_cached_input_per_mtok=Decimal("1"),
            price_output_per_mtok=Decimal("10"),
        )
        openai_server.reply(COMMIT, usage=(1_000_000, 100_000), cached=500_000)
        openai_server.reply(COMMIT, usage=(10, 10))

        finished_job(generate_commit(owner_client, task, ai_model=str(priced.pk)))
        priced.price_input_per_mtok = priced.price_output_per_mtok = priced.price_cached_input_per_mtok = None
        priced.save()
        unknown = finished_job(generate_commit(owner_client, task, ai_model=str(priced.pk)))

        first, second = ModelCall.objects.all()
        # 0.5M fresh input × 2 + 0.5M cached × 1 + 0.1M output × 10, per million
        assert (first.cost, first.price_source) == (Decimal("2.5"), "override")
        assert (second.cost, second.price_source) == (None, "unknown")
        assert (unknown["cost"], unknown["usage"]["unknown_cost_calls"]) == (None, 1)


class TestFallbacks:
    def test_the_next_model_answers_a_5xx_and_every_attempt_is_recorded(
        self, owner_client, task, openai_server, anthropic_server
    ):
        first = ai_model_on(openai_server, name="first", usage_type="commit_generation")
        second = ai_model_on(anthropic_server, name="second")
        AIModelFallback.objects.create(ai_model=first, fallback=second, position=0)
        openai_server.reply(status=503)
        anthropic_server.reply(COMMIT)

        job = finished_job(generate_commit(owner_client, task))

        assert job["status"] == "succeeded"
        attempts = list(ModelCall.objects.values_list("ai_model__name", "error"))
        assert attempts[0][0] == "first" and attempts[0][1]["code"] == "ai_provider_error"
        assert attempts[1] == ("second", None)
        assert Commit.objects.get().created_by_ai_model == "second"
        assert [(c["ai_model"], c["error"] is None) for c in job["model_calls"]] == [
            (str(first.pk), False),
            (str(second.pk), True),
        ]
        (event,) = JobEvent.objects.filter(job_id=job["id"], data__has_key="fallback")
        assert event.data["fallback"] == {"from": "first", "to": "second", "error": "ai_provider_error"}

    @pytest.mark.parametrize("status", [429, 500])
    def test_rate_limits_and_server_errors_fall_back(self, owner_client, task, openai_server, status):
        first = ai_model_on(openai_server, name="first", usage_type="commit_generation")
        second = ai_model_on(openai_server, name="second")
        AIModelFallback.objects.create(ai_model=first, fallback=second, position=0)
        openai_server.reply(status=status)
        openai_server.reply(COMMIT)

        assert job_result(generate_commit(owner_client, task), "commit")["created_by_ai_model"] == "second"

    def test_a_refusal_does_not_fall_back(self, owner_client, task, openai_server):
        first = ai_model_on(openai_server, name="first", usage_type="commit_generation")
        AIModelFallback.objects.create(
            ai_model=first, fallback=ai_model_on(openai_server, name="second"), position=0
        )
        openai_server.reply(status=400)

        job = finished_job(generate_commit(owner_client, task))

        assert job["status"] == "failed"
        assert list(ModelCall.objects.values_list("ai_model__name", flat=True)) == ["first"]

    def test_a_timeout_falls_back_and_inactive_fallbacks_are_skipped(self, owner_client, task, openai_server):
        first = ai_model_on(
            openai_server,
            name="first",
            usage_type="commit_generation",
            config={"timeout": 0.3, "max_retries": 0},
        )
        idle = ai_model_on(openai_server, name="idle", is_active=False)
        third = ai_model_on(openai_server, name="third")
        AIModelFallback.objects.create(ai_model=first, fallback=idle, position=0)
        AIModelFallback.objects.create(ai_model=first, fallback=third, position=1)
        openai_server.reply(COMMIT, delay=1)
        openai_server.reply(COMMIT)

        commit = job_result(generate_commit(owner_client, task), "commit")

        assert commit["created_by_ai_model"] == "third"
        assert [c.error["code"] if c.error else None for c in ModelCall.objects.all()] == [
            "ai_provider_timeout",
            None,
        ]

    def test_the_chain_is_set_through_the_api_in_order(self, staff_client, openai_server):
        first, second, third = (ai_model_on(openai_server, name=name) for name in ("a", "b", "c"))

        response = staff_client.patch(
            f"/api/v1/ai-models/{first.pk}/", {"fallbacks": [str(third.pk), str(second.pk)]}
        )
        itself = staff_client.patch(f"/api/v1/ai-models/{first.pk}/", {"fallbacks": [str(first.pk)]})

        assert response.json()["fallbacks"] == [str(third.pk), str(second.pk)]
        assert [m.name for m in first.fallback_chain()] == ["a", "c", "b"]
        assert (itself.status_code, list(itself.json())) == (400, ["fallbacks"])


class TestBudget:
    def test_an_action_starting_at_or_over_the_budget_is_a_409(self, owner_client, task, openai_server):
        ai_model_on(openai_server, price_input_per_mtok=Decimal("500000"), price_output_per_mtok=Decimal("0"))
        task.project.monthly_budget = Decimal("12.00")
        task.project.save()
        openai_server.reply(COMMIT, usage=(24, 7))  # $12: reaches the budget, and finishes

        crossing = finished_job(generate_commit(owner_client, task))
        refused = generate_commit(owner_client, task)

        assert crossing["status"] == "succeeded"
        assert refused.status_code == 409
        assert refused.json()["monthly_budget"] == "12.00"
        assert refused.json()["month_spend"] == "12.00"
        assert "$12.00 this month" in refused.json()["detail"]
        assert Commit.objects.count() == 1

    def test_last_months_spend_does_not_count(self, owner_client, task, openai_server):
        ai_model_on(openai_server, price_input_per_mtok=Decimal("500000"))
        task.project.monthly_budget = Decimal("5")
        task.project.save()
        openai_server.reply(COMMIT)
        finished_job(generate_commit(owner_client, task))
        ModelCall.objects.update(created_at=timezone.now() - timedelta(days=40))
        openai_server.reply(COMMIT)

        assert finished_job(generate_commit(owner_client, task))["status"] == "succeeded"


class TestUsageEndpoint:
    def url(self, project):
        return f"/api/v1/projects/{project.pk}/usage/"

    def test_tokens_and_cost_grouped_and_totalled(
        self, owner_client, task, openai_server, django_assert_num_queries
    ):
        model = ai_model_on(
            openai_server, name="cheap", price_input_per_mtok=Decimal("1"), price_output_per_mtok=Decimal("2")
        )
        for _ in range(2):
            openai_server.reply(COMMIT, usage=(1_000_000, 500_000), cached=100)
            finished_job(generate_commit(owner_client, task))

        with django_assert_num_queries(2):  # project, the groups
            by_model = owner_client.get(self.url(task.project), {"group_by": "ai_model"}).json()
        by_task = owner_client.get(self.url(task.project), {"group_by": "task"}).json()
        by_day = owner_client.get(self.url(task.project)).json()
        by_kind = owner_client.get(self.url(task.project), {"group_by": "kind"}).json()

        (group,) = by_model["groups"]
        assert (group["key"], group["label"], group["calls"], group["input_tokens"]) == (
            str(model.pk),
            "cheap",
            2,
            2_000_000,
        )
        assert Decimal(group["cost"]) == Decimal("4")  # 2 × (1M × $1 + 0.5M × $2) per million
        assert by_model["total"]["cached_input_tokens"] == 200
        assert [(g["key"], g["label"]) for g in by_task["groups"]] == [(str(task.pk), task.title)]
        assert by_day["groups"][0]["key"] == str(timezone.now().date())
        assert by_kind["groups"][0]["key"] == "commit_generate"

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"group_by": "week"}, "group_by"),
            ({"from": "2026-13-01"}, "from"),
            ({"from": "2026-02-02", "to": "2026-02-01"}, "to"),
        ],
    )
    def test_bad_queries_name_the_parameter(self, owner_client, task, query, field):
        response = owner_client.get(self.url(task.project), query)

        assert (response.status_code, list(response.json())) == (400, [field])

    def test_another_users_project_is_not_found(self, outsider_client, task):
        assert outsider_client.get(self.url(task.project)).status_code == 404


def test_tasks_and_chat_sessions_carry_their_ai_usage(owner_client, task, openai_server):
    ai_model_on(openai_server, price_input_per_mtok=Decimal("1"), price_output_per_mtok=Decimal("1"))
    session = ChatSessionFactory(task=task)
    openai_server.reply(COMMIT, usage=(600_000, 400_000))
    openai_server.reply("Nothing to do.", usage=(10, 5))
    finished_job(generate_commit(owner_client, task))
    finished_job(owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "hi"}))

    detail = owner_client.get(f"/api/v1/tasks/{task.pk}/").json()["ai_usage"]
    listed = owner_client.get("/api/v1/tasks/", {"project": task.project_id}).json()["results"][0]["ai_usage"]
    board = owner_client.get(f"/api/v1/projects/{task.project_id}/board/").json()["columns"][0]["tasks"][0]
    sessions = owner_client.get("/api/v1/chat-sessions/").json()["results"]

    assert (
        detail
        == listed
        == board["ai_usage"]
        == {
            "calls": 2,
            "failed_calls": 0,
            "input_tokens": 600_010,
            "output_tokens": 400_005,
            "unknown_token_calls": 0,
            "cost": "1.00001500",
            "unknown_cost_calls": 0,
        }
    )
    assert sessions[0]["ai_usage"] == {
        "calls": 1,
        "failed_calls": 0,
        "input_tokens": 10,
        "output_tokens": 5,
        "unknown_token_calls": 0,
        "cost": "0.00001500",
        "unknown_cost_calls": 0,
    }
    assert (
        owner_client.get(f"/api/v1/chat-sessions/{session.pk}/").json()["ai_usage"] == sessions[0]["ai_usage"]
    )


def record_calls(task, session, ai_model, count: int) -> None:
    """`count` successful calls of 10 input and 5 output tokens, each by its own job of the
    task and the session, as a job's run records them."""
    for _ in range(count):
        job = Job.objects.create(
            kind=ChatJob.CHAT_MESSAGE,
            project=task.project,
            task=task,
            chat_session=session,
            ai_model=ai_model,
        )
        AIJobRun(job)._record_success(
            ai_model, Completion(text="", usage={"input_tokens": 10, "output_tokens": 5})
        )


def summed(**job_filter) -> dict:
    """The totals of the model calls of the jobs `job_filter` names, summed here from scratch:
    only the calls that succeeded with token counts (and a cost) add to the sums."""
    calls = ModelCall.objects.filter(**{f"job__{name}": value for name, value in job_filter.items()})
    answered = calls.filter(error__isnull=True)
    counted = answered.exclude(input_tokens=None).exclude(output_tokens=None)
    tokens = counted.aggregate(i=Sum("input_tokens"), o=Sum("output_tokens"))
    cost = calls.aggregate(cost=Sum("cost"))["cost"]
    return {
        "calls": calls.count(),
        "failed_calls": calls.filter(error__isnull=False).count(),
        "input_tokens": tokens["i"],
        "output_tokens": tokens["o"],
        "unknown_token_calls": answered.count() - counted.count(),
        "cost": None if cost is None else f"{cost:.8f}",
        "unknown_cost_calls": answered.filter(cost=None).count(),
    }


def assert_totals(task, session, *, calls: int, cost: str) -> None:
    """The stored totals of the task and the session: `calls` of record_calls, as summed."""
    task.refresh_from_db()
    session.refresh_from_db()
    expected = {
        "calls": calls,
        "failed_calls": 0,
        "input_tokens": 10 * calls,
        "output_tokens": 5 * calls,
        "unknown_token_calls": 0,
        "cost": cost,
        "unknown_cost_calls": 0,
    }
    assert task.ai_usage == session.ai_usage == summed(task=task) == expected


def test_a_save_of_a_row_read_earlier_keeps_the_usage_added_since(task):
    ai_model = AIModelFactory(price_input_per_mtok=Decimal("1"), price_output_per_mtok=Decimal("1"))
    session = ChatSessionFactory(task=task)
    stale_task, stale_session = Task.objects.get(pk=task.pk), ChatSession.objects.get(pk=session.pk)
    record_calls(task, session, ai_model, 2)

    stale_task.title = "Renamed"
    stale_task.save()
    stale_session.allow_destructive = True
    stale_session.save()

    assert_totals(task, session, calls=2, cost="0.00003000")
    assert (task.title, session.allow_destructive) == ("Renamed", True)


def test_the_migration_sets_the_totals_of_calls_recorded_before_it(task):
    ai_model = AIModelFactory(price_input_per_mtok=Decimal("2"), price_output_per_mtok=Decimal("4"))
    session = ChatSessionFactory(task=task)
    record_calls(task, session, ai_model, 3)
    Task.objects.update(**{name: 0 for name in Task.AI_USAGE})
    ChatSession.objects.update(**{name: 0 for name in ChatSession.AI_USAGE})

    for migration in ("kanban.migrations.0004_ai_usage_totals", "chat.migrations.0005_ai_usage_totals"):
        importlib.import_module(migration).backfill(django_apps, None)

    assert_totals(task, session, calls=3, cost="0.00012000")


def test_the_migration_adds_the_failed_and_unknown_counts_of_calls_recorded_before_it(task):
    ai_model = AIModelFactory(price_input_per_mtok=Decimal("2"), price_output_per_mtok=Decimal("4"))
    session = ChatSessionFactory(task=task)
    record_calls(task, session, ai_model, 2)
    job = Job.objects.filter(task=task).first()
    AIJobRun(job)._record_failure(ai_model, AIProviderError("AI model 'x' answered HTTP 500."))
    AIJobRun(job)._record_success(ai_model, Completion(text="", usage={}))  # no token counts
    expected = {
        "calls": 4,
        "failed_calls": 1,
        "input_tokens": 20,
        "output_tokens": 10,
        "unknown_token_calls": 1,
        "cost": "0.00008000",
        "unknown_cost_calls": 1,
    }
    Task.objects.update(**{name: 0 for name in Task.AI_USAGE})
    ChatSession.objects.update(**{name: 0 for name in ChatSession.AI_USAGE})
    Job.objects.filter(pk=job.pk).update(cost=Decimal(0), usage={"calls": 3, "input_tokens": 10})
    migrations = ("kanban.migrations.0008_ai_usage_unknowns", "chat.migrations.0006_ai_usage_unknowns")

    for migration in (*migrations, "jobs.migrations.0009_usage_rule"):
        importlib.import_module(migration).backfill(django_apps, None)

    task.refresh_from_db()
    session.refresh_from_db()
    job.refresh_from_db()
    assert task.ai_usage == session.ai_usage == summed(task=task) == expected
    counts = ("calls", "failed_calls", "unknown_token_calls", "unknown_cost_calls")
    assert ([job.usage[name] for name in counts], job.usage["input_tokens"]) == ([3, 1, 1, 1], 10)
    assert job.cost == Decimal("0.00004")


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_concurrent_jobs_of_one_task_add_every_call(owner):
    task = TaskFactory(project__owner=owner)
    session = ChatSessionFactory(task=task)
    ai_model = AIModelFactory(price_input_per_mtok=Decimal("1"), price_output_per_mtok=Decimal("1"))

    outcomes = run_in_threads([lambda: record_calls(task, session, ai_model, 5) for _ in range(6)])

    assert outcomes == [None] * 6
    assert_totals(task, session, calls=30, cost="0.00045000")


def test_every_count_of_calls_agrees_after_retries_failures_and_fallbacks(
    owner_client, task, openai_server, anthropic_server
):
    """A retried attempt, a failed call and a fallback's answer are calls everywhere: the
    job's usage and model calls, the task's and the session's totals, the project's usage."""
    first = ai_model_on(
        openai_server, name="first", usage_type="task_execution", config={"timeout": 5, "max_retries": 1}
    )
    second = ai_model_on(anthropic_server, name="second")
    AIModelFallback.objects.create(ai_model=first, fallback=second, position=0)
    session = ChatSessionFactory(task=task)
    openai_server.reply(status=503)  # the agent turn: first fails twice (a retry), second answers
    openai_server.reply(status=503)
    anthropic_server.reply("Done.", usage=(10, 5))
    openai_server.reply(status=500)  # the commit: first fails twice, second fails too
    openai_server.reply(status=500)
    anthropic_server.reply(status=500)

    turn = finished_job(owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "hi"}))
    commit = finished_job(generate_commit(owner_client, task, ai_model=str(first.pk)))

    assert (turn["status"], commit["status"]) == ("succeeded", "failed")
    counted = [
        (job["usage"]["calls"], job["usage"]["failed_calls"], len(job["model_calls"]))
        for job in (turn, commit)
    ]
    assert counted == [(3, 2, 3), (3, 3, 3)]
    retries = JobEvent.objects.filter(job_id=turn["id"], data__has_key="retry")
    assert [event.data["retry"] for event in retries] == [{"ai_model": "first", "error": "ai_provider_error"}]
    task.refresh_from_db()
    session.refresh_from_db()
    api_task = owner_client.get(f"/api/v1/tasks/{task.pk}/").json()["ai_usage"]
    api_session = owner_client.get(f"/api/v1/chat-sessions/{session.pk}/").json()["ai_usage"]
    usage = owner_client.get(f"/api/v1/projects/{task.project_id}/usage/").json()["total"]
    assert (api_task["calls"], api_task["failed_calls"]) == (usage["calls"], usage["failed_calls"]) == (6, 5)
    assert (api_session["calls"], api_session["failed_calls"]) == (turn["usage"]["calls"], 2)
    assert task.ai_usage == api_task == summed(task=task)
    assert ModelCall.objects.count() == 6


def test_unknown_token_counts_and_costs_are_unknown_everywhere(owner_client, task, openai_server):
    """A call without token counts adds nothing to the sums and is counted apart; a sum of which
    nothing is known is null: in the job, the task's and session's totals, the project's usage."""
    ai_model_on(openai_server, price_input_per_mtok=Decimal("1"), price_output_per_mtok=Decimal("1"))
    session = ChatSessionFactory(task=task)
    openai_server.reply(COMMIT, usage=(600_000, 400_000))
    openai_server.reply("Nothing to do.", no_usage=True)  # a server that reports no usage

    commit = finished_job(generate_commit(owner_client, task))
    turn = finished_job(owner_client.post(f"/api/v1/chat-sessions/{session.pk}/messages/", {"content": "hi"}))

    assert (commit["usage"]["input_tokens"], commit["cost"]) == (600_000, "1.00000000")
    assert turn["usage"] == {
        "calls": 1,
        "failed_calls": 0,
        "unknown_token_calls": 1,
        "unknown_cost_calls": 1,
        **dict.fromkeys(SUMMED_TOKENS),
    }
    assert turn["cost"] is None
    unknown = {"input_tokens": None, "output_tokens": None, "cost": None}
    session_usage = owner_client.get(f"/api/v1/chat-sessions/{session.pk}/").json()["ai_usage"]
    assert session_usage == {
        "calls": 1,
        "failed_calls": 0,
        "unknown_token_calls": 1,
        "unknown_cost_calls": 1,
        **unknown,
    }
    partial = {"input_tokens": 600_000, "output_tokens": 400_000, "cost": "1.00000000"}
    task_usage = owner_client.get(f"/api/v1/tasks/{task.pk}/").json()["ai_usage"]
    assert task_usage == {**session_usage, "calls": 2, **partial}
    usage = owner_client.get(f"/api/v1/projects/{task.project_id}/usage/", {"group_by": "kind"}).json()
    by_kind = {group["key"]: group for group in usage["groups"]}
    assert {name: by_kind["chat_message"][name] for name in unknown} == unknown
    assert by_kind["chat_message"]["cached_input_tokens"] is None
    assert {name: usage["total"][name] for name in partial} == {**partial, "cost": "1.00000000"}
    assert (usage["total"]["unknown_token_calls"], usage["total"]["unknown_cost_calls"]) == (1, 1)
