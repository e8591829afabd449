import pytest

from kanban.conventional import CommitMessageError, ConventionalCommit, parse


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("feat: add board", ConventionalCommit("feat", "", False, "add board")),
        ("fix(cart): round totals", ConventionalCommit("fix", "cart", False, "round totals")),
        ("refactor(api)!: drop v0", ConventionalCommit("refactor", "api", True, "drop v0")),
        ("chore!: bump", ConventionalCommit("chore", "", True, "bump")),
        (
            "feat(board): add WIP limits\n\nColumns can be capped.\n\nSecond paragraph.",
            ConventionalCommit(
                "feat", "board", False, "add WIP limits", "Columns can be capped.\n\nSecond paragraph."
            ),
        ),
        (
            "fix: prevent racing\n\nIntroduce a lock.\n\nReviewed-by: Z\nRefs #133",
            ConventionalCommit(
                "fix",
                "",
                False,
                "prevent racing",
                "Introduce a lock.",
                [("Reviewed-by", "Z"), ("Refs", "133")],
            ),
        ),
        (
            "feat: allow config\n\nBREAKING CHANGE: `extends` now\n  extends other files",
            ConventionalCommit(
                "feat",
                "",
                True,
                "allow config",
                "",
                [("BREAKING CHANGE", "`extends` now\n  extends other files")],
            ),
        ),
        (
            "perf: faster\n\nBREAKING-CHANGE: env vars renamed",
            ConventionalCommit("perf", "", True, "faster", "", [("BREAKING-CHANGE", "env vars renamed")]),
        ),
    ],
)
def test_valid_messages(message, expected):
    assert parse(message) == expected


@pytest.mark.parametrize(
    ("message", "complaint"),
    [
        ("add board", "first line must be"),
        ("feat:add board", "first line must be"),
        ("feat(): add board", "first line must be"),
        ("feat: ", "first line must be"),
        ("feat(board) add", "first line must be"),
        ("feat: add\nbody right away", "separated from the first line by a blank line"),
        ("feat: x\n\nBREAKING CHANGE: ", "must describe the change"),
        ("feat: x\n\nbreaking change: y", "must be upper case"),
    ],
)
def test_invalid_messages_say_why(message, complaint):
    with pytest.raises(CommitMessageError, match=complaint):
        parse(message)
