"""A non-editable install works: the sdist and the wheel carry every module and the Alembic
migrations, and an installed wheel migrates a fresh database and loads the demo data."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

REPO = Path(__file__).resolve().parents[1]
# What pyproject.toml and setup.py read when they build the sdist.
BUILD_SOURCES = (
    "pyproject.toml",
    "setup.py",
    "README.md",
    "grannsamverkan",
    "mobile_client_stub",
    "migrations",
)
MIGRATION_FILES = ("env.py", "alembic.ini", "script.py.mako")


def _run(args: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [str(arg) for arg in args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist, and the wheel built from that sdist (as ``python -m build`` does)."""
    work = tmp_path_factory.mktemp("packaging")
    source = work / "source"
    source.mkdir()
    for name in BUILD_SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(
                REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(REPO / name, source / name)
    # No build isolation: setuptools comes from the dev extra, so nothing is downloaded.
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", work / "dist", source])
    (sdist,) = (work / "dist").glob("*.tar.gz")
    (wheel,) = (work / "dist").glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def _files(folder: str) -> set[str]:
    """Every file under ``folder`` of the checkout, as a path relative to it."""
    root = REPO / folder
    return {
        path.relative_to(root).as_posix()
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_wheel_holds_every_module_and_the_migrations(dists):
    names = set(zipfile.ZipFile(dists["wheel"]).namelist())
    for package in ("grannsamverkan", "mobile_client_stub"):
        modules = {f"{package}/{name}" for name in _files(package) if name.endswith(".py")}
        assert modules - names == set(), "modules missing from the wheel"
    assert "grannsamverkan/geo/sweden_border.json" in names  # Sweden's border
    migrations = {f"grannsamverkan/migrations/{name}" for name in _files("migrations")}
    assert {f"grannsamverkan/migrations/{name}" for name in MIGRATION_FILES} <= migrations
    assert any(name.startswith("grannsamverkan/migrations/versions/") for name in migrations)
    assert migrations - names == set(), "migration files missing from the wheel"


def test_the_sdist_keeps_the_top_level_migrations_folder(dists):
    with tarfile.open(dists["sdist"]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"setup.py", "pyproject.toml", "README.md"} <= names
    assert {f"migrations/{name}" for name in _files("migrations")} - names == set()


@pytest.fixture(scope="module")
def installed(dists, tmp_path_factory) -> Path:
    """A virtual environment with the wheel installed the ordinary (non-editable) way.

    Its dependencies come from this test environment's site-packages, listed on a plain
    path line: that directory joins sys.path but its .pth files are not run, so the
    editable install of the checkout stays out and the wheel's copy is the one imported.
    """
    venv = tmp_path_factory.mktemp("wheel-venv")
    _run([sys.executable, "-m", "venv", "--without-pip", venv])
    python = venv / "bin" / "python"
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    dependencies = sysconfig.get_paths()["purelib"]
    Path(site.stdout.strip(), "test-dependencies.pth").write_text(dependencies + "\n")
    pip = [sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index"]
    _run([*pip, dists["wheel"]])
    return python


def test_an_installed_wheel_migrates_a_fresh_database_and_seeds_the_demo(installed, tmp_path):
    database = tmp_path / "fresh.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GSV_", "PYTHON", "FLASK"))}
    env.update(GSV_DATABASE_URL=f"sqlite:///{database}", GSV_SECRET_KEY="packaging-test")
    # Run outside the checkout: flask would otherwise import the package from the cwd.
    where = _run(
        [installed, "-c", "import grannsamverkan; print(grannsamverkan.__file__)"],
        cwd=tmp_path,
        env=env,
    )
    assert Path(where.stdout.strip()).is_relative_to(installed.parent.parent)

    flask = [installed, "-m", "flask", "--app", "grannsamverkan"]
    _run([*flask, "db", "upgrade"], cwd=tmp_path, env=env)
    seeded = _run([*flask, "seed-demo"], cwd=tmp_path, env=env)
    assert "Demo data created" in seeded.stdout

    head = ScriptDirectory(str(REPO / "migrations")).get_current_head()
    with sqlite3.connect(database) as connection:
        (revision,) = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        (areas,) = connection.execute("SELECT count(*) FROM areas").fetchone()
    assert revision == head
    assert areas == 3
