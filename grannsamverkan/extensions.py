"""Extension objects, created unbound here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask import current_app
from flask_babel import Babel
from flask_limiter import Limiter
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

from grannsamverkan.api.errors import ProblemApi
from grannsamverkan.api.ratelimit import rate_limit_key

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
migrate = Migrate(render_as_batch=True, compare_type=True)
api = ProblemApi()
limiter = Limiter(key_func=rate_limit_key)
babel = Babel()
csrf = CSRFProtect()


def _sign_in_limit() -> str:
    return current_app.config["GSV_LOGIN_LIMIT"]


# One budget per client for password checks, shared by the API's login and the console's
# sign-in, so a second door does not double the guesses an attacker gets.
sign_in_limit = limiter.shared_limit(_sign_in_limit, scope="sign-in")
