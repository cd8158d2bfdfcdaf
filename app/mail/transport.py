"""Transports: SMTP as MAIL_URL says, and a text-message gateway as SMS_URL says.

The standard library's smtplib and email packages do the work. They ship and are maintained
with CPython, speak STARTTLS and implicit TLS with the system's certificate checks
(ssl.create_default_context), and build multipart/alternative messages whose Chinese
subjects and bodies are encoded correctly (RFC 2047 headers, UTF-8 bodies). Flask-Mailman and
Flask-Mail would add a dependency to wrap the same calls and would still need MAIL_URL parsed.

    MAIL_URL = smtp://host:port                      plain SMTP (a relay on the same host)
               smtp+starttls://user:pass@host:port   STARTTLS, then AUTH
               smtps://user:pass@host:port           TLS from the first byte (port 465)
    MAIL_FROM = "Owners' Trust <trust@example.org>"
    MAIL_CA_FILE = /etc/ssl/private-relay-ca.pem           only for a relay with a private CA

    SMS_URL   = https://token@gateway.example/send   POST {"to": ..., "text": ...} as JSON,
                                                     the URL's user part as a Bearer token
"""

from __future__ import annotations

import json
import smtplib
import ssl
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from urllib.parse import unquote, urlsplit, urlunsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT = 20


class TransportError(RuntimeError):
    pass


@dataclass(frozen=True)
class SmtpSettings:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None
    # A CA bundle to trust for a private relay (MAIL_CA_FILE); the system's store otherwise.
    cafile: str | None = None

    @property
    def redacted(self) -> str:
        user = f"{self.username}:***@" if self.username else ""
        return f"{self.scheme}://{user}{self.host}:{self.port}"


def parse_mail_url(url: str, cafile: str | None = None) -> SmtpSettings:
    """MAIL_URL to settings; a clear ValueError for anything else (checked at start-up)."""
    parts = urlsplit(url)
    if parts.scheme not in SCHEMES:
        raise ValueError(
            f"MAIL_URL must start with smtp://, smtp+starttls:// or smtps:// (not {parts.scheme!r})"
        )
    if not parts.hostname:
        raise ValueError("MAIL_URL names no host")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError as exc:
        raise ValueError("MAIL_URL has a port that is not a number") from exc
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    if username and parts.scheme == "smtp":
        raise ValueError("MAIL_URL: a password over plain smtp:// would travel in clear; "
                         "use smtp+starttls:// or smtps://")
    return SmtpSettings(parts.scheme, parts.hostname, port, username, password, cafile or None)


def build_email(
    *, sender: str, to: str, subject: str, text: str, html: str, domain: str | None = None
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    return message


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """An open, signed-in SMTP session; TLS certificates are checked (system store or cafile).
    Notification batches keep one open for many messages."""
    context = ssl.create_default_context(cafile=settings.cafile)
    smtp: smtplib.SMTP
    if settings.scheme == "smtps":
        smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=TIMEOUT, context=context)
    else:
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=TIMEOUT)
    try:
        if settings.scheme == "smtp+starttls":
            smtp.starttls(context=context)
        if settings.username:
            smtp.login(settings.username, settings.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


def send_email(settings: SmtpSettings, message: EmailMessage) -> None:
    try:
        with connect(settings) as smtp:
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise TransportError(f"{settings.redacted}: {exc}"[:300]) from exc


def send_sms(url: str, to: str, text: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError("SMS_URL must be an http:// or https:// address")
    token = unquote(parts.username) if parts.username else None
    netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        target,
        data=json.dumps({"to": to, "text": text}, ensure_ascii=False).encode(),
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310
            if not 200 <= response.status < 300:
                raise TransportError(f"SMS gateway answered {response.status}")
    except OSError as exc:
        raise TransportError(f"SMS gateway {parts.hostname}: {exc}"[:300]) from exc
