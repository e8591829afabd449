import uuid
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.text import slugify
from tqdm import tqdm

from kanban.markdown import task_markdown
from kanban.models import Task
from projects.models import Project


def brief_path(directory: Path, task: Task) -> Path:
    return directory / f"{task.pk.hex[:8]}-{slugify(task.title)[:60] or 'task'}.md"


class Command(BaseCommand):
    help = (
        "Write each task of a project as its brief (the task template's document, Markdown) to "
        "DIR/<short id>-<slug>.md, so agents and people can reuse it; a file already holding the "
        "brief is left alone."
    )

    def add_arguments(self, parser):
        parser.add_argument("--project", required=True, help="The project's id.")
        parser.add_argument("directory", nargs="?", default="ai_docs/tasks", help="Default: ai_docs/tasks.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, project, directory, no_progress, **options):
        try:
            chosen = Project.objects.filter(pk=uuid.UUID(project)).first()
        except ValueError:
            chosen = None
        if chosen is None:
            raise CommandError(f"No project with id {project!r}.")
        target = Path(directory)
        target.mkdir(parents=True, exist_ok=True)
        tasks = chosen.tasks.in_board_order().select_related("project", "parent", "prompt")
        written = unchanged = 0
        for task in tqdm(tasks, total=tasks.count(), disable=no_progress, unit="task", file=self.stderr):
            path = brief_path(target, task)
            for renamed in target.glob(f"{task.pk.hex[:8]}-*.md"):  # the task's file under an old title
                if renamed != path:
                    renamed.unlink()
            text = task_markdown(task)
            if path.exists() and path.read_text(encoding="utf-8") == text:
                unchanged += 1
                continue
            path.write_text(text, encoding="utf-8")
            written += 1
        self.stdout.write(f"Wrote {written} brief(s), {unchanged} already up to date, in {target}.")
