"""The searchable text of each kind of public record."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select

from app.core.extensions import db


def _json_text(raw: str) -> str:
    # The words inside a log record, without its punctuation and keys repeated on every leaf.
    try:
        value = json.loads(raw)
    except ValueError:
        return raw
    words: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for item in v.values():
                walk(item)
        elif isinstance(v, list):
            for item in v:
                walk(item)
        elif isinstance(v, str) and len(v) < 2000:
            words.append(v)
        elif isinstance(v, int | float) and not isinstance(v, bool):
            words.append(str(v))

    walk(value)
    return " ".join(words)


def build(kind: str, ref: str) -> dict[str, Any] | None:
    """The document for one record, or None when it is gone."""
    if kind == "proposal":
        from app.proposals.models import Proposal

        p = db.session.get(Proposal, ref)
        return p and {"title": p.title, "body": f"{p.id} {p.body}", "at": p.created_at}
    if kind == "motion":
        from app.council.models import Motion

        m = db.session.get(Motion, int(ref))
        return m and {"title": m.title, "body": f"{m.kind} {m.subject} {m.body}",
                      "at": m.opened_at}
    if kind == "community":
        from app.communities.models import Community

        c = db.session.get(Community, int(ref))
        return c and {"title": c.name, "body": f"{c.industry} {c.description}",
                      "at": c.applied_at}
    if kind == "ledger":
        from app.treasury.models import TreasuryTxn

        t = db.session.get(TreasuryTxn, ref)
        return t and {"title": t.description or t.id,
                      "body": f"{t.id} {t.kind} {t.reference} {t.source or ''}", "at": t.at}
    if kind == "log":
        from app.translog.models import LogLeaf

        leaf = db.session.get(LogLeaf, int(ref))
        return leaf and {"title": f"#{leaf.index} {leaf.type} {leaf.subject}",
                         "body": _json_text(leaf.record_json), "at": leaf.at}
    return None


def every_ref() -> Iterator[tuple[str, str]]:
    from app.communities.models import Community
    from app.council.models import Motion
    from app.proposals.models import Proposal
    from app.translog.models import LogLeaf
    from app.treasury.models import TreasuryTxn

    for pid in db.session.scalars(select(Proposal.id)):
        yield "proposal", pid
    for mid in db.session.scalars(select(Motion.id)):
        yield "motion", str(mid)
    for cid in db.session.scalars(select(Community.id)):
        yield "community", str(cid)
    for tid in db.session.scalars(select(TreasuryTxn.id)):
        yield "ledger", tid
    for index in db.session.scalars(select(LogLeaf.index)):
        yield "log", str(index)


def ref_of(obj: Any) -> tuple[str, str] | None:
    from app.communities.models import Community
    from app.council.models import Motion
    from app.proposals.models import Proposal
    from app.translog.models import LogLeaf
    from app.treasury.models import TreasuryTxn

    if isinstance(obj, Proposal):
        return "proposal", obj.id
    if isinstance(obj, Motion):
        return "motion", str(obj.id)
    if isinstance(obj, Community):
        return "community", str(obj.id)
    if isinstance(obj, TreasuryTxn):
        return "ledger", obj.id
    if isinstance(obj, LogLeaf):
        return "log", str(obj.index)
    return None


def link(kind: str, ref: str) -> tuple[str, dict[str, Any]]:
    if kind == "proposal":
        return "proposals.detail", {"proposal_id": ref}
    if kind == "motion":
        return "council.motion", {"motion_id": int(ref)}
    if kind == "community":
        return "communities.detail", {"community_id": int(ref)}
    if kind == "ledger":
        return "treasury.ledger", {"_anchor": f"txn-{ref}"}
    return "public.log_browser", {"page": int(ref) // 50, "_anchor": f"leaf-{ref}"}
