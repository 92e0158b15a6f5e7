"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpSink:
    """Collects messages; answers ``refuse_next`` DATA commands with that reply instead."""

    received: list[Received] = field(default_factory=list)
    refuse_next: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            if self.refuse_next:
                return self.refuse_next.pop(0)
            self.received.append(
                Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
            )
        return "250 OK"

    def clear(self) -> None:
        with self.lock:
            self.received.clear()
            self.refuse_next.clear()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_smtp_server() -> tuple[Controller, SmtpSink]:
    sink = SmtpSink()
    # 8BITMIME and SMTPUTF8 as real servers offer them; smtplib then sends UTF-8 bodies 8-bit.
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=True)
    controller.start()
    return controller, sink
