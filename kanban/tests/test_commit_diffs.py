"""Commits from real diffs: `git diff --cached` of repositories the tests make with the git
CLI, read into `changes`, reduced to what the commit writer is shown, and sent to the fake
providers with the task, its acceptance criteria and recent subjects; the stored message ends
with the server's trailers."""

import os
import subprocess
from pathlib import Path

import pytest

from aimodels.models import SystemSettings
from conftest import ai_model_on, job_result
from jobs.models import Job
from kanban import diffs
from kanban.conventional import commit_fields, parse, with_trailers
from kanban.models import Commit
from kanban.tests.factories import TaskFactory
from projects.tests.factories import PromptFactory

# git as a user would run it, but reading no configuration of the machine's.
GIT_ENV = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}

# The change these tests make most: the cart's total rounded to cents, and what `changes` says of it.
CART = "def total(items):\n    return sum(items)\n"
ROUNDED_CART = "def total(items):\n    return round(sum(items), 2)\n"
CART_ROUNDED = {
    "path": "cart.py",
    "old_path": "cart.py",
    "status": "modified",
    "added": 1,
    "removed": 1,
    "binary": False,
}


class Repo:
    """A git repository in a directory of its own, driven with the git CLI."""

    def __init__(self, path: Path):
        self.path = path
        path.mkdir(parents=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "user.name", "Ada Lovelace")
        self.git("config", "user.email", "ada@example.com")

    def git(self, *args: str, input: str | None = None) -> str:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=GIT_ENV, input=input, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    def write(self, name: str, content: str | bytes) -> None:
        path = self.path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())

    def commit_all(self, subject: str) -> None:
        self.git("add", "-A")
        self.git("commit", "-q", "-m", subject)

    def staged(self) -> str:
        """What `git diff --cached` prints once everything is staged."""
        self.git("add", "-A")
        return self.git("diff", "--cached")


@pytest.fixture
def repo(tmp_path) -> Repo:
    return Repo(tmp_path / "shop")


def numbered(count: int, prefix: str = "line") -> str:
    return "".join(f"{prefix} {n}\n" for n in range(1, count + 1))


