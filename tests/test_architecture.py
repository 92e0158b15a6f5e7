"""The shape of the package, checked so that it stays as designed: small modules and
functions, and a clean lint including complexity and parameter counts."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "grannsamverkan"
MAX_MODULE_LINES = 350
MAX_FUNCTION_LINES = 60


def package_modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def functions_in(tree: ast.AST) -> list[ast.FunctionDef | ast.AsyncFunctionDef]:
    return [
        node for node in ast.walk(tree) if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    ]


@pytest.mark.parametrize("path", package_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_modules_and_functions_stay_small(path: Path) -> None:
    source = path.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= MAX_MODULE_LINES, "split the module by what it owns"
    too_long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"  # type: ignore[operator]
        for node in functions_in(ast.parse(source))
        if node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES  # type: ignore[operator]
    ]
    assert too_long == []


def test_the_size_check_can_fail() -> None:
    long_function = "def f():\n" + "    x = 1\n" * MAX_FUNCTION_LINES
    (node,) = functions_in(ast.parse(long_function))
    assert node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES  # type: ignore[operator]


def test_ruff_is_clean() -> None:
    """Lint (with complexity and parameter limits, pyproject.toml) and formatting."""
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "."], ["format", "--check", "."]):
        done = subprocess.run(
            [*ruff, *command], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stdout + done.stderr


# --- one home for access rules -----------------------------------------------------------

PERMISSIONS = PACKAGE / "services" / "permissions.py"
# Methods that compare a SQL column with a value, like == does in Python.
SQL_COMPARISONS = {"in_", "not_in", "is_", "is_not", "__eq__", "__ne__"}


def role_names() -> set[str]:
    from grannsamverkan.models.user import ROLES

    return set(ROLES)


def _role_constants(node: ast.AST, roles: set[str]) -> list[str]:
    """Role names written as string constants in ``node`` (a tuple of them included)."""
    return [
        sub.value
        for sub in ast.walk(node)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and sub.value in roles
    ]


def role_comparisons(source: str, roles: set[str]) -> list[tuple[int, str]]:
    """(line, role) of every comparison of something with a role name: ``x == "police"``,
    ``role in ("police", "admin")``, ``User.role.in_(["admin"])``, ``case "admin":``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare):
            compared: list[ast.AST] = [node.left, *node.comparators]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_COMPARISONS
        ):
            compared = list(node.args)
        elif isinstance(node, ast.MatchValue):
            compared = [node.value]
        else:
            continue
        found += [(node.lineno, role) for part in compared for role in _role_constants(part, roles)]
    return found


def test_role_names_are_compared_only_in_permissions() -> None:
    """Access rules live in services/permissions.py: anywhere else, ask a predicate there."""
    roles = role_names()
    offenders = [
        f"{path.relative_to(ROOT)}:{line} compares with {role!r}"
        for path in package_modules()
        if path != PERMISSIONS
        for line, role in role_comparisons(path.read_text(encoding="utf-8"), roles)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "source",
    [
        'if user.role == "police": pass',
        'ok = "admin" != user.role',
        'ok = user.role in ("police", "admin")',
        'query = select(User).where(User.role.in_(["resident"]))',
        'match user.role:\n    case "admin":\n        pass',
    ],
)
def test_the_role_check_finds_comparisons(source: str) -> None:
    assert role_comparisons(source, role_names()) != []


def test_the_role_check_ignores_other_uses_of_the_words() -> None:
    source = 'make_user(role="police")\nTOPICS = ("police", "other")\nlabel = "admin"'
    assert role_comparisons(source, role_names()) == []
