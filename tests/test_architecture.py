"""The shape of the package, checked so that it stays as designed: small modules and
functions, and a clean lint including complexity and parameter counts."""

from __future__ import annotations

import ast
import subprocess
import sys
from graphlib import CycleError, TopologicalSorter
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


def test_mypy_is_clean() -> None:
    """The package type-checks ([tool.mypy] in pyproject.toml: its packages and settings)."""
    done = subprocess.run(
        [sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True, check=False
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


# --- the import graph: no cycles, layers point one way -----------------------------------

# Modules that import nothing from the application, so that every layer may use them.
KERNEL = {
    "extensions",
    "config",
    "errors",
    "texts",
    "request_input",
    "failure_log",
    "outages",
    "logs",
    "metrics",
    "schema_version",
    "gunicorn_config",
    "open311_config",
}
# The application itself: the factory, the operator commands and the demo data wire
# everything together and may import anything.
APPLICATION = {"", "cli", "demo", "demo_year", "preflight"}
# What each layer may import (besides itself and third-party code): api -> services ->
# models; notify, geo and feeds beside services, never importing them.
MAY_IMPORT = {
    "kernel": set(),
    "models": {"kernel"},
    "geo": {"kernel", "models"},
    "feeds": {"kernel", "geo"},
    "notify": {"kernel", "models"},
    "services": {"kernel", "models", "geo"},
    "schemas": {"kernel", "models", "geo", "services"},
    "api": {"kernel", "models", "geo", "feeds", "services", "schemas"},
    # The web console is a second front end beside the API: the same schemas and services,
    # and the API's shared sign-in limit (api.ratelimit); notify's message builder previews
    # a broadcast's push exactly as the phone will get it.
    "console": {"kernel", "models", "geo", "feeds", "services", "schemas", "api", "notify"},
}


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str:
    first = module.removeprefix("grannsamverkan").lstrip(".").split(".")[0]
    if first in KERNEL:
        return "kernel"
    if first in APPLICATION:
        return "application"
    return first


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, modules: set[str], root: Path = ROOT) -> dict[str, bool]:
    """Modules of the package that ``path`` imports (at module level or in a function), each
    mapped to whether the import runs (False: only under ``if TYPE_CHECKING``)."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(sub)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and _is_type_checking(node)
        for statement in node.body
        for sub in ast.walk(statement)
    }
    found: dict[str, bool] = {}
    for node in ast.walk(tree):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        for target in targets:
            if target in modules and target != name:
                found[target] = found.get(target, False) or id(node) not in type_only
    return found


def import_graph() -> dict[str, dict[str, bool]]:
    paths = package_modules()
    modules = {module_name(path) for path in paths}
    return {module_name(path): imports_of(path, modules) for path in paths}


def cycle_in(graph: dict[str, set[str]]) -> list[str]:
    """A cycle of the graph (its first node repeated at the end), or [] if it has none."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        return list(error.args[1])
    return []


def test_the_package_has_no_import_cycles() -> None:
    """Not even through imports inside functions (only ``if TYPE_CHECKING`` ones are free)."""
    graph = {
        module: {target for target, runs in targets.items() if runs}
        for module, targets in import_graph().items()
    }
    assert cycle_in(graph) == []


def layer_violations(graph: dict[str, dict[str, bool]]) -> list[str]:
    violations = []
    for module, targets in sorted(graph.items()):
        layer = layer_of(module)
        if layer == "application":
            continue
        allowed = MAY_IMPORT[layer] | {layer}
        violations += [
            f"{module} ({layer}) imports {target} ({layer_of(target)})"
            for target in sorted(targets)
            if layer_of(target) not in allowed
        ]
    return violations


def test_layers_import_only_downwards() -> None:
    assert layer_violations(import_graph()) == []


def test_every_module_belongs_to_a_layer() -> None:
    assert {layer_of(module) for module in import_graph()} <= {*MAY_IMPORT, "application"}


def test_the_graph_checks_can_fail(tmp_path: Path) -> None:
    """The checks find a cycle, a function-level upward import and a relative import."""
    assert len(cycle_in({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}})) == 4
    assert cycle_in({"a": {"b"}, "b": set()}) == []
    model = tmp_path / "grannsamverkan" / "models" / "thing.py"
    model.parent.mkdir(parents=True)
    model.write_text(
        "from . import other\n"
        "def f():\n    from grannsamverkan.services import tips\n"
        "if TYPE_CHECKING:\n    from grannsamverkan.api import auth\n"
    )
    modules = {
        "grannsamverkan.models.other",
        "grannsamverkan.services.tips",
        "grannsamverkan.api.auth",
    }
    found = imports_of(model, modules, root=tmp_path)
    assert found == {
        "grannsamverkan.models.other": True,
        "grannsamverkan.services.tips": True,
        "grannsamverkan.api.auth": False,
    }
    assert len(layer_violations({"grannsamverkan.models.thing": found})) == 2
