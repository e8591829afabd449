"""The Conventional Commits 1.0.0 parser: the specification's own examples verbatim, then a
table of the edge cases other implementations test, each with its decision and the rule of
the specification it rests on (https://www.conventionalcommits.org/en/v1.0.0/#specification)."""

import pytest

from kanban.conventional import (
    HOW_TO_BREAK,
    CommitMessageError,
    ConventionalCommit,
    commit_fields,
    parse,
    unwrap,
)

# The "Examples" section of the specification, verbatim.
SPECIFICATION_EXAMPLES = [
    (
        "feat: allow provided config object to extend other configs\n\n"
        "BREAKING CHANGE: `extends` key in config file is now used for extending other config files",
        ConventionalCommit(
            "feat",
            "",
            True,
            "allow provided config object to extend other configs",
            "",
            [
                (
                    "BREAKING CHANGE",
                    "`extends` key in config file is now used for extending other config files",
                )
            ],
        ),
    ),
    (
        "feat!: send an email to the customer when a product is shipped",
        ConventionalCommit("feat", "", True, "send an email to the customer when a product is shipped"),
    ),
    (
        "feat(api)!: send an email to the customer when a product is shipped",
        ConventionalCommit("feat", "api", True, "send an email to the customer when a product is shipped"),
    ),
    (
        "chore!: drop support for Node 6\n\n"
        "BREAKING CHANGE: use JavaScript features not available in Node 6.",
        ConventionalCommit(
            "chore",
            "",
            True,
            "drop support for Node 6",
            "",
            [("BREAKING CHANGE", "use JavaScript features not available in Node 6.")],
        ),
    ),
    (
        "docs: correct spelling of CHANGELOG",
        ConventionalCommit("docs", "", False, "correct spelling of CHANGELOG"),
    ),
    ("feat(lang): add Polish language", ConventionalCommit("feat", "lang", False, "add Polish language")),
    (
        "fix: prevent racing of requests\n\n"
        "Introduce a request id and a reference to latest request. Dismiss\n"
        "incoming responses other than from latest request.\n\n"
        "Remove timeouts which were used to mitigate the racing issue but are\n"
        "obsolete now.\n\n"
        "Reviewed-by: Z\n"
        "Refs: #123",
        ConventionalCommit(
            "fix",
            "",
            False,
            "prevent racing of requests",
            "Introduce a request id and a reference to latest request. Dismiss\n"
            "incoming responses other than from latest request.\n\n"
            "Remove timeouts which were used to mitigate the racing issue but are\n"
            "obsolete now.",
            [("Reviewed-by", "Z"), ("Refs", "#123")],
        ),
    ),
]


@pytest.mark.parametrize(("message", "expected"), SPECIFICATION_EXAMPLES)
def test_the_specifications_examples(message, expected):
    assert parse(message) == expected


