"""The email channel of notifications.

With MAIL_URL set, a batch goes over one SMTP connection (smtp://, smtp+starttls://, smtps://,
parsed by app.mail's transport) with the RFC 8058 one-click unsubscribe headers. With no
MAIL_URL (the embedded default), each mail is held in app.mail's outbox like every other mail,
where administrators read it (/admin/outbox) and `flask demo` prints it.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any

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
        from app.mail.transport import connect, parse_mail_url

        return connect(parse_mail_url(self.url, current_app.config.get("MAIL_CA_FILE")))

    def send(self, to: str, subject: str, text: str, html: str, unsubscribe: str,
             locale: str, user: Any = None, template: str = "notification") -> None:
        if not self.enabled:
            from app import mail

            mail.hold_rendered(to, user, template, locale, subject, text, html)
            return
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
