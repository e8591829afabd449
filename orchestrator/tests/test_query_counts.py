"""Every list runs the same queries for 1 row and for 50 (force_authenticate: no auth queries)."""

import pytest

from aimodels.tests.factories import AIModelFactory, SystemSettingsFactory
from chat.tests.factories import ChatSessionFactory, MessageFactory, ToolCallFactory
from kanban.models import TaskDependency
from kanban.tests.factories import CommitFactory, TaskFactory
from projects.tests.factories import InterviewFactory, ProjectFactory, PromptFactory


def waiting_tasks(n, project):
    """n tasks, each but the first waiting for the one before."""
    tasks = TaskFactory.create_batch(n, project=project)
    TaskDependency.objects.bulk_create(
        TaskDependency(task=task, depends_on=before) for before, task in zip(tasks, tasks[1:], strict=False)
    )


def rows_for(resource, n, project, session):
    """Make n rows of `resource` visible to the project's owner; return the list URL."""
    makers = {
        "projects": lambda: ProjectFactory.create_batch(n, owner=project.owner),
        "interviews": lambda: InterviewFactory.create_batch(n, project=project),
        "prompts": lambda: PromptFactory.create_batch(n, project=project),
        "tasks": lambda: waiting_tasks(n, project),
        "commits": lambda: CommitFactory.create_batch(n, task__project=project),
        "chat-sessions": lambda: ChatSessionFactory.create_batch(n, task__project=project),
        "ai-models": lambda: AIModelFactory.create_batch(n),
        "settings": lambda: SystemSettingsFactory.create_batch(n),
        "messages": lambda: [ToolCallFactory(message__session=session) for _ in range(n)],
        "tool-calls": lambda: ToolCallFactory.create_batch(n, message__session=session),
    }
    makers[resource]()
    if resource in ("messages", "tool-calls"):
        return f"/api/v1/chat-sessions/{session.pk}/{resource}/"
    return f"/api/v1/{resource}/"


# What each list runs, by name:
QUERIES = {
    "projects": 2,  # count, page
    "interviews": 2,  # count, page
    "prompts": 3,  # count, page, the page's labels
    # the page with its AI usage, claims and approval policy (a cursor page has no count), the
    # page's dependencies, the page's live approvals
    "tasks": 3,
    "commits": 2,  # count, page
    "chat-sessions": 2,  # count, page with its AI usage
    "ai-models": 3,  # count, page, the page's fallbacks
    "settings": 2,  # count, page
    "messages": 4,  # session, count, page, tool calls of the page
    "tool-calls": 3,  # session, count, page
}


@pytest.mark.parametrize("resource", list(QUERIES))
@pytest.mark.parametrize("rows", [1, 50])
def test_list_queries_do_not_grow_with_the_page(
    owner_client, owner, django_assert_num_queries, resource, rows
):
    project = ProjectFactory(owner=owner)
    session = ChatSessionFactory(task__project=project)
    MessageFactory(session=session)  # the messages list always has a row of its own too
    url = rows_for(resource, rows, project, session)

    with django_assert_num_queries(QUERIES[resource]):
        response = owner_client.get(url, {"page_size": 100})

    assert response.status_code == 200
    assert len(response.json()["results"]) >= rows
