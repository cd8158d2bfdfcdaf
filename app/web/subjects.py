"""What a stored tag names, in the reader's words and with a link: the subjects of log records
and motions (``community:3``, ``txn:inc-0001``, ``charter-v2``) and the ledger's accounts
(``assets:cash``, ``expense:owner_care``). A tag is never shown to a reader as it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from flask import url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.web.labels import purpose_names

# A proposal's own id (``2026-001``): log records about a vote name it bare.
_PROPOSAL_ID = re.compile(r"\d{4}-\d{3,}")
_CHARTER = re.compile(r"charter-v(\d+)")

INCOME_SOURCES = {
    "donations": _l("donations"),
    "share_proceeds": _l("proceeds of shares"),
}


def _community(ident: str) -> str:
    from app.communities import service as communities

    community = communities.get(int(ident)) if ident.isdigit() else None
    return community.name if community is not None else _("community %(id)s", id=ident)


def _growth(ident: str) -> str:
    """``<source>@<time>`` (app.growth.batches.batch_subject): the time in the reader's zone."""
    source, _sep, stamp = ident.rpartition("@")
    at = _instant(stamp)
    if at is None:
        return _("growth-value import %(id)s", id=ident)
    return _("growth-value import from %(source)s, %(at)s", source=source, at=_when(at))


def _instant(stamp: str) -> datetime | None:
    try:
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def _when(at: datetime) -> str:
    # As app.web.templating.when_text writes it (that module imports this one): zone named.
    return f"{format_datetime(at, 'medium')} {format_datetime(at, 'zzzz')}"


# kind -> (words for the ident, the page about it or None)
_KINDS: dict[str, tuple[Callable[[str], str], Callable[[str], str | None]]] = {
    "proposal": (lambda i: _("proposal %(id)s", id=i),
                 lambda i: url_for("proposals.detail", proposal_id=i)),
    "community": (_community, lambda i: url_for("communities.detail", community_id=int(i))
                  if i.isdigit() else None),
    "motion": (lambda i: _("council motion %(id)s", id=i),
               lambda i: url_for("council.motion", motion_id=int(i)) if i.isdigit() else None),
    "txn": (lambda i: _("treasury transaction %(id)s", id=i),
            lambda i: url_for("treasury.ledger", _anchor=f"txn-{i}")),
    "disbursement": (lambda i: _("disbursement %(id)s", id=i),
                     lambda i: url_for("treasury.disbursement", disbursement_id=int(i))
                     if i.isdigit() else None),
    "budget": (lambda i: _("budget %(id)s", id=i),
               lambda i: url_for("treasury.budget", budget_id=i)),
    "emergency": (lambda i: _("emergency budget %(id)s", id=i),
                  lambda i: url_for("treasury.budget", budget_id=i)),
    "seat": (lambda i: _("council seat %(id)s", id=i), lambda i: url_for("council.index")),
    "member": (lambda i: _("council member %(id)s", id=i), lambda i: None),
    "user": (lambda i: _("account %(id)s", id=i), lambda i: None),
    "owner": (lambda i: _("owner number %(id)s", id=i), lambda i: None),
    "beneficiary": (lambda i: _("beneficiary %(id)s", id=i), lambda i: None),
    "comment": (lambda i: _("comment %(id)s", id=i), lambda i: None),
    "contacts": (lambda i: _("brand contacts from %(id)s", id=source_words(i)), lambda i: None),
    "growth": (lambda i: _growth(i), lambda i: None),
}


def words(subject: str) -> str:
    """A tag as a reader knows it; an unknown tag is returned as it is."""
    if _PROPOSAL_ID.fullmatch(subject):
        return _("proposal %(id)s", id=subject)
    if m := _CHARTER.fullmatch(subject):
        return _("charter version %(v)s", v=m.group(1))
    kind, sep, ident = subject.partition(":")
    if sep and kind in _KINDS:
        return _KINDS[kind][0](ident)
    return subject


def words_html(subject: str) -> Markup:
    """``words`` for a page: a time in the tag is a ``<time>`` element, as every time shown."""
    kind, sep, ident = subject.partition(":")
    source, _at, stamp = ident.rpartition("@")
    at = _instant(stamp) if kind == "growth" and sep else None
    if at is None:
        return escape(words(subject))
    shown = Markup('<time datetime="{}">{}</time>').format(stamp, _when(at))
    return escape(_("growth-value import from %(source)s, %(at)s")) % {
        "source": source, "at": shown}


def link(subject: str) -> str | None:
    """The page about what the tag names, where there is one."""
    if _PROPOSAL_ID.fullmatch(subject):
        return url_for("proposals.detail", proposal_id=subject)
    if m := _CHARTER.fullmatch(subject):
        return url_for("public.charter", version=int(m.group(1)))
    kind, sep, ident = subject.partition(":")
    if sep and kind in _KINDS:
        return _KINDS[kind][1](ident)
    return None


def source_words(source: str) -> str:
    return str(INCOME_SOURCES.get(source, source))


def account(name: str) -> str:
    """A ledger account (governance.treasury) in the reader's words."""
    if name == "assets:cash":
        return _("cash held by the trust")
    if name == "authority":
        return _("spending authority granted")
    kind, _sep, ident = name.partition(":")
    if kind == "income":
        return _("income: %(source)s", source=source_words(ident))
    if kind == "expense":
        return _("spent on %(purpose)s", purpose=purpose_names().get(ident, ident))
    if kind == "budget":
        return _("budget %(id)s", id=ident)
    return name


def account_link(name: str) -> str | None:
    kind, _sep, ident = name.partition(":")
    return url_for("treasury.budget", budget_id=ident) if kind == "budget" else None