def every_kind_of_change(repo: Repo) -> str:
    repo.write("cart.py", CART)
    repo.write("legacy.py", "OLD = True\n")
    repo.write("prices.py", numbered(20))
    repo.commit_all("chore: start")
    repo.write("cart.py", ROUNDED_CART)
    repo.git("rm", "-q", "legacy.py")
    repo.git("mv", "prices.py", "pricing.py")
    repo.write("café.txt", "crème\n")
    repo.write("logo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    return repo.staged()


def sent(server) -> str:
    """The text of the last message the commit writer was sent."""
    content = server.requests[-1]["messages"][-1]["content"]
    return content if isinstance(content, str) else "".join(block["text"] for block in content)


class TestReadingADiff:
    def test_every_kind_of_change_is_read_into_changes(self, repo):
        files = diffs.parse(every_kind_of_change(repo))

        assert diffs.changes_of(files) == {
            "files": [
                {
                    "path": "café.txt",
                    "old_path": None,
                    "status": "added",
                    "added": 1,
                    "removed": 0,
                    "binary": False,
                },
                CART_ROUNDED,
                {
                    "path": "legacy.py",
                    "old_path": "legacy.py",
                    "status": "deleted",
                    "added": 0,
                    "removed": 1,
                    "binary": False,
                },
                {
                    "path": "logo.png",
                    "old_path": None,
                    "status": "added",
                    "added": 0,
                    "removed": 0,
                    "binary": True,
                },
                {
                    "path": "pricing.py",
                    "old_path": "prices.py",
                    "status": "renamed",
                    "added": 0,
                    "removed": 0,
                    "binary": False,
                },
            ],
            "totals": {"files": 5, "added": 2, "removed": 2},
        }

    @pytest.mark.parametrize(
        ("text", "problem"),
        [
            ("Fixed the cart.", "No changed file found"),
            ("@@ -1,2 +1,2 @@\n-a\n+b\n", "Not a unified diff: Unexpected hunk found"),
            (
                "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n-a\n+b\n",
                "Not a unified diff: Hunk is shorter than expected",
            ),
        ],
    )
    def test_what_is_not_a_unified_diff_is_refused(self, text, problem):
        with pytest.raises(diffs.DiffError, match=problem):
            diffs.parse(text)


class TestWhatTheModelIsShown:
    def test_lock_binary_minified_and_vendored_files_are_listed_by_name_only(self, repo):
        repo.write("app.py", "print('v1')\n")
        repo.commit_all("chore: start")
        repo.write("app.py", "print('v2')\n")
        for name in (
            "package-lock.json",
            "yarn.lock",
            "poetry.lock",
            "Cargo.lock",
            "go.sum",
            "web/pnpm-lock.yaml",
            "static/app.min.js",
            "static/app.min.css",
            "static/app.js.map",
            "dist/bundle.js",
            "vendor/github.com/lib/pq/conn.go",
            "web/node_modules/left-pad/index.js",
        ):
            repo.write(name, "MACHINE-WRITTEN\n" * 50)
        repo.write("build/release.sh", "echo release\n")
        repo.write("icon.png", b"\x89PNG\r\n\x1a\n\x00\x01\x02")

        view = diffs.model_view(diffs.parse(repo.staged()), token_budget=6000)

        assert "MACHINE-WRITTEN" not in view
        assert view.split("\n\n")[0].splitlines() == [
            "15 files changed, +602 -1:",
            "A Cargo.lock (lock file, not shown)",
            "M app.py +1 -1",
            "A build/release.sh +1 -0",
            "A dist/bundle.js (build output, not shown)",
            "A go.sum (lock file, not shown)",
            "A icon.png (binary, not shown)",
            "A package-lock.json (lock file, not shown)",
            "A poetry.lock (lock file, not shown)",
            "A static/app.js.map (source map, not shown)",
            "A static/app.min.css (minified, not shown)",
            "A static/app.min.js (minified, not shown)",
            "A vendor/github.com/lib/pq/conn.go (vendored, not shown)",
            "A web/node_modules/left-pad/index.js (vendored, not shown)",
            "A web/pnpm-lock.yaml (lock file, not shown)",
            "A yarn.lock (lock file, not shown)",
        ]
        assert "+print('v2')" in view
        assert "+++ b/build/release.sh\n@@ -0,0 +1,1 @@\n+echo release" in view

    def test_a_diff_within_the_budget_is_shown_whole(self, repo):
        files = diffs.parse(every_kind_of_change(repo))

        view = diffs.model_view(files, token_budget=6000)

        assert view == (
            "5 files changed, +2 -2:\n"
            "A café.txt +1 -0\n"
            "M cart.py +1 -1\n"
            "D legacy.py +0 -1\n"
            "A logo.png (binary, not shown)\n"
            "R prices.py -> pricing.py +0 -0\n"
            "\n"
            "--- /dev/null\n+++ b/café.txt\n@@ -0,0 +1,1 @@\n+crème\n"
            "--- a/cart.py\n+++ b/cart.py\n@@ -1,2 +1,2 @@\n def total(items):\n"
            "-    return sum(items)\n+    return round(sum(items), 2)\n"
            "--- a/legacy.py\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-OLD = True"
        )

    def test_over_the_budget_the_stat_stays_with_the_largest_hunks_that_fit(self, repo):
        repo.write("catalogue.py", numbered(300))
        repo.write("notes.md", "# Notes\n")
        repo.commit_all("chore: start")
        lines = numbered(300).splitlines(keepends=True)
        lines[9:10] = ["SMALL change\n"]  # one line: the smallest hunk
        lines[99:109] = [f"MEDIUM change {n}\n" for n in range(10)]
        lines[199:239] = [f"LARGE change {n}\n" for n in range(40)]
        repo.write("catalogue.py", "".join(lines))
        repo.write("notes.md", "# Notes\nTINY\n")
        files = diffs.parse(repo.staged())
        hunks = [hunk for file in files for hunk in file.hunks]
        assert len(hunks) == 4
        (large,) = (hunk for hunk in hunks if "LARGE" in hunk)
        whole = diffs.model_view(files, token_budget=100_000)
        # Room for all but the largest hunk, and the note that says so.
        budget = (len(whole) - len(large) + 200) // diffs.CHARS_PER_TOKEN

        view = diffs.model_view(files, token_budget=budget)

        assert len(view) <= budget * diffs.CHARS_PER_TOKEN
        assert view.startswith("2 files changed, +52 -51:\nM catalogue.py +51 -51\nM notes.md +1 -0\n\n")
        assert f"over the budget of {budget} tokens, so only 3 of its 4 hunks follow" in view
        assert "LARGE" not in view
        assert "+MEDIUM change 9" in view
        assert "+SMALL change" in view
        assert "+TINY" in view
        # in the diff's order, each under its file's name
        assert view.index("SMALL") < view.index("MEDIUM") < view.index("+++ b/notes.md") < view.index("TINY")

    def test_the_largest_hunk_that_fits_goes_before_smaller_ones_earlier_in_the_diff(self, repo):
        repo.write("catalogue.py", numbered(300))
        repo.commit_all("chore: start")
        lines = numbered(300).splitlines(keepends=True)
        # Both hunks longer than the note a reduced view starts with.
        lines[9:12] = [f"SMALL change {n} {'s' * 40}\n" for n in range(3)]
        lines[99:109] = [f"MEDIUM change {n} {'m' * 40}\n" for n in range(10)]
        repo.write("catalogue.py", "".join(lines))
        files = diffs.parse(repo.staged())

        # The smallest budget that shows the medium hunk leaves no room for the small one.
        budget = next(b for b in range(50, 2000) if "MEDIUM" in diffs.model_view(files, token_budget=b))
        view = diffs.model_view(files, token_budget=budget)

        assert "1 of its 2 hunks follow" in view
        assert "SMALL" not in view
        assert "SMALL" in diffs.model_view(files, token_budget=budget - 1)

    def test_a_budget_smaller_than_the_stat_cuts_the_stat(self, repo):
        for n in range(40):
            repo.write(f"module_{n:02}.py", f"VALUE = {n}\n")

        view = diffs.model_view(diffs.parse(repo.staged()), token_budget=100)

        assert len(view) <= 400
        lines = view.splitlines()
        assert lines[0] == "40 files changed, +40 -0:"
        assert lines[1] == "A module_00.py +1 -0"
        shown = len(lines[1 : lines.index("")]) - 1
        assert lines[lines.index("") - 1] == f"… and {40 - shown} more files"
        assert "0 of its 40 hunks follow" in view


class TestTrailers:
    def test_the_parser_reads_trailers_as_footers(self):
        message = "fix(cart): round totals\n\nTotals had float noise.\n\nTask: 3f2c\nPrompt-Version: 9a1b@3"

        commit = parse(message)

        assert commit.body == "Totals had float noise."
        assert commit.footers == [("Task", "3f2c"), ("Prompt-Version", "9a1b@3")]
        assert commit_fields(message) == {"type": "fix", "scope": "cart", "breaking": False}

    @pytest.mark.parametrize(
        ("message", "expected"),
        [
            ("fix: x", "fix: x\n\nTask: 1\nPrompt-Version: 2@3"),
            ("fix: x\n\nA body.", "fix: x\n\nA body.\n\nTask: 1\nPrompt-Version: 2@3"),
            (
                "feat!: y\n\nBREAKING CHANGE: the old URL is gone",
                "feat!: y\n\nBREAKING CHANGE: the old URL is gone\nTask: 1\nPrompt-Version: 2@3",
            ),
        ],
    )
    def test_trailers_join_the_footers_or_make_their_own_paragraph(self, message, expected):
        with_them = with_trailers(message, [("Task", "1"), ("Prompt-Version", "2@3")])

        assert with_them == expected
        assert parse(with_them).footers[-2:] == [("Task", "1"), ("Prompt-Version", "2@3")]
        assert commit_fields(with_them) == commit_fields(message)


def generate(client, task, **body):
    return client.post("/api/v1/commits/generate/", {"task": str(task.pk), **body})


@pytest.mark.django_db
class TestGeneratingFromADiff:
    def test_the_model_reads_the_task_its_criteria_the_style_and_the_reduced_diff(
        self, owner_client, owner, provider_server, repo
    ):
        ai_model_on(provider_server, usage_type="commit_generation")
        prompt = PromptFactory(project__owner=owner)
        task = TaskFactory(
            project=prompt.project,
            prompt=prompt,
            title="Round cart totals",
            brief={
                "acceptance_criteria": [
                    {"text": "Totals have two decimals", "done": True},
                    {"text": "Old totals still read", "done": False},
                ]
            },
        )
        diff = every_kind_of_change(repo)
        provider_server.reply("fix(cart): round totals to cents")

        response = generate(owner_client, task, diff=diff, recent_subjects=["feat(cart): add totals"])

        commit = job_result(response, "commit")
        assert commit["message"] == (
            f"fix(cart): round totals to cents\n\nTask: {task.pk}\nPrompt-Version: {prompt.lineage}@1"
        )
        assert commit["changes"] == diffs.changes_of(diffs.parse(diff))
        assert Commit.objects.get().changes == commit["changes"]
        assert sent(provider_server) == (
            "The task: Round cart totals\n\n"
            f"{task.description}\n\n"
            "Acceptance criteria:\n- [x] Totals have two decimals\n- [ ] Old totals still read\n\n"
            "Recent commit subjects (write in their style):\nfeat(cart): add totals\n\n"
            f"The staged diff:\n{diffs.model_view(diffs.parse(diff), token_budget=6000)}"
        )

    def test_a_diff_over_the_budget_reaches_the_model_reduced(self, owner_client, owner, openai_server, repo):
        ai_model_on(openai_server)
        SystemSettings.objects.create(key="kanban.commit_diff_token_budget", value=120)
        repo.write("catalogue.py", numbered(300))
        repo.commit_all("chore: start")
        changed = numbered(300).replace("line 100\n", "SMALL\n").replace("line 9\n", "HUGE " * 200 + "\n")
        repo.write("catalogue.py", changed)
        openai_server.reply("refactor: rename catalogue lines")

        job_result(generate(owner_client, TaskFactory(project__owner=owner), diff=repo.staged()), "commit")

        shown = sent(openai_server).split("The staged diff:\n")[1]
        assert shown.startswith("1 file changed, +2 -2:\nM catalogue.py +2 -2\n\n")
        assert "over the budget of 120 tokens" in shown
        assert "HUGE" not in shown
        assert "+SMALL" in shown

    def test_trailers_are_left_out_when_the_setting_is_off(self, owner_client, owner, openai_server, repo):
        ai_model_on(openai_server)
        SystemSettings.objects.create(key="kanban.commit_trailers", value=False)
        openai_server.reply("fix(cart): round totals")

        response = generate(owner_client, TaskFactory(project__owner=owner), diff=every_kind_of_change(repo))

        assert job_result(response, "commit")["message"] == "fix(cart): round totals"

    def test_a_task_without_a_prompt_has_no_prompt_version(self, owner_client, owner, openai_server, repo):
        ai_model_on(openai_server)
        task = TaskFactory(project__owner=owner)
        openai_server.reply("fix(cart): round totals\n\nRefs: #12")

        response = generate(owner_client, task, diff=every_kind_of_change(repo))

        assert (
            job_result(response, "commit")["message"]
            == f"fix(cart): round totals\n\nRefs: #12\nTask: {task.pk}"
        )

    def test_trailers_the_model_writes_itself_are_sent_back(self, owner_client, owner, openai_server, repo):
        ai_model_on(openai_server)
        task = TaskFactory(project__owner=owner)
        openai_server.reply("fix(cart): round totals\n\nTask: round the totals")
        openai_server.reply("fix(cart): round totals")

        response = generate(owner_client, task, diff=every_kind_of_change(repo))

        assert job_result(response, "commit")["message"] == f"fix(cart): round totals\n\nTask: {task.pk}"
        assert "Leave out the Task footer: it is added for you." in sent(openai_server)

    def test_a_malformed_diff_is_a_400_naming_diff(self, owner_client, owner, openai_server):
        ai_model_on(openai_server)
        broken = "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n-a\n"

        response = generate(owner_client, TaskFactory(project__owner=owner), diff=broken)

        assert (response.status_code, response.json()) == (
            400,
            {"diff": ["Not a unified diff: Hunk is shorter than expected"]},
        )
        assert openai_server.requests == []
        assert not Job.objects.exists()

    def test_a_diff_over_the_size_limit_is_a_413(self, owner_client, owner, openai_server, repo):
        ai_model_on(openai_server)
        SystemSettings.objects.create(key="kanban.commit_diff_max_bytes", value=200)
        diff = every_kind_of_change(repo)
        assert len(diff.encode()) > 200

        response = generate(owner_client, TaskFactory(project__owner=owner), diff=diff)

        assert (response.status_code, response.json()) == (
            413,
            {"detail": "The diff is larger than 200 bytes (the setting kanban.commit_diff_max_bytes)."},
        )
        assert openai_server.requests == []
        assert not Job.objects.exists()

    def test_changes_and_a_diff_together_are_a_400(self, owner_client, owner, openai_server, repo):
        ai_model_on(openai_server)

        response = generate(
            owner_client, TaskFactory(project__owner=owner), changes={}, diff=every_kind_of_change(repo)
        )

        assert (response.status_code, response.json()) == (
            400,
            {"diff": ["Send `changes` or `diff`, not both: a diff's changes are read from it."]},
        )

    @pytest.mark.parametrize(
        ("subjects", "problem"),
        [
            (["feat: x"] * 21, "Ensure this field has no more than 20 elements."),
            (["x" * 201], None),
            ("feat: x", 'Expected a list of items but got type "str".'),
        ],
    )
    def test_recent_subjects_are_bounded(self, owner_client, owner, openai_server, subjects, problem):
        ai_model_on(openai_server)

        response = generate(
            owner_client, TaskFactory(project__owner=owner), changes={}, recent_subjects=subjects
        )

        assert response.status_code == 400
        assert list(response.json()) == ["recent_subjects"]
        if problem:
            assert response.json()["recent_subjects"] == [problem]

    def test_another_users_task_is_refused(self, outsider_client, owner, openai_server, repo):
        ai_model_on(openai_server)

        response = generate(
            outsider_client, TaskFactory(project__owner=owner), diff=every_kind_of_change(repo)
        )

        assert response.status_code == 400
        assert list(response.json()) == ["task"]
        assert openai_server.requests == []
