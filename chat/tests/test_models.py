import pytest
from django.db import IntegrityError

from chat.models import ChatSession, Message, ToolCall
from chat.tests.factories import ChatSessionFactory, MessageFactory, ToolCallFactory
from projects.tests.factories import ProjectFactory


@pytest.mark.django_db
class TestChat:
    @pytest.mark.parametrize(
        ("factory", "model", "field"),
        [
            (ChatSessionFactory, ChatSession, "status"),
            (MessageFactory, Message, "role"),
            (ToolCallFactory, ToolCall, "status"),
        ],
    )
    def test_enums_are_checked_by_the_database(self, factory, model, field):
        row = factory()

        with pytest.raises(IntegrityError):
            model.objects.filter(pk=row.pk).update(**{field: "bogus"})

    @pytest.mark.parametrize("factory", [MessageFactory, ToolCallFactory])
    def test_messages_and_tool_calls_are_append_only(self, factory):
        row = factory()

        with pytest.raises(ValueError, match="append-only"):
            row.save()

    def test_deleting_a_session_deletes_its_messages_and_tool_calls(self):
        call = ToolCallFactory()

        call.message.session.delete()

        assert not Message.objects.exists()
        assert not ToolCall.objects.exists()

    def test_for_user_follows_the_task_project(self, owner, outsider):
        call = ToolCallFactory(message__session__task__project=ProjectFactory(owner=owner))

        assert list(ToolCall.objects.for_user(owner)) == [call]
        assert not ToolCall.objects.for_user(outsider).exists()
        assert list(ChatSession.objects.for_user(owner)) == [call.message.session]
