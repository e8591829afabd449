"""The engine knows no kind of job: the apps declare theirs, and the job table takes those."""

from aimodels.models import AIModelJob
from chat.models import ChatJob
from jobs.kinds import KINDS, kind_choices
from jobs.models import Job
from kanban.models import BoardJob
from projects.models import InterviewJob

DECLARED = [*AIModelJob.choices, *InterviewJob.choices, *BoardJob.choices, *ChatJob.choices]


def test_every_kind_an_app_declares_has_a_handler_and_is_a_choice_of_the_job_table():
    assert sorted(KINDS) == sorted(value for value, _ in DECLARED)
    assert kind_choices() == sorted(DECLARED)
    assert list(Job._meta.get_field("kind").choices) == sorted(DECLARED)


def test_a_job_is_shown_by_its_kinds_label():
    assert Job(kind=BoardJob.BRIEF_DRAFT).get_kind_display() == "Brief drafting"
