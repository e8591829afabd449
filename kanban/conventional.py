"""A Conventional Commits 1.0 parser (https://www.conventionalcommits.org/en/v1.0.0/).

<type>[(<scope>)][!]: <description>
<blank line>
[body]
<blank line>
[footers: `Token: value` or `Token #value`; `BREAKING CHANGE: ...`]
"""

import re
from dataclasses import dataclass, field

HEADER = re.compile(r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\r\n]+)\))?(?P<bang>!)?: (?P<description>\S.*)$")
FOOTER = re.compile(r"^(?P<token>(?i:BREAKING[ -]CHANGE)|[A-Za-z][A-Za-z0-9-]*)(?:: | #)(?P<value>.*)$")
BREAKING_TOKENS = ("BREAKING CHANGE", "BREAKING-CHANGE")


class CommitMessageError(ValueError):
    """The message is not a valid Conventional Commit; the text says why."""


@dataclass(frozen=True)
class ConventionalCommit:
    type: str
    scope: str
    breaking: bool
    description: str
    body: str = ""
    footers: list[tuple[str, str]] = field(default_factory=list)


def parse(message: str) -> ConventionalCommit:
    lines = message.strip("\n").split("\n")
    header = HEADER.match(lines[0].rstrip())
    if header is None:
        raise CommitMessageError(
            "The first line must be '<type>[(<scope>)][!]: <description>', e.g. 'feat(board): add columns'."
        )
    if len(lines) > 1 and lines[1].strip():
        raise CommitMessageError("The body or footers must be separated from the first line by a blank line.")
    body, footers = _split_body_and_footers(lines[2:])
    breaking_footers = [value for token, value in footers if token in ("BREAKING CHANGE", "BREAKING-CHANGE")]
    if any(not value.strip() for value in breaking_footers):
        raise CommitMessageError("A BREAKING CHANGE footer must describe the change.")
    for token, _ in footers:
        if token.upper() in ("BREAKING CHANGE", "BREAKING-CHANGE") and token not in (
            "BREAKING CHANGE",
            "BREAKING-CHANGE",
        ):
            raise CommitMessageError("The BREAKING CHANGE footer token must be upper case.")
    return ConventionalCommit(
        type=header["type"].lower(),
        scope=(header["scope"] or "").strip(),
        breaking=bool(header["bang"]) or bool(breaking_footers),
        description=header["description"].strip(),
        body=body,
        footers=footers,
    )


def _split_body_and_footers(lines: list[str]) -> tuple[str, list[tuple[str, str]]]:
    """Footers start at the first paragraph whose first line is a footer; later lines that
    are not footers continue the previous footer's value."""
    start = next(
        (
            index
            for index, line in enumerate(lines)
            if FOOTER.match(line) and (index == 0 or not lines[index - 1].strip())
        ),
        len(lines),
    )
    body = "\n".join(lines[:start]).strip("\n")
    footers: list[tuple[str, str]] = []
    for line in lines[start:]:
        match = FOOTER.match(line)
        if match:
            footers.append((match["token"], match["value"]))
        elif footers:
            token, value = footers[-1]
            footers[-1] = (token, f"{value}\n{line}")
    return body, [(token, value.rstrip("\n")) for token, value in footers]


def commit_fields(message: str) -> dict:
    """`type`, `scope` and `breaking` of a Commit, read from its message."""
    from kanban.models import Commit

    commit = parse(message)
    if commit.type not in Commit.Type.values:
        raise CommitMessageError(f"The type '{commit.type}' is not one of {', '.join(Commit.Type.values)}.")
    scope_limit = Commit._meta.get_field("scope").max_length
    if len(commit.scope) > scope_limit:
        raise CommitMessageError(f"The scope must be at most {scope_limit} characters.")
    return {"type": commit.type, "scope": commit.scope, "breaking": commit.breaking}