# (message, what it parses to, or the complaint it is refused with; the rule; the decision)
ACCEPTED = [
    ("feat:  add board", ("feat", "", False, "add board"), 5, "spaces after the colon are trimmed"),
    ("feat(board):\tadd board", ("feat", "board", False, "add board"), 5, "a tab counts as the space"),
    (
        "FEAT(Board): add board",
        ("feat", "Board", False, "add board"),
        15,
        "types in any case; scope kept as written",
    ),
    ("feat( board ): add", ("feat", "board", False, "add"), 4, "spaces around a scope are trimmed"),
    (
        "fix: x\r\n\r\nBody.\r\n\r\nRefs: #1\r\n",
        ("fix", "", False, "x", "Body.", [("Refs", "#1")]),
        6,
        "CRLF line endings are normalised: nothing keeps a carriage return",
    ),
    (
        "fix: x\n\nNote: this matters\n\nMore explanation.",
        ("fix", "", False, "x", "Note: this matters\n\nMore explanation.", []),
        8,
        "footers are the last paragraphs; an earlier paragraph that looks like one is body",
    ),
    ("fix: x\n\nRefs #133", ("fix", "", False, "x", "", [("Refs", "133")]), 9, "'Token #value' is a footer"),
    (
        "feat: x\n\nBREAKING CHANGE: a\n  continued",
        ("feat", "", True, "x", "", [("BREAKING CHANGE", "a\n  continued")]),
        10,
        "a footer's value may span lines",
    ),
    (
        "feat: x\n\nBREAKING-CHANGE: renamed",
        ("feat", "", True, "x", "", [("BREAKING-CHANGE", "renamed")]),
        16,
        "BREAKING-CHANGE is a synonym",
    ),
    (
        "feat!: x\n\nBREAKING CHANGE: y",
        ("feat", "", True, "x", "", [("BREAKING CHANGE", "y")]),
        13,
        "'!' and the footer together",
    ),
]
REFUSED = [
    ("feat(): add board", "A scope is a noun", 4, "an empty scope is refused"),
    ("feat( ): add board", "A scope is a noun", 4, "a blank scope is refused, like an empty one"),
    ("feat:add board", "The first line must be", 5, "the colon needs a space"),
    ("feat: ", "The first line must be", 5, "a description is required"),
    (
        "feat: add\nbody right away",
        "separated from the first line by a blank line",
        6,
        "the blank line is required",
    ),
    ("feat: x\n\nBREAKING CHANGE: ", "must describe the change", 12, "an empty breaking change is refused"),
    (
        "feat: x\n\nBREAKING CHANGE:",
        "'BREAKING CHANGE:' is not a valid breaking-change footer",
        12,
        "nothing after the colon: refused, never stored as non-breaking",
    ),
    (
        "feat: x\n\nBREAKING CHANGE:\nthe API moved",
        "'BREAKING CHANGE:' is not a valid",
        12,
        "the description on the next line: refused",
    ),
    (
        "feat: x\n\nSome body text.\nBREAKING CHANGE: the API moved",
        "is not a valid breaking-change footer",
        8,
        "no blank line before the footer makes it body text: refused",
    ),
    (
        "feat: x\n\nBREAKING CHANGE #123",
        "'BREAKING CHANGE #123' is not a valid",
        12,
        "'#' is not a breaking-change separator: refused",
    ),
    ("feat: x\n\nBREAKING-CHANGE #123", "'BREAKING-CHANGE #123' is not a valid", 16, "nor for the synonym"),
    (
        "feat: x\n\nbreaking change: y",
        "'breaking change: y' is not a valid",
        15,
        "the token is upper case (the one exception to case-insensitivity)",
    ),
    ("feat: x\n\nBreaking-Change: y", "'Breaking-Change: y' is not a valid", 15, "in every spelling"),
    (
        "feat: x\n\nBREAKING CHANGE: y\n\nMore about it.",
        "'BREAKING CHANGE: y' is not a valid",
        8,
        "a breaking change followed by body text is no footer: refused",
    ),
]


@pytest.mark.parametrize(
    ("message", "parsed", "rule", "decision"), ACCEPTED, ids=[f"rule {r}: {d}" for _, _, r, d in ACCEPTED]
)
def test_edge_cases_accepted(message, parsed, rule, decision):
    assert parse(message) == ConventionalCommit(*parsed)


@pytest.mark.parametrize(
    ("message", "complaint", "rule", "decision"), REFUSED, ids=[f"rule {r}: {d}" for _, _, r, d in REFUSED]
)
def test_edge_cases_refused(message, complaint, rule, decision):
    with pytest.raises(CommitMessageError) as refusal:
        parse(message)
    assert str(refusal.value).startswith(complaint) or complaint in str(refusal.value)
    if "breaking" in decision or "BREAKING" in message.upper():
        assert HOW_TO_BREAK in str(refusal.value)


def test_an_unknown_type_is_named_before_any_layout_fault():
    with pytest.raises(CommitMessageError, match="The type 'feature' is not one of feat, fix"):
        commit_fields("feature: add board\nbody right away")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ("feat(board): add columns", "feat(board): add columns"),
        ("Here is the commit message:\n\nfeat(board): add columns", "feat(board): add columns"),
        ("Here's a commit message for these changes:\nfix: x\n\nBody.", "fix: x\n\nBody."),
        ('"feat: add board"', "feat: add board"),
        ("'feat: add board'", "feat: add board"),
        ("`feat: add board`", "feat: add board"),
        ("**feat: add board**", "feat: add board"),
        ("**feat: add board**\n\nWith a body.", "feat: add board\n\nWith a body."),
        ("<think>The user changed the board, so feat.</think>\nfeat: add board", "feat: add board"),
        ("```\nfeat: x\n\nbody\n```", "feat: x\n\nbody"),
        ("```text\nfix: y\n```\nLet me know if you want changes.", "fix: y"),
        (
            "<think>\nfix or feat?\n</think>\n\nCommit message:\n\n"
            "```\nfix(api): refuse NUL\n\nRefs: #8\n```",
            "fix(api): refuse NUL\n\nRefs: #8",
        ),
        ("I could not decide.", "I could not decide."),
    ],
)
def test_the_message_is_taken_out_of_common_wrappers(answer, message):
    assert unwrap(answer) == message
