import factory

from chat.models import ChatSession, Message, ToolCall
from kanban.tests.factories import TaskFactory


class ChatSessionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChatSession

    task = factory.SubFactory(TaskFactory)


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    session = factory.SubFactory(ChatSessionFactory)
    role = Message.Role.USER
    content = factory.Faker("sentence")


class ToolCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ToolCall

    message = factory.SubFactory(MessageFactory, role=Message.Role.ASSISTANT)
    session = factory.SelfAttribute("message.session")
    call_id = factory.Sequence(lambda n: f"call_{n}")
    tool_name = "list_tasks"
    arguments = factory.LazyFunction(dict)
    result = factory.LazyFunction(lambda: {"tasks": []})
    status = ToolCall.Status.SUCCESS
    duration_ms = 3
