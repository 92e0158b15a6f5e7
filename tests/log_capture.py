"""The app's log lines as an operator's log collector gets them: the JSON handler of
grannsamverkan/logs.py on the root logger, writing to a buffer."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from grannsamverkan.logs import make_handler


class CapturedLog:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()

    def lines(self) -> list[dict[str, Any]]:
        """Every line, parsed: each must be one JSON object."""
        return [json.loads(line) for line in self.text.splitlines()]

    def of_request(self, request_id: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line["request_id"] == request_id]


@contextmanager
def json_log() -> Iterator[CapturedLog]:
    captured = CapturedLog()
    handler = make_handler(captured.stream, "json")
    root = logging.getLogger()
    app_logger = logging.getLogger("grannsamverkan")
    level = app_logger.level
    app_logger.setLevel(logging.INFO)
    root.addHandler(handler)
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        app_logger.setLevel(level)
