import pytest
from django.db import IntegrityError, transaction

from core.testing import assert_set_null_on_delete, refused_on_save, validation_errors
from kanban.models import ORDER_GAP, Commit, Task
from kanban.tests.factories import CommitFactory, TaskFactory
from projects.tests.factories import ProjectFactory, PromptFactory

pytestmark = pytest.mark.django_db


class TestTask:
    def test_title_limits(self):
        project = ProjectFactory()
        TaskFactory.build(project=project, title="t" * 255, order=1).full_clean()

        assert "title" in validation_errors(TaskFactory.build(project=project, title="t" * 256, order=1))
        with pytest.raises(IntegrityError):
            TaskFactory(project=project, title="")

    def test_status_is_checked_by_the_database(self):
        task = TaskFactory()
        assert task.status == Task.Status.BACKLOG

        with pytest.raises(IntegrityError):
            Task.objects.filter(pk=task.pk).update(status="bogus")

    def test_new_tasks_go_to_the_end_of_their_column_with_gaps(self):
        project = ProjectFactory()
        first, second = TaskFactory(project=project), TaskFactory(project=project)
        elsewhere = TaskFactory(project=project, status=Task.Status.DONE)

        assert (first.order, second.order, elsewhere.order) == (ORDER_GAP, 2 * ORDER_GAP, ORDER_GAP)

    def test_two_tasks_of_a_column_never_share_an_order_key(self):
        first = TaskFactory()

        with pytest.raises(IntegrityError), transaction.atomic():
            TaskFactory(project=first.project, order=first.order)

    def test_a_prompt_of_another_project_is_refused(self):
        task = TaskFactory.build(project=ProjectFactory(), prompt=PromptFactory(), order=1)

        assert refused_on_save(task) == {"prompt": ["Must belong to the same project."]}

    def test_deleting_a_prompt_keeps_its_tasks(self):
        assert_set_null_on_delete(TaskFactory, "prompt", PromptFactory())


class TestCommit:
    def test_project_is_the_tasks_project(self):
        commit = CommitFactory()

        assert commit.project_id == commit.task.project_id
        assert commit.author == "AI System"

    def test_a_different_project_is_refused(self):
        commit = CommitFactory.build(task=TaskFactory(), project=ProjectFactory())

        assert refused_on_save(commit) == {"task": ["Must belong to the same project."]}

    def test_type_is_checked_by_the_database(self):
        commit = CommitFactory()

        with pytest.raises(IntegrityError):
            Commit.objects.filter(pk=commit.pk).update(type="feature")

    def test_deleting_a_task_deletes_its_commits(self):
        commit = CommitFactory()

        commit.task.delete()

        assert not Commit.objects.exists()
