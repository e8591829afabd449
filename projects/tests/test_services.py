import pytest

from projects import services
from projects.tests.factories import PromptFactory


class TestDiff:
    @pytest.mark.parametrize(
        ("before", "after", "expected"),
        [
            (
                "one\ntwo",
                "one\ntwo\nthree",
                "@@ -1,2 +1,3 @@\n one\n-two\n\\ No newline at end of file\n+two\n+three\n"
                "\\ No newline at end of file\n",
            ),
            ("one\ntwo\n", "one\ntwo", "@@ -1,2 +1,2 @@\n one\n-two\n+two\n\\ No newline at end of file\n"),
            ("same", "same\n", "@@ -1 +1 @@\n-same\n\\ No newline at end of file\n+same\n"),
            ("a\n", "b\n", "@@ -1 +1 @@\n-a\n+b\n"),
        ],
    )
    def test_like_diff_u_with_or_without_a_trailing_newline(self, before, after, expected):
        first, second = PromptFactory.build(content=before), PromptFactory.build(content=after)

        diff = services.prompt_diff(prompt=first, other=second)

        assert diff.split("\n", 2)[2] == expected
