import pytest
from django.db import IntegrityError, transaction

from core.testing import assert_set_null_on_delete, refused_on_save, validation_errors
from projects.models import Interview, Project, Prompt
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory, UserFactory

pytestmark = pytest.mark.django_db


class TestProject:
    def test_name_is_limited_to_255_characters(self):
        ProjectFactory.build(owner=UserFactory(), name="x" * 255).full_clean()

        assert "name" in validation_errors(ProjectFactory.build(owner=UserFactory(), name="x" * 256))

    def test_blank_name_is_refused_by_the_database(self):
        with pytest.raises(IntegrityError):
            ProjectFactory(name="")

    def test_git_repository_info_must_be_an_object(self):
        project = ProjectFactory.build(owner=UserFactory(), git_repository_info=["url"])

        assert validation_errors(project) == {"git_repository_info": ["Must be a JSON object."]}

    def test_for_user_sees_only_owned_projects(self, owner, outsider):
        mine = ProjectFactory(owner=owner)
        ProjectFactory(owner=outsider)

        assert list(Project.objects.for_user(owner)) == [mine]

    def test_deleting_a_project_deletes_everything_under_it(self):
        from chat.tests.factories import ToolCallFactory

        call = ToolCallFactory()
        task = call.message.session.task
        project = task.project
        InterviewFactory(project=project)
        PromptFactory(project=project)
        task.commits.create(type="fix", message="fix: things")

        project.delete()

        for model in _models_under_a_project():
            assert not model.objects.exists(), model.__name__


def _models_under_a_project():
    from chat.models import ChatSession, Message, ToolCall
    from kanban.models import Commit, Task

    return [Interview, Prompt, Task, Commit, ChatSession, Message, ToolCall]


class TestInterview:
    def test_status_defaults_to_active_and_is_checked_by_the_database(self):
        interview = InterviewFactory()
        assert interview.status == Interview.Status.ACTIVE

        with pytest.raises(IntegrityError):
            Interview.objects.filter(pk=interview.pk).update(status="bogus")

    @pytest.mark.parametrize(
        "conversation",
        [{"role": "user"}, [{"role": "robot", "content": "hi"}], [{"role": "user", "content": 3}], ["hi"]],
    )
    def test_conversation_data_shape_is_validated(self, conversation):
        interview = InterviewFactory.build(project=ProjectFactory(), conversation_data=conversation)

        assert "conversation_data" in validation_errors(interview)

    def test_deleting_an_interview_keeps_its_prompts(self):
        assert_set_null_on_delete(PromptFactory, "created_from_interview", InterviewFactory())


class TestPrompt:
    def test_versions_share_the_lineage_of_the_first(self):
        first = PromptFactory()
        second = PromptFactory(project=first.project, parent=first, version=2)
        third = PromptFactory(project=first.project, parent=second, version=3)

        assert first.lineage == first.id
        assert second.lineage == third.lineage == first.id

    def test_version_is_unique_within_a_lineage_only(self):
        first = PromptFactory()
        PromptFactory(project=first.project)  # another lineage may also have version 1

        with pytest.raises(IntegrityError), transaction.atomic():
            PromptFactory(project=first.project, parent=first, version=1)

    def test_version_must_be_positive(self):
        prompt = PromptFactory()

        with pytest.raises(IntegrityError):
            Prompt.objects.filter(pk=prompt.pk).update(version=0)

    def test_type_is_limited_to_50_characters(self):
        assert "type" in validation_errors(PromptFactory.build(project=ProjectFactory(), type="t" * 51))

    @pytest.mark.parametrize(
        "components",
        [
            {"text": "x"},
            [{"text": 1}],
            [{"prompt": "not-a-uuid"}],
            [{"other": "x"}],
            [{"text": "a", "prompt": "b"}],
        ],
    )
    def test_components_shape_is_validated(self, components):
        prompt = PromptFactory.build(project=ProjectFactory(), components=components)

        assert "components" in validation_errors(prompt)

    def test_deleting_a_version_keeps_the_versions_derived_from_it(self):
        first = PromptFactory()
        lineage = first.lineage

        second = assert_set_null_on_delete(PromptFactory, "parent", first, version=2)

        assert second.lineage == lineage

    @pytest.mark.parametrize("field", ["parent", "created_from_interview"])
    def test_references_to_another_project_are_refused(self, field):
        foreign = PromptFactory() if field == "parent" else InterviewFactory()
        prompt = PromptFactory.build(project=ProjectFactory(), **{field: foreign})

        assert refused_on_save(prompt)[field] == ["Must belong to the same project."]
        assert not Prompt.objects.filter(pk=prompt.pk).exists()
