"""The charter: installed once at setup, then changed only by a passed amendment vote."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.audit import service as audit
from app.charter.models import CharterVersion
from app.core.db_types import utcnow
from app.core.extensions import db
from app.proposals.models import Proposal
from app.translog import service as translog
from governance.charter import CharterRules, charter_digest, parse_rules


class CharterError(ValueError):
    pass


def current() -> CharterVersion | None:
    return db.session.scalar(
        select(CharterVersion)
        .where(CharterVersion.effective_at <= utcnow())
        .order_by(CharterVersion.version.desc())
        .limit(1)
    )


def require_current() -> CharterVersion:
    version = current()
    if version is None:
        raise CharterError(
            "no charter is installed yet: run `flask --app wsgi trust install-charter`"
        )
    return version


def rules_of(version: CharterVersion) -> CharterRules:
    return parse_rules(json.loads(version.rules_json))


def current_rules() -> CharterRules:
    return rules_of(require_current())


def versions() -> list[CharterVersion]:
    return list(db.session.scalars(select(CharterVersion).order_by(CharterVersion.version)))


def _adopt(
    version: int,
    text: str,
    rules: dict[str, Any],
    effective_at: datetime,
    adopted_by: str | None,
    actor_id: int | None,
    text_zh: str | None = None,
) -> CharterVersion:
    parsed = parse_rules(rules)
    rules_json = parsed.to_json()
    text_zh = text_zh if text_zh and text_zh.strip() else None
    digest = charter_digest(text, rules_json, version, text_zh)
    row = CharterVersion(
        version=version,
        text=text,
        text_zh=text_zh,
        rules_json=json.dumps(rules_json, sort_keys=True, ensure_ascii=False),
        sha256=digest,
        effective_at=effective_at,
        adopted_by=adopted_by,
    )
    db.session.add(row)
    db.session.flush()
    translog.append(
        "charter.adopted",
        f"charter-v{version}",
        {
            "type": "charter",
            "version": version,
            "sha256": digest,
            "adopted_by": adopted_by,
            "effective_at": effective_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    audit.record("charter.adopted", actor_id=actor_id, subject=f"v{version}", sha256=digest)
    return row


def install_first(
    text: str,
    rules: dict[str, Any],
    *,
    actor_id: int | None = None,
    at: datetime | None = None,
    text_zh: str | None = None,
) -> CharterVersion:
    if versions():
        raise CharterError(
            "a charter is already installed; change it with a charter amendment vote"
        )
    return _adopt(1, text, rules, at or utcnow(), None, actor_id, text_zh)


def adopt_amendment(
    proposal_id: str,
    text: str,
    rules: dict[str, Any],
    text_zh: str | None = None,
    at: datetime | None = None,
) -> CharterVersion:
    """Called only when a `charter_amendment` proposal's sealed result has passed (and, where
    the charter gives the protector a window, once it has run: app.charter.protector)."""
    latest = versions()[-1]
    return _adopt(latest.version + 1, text, rules, at or utcnow(), proposal_id, None, text_zh)


def text_for(version: CharterVersion, language: str) -> tuple[str, str]:
    """The version's text for a reader of ``language``, and the language it is really in."""
    if language.startswith("zh") and version.text_zh:
        return version.text_zh, "zh-Hans-CN"
    return version.text, "en"


def adopt_passed_amendment(proposal: Proposal, passed: bool) -> CharterVersion | None:
    """A sealed `charter_amendment` vote that passed becomes the next charter version, once.

    The decisions layer calls this with the sealed outcome; a vote that did not pass, or one
    already adopted, changes nothing and returns None.
    """
    if not passed or proposal.kind != "charter_amendment":
        return None
    if db.session.scalar(select(CharterVersion.id).where(CharterVersion.adopted_by == proposal.id)):
        return None
    payload = json.loads(proposal.payload_json)
    return adopt_amendment(
        proposal.id, payload["new_text"], payload["new_rules"], payload.get("new_text_zh")
    )
