import pytest
from django.core.exceptions import ValidationError

from aimodels.models import SystemSettings
from core.db_metrics import count_writes
from core.exceptions import Conflict
from kanban import services
from kanban.models import ORDER_GAP, Task
from kanban.tests.factories import TaskFactory
from projects.tests.factories import ProjectFactory


def column(project, status="backlog") -> list[str]:
    return list(
        Task.objects.in_column(project_id=project.pk, status=status)
        .order_by("order")
        .values_list("title", flat=True)
    )


@pytest.fixture
def project(db):
    project = ProjectFactory()
    for title in "ABCDE":
        TaskFactory(project=project, title=title)
    return project


def task(project, title) -> Task:
    return Task.objects.get(project=project, title=title)


class TestTaskMove:
    @pytest.mark.parametrize(
        ("title", "position", "expected"),
        [
            ("A", 0, "ABCDE"),
            ("A", 2, "BCADE"),
            ("A", 4, "BCDEA"),
            ("E", 0, "EABCD"),
            ("C", 1, "ACBDE"),
            ("B", 99, "ACDEB"),
            ("D", None, "ABCED"),
        ],
    )
    def test_within_a_column_the_position_counts_without_the_task(self, project, title, position, expected):
        services.task_move(task=task(project, title), status="backlog", position=position)

        assert "".join(column(project)) == expected

    def test_to_another_column(self, project):
        services.task_move(task=task(project, "A"), status="todo", position=0)
        services.task_move(task=task(project, "B"), status="todo", position=0)
        services.task_move(task=task(project, "C"), status="todo", position=1)

        assert column(project, "todo") == ["B", "C", "A"]
        assert column(project) == ["D", "E"]

    def test_an_ordinary_move_writes_one_row(self, project):
        with count_writes(Task._meta.db_table) as writes:
            services.task_move(task=task(project, "E"), status="backlog", position=1)

        assert (writes.statements, writes.rows) == (1, 1)

    def test_when_the_gap_runs_out_only_a_window_around_it_is_relabelled(self, project):
        other = TaskFactory(project=project, status="done", title="Z")
        moves = 0
        # Moving the last task between the first two halves their gap each time.
        while True:
            before = dict(Task.objects.values_list("pk", "order"))
            last = Task.objects.in_column(project_id=project.pk, status="backlog").order_by("-order").first()
            expected = [t for t in column(project) if t != last.title]
            expected.insert(1, last.title)
            with count_writes(Task._meta.db_table) as writes:
                services.task_move(task=last, status="backlog", position=1)
            moves += 1
            assert column(project) == expected
            if writes.rows > 1:
                break

        assert moves == 33  # log2(ORDER_GAP) halvings fit, the next one relabels
        changed = {pk for pk, order in Task.objects.values_list("pk", "order") if before[pk] != order}
        assert len(changed) == 3  # the task and its two neighbours, not the column
        assert writes.rows == 2 * len(changed)  # out of the way, then into place
        other.refresh_from_db()
        assert other.order == ORDER_GAP

    @pytest.mark.parametrize("take", ["last", "first"])
    def test_moves_to_one_index_write_few_rows_and_keep_every_task_in_its_place(self, owner, take):
        rows = moves_to_the_middle(owner, 300, taken=lambda n: -1 if take == "last" else 0)

        assert sum(rows) / len(rows) <= 1.5
        assert max(rows) <= 2 * 17  # a window of at most 16 neighbours, written twice

    def test_taking_the_first_and_the_last_task_in_turn_to_one_index_keeps_windows_small(self, owner):
        """The gap at index 100 drains from both sides. Each relabel leaves more room the
        wider its window, so windows stay small; with a fixed minimum room they grew to the
        whole column (about 19 rows a move on average here)."""
        rows = moves_to_the_middle(owner, 600, taken=lambda n: 0 if n % 2 else -1)

        assert sum(rows) / len(rows) <= 8

    def test_a_relabel_at_either_end_of_the_column_keeps_the_order(self, project):
        for position in (1, 3):  # the window reaches the column's first, then last, row
            for _ in range(40):
                expected = column(project)
                moved = expected.pop(-1 if position == 0 else 0)
                expected.insert(position, moved)
                services.task_move(task=task(project, moved), status="backlog", position=position)
                assert column(project) == expected
        assert len(set(Task.objects.values_list("order", flat=True))) == 5


def moves_to_the_middle(owner, moves: int, *, taken) -> list[int]:
    """In a column of 200 tasks, `moves` times the task at index `taken(n)` goes to index
    100, each task staying in its place; the rows of the task table each move wrote."""
    project = ProjectFactory(owner=owner)
    Task.objects.bulk_create(
        Task(project=project, title=f"{n:03}", column=0, order=(n + 1) * ORDER_GAP) for n in range(200)
    )
    expected, rows = column(project), []
    for n in range(moves):
        moved = expected.pop(taken(n))
        expected.insert(100, moved)
        with count_writes(Task._meta.db_table) as writes:
            services.task_move(task=task(project, moved), status="backlog", position=100)
        rows.append(writes.rows)
    assert column(project) == expected
    return rows


class TestWipLimits:
    def test_a_move_into_a_full_column_is_refused_and_changes_nothing(self, project):
        SystemSettings.objects.create(key="kanban.wip_limits", value={"todo": 1})
        services.task_move(task=task(project, "A"), status="todo")

        with pytest.raises(Conflict, match="Column 'todo' is at its WIP limit of 1"):
            services.task_move(task=task(project, "B"), status="todo")
        assert column(project, "todo") == ["A"]
        assert column(project) == ["B", "C", "D", "E"]

    def test_moves_within_a_full_column_are_allowed(self, project):
        SystemSettings.objects.create(key="kanban.wip_limits", value={"backlog": 5})

        services.task_move(task=task(project, "E"), status="backlog", position=0)

        assert "".join(column(project)) == "EABCD"

    def test_create_into_a_full_column_is_refused(self, project):
        SystemSettings.objects.create(key="kanban.wip_limits", value={"backlog": 5})

        with pytest.raises(Conflict):
            services.task_create(project=project, title="F")
        assert Task.objects.count() == 5


class TestTaskCreate:
    def test_appends_to_the_column(self, project):
        created = services.task_create(project=project, title="F")

        assert column(project)[-1] == "F"
        assert created.order == 6 * ORDER_GAP

    def test_bad_fields_are_refused(self, project):
        with pytest.raises(ValidationError) as excinfo:
            services.task_create(project=project, title="")
        assert excinfo.value.message_dict == {"title": ["This field cannot be blank."]}
        assert Task.objects.count() == 5
