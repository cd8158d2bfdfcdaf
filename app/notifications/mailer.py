"""The email channel: one function, so that the trust's mail interface can carry it.

Until app/mail (the "Getting in" work) is in this tree, mail goes straight over SMTP to MAIL_URL
(smtp://host:port, smtp+starttls://user:pass@host:port); with no MAIL_URL it is not sent and
stays recorded as unsent on the notification, visible in the bell.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import current_app


class Mailer:
    """One SMTP connection for a batch of messages."""

    def __init__(self) -> None:
        url = current_app.config.get("MAIL_URL")
        self.enabled = bool(url)
        self.smtp: smtplib.SMTP | None = None
        self.url = str(url or "")
        self.sender = str(current_app.config.get("MAIL_FROM") or "trust@localhost")

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException):
                self.smtp.quit()

    def _connect(self) -> smtplib.SMTP:
        parts = urlsplit(self.url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 25
        smtp = (smtplib.SMTP_SSL if parts.scheme == "smtps" else smtplib.SMTP)(host, port,
                                                                               timeout=30)
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        return smtp

    def send(self, to: str, subject: str, text: str, html: str, unsubscribe: str,
             locale: str) -> None:
        message = EmailMessage()
        message["From"] = formataddr((str(current_app.config.get("TRUST_NAME", "")), self.sender))
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = make_msgid(domain="trust.invalid")
        message["Content-Language"] = "zh-CN" if locale.startswith("zh") else "en"
        # RFC 8058 one-click: a mail client can unsubscribe with one POST, no page needed.
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        if self.smtp is None:
            self.smtp = self._connect()
        self.smtp.send_message(message)
