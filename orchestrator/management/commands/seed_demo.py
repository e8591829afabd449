"""A realistic demo, built through the same services as the API. Safe to run again: what
exists is kept, and each demo user's earlier tokens are replaced by the one printed."""

import random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from knox.models import AuthToken

from aimodels.gateway import ToolCallRequest
from chat.models import ChatSession, Message
from chat.tools import AgentTools
from kanban import services as kanban
from kanban.conventional import commit_fields
from kanban.models import Commit, Task
from projects import services as projects
from projects.models import Interview, Project

USERS = [
    {"username": "ada", "password": "demo-ada-orchestrator", "is_staff": True, "is_superuser": True},
    {"username": "grace", "password": "demo-grace-orchestrator"},
]
PROJECT = "Bookshop"
TRANSCRIPT = [
    ("user", "We want an online bookshop for our independent store."),
    ("assistant", "Who will use it first: your regular customers or new ones finding you online?"),
    ("user", "Regulars. They order ahead and pick up in the shop."),
    ("assistant", "What must the first version do, and what can wait?"),
    ("user", "Search the catalogue, reserve a book, get an email when it is ready. Payment can wait."),
]
COLUMNS = [("done", 10), ("review", 5), ("in_progress", 5), ("todo", 12), ("backlog", 18)]
AREAS = ["catalogue", "search", "reservations", "email", "accounts", "admin", "checkout", "api"]
VERBS = ["Design", "Build", "Test", "Document", "Refine", "Measure"]
COMMITS = [
    "feat(search): find books by title, author and ISBN",
    "fix(reservations): keep a reservation when the book is returned late",
    "docs(api): describe the reservation endpoints\n\nAdds request and response examples.",
]


class Command(BaseCommand):
    help = (
        "Build a demo: users ada (staff) and grace with fresh API tokens, and for ada the project "
        f"'{PROJECT}' with an interview, a prompt lineage with components, a board of 50 tasks, "
        "a chat session with tool calls and commits. Running it again keeps what exists."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run with DEBUG off too. The demo users have known passwords: never on a real server.",
        )

    def handle(self, *, allow_without_debug, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError(
                "seed_demo makes users with known passwords, so it runs only with DEBUG on "
                "(or with --allow-without-debug, never on a real server)."
            )
        steps = [self.users, self.project, self.interview, self.prompts, self.board, self.chat, self.commits]
        self.made = {}
        for done, step in enumerate(steps, start=1):
            with transaction.atomic():
                step()
            self.progress(done, len(steps), step.__name__)
        self.stdout.write("")
        for user, token in self.made["tokens"]:
            self.stdout.write(f"{user['username']}: password {user['password']}, API token {token}")

    def progress(self, done: int, total: int, label: str) -> None:
        filled = round(30 * done / total)
        self.stdout.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total} {label:<12}", ending="")
        self.stdout.flush()

    def users(self):
        self.made["tokens"] = []
        for fields in USERS:
            fields = dict(fields)
            password = fields.pop("password")
            user, created = get_user_model().objects.get_or_create(
                username=fields.pop("username"), defaults=fields
            )
            if created:
                user.set_password(password)
                user.save()
            AuthToken.objects.filter(user=user).delete()
            self.made["tokens"].append(
                ({"username": user.username, "password": password}, AuthToken.objects.create(user)[1])
            )
        self.owner = get_user_model().objects.get(username="ada")

    def project(self):
        self.project_, created = Project.objects.get_or_create(
            owner=self.owner,
            name=PROJECT,
            defaults={
                "description": "Reserve books online, pick them up in the shop.",
                "git_repository_info": {"url": "https://example.org/bookshop.git", "default_branch": "main"},
            },
        )
        self.fresh = created

    def interview(self):
        if self.fresh:
            Interview.objects.create(
                project=self.project_,
                status=Interview.Status.COMPLETED,
                ai_model_used="demo",
                conversation_data=[{"role": role, "content": content} for role, content in TRANSCRIPT],
            )

    def prompts(self):
        if not self.fresh:
            return
        tone = projects.prompt_create(
            project=self.project_,
            type="tone",
            is_reusable=True,
            content="Write plainly; prefer short sentences.",
        )
        spec = projects.prompt_create(
            project=self.project_,
            type="spec",
            components=[{"prompt": str(tone.pk)}, {"text": "The shop is called {{shop}}."}],
            content="Build the reservation flow: search, reserve, email when ready.",
            created_from_interview=self.project_.interviews.first(),
        )
        projects.prompt_create_version(
            prompt=spec, content="Build the reservation flow: search, reserve, email when ready, cancel."
        )

    def board(self):
        if not self.fresh:
            return
        rng = random.Random(7)
        titles = iter(f"{rng.choice(VERBS)} {area} #{n}" for n, area in enumerate(AREAS * 7, start=1))
        for status, count in COLUMNS:
            for _ in range(count):
                kanban.task_create(project=self.project_, title=next(titles), status=status)

    def chat(self):
        if not self.fresh:
            return
        task = Task.objects.filter(project=self.project_, status="todo").in_board_order().first()
        session = ChatSession.objects.create(task=task, ai_model_used="demo")
        Message.objects.create(
            session=session, role=Message.Role.USER, content="What is left, and start this one."
        )
        reply = Message.objects.create(session=session, role=Message.Role.ASSISTANT, content="")
        tools = AgentTools(session)
        tools.run(
            ToolCallRequest(id="demo_1", name="list_tasks", arguments={"status": "todo"}), message=reply
        )
        tools.run(
            ToolCallRequest(
                id="demo_2", name="move_task", arguments={"task_id": str(task.pk), "status": "in_progress"}
            ),
            message=reply,
        )
        Message.objects.create(
            session=session, role=Message.Role.ASSISTANT, content=f"Moved '{task.title}' to In progress."
        )

    def commits(self):
        if not self.fresh:
            return
        done = Task.objects.filter(project=self.project_, status="done").in_board_order()
        for task, message in zip(done, COMMITS, strict=False):
            Commit.objects.create(
                task=task, message=message, changes={"files": ["shop/views.py"]}, **commit_fields(message)
            )
