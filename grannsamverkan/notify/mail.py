"""E-mail, the outbox's second channel: the ``Mailer`` interface, an SMTP mailer on the
standard library's smtplib and email packages, a logging one for development, and
``make_mailer`` that picks one from GSV_SMTP_URL / GSV_MAIL_FROM.

The dispatcher (outbox.py) claims e-mail rows with the push rows, with the same leases,
retries and backoff, and hands them to ``send_emails``.
"""

from __future__ import annotations

import email.utils
import logging
import smtplib
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from email.headerregistry import HeaderRegistry, UnstructuredHeader
from email.message import EmailMessage
from email.policy import SMTP
from typing import Any, Protocol, cast
from urllib.parse import unquote, urlsplit

from grannsamverkan.notify.sender import Outcome, TokenResult

logger = logging.getLogger("grannsamverkan.mail")

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}


class UnfoldedHeader(UnstructuredHeader):
    """A header that is one URL in angle brackets (``List-Unsubscribe``): written on one line
    as it is. Folded by the standard rules, a URL longer than a line would become RFC 2047
    encoded words, which mail clients do not read as a URL. One line stays within RFC 5322's
    998 characters."""

    def fold(self, *, policy: Any) -> str:
        header: Any = self  # the registry mixes BaseHeader (its name, its str value) in
        return f"{header.name}: {header}{policy.linesep}"


def _mail_policy() -> Any:
    registry = HeaderRegistry()
    registry.map_to_type("list-unsubscribe", cast(Any, UnfoldedHeader))
    return SMTP.clone(header_factory=registry)


# UTF-8 text, CRLF line ends, non-ASCII headers RFC 2047-encoded; list links on one line.
MAIL_POLICY = _mail_policy()


@dataclass(frozen=True)
class Mail:
    """One e-mail to one address: plain text, optionally an HTML alternative, and headers
    of its own (List-Unsubscribe)."""

    to: str
    subject: str
    body: str
    html: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class MailResult:
    outcome: Outcome
    error: str | None = None


class Mailer(Protocol):
    """Sends e-mails; never raises for delivery problems."""

    def send(self, mails: Sequence[Mail]) -> list[MailResult]:
        """One result per mail, in order."""
        ...


class LogMailer:
    """For development and when no SMTP server is configured: logs, reports SENT."""

    def send(self, mails: Sequence[Mail]) -> list[MailResult]:
        for mail in mails:
            # The body may hold a reset link, a credential: only the subject is logged.
            logger.info("e-mail (not sent: GSV_SMTP_URL unset) subject=%r", mail.subject)
        return [MailResult(Outcome.SENT) for _ in mails]


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    tls: str  # "none" | "starttls" | "implicit"
    username: str | None
    password: str | None


