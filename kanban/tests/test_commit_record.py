"""Recording what git did with a commit's message: the REST action, the agent's tool and the
MCP tool, through one serializer and `services.commit_record`."""

import pytest
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q

from activity.models import Activity
from chat.tests.factories import ChatSessionFactory
from chat.tests.test_planning_tools import call, run_tools
from core.exceptions import Conflict
from core.testing import iso, postgres_only, run_in_threads
from kanban import services
from kanban.models import Commit
from kanban.tests.factories import CommitFactory, TaskFactory
from mcp_server import calls
from mcp_server.tests.conftest import MCP, token_for

SHA1 = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
SHA256 = "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321"


def record(client, commit, **body):
    return client.post(f"/api/v1/commits/{commit.pk}/record/", body)


def recorded(commit) -> tuple:
    commit.refresh_from_db()
    return commit.sha, commit.branch, commit.repository, commit.recorded_at


@pytest.fixture
def commit(owner):
    return CommitFactory(task__project__owner=owner)


@pytest.mark.django_db
class TestRecordingThroughTheApi:
    def test_the_sha_branch_and_repository_are_stored_and_in_the_history(self, owner_client, owner, commit):
        response = record(
            owner_client, commit, sha=SHA1, branch="main", repository="git@github.com:ada/shop.git"
        )

        assert response.status_code == 200
        commit.refresh_from_db()
        assert response.json() == {
            "id": str(commit.pk),
            "task": str(commit.task_id),
            "project": str(commit.project_id),
            "type": "feat",
            "scope": "board",
            "breaking": False,
            "message": "feat(board): change the board",
            "changes": {"files": ["kanban/views.py"]},
            "created_by_ai_model": "",
            "author": "AI System",
            "timestamp": iso(commit.timestamp),
            "sha": SHA1,
            "branch": "main",
            "repository": "git@github.com:ada/shop.git",
            "recorded_at": iso(commit.recorded_at),
        }
        (entry,) = Activity.objects.filter(object_id=str(commit.pk), verb="committed")
        assert (entry.actor, entry.channel, entry.project_id) == (owner, "api", commit.project_id)
        assert entry.changes == {
            "sha": {"from": "", "to": SHA1},
            "branch": {"from": "", "to": "main"},
            "repository": {"from": "", "to": "git@github.com:ada/shop.git"},
            "recorded_at": {"from": None, "to": DjangoJSONEncoder().default(commit.recorded_at)},
        }
        assert not Activity.objects.filter(object_id=str(commit.pk), verb="changed").exists()

    def test_the_same_sha_again_is_a_200_that_changes_nothing(self, owner_client, commit):
        record(owner_client, commit, sha=SHA1, branch="main")
        before = recorded(commit)

        again = record(owner_client, commit, sha=SHA1.upper(), branch="other")

        assert again.status_code == 200
        assert (again.json()["sha"], again.json()["branch"]) == (SHA1, "main")
        assert recorded(commit) == before
        assert Activity.objects.filter(object_id=str(commit.pk), verb="committed").count() == 1

    def test_another_sha_for_a_recorded_commit_is_a_409(self, owner_client, commit):
        record(owner_client, commit, sha=SHA1)
        before = recorded(commit)

        response = record(owner_client, commit, sha=SHA256)

        assert (response.status_code, response.json()) == (
            409,
            {"detail": f"This commit is already recorded as {SHA1}."},
        )
        assert recorded(commit) == before

    def test_a_sha_another_commit_of_the_project_has_is_a_409(self, owner_client, commit):
        other = CommitFactory(task=commit.task)
        record(owner_client, other, sha=SHA1)

        response = record(owner_client, commit, sha=SHA1)

        assert (response.status_code, response.json()) == (
            409,
            {"detail": f"Commit {other.pk} of this project is already recorded as {SHA1}."},
        )
        assert recorded(commit) == ("", "", "", None)

    def test_the_same_sha_in_another_project_is_its_own(self, owner_client, owner, commit):
        elsewhere = CommitFactory(task__project__owner=owner)
        record(owner_client, elsewhere, sha=SHA1)

        assert record(owner_client, commit, sha=SHA1).status_code == 200

    def test_a_sha256_and_upper_case_are_taken_as_git_prints_them(self, owner_client, commit):
        response = record(owner_client, commit, sha=SHA256.upper())

        assert response.json()["sha"] == SHA256

    @pytest.mark.parametrize(
        ("remote", "stored"),
        [
            ("https://ada:ghp_secret@github.com/ada/shop.git", "https://github.com/ada/shop.git"),
            ("https://ghp_secret@github.com/ada/shop.git", "https://github.com/ada/shop.git"),
            ("git+https://ghp_secret@github.com/ada/shop.git", "git+https://github.com/ada/shop.git"),
            ("ssh://ada:secret@git.example/shop.git", "ssh://ada@git.example/shop.git"),
            ("ssh://git@github.com/ada/shop.git", "ssh://git@github.com/ada/shop.git"),
            ("git@github.com:ada/shop.git", "git@github.com:ada/shop.git"),
        ],
    )
    def test_credentials_in_a_remote_are_not_stored(self, owner_client, commit, remote, stored):
        response = record(owner_client, commit, sha=SHA1, repository=remote)

        assert response.json()["repository"] == stored

    @pytest.mark.parametrize(
        ("body", "field", "problem"),
        [
            ({}, "sha", "This field is required."),
            ({"sha": "not-a-sha"}, "sha", "Must be 40 (SHA-1) or 64 (SHA-256) hexadecimal digits."),
            ({"sha": SHA1[:39]}, "sha", "Must be 40 (SHA-1) or 64 (SHA-256) hexadecimal digits."),
            ({"sha": SHA1 + "0"}, "sha", "Must be 40 (SHA-1) or 64 (SHA-256) hexadecimal digits."),
            ({"sha": SHA256 + "0"}, "sha", "Must be 40 (SHA-1) or 64 (SHA-256) hexadecimal digits."),
            ({"sha": 42}, "sha", "Must be 40 (SHA-1) or 64 (SHA-256) hexadecimal digits."),
            (
                {"sha": SHA1, "branch": "b" * 256},
                "branch",
                "Ensure this field has no more than 255 characters.",
            ),
            (
                {"sha": SHA1, "repository": "r" * 501},
                "repository",
                "Ensure this field has no more than 500 characters.",
            ),
        ],
    )
    def test_bad_input_is_a_400_naming_the_field(self, owner_client, commit, body, field, problem):
        response = record(owner_client, commit, **body)

        assert (response.status_code, response.json()) == (400, {field: [problem]})
        assert recorded(commit) == ("", "", "", None)

    def test_a_recorded_commit_is_what_git_has_and_no_longer_changes(self, owner_client, client, commit):
        record(owner_client, commit, sha=SHA1)

        edited = owner_client.patch(
            f"/api/v1/commits/{commit.pk}/", {"message": "fix: another"}, format="json"
        )
        same = owner_client.patch(f"/api/v1/commits/{commit.pk}/", {"message": commit.message}, format="json")

        assert edited.status_code == 409
        assert SHA1 in edited.json()["detail"] and "message" in edited.json()["detail"]
        assert same.status_code == 200
        commit.refresh_from_db()
        assert commit.message != "fix: another"
        admin_user = commit.project.owner
        admin_user.is_staff = admin_user.is_superuser = True
        admin_user.save()
        client.force_login(admin_user)
        page = client.get(f"/admin/kanban/commit/{commit.pk}/change/").content.decode()
        assert 'name="message"' not in page and 'name="_save"' not in page  # shown, not changed
        assert SHA1 in page
        listed = client.get("/admin/kanban/commit/", {"recorded": "yes"}).content.decode()
        assert SHA1[:12] in listed

    def test_another_users_commit_is_not_found(self, outsider_client, commit):
        response = record(outsider_client, commit, sha=SHA1)

        assert response.status_code == 404
        assert recorded(commit) == ("", "", "", None)
        assert not Activity.objects.filter(verb="committed").exists()


