import io

import pytest
from django.core.management import call_command

from core import commands


class Stop(Exception):
    pass


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("name", "line"),
    [
        ("dispatch_jobs", "0 job(s) sent again."),
        ("deliver_webhooks", "0 delivery(ies) made from the outbox, 0 sent."),
    ],
)
class TestRepeatingCommands:
    def test_once_without_every(self, name, line):
        out = io.StringIO()
        call_command(name, stdout=out)
        assert out.getvalue().splitlines() == [line]

    def test_every_repeats_after_the_given_wait_until_stopped(self, name, line, monkeypatch):
        waits = []

        def sleep(seconds):
            waits.append(seconds)
            if len(waits) == 2:
                raise Stop

        monkeypatch.setattr(commands.time, "sleep", sleep)
        out = io.StringIO()
        with pytest.raises(Stop):
            call_command(name, "--every", "2.5", stdout=out)
        assert waits == [2.5, 2.5]
        assert out.getvalue().splitlines() == [line, line]
