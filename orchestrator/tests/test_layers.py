"""One direction of dependency: each app imports only from the apps below it.

The order is INSTALLED_APPS' own (lowest first, after Django's and the libraries'), as the
README's "Layout" says. Every import statement counts, at module level or inside a
function, in code and in migrations; tests are left out (they exercise the apps together).
"""

import ast
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
LAYERS = settings.INSTALLED_APPS[settings.INSTALLED_APPS.index("core") :]
RANK = {app: rank for rank, app in enumerate(LAYERS)}


def imported(tree: ast.AST, module: str):
    """`(line, module)` of every import in `tree`, relative ones resolved from `module`."""
    package = module.split(".")
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level]
                yield node.lineno, ".".join([*base, *([node.module] if node.module else [])])
            elif node.module:
                yield node.lineno, node.module


def upward_imports() -> list[str]:
    found = []
    for app in LAYERS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "tests" in relative.parts:
                continue
            module = ".".join(relative.with_suffix("").parts)
            for line, name in imported(ast.parse(path.read_text(), str(path)), module):
                target = name.split(".")[0]
                if target in RANK and RANK[target] > RANK[app]:
                    found.append(f"{relative}:{line} imports {name} ({target} is above {app})")
    return found


def test_no_app_imports_an_app_above_it():
    assert upward_imports() == []


def test_the_check_sees_imports_inside_functions_and_relative_ones():
    tree = ast.parse("def f():\n    from webhooks.services import emit\nfrom . import models\n")
    assert sorted(imported(tree, "jobs.services.run")) == [(2, "webhooks.services"), (3, "jobs.services")]


def test_the_layers_are_the_documented_order():
    readme = " ".join((ROOT / "README.md").read_text().split())
    assert " < ".join(LAYERS) in readme
