import factory

from kanban.models import Commit, Task
from projects.tests.factories import ProjectScopedFactory


class TaskFactory(ProjectScopedFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Task {n}")
    description = factory.Faker("sentence")


class CommitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Commit

    task = factory.SubFactory(TaskFactory)
    type = Commit.Type.FEAT
    scope = "board"
    breaking = False
    message = factory.LazyAttribute(
        lambda commit: f"{commit.type}({commit.scope}){'!' if commit.breaking else ''}: change the board"
    )
    changes = factory.LazyFunction(lambda: {"files": ["kanban/views.py"]})


# What the API answers of a commit before git has recorded it.
NOT_IN_GIT = {"sha": "", "branch": "", "repository": "", "recorded_at": None}

# A brief with every part of the template filled in.
BRIEF = {
    "metadata": {"owner": "ada", "repository": "shop", "branch": "feat/cart", "related_issues": ["#12"]},
    "summary": "Let buyers keep what they chose.",
    "goal": "A cart that survives a reload; no account needed.",
    "approaches": [
        {"name": "Session", "description": "Keep it in the session."},
        {"name": "Local storage", "description": "Keep it in the browser."},
    ],
    "recommendation": {
        "solution": "Keep the cart in the session.",
        "primary_reason": "No client code.",
        "secondary_reason": "Works without JavaScript.",
        "long_term_reason": "Moves to the account later.",
        "risks": "Sessions expire.",
    },
    "current_state": "There is no cart.",
    "touchpoints": ["shop/cart.py", "shop/views.py"],
    "files_to_read": ["shop/models.py"],
    "rules": "Tests first.",
    "steps": [{"text": "Model the cart", "status": "done"}, {"text": "Views", "status": "in_progress"}],
    "parallel": "The templates.",
    "run_commands": ["make test"],
    "acceptance_criteria": [{"text": "A reload keeps the cart", "done": False}],
    "test_plan": "A browser test reloads.",
    "next_steps": "The checkout.",
    "deliverables": [{"text": "cart.py", "done": True}],
}
