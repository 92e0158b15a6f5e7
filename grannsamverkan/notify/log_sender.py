"""A PushSender for development: logs each push instead of sending it."""

from __future__ import annotations

import logging

from grannsamverkan.notify.sender import Outcome, PushMessage, TokenResult

logger = logging.getLogger("grannsamverkan.push")


class LogSender:
    """Logs one line per message and reports every token as sent."""

    def send(self, message: PushMessage) -> list[TokenResult]:
        """Log the push (never the tokens) and return SENT for each token."""
        # Tokens are credentials for a phone: only their count is logged.
        logger.info(
            "push to %d device(s) urgent=%s alert_id=%s title=%r",
            len(message.tokens),
            message.urgent,
            message.data.get("alert_id", "-"),
            message.title,
        )
        return [TokenResult(token=t, outcome=Outcome.SENT) for t in message.tokens]
