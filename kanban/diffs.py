"""Unified diffs, as `git diff --cached` prints them, for the commit writer: read with unidiff
into a commit's `changes`, and reduced to what the model is shown.

The model is shown a stat of every file, then the hunks of the files worth reading. Left out
of the hunks, and listed in the stat by name with the reason:
- lock files (`package-lock.json`, `yarn.lock`, `poetry.lock`, `Cargo.lock`, `go.sum`... see
  LOCK_FILES): machine-written, long, and saying nothing a message needs;
- binary files (git prints no lines for them);
- minified files (`*.min.js`, `*.min.mjs`, `*.min.css`) and source maps (`*.map`);
- anything under a `dist/`, `node_modules/` or `vendor/` directory: build output and vendored
  code. `build/` is kept: many projects keep sources and scripts there.

A view longer than the token budget (counted as characters / 4) keeps the whole stat (cut at
the budget itself, with how many files are left) and then the largest hunks that fit: largest
first, each one that still fits, shown in the diff's order under their files' names.
"""

import codecs
from dataclasses import dataclass

from unidiff import PatchSet, UnidiffParseError
from unidiff.constants import DEV_NULL
from unidiff.patch import PatchedFile

LOCK_FILES = frozenset(
    {
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
        "bun.lock",
        "bun.lockb",
        "poetry.lock",
        "Pipfile.lock",
        "uv.lock",
        "pdm.lock",
        "Cargo.lock",
        "go.sum",
        "composer.lock",
        "Gemfile.lock",
        "mix.lock",
        "pubspec.lock",
        "Podfile.lock",
        "Package.resolved",
        "packages.lock.json",
        "flake.lock",
        "gradle.lockfile",
        "conda-lock.yml",
    }
)
MINIFIED_SUFFIXES = (".min.js", ".min.mjs", ".min.css")
GENERATED_DIRECTORIES = {"dist": "build output", "node_modules": "vendored", "vendor": "vendored"}
CHARS_PER_TOKEN = 4
STATUS_LETTERS = {"added": "A", "modified": "M", "deleted": "D", "renamed": "R"}


class DiffError(ValueError):
    """The text is not a unified diff; the message says why."""


@dataclass(frozen=True)
class FileChange:
    path: str
    old_path: str | None
    status: str
    added: int
    removed: int
    binary: bool
    hunks: tuple[str, ...]

    @property
    def left_out(self) -> str | None:
        """Why the model is not shown the file's lines, or None."""
        if self.binary:
            return "binary"
        directories, _, name = self.path.rpartition("/")
        if name in LOCK_FILES:
            return "lock file"
        if name.endswith(MINIFIED_SUFFIXES):
            return "minified"
        if name.endswith(".map"):
            return "source map"
        for directory in directories.split("/"):
            if directory in GENERATED_DIRECTORIES:
                return GENERATED_DIRECTORIES[directory]
        return None

    @property
    def header(self) -> str:
        old = "/dev/null" if self.status == "added" else f"a/{self.old_path}"
        new = "/dev/null" if self.status == "deleted" else f"b/{self.path}"
        return f"--- {old}\n+++ {new}\n"

    def stat_line(self) -> str:
        name = f"{self.old_path} -> {self.path}" if self.status == "renamed" else self.path
        line = f"{STATUS_LETTERS[self.status]} {name}"
        if self.left_out:
            return f"{line} ({self.left_out}, not shown)"
        return f"{line} +{self.added} -{self.removed}"


def parse(text: str) -> list[FileChange]:
    """The files `text` changes; DiffError when it is not a unified diff."""
    try:
        patch = PatchSet(text)
    except UnidiffParseError as exc:
        raise DiffError(f"Not a unified diff: {str(exc).strip()[:120]}") from None
    if not patch:
        raise DiffError("No changed file found: send a unified diff, as `git diff --cached` prints it.")
    return [_file_change(patched) for patched in patch]


def _file_change(patched: PatchedFile) -> FileChange:
    source, target = _path(patched.source_file, "a/"), _path(patched.target_file, "b/")
    if source is None:
        status = "added"
    elif target is None:
        status = "deleted"
    else:
        status = "renamed" if source != target else "modified"
    return FileChange(
        path=target or source,
        old_path=source,
        status=status,
        added=patched.added,
        removed=patched.removed,
        binary=patched.is_binary_file,
        hunks=tuple(str(hunk) for hunk in patched),
    )


def _path(name: str | None, prefix: str) -> str | None:
    """A diff's file name as a path: None for /dev/null, git's C-style quoting undone, without
    its `a/` or `b/`."""
    if not name or name == DEV_NULL:
        return None
    if len(name) > 1 and name.startswith('"') and name.endswith('"'):
        name = codecs.escape_decode(name[1:-1].encode())[0].decode(errors="replace")
    return name.removeprefix(prefix)


def changes_of(files: list[FileChange]) -> dict:
    """A commit's `changes`: each file (path, old path, status, lines added and removed,
    binary) and the totals."""
    return {
        "files": [
            {
                "path": file.path,
                "old_path": file.old_path,
                "status": file.status,
                "added": file.added,
                "removed": file.removed,
                "binary": file.binary,
            }
            for file in files
        ],
        "totals": {
            "files": len(files),
            "added": sum(file.added for file in files),
            "removed": sum(file.removed for file in files),
        },
    }


def model_view(files: list[FileChange], *, token_budget: int) -> str:
    """What the commit writer reads of the diff: the stat, then the hunks of the files worth
    reading, reduced to fit `token_budget` (see the module docstring)."""
    budget = token_budget * CHARS_PER_TOKEN
    shown = [file for file in files if not file.left_out and file.hunks]
    whole = "".join(file.header + "".join(file.hunks) for file in shown)
    stat = _stat(files, budget)
    if len(stat) + 1 + len(whole) <= budget:
        return f"{stat}\n{whole}".rstrip("\n")
    hunks = [(n, m, hunk) for n, file in enumerate(shown) for m, hunk in enumerate(file.hunks)]
    note = (
        f"The diff is over the budget of {token_budget} tokens, so only {{taken}} of its {len(hunks)} "
        "hunks follow: the largest that fit.\n"
    )
    stat = _stat(files, budget - len(note) - 1)
    room = budget - len(stat) - 1 - len(note)
    taken, started = set(), set()
    for n, m, hunk in sorted(hunks, key=lambda item: -len(item[2])):
        cost = len(hunk) + (0 if n in started else len(shown[n].header))
        if cost <= room:
            taken.add((n, m))
            started.add(n)
            room -= cost
    sections = [
        file.header + "".join(hunk for m, hunk in enumerate(file.hunks) if (n, m) in taken)
        for n, file in enumerate(shown)
        if n in started
    ]
    return f"{stat}\n{note.format(taken=len(taken))}{''.join(sections)}".rstrip("\n")


def _stat(files: list[FileChange], budget: int) -> str:
    """One line per file under a line of totals, cut at `budget` with how many files are left."""
    added, removed = sum(file.added for file in files), sum(file.removed for file in files)
    lines = [f"{len(files)} file{'' if len(files) == 1 else 's'} changed, +{added} -{removed}:"]
    size = len(lines[0]) + 1
    for index, file in enumerate(files):
        line, left = file.stat_line(), len(files) - index
        more = f"… and {left} more files" if left > 1 else ""
        if size + len(line) + 1 + len(more) + 1 > budget:
            lines.append(f"… and {left} more file{'' if left == 1 else 's'}")
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines) + "\n"
