"""The email channel of notifications.

With MAIL_URL set, a batch goes over one SMTP connection (smtp://, smtp+starttls://, smtps://,
parsed by app.mail's transport) with the RFC 8058 one-click unsubscribe headers. With no
MAIL_URL (the embedded default), the batch's mail is held in app.mail's outbox like every other
mail, in one insert, where administrators read it (/admin/outbox) and `flask demo` prints it.

Each message is composed here as bytes rather than through `email.message.EmailMessage`: that
class parses and refolds every header and re-generates the message on sending, which cost more
CPU than all the rest of a notification (about 6 ms a mail). The headers that need encoding
(the sender's name and the subject, RFC 2047) are still encoded by the standard library's email
policy, once per distinct value; what varies per mail (an ASCII address, a Message-ID, the
unsubscribe link) is plain ASCII, and both bodies go as base64 UTF-8 parts of a
multipart/alternative (RFC 2045/2046) with a boundary base64 can never contain.
"""

from __future__ import annotations

import base64
import contextlib
import re
import secrets
import smtplib
from email import policy
from email.utils import formataddr, formatdate, parseaddr
from functools import lru_cache
from typing import Any

from flask import current_app

from app.notifications.batch import Mail

_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


class Refused(Exception):
    """The relay refused one recipient for good (5xx): that mail is marked failed."""


@lru_cache(maxsize=256)
def _header(name: str, value: str) -> str:
    # Parsed into the policy's header object, which folds with RFC 2047 encoding.
    return policy.SMTP.fold(*policy.SMTP.header_store_parse(name, value))


def _part(subtype: str, body: str, boundary: str) -> bytes:
    encoded = base64.encodebytes(body.encode("utf-8")).replace(b"\n", b"\r\n")
    head = (f"--{boundary}\r\nContent-Type: text/{subtype}; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n")
    return head.encode("ascii") + encoded


def compose(mail: Mail, sender: str, domain: str = "trust.invalid") -> bytes:
    """The RFC 5322 bytes of one notification mail (CRLF line ends, as SMTP sends them)."""
    boundary = "=_trust-" + secrets.token_hex(12)  # '-' and '_' are not in base64's alphabet
    to = mail.to if _PLAIN_ADDRESS.fullmatch(mail.to) else None
    head = "".join((
        _header("From", sender),
        f"To: {to}\r\n" if to else _header("To", mail.to),
        _header("Subject", mail.subject),
        f"Date: {formatdate(usegmt=True)}\r\n",
        f"Message-ID: <{secrets.token_hex(16)}@{domain}>\r\n",
        "Content-Language: " + ("zh-CN" if mail.locale.startswith("zh") else "en") + "\r\n",
        "Auto-Submitted: auto-generated\r\n",
        # RFC 8058 one-click: a mail client can unsubscribe with one POST, no page needed.
        # (A trustee's duty notice has no unsubscribe link: it cannot be switched off.)
        f"List-Unsubscribe: <{mail.unsubscribe}>\r\n" if mail.unsubscribe else "",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n" if mail.unsubscribe else "",
        "MIME-Version: 1.0\r\n",
        f"Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n",
    ))
    return b"".join((
        head.encode("ascii"),
        _part("plain", mail.text, boundary),
        _part("html", mail.html, boundary),
        f"--{boundary}--\r\n".encode("ascii"),
    ))


def sender_of(config: Any) -> tuple[str, str]:
    """(From header, envelope address) from MAIL_FROM, bare or with a name, and TRUST_NAME."""
    name, address = parseaddr(str(config.get("MAIL_FROM") or "trust@localhost"))
    address = address or "trust@localhost"
    return formataddr((name or str(config.get("TRUST_NAME", "")), address)), address


class Mailer:
    """One SMTP connection for a batch of messages."""

    def __init__(self) -> None:
        url = current_app.config.get("MAIL_URL")
        self.enabled = bool(url)
        self.smtp: smtplib.SMTP | None = None
        self.url = str(url or "")
        self.sender, self.envelope = sender_of(current_app.config)
        self.held: list[tuple[Mail, Any, str]] = []

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()

    def _connect(self) -> smtplib.SMTP:
        from app.mail.transport import connect, parse_mail_url

        return connect(parse_mail_url(self.url, current_app.config.get("MAIL_CA_FILE")))

    def send(self, mail: Mail, user_id: int | None = None, template: str = "notification") -> None:
        """Send one mail now, or (no MAIL_URL) keep it for `flush_held`. Raises `Refused` when
        the relay refuses this recipient for good; any other failure propagates, and the job is
        tried again later."""
        if not self.enabled:
            self.held.append((mail, user_id, template))
            return
        if self.smtp is None:
            self.smtp = self._connect()
        try:
            self.smtp.sendmail(self.envelope, [mail.to], compose(mail, self.sender))
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if codes and all(500 <= code < 600 for code in codes):
                raise Refused(str(exc.recipients)[:300]) from exc
            raise
        except smtplib.SMTPDataError as exc:
            if 500 <= exc.smtp_code < 600:
                raise Refused(f"{exc.smtp_code} {exc.smtp_error!r}"[:300]) from exc
            raise

    def flush_held(self) -> None:
        """Hold what `send` kept in the outbox, in one insert into the caller's transaction."""
        from app import mail as outbox

        if self.held:
            outbox.hold_many([
                (m.to, user_id, template, m.locale, m.subject, m.text, m.html)
                for m, user_id, template in self.held
            ])
            self.held.clear()
