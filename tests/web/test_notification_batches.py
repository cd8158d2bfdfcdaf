"""Mail batches: rendered once per group yet identical to a mail rendered alone, composed bytes
that mail readers parse, and a recipient the relay refuses for good does not hold up the rest."""

from __future__ import annotations

import email
import email.policy
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller
from sqlalchemy import select

from app.core.extensions import db
from app.jobs.models import Job
from app.notifications import batch
from app.notifications.jobs import mail_batch, on_event
from app.notifications.mailer import compose, sender_of
from app.notifications.models import Notification
from tests.factories import install_charter, make_open_vote, make_owner
from tests.smtp_helpers import _free_port, body_of

TITLE = "充电桩补贴 <charging> & \"subsidy\" for 2027, a title long enough to be folded"


class _Relay:
    """An SMTP server that refuses some recipients for good (550), as a real relay does."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any,  # noqa: N802
                          address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append(parsed)  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[Any]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]


@contextmanager
def _relay(refuse: set[str]) -> Iterator[tuple[_Relay, str]]:
    handler = _Relay(refuse)
    port = _free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield handler, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def _opened(growths: list[int], locales: list[str | None]) -> tuple[str, list[Any]]:
    install_charter()
    council = make_owner(500, role="council")
    owners = [make_owner(g) for g in growths]
    for owner, locale in zip(owners, locales, strict=True):
        owner.locale = locale
    db.session.commit()
    proposal_id = make_open_vote(owners[0], council, title=TITLE)
    db.session.execute(db.delete(Notification))
    db.session.execute(db.delete(Job).where(Job.name == "notify.mail"))
    on_event({"type": "proposal", "proposal": proposal_id, "action": "open", "reason": ""})
    return proposal_id, owners


def _mail_jobs() -> list[dict[str, Any]]:
    return [json.loads(j.payload) for j in db.session.scalars(
        select(Job).where(Job.name == "notify.mail").order_by(Job.id))]


def test_a_mail_rendered_for_its_group_is_the_mail_rendered_alone(
    app: Any, db_session: Any
) -> None:
    _opened([3000, 1200, 2500, 800], [None, "en", "zh_Hans_CN", "en"])
    rows = [row for job in _mail_jobs() for row in batch.load(job["first"], job["last"])]
    assert len(rows) == 5  # four owners and the council member on the roll
    with batch.links():
        made = list(batch.mails(rows))
        for (note, who), (_, mail) in zip(rows, made, strict=True):
            alone = batch.render(who.email, who.user_id, who.locale, [note], "notification",
                                 token=None)
            assert mail == alone  # its own weight, language, unsubscribe link: byte for byte
    weights = {who.email: who.personal["weight"] for who, _ in made}
    assert set(weights.values()) >= {"3,000", "1,200", "2,500", "800"}


def test_composed_mail_parses_with_its_headers_parts_and_encoded_subject(app: Any) -> None:
    mail = batch.Mail("owner@example.test", "投票开始：" + TITLE, "正文 text\n第二行 1,234\n",
                      "<p>正文 &amp; html</p>", "http://trust.test/notifications/unsubscribe/a.b",
                      "zh_Hans_CN")
    sender, envelope = sender_of({"MAIL_FROM": "车主信托 <trust@trust.test>"})
    assert envelope == "trust@trust.test"
    raw = compose(mail, sender)
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    assert parsed["Subject"] == mail.subject
    assert parsed["From"].addresses[0].display_name == "车主信托"
    assert parsed["To"] == "owner@example.test"
    assert parsed["List-Unsubscribe"] == f"<{mail.unsubscribe}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["Content-Language"] == "zh-CN"
    assert body_of(parsed) == mail.text
    html = parsed.get_body(preferencelist=("html",))
    assert html is not None and html.get_content() == mail.html
    assert parsed["Message-ID"] != email.message_from_bytes(compose(mail, sender))["Message-ID"]


def test_a_recipient_refused_for_good_is_marked_and_the_rest_are_sent(
    app: Any, db_session: Any
) -> None:
    _, owners = _opened([3000, 1200, 2500], [None, "en", None])
    refused = owners[1].email
    with _relay({refused}) as (relay, url):
        app.config["MAIL_URL"] = url
        try:
            for job in _mail_jobs():
                mail_batch(job)
            # Run again (a retry, a crash): nothing is sent twice.
            sent = len(relay.messages)
            for job in _mail_jobs():
                assert mail_batch(job).startswith("0 ")
            assert len(relay.messages) == sent == 3  # the council member is on the roll too
        finally:
            app.config["MAIL_URL"] = None
    states = dict(db.session.execute(
        select(Notification.user_id, Notification.mail_state)
        .where(Notification.kind == "vote_opened")).all())
    assert states[owners[1].id] == "failed"
    assert states[owners[0].id] == states[owners[2].id] == "sent"
    assert relay.to(refused) == []
    assert "2,500" in body_of(relay.to(owners[2].email)[0])
