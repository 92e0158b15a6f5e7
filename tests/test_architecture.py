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
