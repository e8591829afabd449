"""A Conventional Commits 1.0 parser (https://www.conventionalcommits.org/en/v1.0.0/).

<type>[(<scope>)][!]: <description>
<blank line>
[body]
<blank line>
[footers: `Token: value` or `Token #value`; `BREAKING CHANGE: ...`]

Where the specification is clear the parser follows it (the rule numbers below are its
own); where a message is ambiguous it refuses rather than guess, so that a breaking change
is never stored as an ordinary one:
- line endings are normalised (CRLF, CR -> LF); spaces after the header's colon are trimmed;
- a scope is a noun: `feat( ): x` is refused, like `feat(): x` (rule 4);
- footers are the final paragraphs of the message, each starting with a footer (rules 8-10);
  an earlier paragraph that looks like one is body text;
- `BREAKING CHANGE` takes `: ` and nothing else (rule 12): `BREAKING CHANGE #123` is no footer;
- a breaking-change token (any case, `BREAKING CHANGE` or `BREAKING-CHANGE`) anywhere outside
  a valid upper-case footer refuses the message with the way to write one.

Git trailers (`Task: 3f2c...`, `Signed-off-by: ...`) are footers: `with_trailers` adds them.
"""

import re
from dataclasses import dataclass, field

HEADER = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()\n]*)\))?(?P<bang>!)?:[ \t]+(?P<description>\S.*)$"
)
FOOTER = re.compile(r"^(?P<token>BREAKING CHANGE|[A-Za-z][A-Za-z0-9-]*)(?P<separator>: | #)(?P<value>.*)$")
BREAKING_TOKEN = re.compile(r"^\s*BREAKING[ -]CHANGE\b", re.IGNORECASE)
BREAKING_TOKENS = ("BREAKING CHANGE", "BREAKING-CHANGE")
HOW_TO_BREAK = (
    "Write a breaking change as a footer: a blank line after the body, then "
    "'BREAKING CHANGE: <what breaks>' on one line (upper case, colon and space); or mark the type with '!'."
)


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


def normalised(message: str) -> str:
    return message.replace("\r\n", "\n").replace("\r", "\n")


def parse(message: str) -> ConventionalCommit:
    lines = normalised(message).strip("\n").split("\n")
    header = HEADER.match(lines[0].rstrip())
    if header is None:
        raise CommitMessageError(
            "The first line must be '<type>[(<scope>)][!]: <description>', e.g. 'feat(board): add columns'."
        )
    if header["scope"] is not None and not header["scope"].strip():
        raise CommitMessageError(
            "A scope is a noun, e.g. 'feat(board): ...'; for no scope leave out the parentheses."
        )
    if len(lines) > 1 and lines[1].strip():
        raise CommitMessageError("The body or footers must be separated from the first line by a blank line.")
    body, footers = _split_body_and_footers(lines[2:])
    _refuse_hidden_breaking_changes(body, footers)
    breaking_footers = [value for token, _, value in footers if token in BREAKING_TOKENS]
    if any(not value.strip() for value in breaking_footers):
        raise CommitMessageError(f"A BREAKING CHANGE footer must describe the change. {HOW_TO_BREAK}")
    return ConventionalCommit(
        type=header["type"].lower(),
        scope=(header["scope"] or "").strip(),
        breaking=bool(header["bang"]) or bool(breaking_footers),
        description=header["description"].strip(),
        body=body,
        footers=[(token, value) for token, _, value in footers],
    )


def with_trailers(message: str, trailers: list[tuple[str, str]]) -> str:
    """`message` ending with the git trailers `Token: value` (footers, to this parser): in its
    footer paragraph when it has one, else in a paragraph of their own."""
    if not trailers:
        return message
    lines = "\n".join(f"{token}: {value}" for token, value in trailers)
    separator = "\n" if parse(message).footers else "\n\n"
    return f"{message.rstrip()}{separator}{lines}"


def _paragraphs(lines: list[str]) -> list[list[str]]:
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            paragraphs.append(current)
            current = []
    return [*paragraphs, current] if current else paragraphs


