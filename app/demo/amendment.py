"""Demo data for the protector's power (Art. 40.3): the owners pass an amendment raising the
co-signatures a community application needs from 10 to 15; it waits out the protector's
window, and the protector holds it once, publishing why."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from app.accounts.models import User
from app.charter import protector
from app.charter import service as charter
from app.core.extensions import db
from app.council.seats import active_seats
from app.proposals import service as proposals

RunVote = Callable[..., str]

HOLD_REASON = (
    "Three communities are gathering co-signatures under the present rule; I hold the change so "
    "that they can finish under it. · "
    "有三个社群正在按现行规则征集联署，暂缓此修正案，让它们按现行规则完成。"
)


def _amended() -> tuple[str, str, dict[str, object]]:
    version = charter.require_current()
    rules = json.loads(version.rules_json)
    rules["communities"]["min_cosigners"] = 15
    old_en, old_zh = rules["articles"]["Art. 30.4"], rules["articles_zh"]["Art. 30.4"]
    rules["articles"]["Art. 30.4"] = old_en.replace("at least 10 member", "at least 15 member")
    rules["articles_zh"]["Art. 30.4"] = old_zh.replace("至少由 10 位", "至少由 15 位")
    text = version.text.replace(old_en, rules["articles"]["Art. 30.4"])
    text_zh = (version.text_zh or "").replace(old_zh, rules["articles_zh"]["Art. 30.4"])
    return text, text_zh, rules


def build(author: User, chair: User, now: datetime, rng: random.Random,
          run_vote: RunVote) -> Iterator[str]:
    text, text_zh, rules = _amended()
    opens = now - timedelta(days=5)
    proposal_id = run_vote(
        author, chair,
        proposals.Draft(
            kind="charter_amendment",
            title="Fifteen co-signers for a community application · 社群申请须 15 人联署",
            body="Ten co-signers proved too few to show a community is real: raise Art. 30.4 "
            "to fifteen.",
            fields={"new_text": text, "new_text_zh": text_zh, "new_rules": rules},
            options=[],
        ),
        opens, opens + timedelta(days=4), [["yes"]] * 4 + [["no"]], rng, seal=True,
    )
    row = protector.of_proposal(proposal_id)
    role = charter.current_rules().protector.role
    # Seated as the demo is built (the protector elected above took the seat at its seal).
    guard = next((db.session.get(User, s.member_id) for s in active_seats()
                  if s.role == role), None)
    if row is None or guard is None:
        db.session.commit()
        yield f"charter amendment {proposal_id}: not waiting (no protector's window or seat)"
        return
    protector.hold(guard, row, HOLD_REASON)
    db.session.commit()
    yield (f"charter amendment {proposal_id} passed; held by the protector until "
           f"{row.takes_effect_at:%Y-%m-%d}")