@pytest.mark.django_db
class TestRecordingThroughTools:
    def test_the_agent_records_a_commit_of_its_project_only(self, owner_client, owner, openai_server):
        session = ChatSessionFactory(task__project__owner=owner)
        mine = CommitFactory(task=session.task)
        theirs = CommitFactory(task__project__owner=owner)

        done, refused, bad = run_tools(
            owner_client,
            session,
            openai_server,
            call("record_commit", commit_id=str(mine.pk), sha=SHA1, branch="main"),
            call("record_commit", commit_id=str(theirs.pk), sha=SHA1),
            call("record_commit", commit_id=str(mine.pk), sha="nope"),
        )

        assert done.status == "success"
        assert (done.result["commit"]["sha"], done.result["commit"]["branch"]) == (SHA1, "main")
        assert refused.result == {"error": f"Commit {theirs.pk} is not one of this project's."}
        assert bad.result == {"error": "sha: Must be 40 (SHA-1) or 64 (SHA-256) hexadecimal digits."}
        assert recorded(theirs)[0] == ""
        (entry,) = Activity.objects.filter(verb="committed")
        assert (entry.channel, entry.via["tool"]) == ("agent", "record_commit")

    def test_over_mcp_it_is_an_extended_tool_needing_commits_write(self, owner):
        commit = CommitFactory(task__project__owner=owner)
        mcp = MCP(token_for(owner), path="/mcp/?tools=extended")

        answer = mcp.ok("record_commit", {"commit_id": str(commit.pk), "sha": SHA1, "repository": "shop"})
        again = mcp.ok("record_commit", {"commit_id": str(commit.pk), "sha": SHA1})
        other = mcp.refused("record_commit", {"commit_id": str(commit.pk), "sha": SHA256})

        assert (answer["commit"]["sha"], answer["commit"]["repository"]) == (SHA1, "shop")
        assert again == answer
        assert other == f"This commit is already recorded as {SHA1}."
        (entry,) = Activity.objects.filter(verb="committed")
        assert (entry.actor, entry.channel, entry.via["tool"]) == (owner, "mcp", "record_commit")
        assert calls.scope_of("record_commit") == "commits:write"


@postgres_only()
@pytest.mark.django_db(transaction=True)
def test_two_commits_racing_for_one_sha_one_takes_it(owner):
    task = TaskFactory(project__owner=owner)
    commits = [CommitFactory(task=task) for _ in range(4)]

    outcomes = run_in_threads(
        [lambda commit=commit: services.commit_record(commit=commit, sha=SHA1) for commit in commits]
    )

    assert sum(isinstance(outcome, Commit) for outcome in outcomes) == 1
    assert all(isinstance(outcome, Commit | Conflict) for outcome in outcomes), outcomes
    assert Commit.objects.filter(sha=SHA1).count() == 1
    assert Commit.objects.filter(Q(sha="") | Q(sha=SHA1)).count() == 4
