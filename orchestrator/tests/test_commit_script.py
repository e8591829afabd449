"""scripts/orchestrator-commit against a live gunicorn (a SQLite file, `manage.py migrate`, an AI
model added with `manage.py add_ai_model` pointing at the fake provider) and git repositories
the tests make with the git CLI: the staged diff goes to the server, the message it answers is
committed, and the SHA git made is recorded."""

import subprocess
import sys

import pytest

from core.testing import free_port, live_server, rest, server_command, sign_in
from kanban.tests.test_commit_diffs import CART, CART_ROUNDED, GIT_ENV, ROUNDED_CART, Repo
from orchestrator.tests.test_production import migrated_with_a_superuser
from orchestrator.tests.test_settings import BASE_DIR

SCRIPT = BASE_DIR / "scripts" / "orchestrator-commit"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def server(tmp_path_factory, _fake_servers):
    """gunicorn on a database of its own, with a user and a commit model on the fake provider."""
    database = tmp_path_factory.mktemp("commits") / "db.sqlite3"
    env = migrated_with_a_superuser(f"sqlite:///{database}", PASSWORD)
    provider = _fake_servers["openai"]
    added = subprocess.run(
        [sys.executable, "manage.py", "add_ai_model", "committer", "--provider", "openai"]
        + ["--model", "gpt-test", "--base-url", provider.base_url, "--usage-type", "commit_generation"]
        + ["--config", '{"timeout": 5, "max_retries": 0}'],
        cwd=BASE_DIR,
        env=env,
        input=provider.api_key,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert added.returncode == 0, added.stderr
    port = free_port()
    process, base = live_server(server_command("gunicorn", port), env, port)
    yield base, sign_in(base, "ada", PASSWORD)
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def task(server) -> dict:
    base, token = server
    project = rest(base, token, "POST", "projects/", {"name": "Shop"})
    return rest(base, token, "POST", "tasks/", {"project": project["id"], "title": "Round cart totals"})


@pytest.fixture
def repo(tmp_path) -> Repo:
    repo = Repo(tmp_path / "shop")
    repo.write("cart.py", CART)
    repo.commit_all("feat(cart): add totals")
    return repo


def run_script(server, repo: Repo, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess:
    base, token = server
    return subprocess.run(
        [str(SCRIPT), *args],
        cwd=repo.path,
        env={**GIT_ENV, "ORCHESTRATOR_URL": base, "ORCHESTRATOR_TOKEN": token, **env},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_staged_diff_is_committed_with_the_servers_message_and_the_sha_recorded(
    server, task, repo, openai_server
):
    base, token = server
    repo.git("remote", "add", "origin", "https://ada:ghp_secret@example.com/ada/shop.git")
    repo.write("cart.py", ROUNDED_CART)
    repo.git("add", "cart.py")
    openai_server.reply("fix(cart): round totals to cents")

    done = run_script(server, repo, "--task", task["id"], "--yes")

    assert done.returncode == 0, done.stderr
    message = f"fix(cart): round totals to cents\n\nTask: {task['id']}"
    assert repo.git("log", "-1", "--format=%B").strip() == message
    sha = repo.git("rev-parse", "HEAD").strip()
    (commit,) = rest(base, token, "GET", f"commits/?task={task['id']}")["results"]
    assert (commit["message"], commit["sha"], commit["branch"], commit["repository"]) == (
        message,
        sha,
        "main",
        "https://example.com/ada/shop.git",
    )
    assert commit["changes"]["files"] == [CART_ROUNDED]
    assert done.stdout == f"{message}\n\nCommitted {sha[:12]} on main, recorded as commit {commit['id']}.\n"
    asked = openai_server.requests[0]["messages"][-1]["content"]
    assert "+    return round(sum(items), 2)" in asked
    assert "Recent commit subjects (write in their style):\nfeat(cart): add totals" in asked


def test_without_a_remote_the_repository_is_the_directory_name(server, task, repo, openai_server):
    base, token = server
    repo.write("cart.py", "def total(items):\n    return 0\n")
    repo.git("add", "-A")
    openai_server.reply("fix(cart): total nothing")

    assert run_script(server, repo, "--task", task["id"], "--yes").returncode == 0

    (commit,) = rest(base, token, "GET", f"commits/?task={task['id']}")["results"]
    assert commit["repository"] == "shop"


def test_nothing_staged_is_refused_before_the_server_is_asked(server, task, repo, openai_server):
    repo.write("cart.py", "changed but not staged\n")

    done = run_script(server, repo, "--task", task["id"], "--yes")

    assert done.returncode == 1
    assert done.stderr == (
        "orchestrator-commit: Nothing is staged: stage the changes to commit with `git add` first.\n"
    )
    assert openai_server.requests == []


def test_a_message_not_confirmed_is_not_committed(server, task, repo, openai_server):
    base, token = server
    repo.write("cart.py", "def total(items):\n    return 1\n")
    repo.git("add", "-A")
    openai_server.reply("fix(cart): total one")

    done = run_script(server, repo, "--task", task["id"], stdin="n\n")

    assert done.returncode == 1
    assert "Commit with this message? [y/N] Not committed" in done.stdout
    assert repo.git("log", "--format=%s").splitlines() == ["feat(cart): add totals"]
    (commit,) = rest(base, token, "GET", f"commits/?task={task['id']}")["results"]
    assert commit["sha"] == ""


def test_a_refusal_of_the_server_is_shown_and_nothing_is_committed(server, repo, openai_server):
    repo.write("cart.py", "x\n")
    repo.git("add", "-A")

    done = run_script(server, repo, "--task", "00000000-0000-0000-0000-000000000000", "--yes")

    assert done.returncode == 1
    assert done.stderr.startswith("orchestrator-commit: The server answered 400: ")
    assert "task" in done.stderr
    assert repo.git("log", "--format=%s").splitlines() == ["feat(cart): add totals"]


def test_missing_configuration_is_named(server, repo):
    done = run_script(server, repo, ORCHESTRATOR_TOKEN="")

    assert done.returncode == 2
    assert done.stderr == "orchestrator-commit: set ORCHESTRATOR_TOKEN, --task (or ORCHESTRATOR_TASK).\n"
