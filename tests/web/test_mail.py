"""Mail through a real SMTP server on 127.0.0.1, text messages through a real HTTP gateway, and
the outbox administrators read when neither is configured."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from app import mail
from app.core.extensions import db
from app.mail.models import OutboxMessage
from app.mail.transport import parse_mail_url
from tests.factories import install_charter, login, make_owner


def test_mail_url_forms_are_read_and_bad_ones_refused() -> None:
    plain = parse_mail_url("smtp://relay.internal:2525")
    assert (plain.scheme, plain.host, plain.port, plain.username) == (
        "smtp", "relay.internal", 2525, None)
    tls = parse_mail_url("smtp+starttls://user%40x:p%3Ass@mail.example.org")
    assert (tls.port, tls.username, tls.password) == (587, "user@x", "p:ss")
    assert "p:ss" not in tls.redacted
    assert parse_mail_url("smtps://u:p@mail.example.org").port == 465
    for bad, words in [
        ("http://mail.example.org", "must start with"),
        ("smtp://", "no host"),
        ("smtp://u:p@mail.example.org", "in clear"),
        ("smtp://mail.example.org:port", "not a number"),
    ]:
        with pytest.raises(ValueError, match=words):
            parse_mail_url(bad)


def test_a_bad_mail_url_stops_start_up_with_a_clear_message(tmp_path: Any) -> None:
    from app.core.config import build_config

    with pytest.raises(ValueError, match="MAIL_URL must start with"):
        build_config(str(tmp_path), {"MAIL_URL": "mailto:x@example.org",
                                     "DATABASE_URL": "sqlite://"})


def test_mail_goes_over_smtp_in_the_recipients_language_text_and_html(
    db_session: Any, mail_over_smtp: Any
) -> None:
    english = make_owner(0, email="en@example.test", name="Ann")
    english.locale = "en"
    chinese = make_owner(0, email="zh@example.test", name="李娜")
    chinese.locale = "zh_Hans_CN"
    mail.send(english, "verify_email", code="123456", link="https://trust.test/v", minutes=30)
    mail.send(chinese, "verify_email", code="654321", link="https://trust.test/v", minutes=30)
    db.session.commit()
    [en] = mail_over_smtp.wait_for("en@example.test")
    [zh] = mail_over_smtp.wait_for("zh@example.test")
    assert str(en["Subject"]) == "Your confirmation code: 123456"
    assert "Hello Ann," in mail_over_smtp.text(en) and "123456" in mail_over_smtp.text(en)
    assert '<a href="https://trust.test/v">' in mail_over_smtp.html(en)
    assert "654321" in str(zh["Subject"]) and "确认" in str(zh["Subject"])
    assert "李娜" in mail_over_smtp.text(zh) and "李娜" in mail_over_smtp.html(zh)
    assert en["From"] == "Test Owners' Trust <trust@trust.test>"
    rows = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    db.session.expire_all()
    # Sent: recorded, with the code-bearing text blanked so a database reader cannot use it.
    assert [(r.status, r.body_text, r.locale) for r in rows] == [
        ("sent", "", "en"), ("sent", "", "zh_Hans_CN")]


def test_a_rolled_back_transaction_sends_nothing(db_session: Any, mail_over_smtp: Any) -> None:
    owner = make_owner(0, email="gone@example.test")
    db.session.commit()
    mail.send(owner, "verify_email", code="111111", link="https://trust.test/v", minutes=30)
    db.session.rollback()
    mail.send(owner, "verify_email", code="222222", link="https://trust.test/v", minutes=30)
    db.session.commit()
    [only] = mail_over_smtp.wait_for("gone@example.test")
    assert "222222" in mail_over_smtp.text(only)
    assert db.session.query(OutboxMessage).count() == 1


def test_a_refused_delivery_is_kept_and_sent_later(
    app: Any, db_session: Any, smtp_server: Any
) -> None:
    from tests.mailserver import free_port

    owner = make_owner(0, email="later@example.test")
    app.config["MAIL_URL"] = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    try:
        mail.send(owner, "verify_email", code="333333", link="https://trust.test/v", minutes=30)
        db.session.commit()
        db.session.expire_all()
        row = db.session.scalars(select(OutboxMessage)).one()
        assert row.status == "failed" and row.attempts == 1 and row.last_error
        assert "333333" in row.body_text  # kept until it goes out
        app.config["MAIL_URL"] = smtp_server.url
        assert mail.deliver_pending() == (1, 0)
    finally:
        app.config["MAIL_URL"] = None
    assert "333333" in smtp_server.inbox.text(smtp_server.inbox.wait_for("later@example.test")[0])


def test_without_mail_url_mail_is_held_for_administrators_only(
    client: Any, db_session: Any, app: Any
) -> None:
    install_charter()
    owner = make_owner(0, email="held@example.test")
    admin = make_owner(0, role="admin", email="admin@example.test")
    mail.send(owner, "verify_email", code="444444", link="https://trust.test/v", minutes=30)
    db.session.commit()
    row = db.session.scalars(select(OutboxMessage)).one()
    assert row.status == "held" and "444444" in row.body_text and "444444" in row.body_html
    login(client, owner)
    assert client.get("/admin/outbox").status_code == 403
    client.post("/logout", data={})
    other = app.test_client()
    login(other, admin)
    page = other.get("/admin/outbox")
    assert page.status_code == 200 and b"444444" in page.data and b"held@example.test" in page.data
    result = app.test_cli_runner().invoke(args=["mail", "outbox"])
    assert "444444" in result.output and "held@example.test" in result.output


class _Gateway(BaseHTTPRequestHandler):
    received: list[tuple[str, dict[str, Any]]] = []

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Gateway.received.append((self.headers.get("Authorization", ""), json.loads(body)))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


def test_text_messages_go_through_the_gateway(app: Any, db_session: Any) -> None:
    server = HTTPServer(("127.0.0.1", 0), _Gateway)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["SMS_URL"] = f"http://s3cret@127.0.0.1:{server.server_port}/send"
    try:
        from app.accounts.services import create_user

        user = create_user(display_name="Wang", phone="+8613800000099", password="x",
                           check_policy=False, locale="zh_Hans_CN")
        db.session.flush()
        mail.send_sms(user, "verify_phone", code="555555", minutes=30)
        db.session.commit()
    finally:
        app.config["SMS_URL"] = None
        server.shutdown()
    [(auth, payload)] = _Gateway.received
    assert auth == "Bearer s3cret"
    assert payload["to"] == "+8613800000099" and "555555" in payload["text"]
    assert "确认码" in payload["text"]
    assert db.session.scalars(select(OutboxMessage)).one().status == "sent"


@pytest.mark.parametrize("scheme", ["smtp+starttls", "smtps"])
def test_mail_goes_over_tls_with_a_password(
    app: Any, db_session: Any, tmp_path: Any, scheme: str
) -> None:
    import ssl

    from aiosmtpd.controller import Controller

    from tests.mailserver import Accounts, Inbox, free_port, self_signed

    cert, key = self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    inbox, accounts, port = Inbox(), Accounts("relay-user", "p@ss:word"), free_port()
    options: dict[str, Any] = {"authenticator": accounts, "auth_required": True}
    if scheme == "smtps":
        # Implicit TLS wraps the socket below aiosmtpd, which then cannot tell it is encrypted.
        options.update(ssl_context=context, auth_require_tls=False)
    else:
        options.update(tls_context=context, require_starttls=True)
    controller = Controller(inbox, hostname="127.0.0.1", port=port, **options)
    controller.start()
    app.config.update(MAIL_URL=f"{scheme}://relay-user:p%40ss%3Aword@127.0.0.1:{port}",
                      MAIL_CA_FILE=cert)
    try:
        owner = make_owner(0, email="tls@example.test")
        mail.send(owner, "verify_email", code="777777", link="https://trust.test/v", minutes=30)
        db.session.commit()
        db.session.expire_all()
        first = db.session.scalars(select(OutboxMessage)).first()
        assert first.status == "sent", first.last_error
        [message] = inbox.wait_for("tls@example.test")
        assert "777777" in inbox.text(message)
        assert accounts.seen and accounts.seen[-1].endswith(":ok")
        # Without the relay's CA the certificate is refused and nothing is sent.
        app.config["MAIL_CA_FILE"] = None
        mail.send(owner, "verify_email", code="888888", link="https://trust.test/v", minutes=30)
        db.session.commit()
        db.session.expire_all()
        last = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id.desc())).first()
        assert last.status == "failed" and "certificate" in last.last_error.lower()
    finally:
        app.config.update(MAIL_URL=None, MAIL_CA_FILE=None)
        controller.stop()


def test_the_demo_server_shows_held_mail_on_its_console_after_the_commit(
    app: Any, db_session: Any, capsys: Any
) -> None:
    owner = make_owner(0, email="console@example.test")
    app.config["MAIL_ECHO"] = True
    try:
        mail.send(owner, "verify_email", code="121212", link="https://trust.test/v", minutes=30)
        db.session.rollback()
        assert "121212" not in capsys.readouterr().out
        owner = make_owner(0, email="console2@example.test")
        mail.send(owner, "verify_email", code="343434", link="https://trust.test/v", minutes=30)
        assert "343434" not in capsys.readouterr().out  # not before the commit
        db.session.commit()
        shown = capsys.readouterr().out
    finally:
        app.config["MAIL_ECHO"] = False
    assert "held email to console2@example.test" in shown and "343434" in shown
