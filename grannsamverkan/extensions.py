"""Extension objects, created unbound here and bound to the app in ``create_app``.

Nothing from the application is imported here, so every layer may import this module: the
API's error handlers and rate limits are bound by the factory (api/errors.py,
api/ratelimit.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import Babel
from flask_smorest import Api
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
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
api = Api()
babel = Babel()
csrf = CSRFProtect()