def _split_body_and_footers(lines: list[str]) -> tuple[str, list[tuple[str, str, str]]]:
    """Footers, as (token, separator, value), are the last paragraphs that each start with a
    footer line; inside them, a line that is not a footer continues the previous value."""
    paragraphs = _paragraphs(lines)
    start = len(paragraphs)
    while start > 0 and FOOTER.match(paragraphs[start - 1][0]):
        start -= 1
    body = "\n\n".join("\n".join(paragraph) for paragraph in paragraphs[:start])
    footers: list[tuple[str, str, str]] = []
    for line in (line for paragraph in paragraphs[start:] for line in paragraph):
        if match := FOOTER.match(line):
            footers.append((match["token"], match["separator"], match["value"]))
        else:
            token, separator, value = footers[-1]
            footers[-1] = (token, separator, f"{value}\n{line}")
    return body, footers


def _refuse_hidden_breaking_changes(body: str, footers: list[tuple[str, str, str]]) -> None:
    """A reader takes any line starting with a breaking-change token for one: if the layout
    makes it anything but a valid footer, the message is refused, not stored as non-breaking."""
    suspects = body.split("\n")
    for token, separator, value in footers:
        if BREAKING_TOKEN.match(token) and (token not in BREAKING_TOKENS or separator != ": "):
            suspects.append(f"{token}{separator}{value}")
        suspects += value.split("\n")[1:]
    for line in suspects:
        if BREAKING_TOKEN.match(line):
            raise CommitMessageError(
                f"'{line.strip()[:40]}' is not a valid breaking-change footer. {HOW_TO_BREAK}"
            )


THINKING = re.compile(r"<(think|thinking|reasoning)>.*?</\1>", re.DOTALL | re.IGNORECASE)
MARKS = ("**", "__", '"', "'", "`")


def _unmarked(text: str) -> str:
    """`text` without the bold, quotes or backticks wrapped around the whole of it."""
    text = text.strip()
    while True:
        mark = next(
            (m for m in MARKS if len(text) > 2 * len(m) and text.startswith(m) and text.endswith(m)), None
        )
        if mark is None:
            return text
        text = text[len(mark) : -len(mark)].strip()


def unwrap(answer: str) -> str:
    """The commit message inside a model's answer: without <think> blocks, a preamble such as
    "Here is the commit message:", a Markdown code fence, or quotes, backticks or bold around it.
    An answer with no line that looks like a header is returned as it is, for the parser to judge."""
    lines = THINKING.sub("", normalised(answer)).strip().split("\n")
    start = next(
        (i for i, line in enumerate(lines) if line.startswith("```") or HEADER.match(_unmarked(line))), None
    )
    if start is None:
        return "\n".join(lines).strip()
    lines = lines[start:]
    if lines[0].startswith("```"):
        end = next((i for i, line in enumerate(lines[1:], start=1) if line.strip() == "```"), len(lines))
        lines = lines[1:end]
    text = _unmarked("\n".join(lines))
    header, _, rest = text.partition("\n")
    return f"{_unmarked(header)}\n{rest}".strip() if rest else _unmarked(header)


def commit_fields(message: str) -> dict:
    """`type`, `scope` and `breaking` of a Commit, read from its message."""
    from kanban.models import Commit

    # The type first: a model that invents one should hear about that, not about a blank line.
    header = HEADER.match(normalised(message).strip("\n").split("\n")[0].rstrip())
    if header and header["type"].lower() not in Commit.Type.values:
        raise CommitMessageError(
            f"The type '{header['type']}' is not one of {', '.join(Commit.Type.values)}."
        )
    commit = parse(message)
    scope_limit = Commit._meta.get_field("scope").max_length
    if len(commit.scope) > scope_limit:
        raise CommitMessageError(f"The scope must be at most {scope_limit} characters.")
    return {"type": commit.type, "scope": commit.scope, "breaking": commit.breaking}
