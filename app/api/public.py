"""Public reads of the API: council, communities, treasury, charter and log.

Every list is one `paginate` page; every answer carries an ETag and answers If-None-Match
with 304. Nothing here needs an account: these are the records any owner may audit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from flask import Blueprint, Response, abort
from sqlalchemy import select

from app.accounts.models import User
from app.api import schemas as S
from app.api.http import ApiRefusal, json_response, paginate, problem, query_of
from app.api.spec import operation
from app.charter.models import CharterVersion
from app.communities import service as communities
from app.communities.models import Community
from app.core.extensions import db
from app.council import motions as council_motions
from app.council.models import CouncilSeat, Motion
from app.translog.models import LogLeaf
from app.treasury.models import (
    Budget,
    Disbursement,
    DisbursementApproval,
    Evidence,
    LedgerRow,
    TreasuryTxn,
)

bp = Blueprint("api_public", __name__, url_prefix="/api")
READ = {"conditional": True}


@bp.errorhandler(ApiRefusal)
def _refused(exc: ApiRefusal) -> Response:
    return problem(exc.status, exc.detail, **exc.extra)


def _names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = db.session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {i: n for i, n in rows}


# --- council ---------------------------------------------------------------------------------


def _seats(rows: Sequence[CouncilSeat]) -> list[S.Seat]:
    names = _names({r.member_id for r in rows})
    return [S.Seat.model_validate({**_cols(r), "member": names.get(r.member_id, "")})
            for r in rows]


def _cols(row: Any) -> dict[str, Any]:
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


@operation(bp, "/council/seats", "GET", "Council seats and terms, current and past (roles, "
           "terms, how each was filled or vacated)", tag="council", response=S.SeatPage,
           query=S.PageQuery, **READ)
def council_seats() -> Response:
    args = query_of(S.PageQuery)
    query = select(CouncilSeat).order_by(CouncilSeat.term_start.desc(), CouncilSeat.id.desc())
    return json_response(paginate(query, args, _seats, S.SeatPage), conditional=True)


def _motion(m: Motion) -> dict[str, Any]:
    return {**_cols(m), "outcome": json.loads(m.outcome_json) if m.outcome_json else None}


@operation(bp, "/council/motions", "GET", "Council motions, newest first", tag="council",
           response=S.MotionPage, query=S.StateQuery, **READ)
def council_motions_list() -> Response:
    args = query_of(S.StateQuery)
    query = select(Motion).order_by(Motion.opened_at.desc(), Motion.id.desc())
    if args.state:
        query = query.where(Motion.state == args.state)
    page = paginate(query, args, lambda rows: [S.MotionOut.model_validate(_motion(m))
                                               for m in rows], S.MotionPage)
    return json_response(page, conditional=True)


@operation(bp, "/council/motions/<int:motion_id>", "GET", "One motion with its roll call and "
           "recusals", tag="council", response=S.MotionDetail, errors=(404,), **READ)
def council_motion(motion_id: int) -> Response:
    motion = council_motions.get_motion(motion_id)
    if motion is None:
        abort(404, description="no such motion")
    votes = council_motions.vote_rows(motion)
    recusals = council_motions.recusal_rows(motion)
    names = _names({v.member_id for v in votes} | {r.member_id for r in recusals})
    out = S.MotionDetail.model_validate({
        **_motion(motion),
        "roll_call": [{**_cols(v), "member": names.get(v.member_id, "")} for v in votes],
        "recusals": [{**_cols(r), "member": names.get(r.member_id, "")} for r in recusals],
    })
    return json_response(out, conditional=True)


# --- communities -----------------------------------------------------------------------------


@operation(bp, "/communities", "GET", "Communities: the directory and every application, "
           "with state (applied, under_review, certified, ...)", tag="communities",
           response=S.CommunityPage, query=S.StateQuery, **READ)
def communities_list() -> Response:
    args = query_of(S.StateQuery)
    query = select(Community).order_by(Community.applied_at.desc(), Community.id.desc())
    if args.state:
        query = query.where(Community.state == args.state)
    page = paginate(query, args, lambda rows: [S.CommunityOut.model_validate(c) for c in rows],
                    S.CommunityPage)
    return json_response(page, conditional=True)


@operation(bp, "/communities/<int:community_id>", "GET", "One community with its decisions, "
           "documents (hashes) and co-signatures given", tag="communities",
           response=S.CommunityDetail, errors=(404,), **READ)
def community(community_id: int) -> Response:
    row = communities.get(community_id)
    if row is None:
        abort(404, description="no such community")
    out = S.CommunityDetail.model_validate({
        **_cols(row),
        "cosignatures_given": communities.cosigns_given(row),
        "decisions": [_cols(e) for e in communities.events(row)],
        "documents": [_cols(d) for d in communities.documents(row)],
    })
    return json_response(out, conditional=True)


# --- treasury --------------------------------------------------------------------------------


@operation(bp, "/treasury/ledger", "GET", "Every ledger posting in the order written (double "
           "entry: each transaction's postings sum to zero)", tag="treasury",
           response=S.LedgerPage, query=S.PageQuery, **READ)
def treasury_ledger() -> Response:
    args = query_of(S.PageQuery)
    query = (select(LedgerRow, TreasuryTxn).join(TreasuryTxn, TreasuryTxn.id == LedgerRow.txn)
             .order_by(TreasuryTxn.seq, LedgerRow.id))

    def lines(rows: Sequence[Any]) -> list[S.LedgerLine]:
        return [S.LedgerLine(id=r.id, txn=r.txn, seq=t.seq, txn_kind=t.kind, at=t.at,
                             account=r.account, amount_fen=int(r.amount_fen), kind=r.kind,
                             reference=r.reference, description=t.description,
                             reverses=t.reverses) for r, t in rows]

    return json_response(paginate(query, args, lines, S.LedgerPage), conditional=True)


@operation(bp, "/treasury/budgets", "GET", "Budgets, newest first", tag="treasury",
           response=S.BudgetPage, query=S.PageQuery, **READ)
def treasury_budgets() -> Response:
    args = query_of(S.PageQuery)
    query = select(Budget).order_by(Budget.created_at.desc(), Budget.id)
    page = paginate(query, args, lambda rows: [S.BudgetOut.model_validate(b) for b in rows],
                    S.BudgetPage)
    return json_response(page, conditional=True)


def _disbursements(rows: Sequence[Disbursement]) -> list[S.DisbursementOut]:
    ids = [d.id for d in rows]
    approvals: dict[int, list[DisbursementApproval]] = {i: [] for i in ids}
    evidence: dict[int, list[Evidence]] = {i: [] for i in ids}
    if ids:
        for a in db.session.scalars(select(DisbursementApproval).where(
                DisbursementApproval.disbursement_id.in_(ids)).order_by(DisbursementApproval.at)):
            approvals[a.disbursement_id].append(a)
        for e in db.session.scalars(select(Evidence).where(
                Evidence.disbursement_id.in_(ids)).order_by(Evidence.id)):
            evidence[e.disbursement_id].append(e)
    names = _names({a.member_id for group in approvals.values() for a in group})
    return [S.DisbursementOut.model_validate({
        **_cols(d),
        "approvals": [{**_cols(a), "member": names.get(a.member_id, "")}
                      for a in approvals[d.id]],
        "evidence": [_cols(e) for e in evidence[d.id]],
    }) for d in rows]


@operation(bp, "/treasury/disbursements", "GET", "Disbursements with their approvals and "
           "evidence hashes, newest first", tag="treasury", response=S.DisbursementPage,
           query=S.StateQuery, **READ)
def treasury_disbursements() -> Response:
    args = query_of(S.StateQuery)
    query = select(Disbursement).order_by(Disbursement.created_at.desc(), Disbursement.id.desc())
    if args.state:
        query = query.where(Disbursement.state == args.state)
    page = paginate(query, args, _disbursements, S.DisbursementPage)
    return json_response(page, conditional=True)


# --- charter and log -------------------------------------------------------------------------


@operation(bp, "/charter/versions", "GET", "Every adopted charter version, newest first, with "
           "its texts in English and Chinese", tag="charter", response=S.CharterPage,
           query=S.PageQuery, **READ)
def charter_versions() -> Response:
    args = query_of(S.PageQuery)
    query = select(CharterVersion).order_by(CharterVersion.version.desc())
    page = paginate(query, args, lambda rows: [S.CharterVersionOut.model_validate(v)
                                               for v in rows], S.CharterPage)
    return json_response(page, conditional=True)


@operation(bp, "/charter/versions/<int:version>/rules", "GET", "The machine-readable rules "
           "of one charter version", tag="charter", response=S.CharterRulesOut, errors=(404,),
           **READ)
def charter_rules(version: int) -> Response:
    row = db.session.scalar(select(CharterVersion).where(CharterVersion.version == version))
    if row is None:
        abort(404, description="no such charter version")
    out = S.CharterRulesOut(version=row.version, sha256=row.sha256,
                            rules=json.loads(row.rules_json))
    return json_response(out, conditional=True)


@operation(bp, "/log/records", "GET", "Transparency-log records in index order (proofs and "
           "the signed checkpoint are under /log/)", tag="log", response=S.LogPage,
           query=S.PageQuery, **READ)
def log_records() -> Response:
    args = query_of(S.PageQuery)
    query = select(LogLeaf).order_by(LogLeaf.index)
    page = paginate(query, args, lambda rows: [S.LogRecord(
        index=r.index, type=r.type, at=r.at, subject=r.subject, sha256=r.sha256,
        record=json.loads(r.record_json)) for r in rows], S.LogPage)
    return json_response(page, conditional=True)
