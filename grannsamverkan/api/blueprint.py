"""The API's blueprint class: flask-smorest's, reading JSON bodies through the request's own
checked parser (grannsamverkan/request_input.py) rather than webargs' plain json.loads."""

from __future__ import annotations

from typing import Any

from flask import Request
from flask_smorest import Blueprint as SmorestBlueprint
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request


class RequestParser(FlaskParser):
    def _raw_load_json(self, req: Request) -> Any:
        if not is_json_request(req):
            return core.missing
        return req.get_json(force=True)


class Blueprint(SmorestBlueprint):
    ARGUMENTS_PARSER = RequestParser()
