"""Extension objects, created unbound here and bound to the app in ``create_app``.

Nothing from the application is imported here, so every layer may import this module: the
API's error handlers and rate limits are bound by the factory (api/errors.py,
api/ratelimit.py).

``db`` is made at import. The web app's own extensions (``api``, ``babel``, ``csrf``) are
made when first imported from here: a push worker, which imports this module for ``db``,
never loads flask-smorest, Flask-Babel or Flask-WTF (~5 MiB resident; BENCHMARKS.md, "Push
worker memory").
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

# The models' base class. At run time db.Model (Base plus Flask-SQLAlchemy's table naming and
# bind keys); Flask-SQLAlchemy types db.Model as a variable, which a class statement cannot
# name for mypy, so the checker sees Base, the declarative class it is built from.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model

if TYPE_CHECKING:
    from flask_babel import Babel
    from flask_smorest import Api
    from flask_wtf.csrf import CSRFProtect

    api: Api
    babel: Babel
    csrf: CSRFProtect


# name -> (module, class) of the extensions made at their first import from here.
_MADE_AT_FIRST_USE = {
    "api": ("flask_smorest", "Api"),
    "babel": ("flask_babel", "Babel"),
    "csrf": ("flask_wtf.csrf", "CSRFProtect"),
}


def __getattr__(name: str) -> Any:
    """``api``, ``babel`` and ``csrf``: made once, at the first import of each."""
    if name not in _MADE_AT_FIRST_USE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, cls = _MADE_AT_FIRST_USE[name]
    extension = globals()[name] = getattr(import_module(module), cls)()
    return extension
