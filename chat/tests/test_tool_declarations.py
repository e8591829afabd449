"""Each agent tool is declared once: what the model is offered is what the method takes, and
a bug inside a service is an error recorded as such, never "missing arguments"."""

import inspect

import pytest

from chat.tests.factories import ChatSessionFactory
from chat.tests.test_planning_tools import call, run_tools
from chat.tools import AgentTools
from core.tools import ToolArgumentError, Toolbox, tool
from kanban import services
from kanban.models import Task


@pytest.mark.parametrize("name", list(AgentTools.tools))
def test_every_tool_advertises_exactly_the_arguments_it_accepts(name):
    declared = AgentTools.tools[name]
    parameters = list(inspect.signature(getattr(AgentTools, name)).parameters.values())[1:]
    named = [parameter for parameter in parameters if parameter.kind is not inspect.Parameter.VAR_KEYWORD]
    needed = {parameter.name for parameter in named if parameter.default is inspect.Parameter.empty}
    properties = list(declared.parameters["properties"])
    assert properties[: len(named)] == [parameter.name for parameter in named]
    if len(named) == len(parameters):  # no **fields: nothing else is taken
        assert len(properties) == len(named)
    assert set(declared.parameters.get("required", [])) == needed
    assert declared.parameters["additionalProperties"] is False
    spec = next(spec for spec in AgentTools(ChatSessionFactory.build()).specs if spec.name == name)
    assert spec.parameters == declared.parameters


def test_only_delete_is_destructive():
    assert [name for name, declared in AgentTools.tools.items() if declared.destructive] == ["delete_task"]


def test_a_declaration_that_misses_a_parameter_is_refused_when_the_class_is_built():
    with pytest.raises(AssertionError, match="declare a schema for each parameter"):

        class Broken(Toolbox):
            @tool("Two parameters, one schema.", a={"type": "string"})
            def broken(self, a, b):
                pass


def test_a_method_ending_in_double_star_takes_the_remaining_properties_as_optional():
    class Tools(Toolbox):
        @tool("Greet.", name={"type": "string"}, title={"type": "string"}, loud={"type": "boolean"})
        def greet(self, name, **fields):
            return name, fields

    assert Tools.tools["greet"].parameters["required"] == ["name"]
    assert Tools().call("greet", {"name": "Ada", "loud": True}) == ("Ada", {"loud": True})
    with pytest.raises(ToolArgumentError, match=r"Unexpected argument\(s\) shout; greet takes name, title"):
        Tools().call("greet", {"name": "Ada", "shout": True})
    with pytest.raises(AssertionError, match=r"parameters \['name'\] and \*\*fields"):

        class Misordered(Toolbox):
            @tool("Schemas out of order.", title={"type": "string"}, name={"type": "string"})
            def greet(self, name, **fields):
                pass


def test_arguments_that_do_not_fit_name_themselves_and_run_nothing():
    class Tools(Toolbox):
        ran = False

        @tool("Echo.", text={"type": "string"}, times={"type": "integer"})
        def echo(self, text, times=1):
            Tools.ran = True
            return text * times

    with pytest.raises(ToolArgumentError, match=r"Missing argument\(s\) text for echo"):
        Tools().call("echo", {"times": 2})
    with pytest.raises(ToolArgumentError, match=r"Unexpected argument\(s\) loud; echo takes text, times"):
        Tools().call("echo", {"text": "a", "loud": True})
    with pytest.raises(ToolArgumentError, match="Unknown tool 'shout'"):
        Tools().call("shout", {})
    assert not Tools.ran
    assert Tools().call("echo", {"text": "a", "times": 2}) == "aa"


@pytest.mark.django_db
class TestThroughTheAgent:
    @pytest.fixture
    def session(self, owner):
        return ChatSessionFactory(task__project__owner=owner, task__title="Plan the shop")

    def test_create_task_takes_the_planning_fields_and_a_parent(self, owner_client, session, openai_server):
        (recorded,) = run_tools(
            owner_client,
            session,
            openai_server,
            call(
                "create_task",
                title="Checkout",
                priority="high",
                complexity=5,
                details="Stripe",
                test_strategy="Pay once",
                parent=str(session.task.pk),
            ),
        )

        assert recorded.status == "success", recorded.result
        created = Task.objects.get(title="Checkout")
        assert (created.priority, created.complexity, created.details, created.test_strategy) == (
            "high",
            5,
            "Stripe",
            "Pay once",
        )
        assert created.parent == session.task

    def test_the_system_prompt_names_the_sessions_task(self, owner_client, session, openai_server):
        run_tools(owner_client, session, openai_server)

        system = openai_server.requests[0]["messages"][0]["content"]
        assert f"'Plan the shop' (id {session.task.pk})" in system
        assert "`parent`" in system

    def test_a_bug_inside_a_service_is_an_unexpected_failure_not_missing_arguments(
        self, owner_client, session, openai_server, monkeypatch
    ):
        def broken(**kwargs):
            raise TypeError("a bug")

        monkeypatch.setattr(services, "task_move", broken)

        (recorded,) = run_tools(
            owner_client,
            session,
            openai_server,
            call("move_task", task_id=str(session.task.pk), status="todo"),
        )

        assert (recorded.status, recorded.result) == ("error", {"error": "The tool failed unexpectedly."})