def parse_smtp_url(url: str) -> SmtpSettings:
    """``smtp://host:port``, ``smtp+starttls://user:pass@host:587`` or ``smtps://…``."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError(
            "GSV_SMTP_URL must be like smtp://host:25, smtp+starttls://user:pass@host:587 "
            "or smtps://user:pass@host:465"
        )
    tls = {"smtp": "none", "smtp+starttls": "starttls", "smtps": "implicit"}[parts.scheme]
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or SCHEMES[parts.scheme],
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
    )


class SmtpMailer:
    """Sends each claimed batch over one SMTP connection."""

    def __init__(self, settings: SmtpSettings, sender: str, *, timeout_s: float = 10) -> None:
        self.settings = settings
        self.sender = sender
        self.timeout_s = timeout_s

    def compose(self, mail: Mail) -> EmailMessage:
        """UTF-8 text; a non-ASCII subject is RFC 2047-encoded by the SMTP policy."""
        message = EmailMessage(policy=MAIL_POLICY)
        message["From"] = self.sender
        message["To"] = mail.to
        message["Subject"] = mail.subject
        message["Date"] = email.utils.formatdate(localtime=False)
        domain = email.utils.parseaddr(self.sender)[1].rpartition("@")[2] or None
        message["Message-ID"] = email.utils.make_msgid(domain=domain)
        message["Auto-Submitted"] = "auto-generated"
        for name, value in mail.headers.items():
            message[name] = value
        message.set_content(mail.body, charset="utf-8")
        if mail.html is not None:
            message.add_alternative(mail.html, subtype="html", charset="utf-8")
        return message

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        client: smtplib.SMTP
        if s.tls == "implicit":
            context = ssl.create_default_context()
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=self.timeout_s, context=context)
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=self.timeout_s)
        if s.tls == "starttls":
            client.starttls(context=ssl.create_default_context())
        if s.username:
            client.login(s.username, s.password or "")
        return client

    def verify(self) -> None:
        """Connect, say hello, sign in when configured, and leave; raises OSError (an
        smtplib.SMTPException included) when any of it fails (``flask check``)."""
        client = self._connect()
        try:
            client.noop()
        finally:
            client.quit()

    def send(self, mails: Sequence[Mail]) -> list[MailResult]:
        try:
            client = self._connect()
        except OSError as error:  # smtplib.SMTPException is an OSError
            logger.warning("SMTP server not reachable: %r", error)
            return [_classify(error) for _ in mails]
        results = []
        try:
            for mail in mails:
                try:
                    client.send_message(self.compose(mail))
                    results.append(MailResult(Outcome.SENT))
                except OSError as error:  # smtplib.SMTPException is an OSError
                    results.append(_classify(error))
                    lost = not isinstance(error, smtplib.SMTPException)
                    if lost or isinstance(error, smtplib.SMTPServerDisconnected):
                        break
        finally:
            try:
                client.quit()
            except OSError:
                client.close()
        # Mails after a lost connection were not tried: another pass will.
        results += [MailResult(Outcome.RETRY, "not tried")] * (len(mails) - len(results))
        return results


def _classify(error: BaseException) -> MailResult:
    """5xx (and refused recipients) are final; 4xx and transport failures are retried."""
    text = f"{type(error).__name__}: {error}"[:500]
    code = getattr(error, "smtp_code", None)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [c for c, _ in error.recipients.values()]
        code = max(codes) if codes else None
    if isinstance(code, int) and code >= 500:
        return MailResult(Outcome.FAILED, text)
    return MailResult(Outcome.RETRY, text)


def unsubscribe_headers(url: str | None) -> dict[str, str]:
    """RFC 8058 one-click unsubscribe: a mail client's button POSTs to the link."""
    if url is None:
        return {}
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def make_mailer(config: Mapping[str, Any]) -> Mailer:
    """SMTP when GSV_SMTP_URL and GSV_MAIL_FROM are set, the log when neither is."""
    url = config.get("GSV_SMTP_URL") or None
    sender = config.get("GSV_MAIL_FROM") or None
    if url is None and sender is None:
        return LogMailer()
    if url is None or sender is None:
        raise ValueError("GSV_SMTP_URL and GSV_MAIL_FROM are set together, or neither")
    return SmtpMailer(parse_smtp_url(url), sender)


def send_emails(mailer: Mailer, mails: Mapping[int, Mail | None]) -> dict[int, TokenResult]:
    """Send the mails of claimed e-mail rows (None: the row had nothing to send); results
    keyed by delivery id, as the dispatcher records them."""
    results: dict[int, TokenResult] = {
        delivery_id: TokenResult("", Outcome.FAILED, error="no content")
        for delivery_id, mail in mails.items()
        if mail is None
    }
    sendable = [(delivery_id, mail) for delivery_id, mail in mails.items() if mail is not None]
    sent = mailer.send([mail for _, mail in sendable]) if sendable else []
    for (delivery_id, _), result in zip(sendable, sent, strict=True):
        results[delivery_id] = TokenResult("", result.outcome, error=result.error)
    return results
