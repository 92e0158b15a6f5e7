"""Which packages the wheel holds; everything else is in pyproject.toml.

The Alembic migrations stay in the repository's top-level ``migrations/`` folder but are
installed as the package ``grannsamverkan.migrations``, so a non-editable install
(``pip install .``) can still run ``flask db upgrade``. pyproject.toml cannot map one folder
into a package while also finding the rest, hence this file.
"""

from setuptools import find_namespace_packages, setup

# Several subpackages (api/, services/, ...) have no __init__.py: find namespace packages.
PACKAGES = find_namespace_packages(
    include=["grannsamverkan*", "mobile_client_stub*"], exclude=["*__pycache__"]
)
MIGRATIONS = ["grannsamverkan.migrations", "grannsamverkan.migrations.versions"]

setup(packages=[*PACKAGES, *MIGRATIONS], package_dir={"grannsamverkan.migrations": "migrations"})
