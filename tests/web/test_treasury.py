"""The treasury on a real database: budgets from sealed votes, council-approved disbursements
refused with the charter's article, a public page whose totals are the ledger's, log proofs."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from app.audit.models import AuditEvent
from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions.votes import close_and_seal
from app.integrity.treasury import audit_treasury
from app.proposals import service as proposals
from app.results import service as results
from app.translog import service as translog
from app.translog.models import LogLeaf
from app.treasury import service
from app.treasury.models import Budget, Disbursement, LedgerRow, TreasuryTxn
from app.voting import service as voting
from ballots.canonical import canonical_bytes, canonical_sha256
from ballots.merkle import leaf_hash, verify_inclusion
from tests.factories import (
    csrf_from,
    install_charter,
    login,
    make_open_vote,
    make_owner,
    pass_motion,
)

BUDGET_FEN = 1_000_000_00  # RMB 1,000,000
ROLES_SEATED = ("chair", "proceeds_committee", "proceeds_committee", "supervisors")


def seat(user: Any, role: str = "asset_committee") -> None:
    # Seated as the app seats (logged): a seat row the log does not back grants nothing.
    from app.council import service as council

    council.seat(user, role, utcnow() - timedelta(days=10))
    db.session.flush()


def passed_spending_vote(author: Any, chair: Any, voter: Any, *, outcome: str = "yes",
                         fields: dict[str, Any] | None = None) -> str:
    fields = fields or {"amount_fen": BUDGET_FEN, "category": "owner_care",
                        "beneficiary": "Owners in hardship", "purpose": "Roadside help."}
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(author, chair, fields=fields, opens=opens,
                                 closes=utcnow() - timedelta(hours=1))
    voting.cast(proposal_id, voter.id, [outcome], now=opens + timedelta(hours=1))
    proposal = proposals.get(proposal_id)
    assert proposal is not None
    close_and_seal(proposal_id)
    db.session.commit()
    return proposal_id


def owners_ratify(trust: dict[str, Any], budget_id: str) -> str:
    """The owners' ratification vote about ``budget_id``, passed and sealed."""
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(trust["voter"], trust["members"][0],
                                 kind="emergency_ratification", fields={"budget": budget_id},
                                 opens=opens, closes=utcnow() - timedelta(hours=1))
    voting.cast(proposal_id, trust["voter"].id, ["yes"], now=opens + timedelta(hours=1))
    proposal = proposals.get(proposal_id)
    assert proposal is not None
    # Below the decisions layer on purpose: these tests check that sync_budgets catches up on
    # a ratification sealed without its consequence (as a database restored mid-way would be).
    proposals.close_vote(proposal)
    results.seal(proposal_id)
    db.session.commit()
    return proposal_id


@pytest.fixture
def trust(db_session: Any) -> dict[str, Any]:
    """A charter, four seated council members (a chair, two of the proceeds committee that
    approves spending, a supervisor), an admin, cash and one authorised budget."""
    install_charter()
    members = [make_owner(0, role="council", name=f"Member {i}") for i in range(4)]
    for m, role in zip(members, ROLES_SEATED, strict=True):
        seat(m, role)
    admin = make_owner(0, role="admin", name="Admin")
    voter = make_owner(5000)
    db.session.commit()
    proposal_id = passed_spending_vote(voter, members[0], voter)
    budget = service.authorise_budget_from_result(proposal_id)
    service.record_income(admin, "donations", 5_000_000_00, reference="BANK-1")
    db.session.commit()
    assert budget is not None
    return {"members": members, "admin": admin, "voter": voter, "budget": budget.id,
            "proposal": proposal_id}


def switch_user(client: Any, user: Any) -> Any:
    """A fresh client signed in as ``user``. The test's app context is shared by its requests,
    so the user and CSRF token Flask-Login and Flask-WTF cache in `g` are dropped first."""
    from flask import g

    g.pop("_login_user", None)
    g.pop("csrf_token", None)
    fresh = client.application.test_client()
    login(fresh, user)
    return fresh


def ledger_sums() -> dict[str, int]:
    """Account balances summed by the database itself, independently of the app's code."""
    rows = db.session.execute(select(LedgerRow.account, func.sum(LedgerRow.amount_fen))
                              .group_by(LedgerRow.account))
    return {account: int(total) for account, total in rows}


def ledger_count() -> int:
    return db.session.scalar(select(func.count()).select_from(LedgerRow)) or 0


def draft_and_approve(t: dict[str, Any], amount: int = 200_000_00, **kw: Any) -> Disbursement:
    m = t["members"]
    d = service.draft(m[0], t["budget"], amount, "owner_care", "Families of 12 owners",
                      "Hospital bills after a road accident.", **kw)
    db.session.commit()
    for member in m[1:3]:  # the proceeds committee (Art. 22.1: two of its members)
        service.approve(member, d.id)
        db.session.commit()
    return d


def test_a_passed_spending_vote_authorises_its_budget_once(trust: dict[str, Any]) -> None:
    again = service.authorise_budget_from_result(trust["proposal"])
    db.session.commit()
    assert again is not None and again.id == trust["budget"]
    sums = ledger_sums()
    assert sums[f"budget:{trust['budget']}"] == BUDGET_FEN
    assert db.session.scalar(select(func.count()).select_from(TreasuryTxn).where(
        TreasuryTxn.kind == "budget_authorised")) == 1
    logged = db.session.scalar(select(LogLeaf).where(LogLeaf.type == "budget.authorised"))
    assert logged is not None and logged.subject == f"budget:{trust['budget']}"


def test_a_rejected_spending_vote_authorises_nothing(trust: dict[str, Any]) -> None:
    rejected = passed_spending_vote(trust["voter"], trust["members"][0], trust["voter"],
                                    outcome="no")
    assert service.authorise_budget_from_result(rejected) is None
    assert service.sync_budgets() == []
    assert db.session.get(Budget, rejected.lower()) is None


def test_over_budget_request_is_refused_quoting_the_article_and_leaves_the_ledger(
    trust: dict[str, Any], client: Any
) -> None:
    member = trust["members"][0]
    before, sums = ledger_count(), ledger_sums()
    login(client, member)
    page = client.get("/treasury/disbursements/new")
    response = client.post("/treasury/disbursements/new", data={
        "csrf_token": csrf_from(page), "budget": trust["budget"], "amount_yuan": "1000000.01",
        "category": "owner_care", "beneficiary": "Owners", "purpose": "Too much",
    }, follow_redirects=True)
    assert "Art. 21.1" in response.get_data(as_text=True)
    assert ledger_count() == before and ledger_sums() == sums
    assert db.session.scalar(select(func.count()).select_from(Disbursement)) == 0
    refusal = db.session.scalar(select(AuditEvent).where(AuditEvent.outcome == "refused"))
    assert refusal is not None and "Art. 21.1" in refusal.details


def test_a_category_the_budget_does_not_allow_is_refused(trust: dict[str, Any]) -> None:
    with pytest.raises(service.TreasuryError) as refused:
        service.draft(trust["members"][0], trust["budget"], 100, "public_welfare", "School",
                      "Books")
    assert [v.article for v in refused.value.violations] == ["Art. 21.2"]


def test_no_one_approves_their_own_request_and_outsiders_cannot_approve(
    trust: dict[str, Any]
) -> None:
    m = trust["members"]
    d = service.draft(m[0], trust["budget"], 100_00, "owner_care", "One family", "Repairs")
    db.session.commit()
    with pytest.raises(service.TreasuryError) as own:
        service.approve(m[0], d.id)
    assert "Art. 22.2" in str(own.value)
    db.session.rollback()
    with pytest.raises(service.TreasuryError) as outsider:
        service.approve(trust["voter"], d.id)
    assert "Art. 22.1" in str(outsider.value)


def test_the_committees_approvals_record_the_disbursement_in_ledger_and_log(
    trust: dict[str, Any]
) -> None:
    d = draft_and_approve(trust, beneficiary_private="Zhang San, ID 110101..., acct 6222...",
                          uploads=[service.Upload("invoice-zhang.pdf", "application/pdf",
                                                  b"%PDF invoice 1")])
    assert d.state == "recorded" and d.txn is not None and d.log_index is not None
    sums = ledger_sums()
    assert sums["expense:owner_care"] == 200_000_00
    assert sums[f"budget:{trust['budget']}"] == BUDGET_FEN - 200_000_00
    assert sums["assets:cash"] == 5_000_000_00 - 200_000_00
    leaf = db.session.get(LogLeaf, d.log_index)
    assert leaf is not None and leaf.type == "disbursement.recorded"
    record = json.loads(leaf.record_json)
    assert record["amount_fen"] == 200_000_00 and record["proposal"] == trust["proposal"]
    assert record["approvals"] == ["Member 1", "Member 2"]
    assert record["evidence_sha256"] == [hashlib.sha256(b"%PDF invoice 1").hexdigest()]
    assert "Zhang San" not in leaf.record_json and "invoice-zhang" not in leaf.record_json
    assert canonical_sha256(record) == leaf.sha256


def test_the_disbursement_log_proof_verifies(trust: dict[str, Any], client: Any) -> None:
    d = draft_and_approve(trust)
    size = translog.size()
    proof = client.get(f"/log/proof/inclusion?index={d.log_index}&size={size}").get_json()
    leaf = client.get(f"/log/entries?start={d.log_index}&end={d.log_index + 1}").get_json()[0]
    root = translog.tree(size).root()
    path = [bytes.fromhex(h) for h in proof["path"]]
    assert verify_inclusion(leaf_hash(canonical_bytes(leaf)), d.log_index, size, path, root)
    page = client.get(f"/treasury/disbursements/{d.id}").get_data(as_text=True)
    assert f"/log/proof/inclusion?index={d.log_index}&amp;size={size}" in page


def test_a_budget_drained_before_the_last_approval_is_refused(trust: dict[str, Any]) -> None:
    m = trust["members"]
    first = service.draft(m[0], trust["budget"], 600_000_00, "owner_care", "A", "First")
    second = service.draft(m[0], trust["budget"], 600_000_00, "owner_care", "B", "Second")
    db.session.commit()
    for member in m[1:3]:
        service.approve(member, first.id)
        db.session.commit()
    service.approve(m[1], second.id)
    db.session.commit()
    before = ledger_sums()
    with pytest.raises(service.TreasuryError) as refused:
        service.approve(m[2], second.id)
    assert "Art. 21.1" in str(refused.value)
    db.session.rollback()
    assert ledger_sums() == before
    assert db.session.get(Disbursement, second.id).state == "pending"


def test_public_totals_equal_the_ledger_and_hide_private_details(
    trust: dict[str, Any], client: Any
) -> None:
    draft_and_approve(trust, amount=123_456_78, beneficiary_private="Li Si, phone 138...")
    sums = ledger_sums()
    page = client.get("/treasury/").get_data(as_text=True)

    def shown(element_id: str) -> str:
        start = page.index(f'id="{element_id}">') + len(element_id) + 6
        return page[start:page.index("<", start)]

    def yuan(fen: int) -> str:
        return f"¥{fen // 100:,}.{fen % 100:02d}"

    assert shown("total-cash") == yuan(sums["assets:cash"])
    assert shown("total-income") == yuan(-sums["income:donations"])
    assert shown("total-spent") == yuan(sum(v for k, v in sums.items() if k.startswith("expense:")))
    assert shown("total-authority") == yuan(
        sum(v for k, v in sums.items() if k.startswith("budget:")))
    assert shown("rows-total") == yuan(sums["expense:owner_care"])
    assert "Li Si" not in page
    assert "Li Si" not in client.get("/treasury/disbursements.csv").get_data(as_text=True)


def test_csv_export_applies_the_same_filters(trust: dict[str, Any], client: Any) -> None:
    draft_and_approve(trust, amount=100_00)
    rows = list(csv.DictReader(io.StringIO(
        client.get("/treasury/disbursements.csv?purpose=owner_care").data.decode("utf-8-sig"))))
    assert [r["amount_fen"] for r in rows] == ["10000"]
    assert rows[0]["proposal"] == trust["proposal"] and rows[0]["amount_yuan"] == "100.00"
    none = client.get("/treasury/disbursements.csv?purpose=public_welfare").get_data(as_text=True)
    assert none.strip().count("\n") == 0
    later = client.get("/treasury/disbursements.csv?from=2999-01-01").get_data(as_text=True)
    assert later.strip().count("\n") == 0


def test_charts_are_svg_images_without_script(trust: dict[str, Any], client: Any) -> None:
    draft_and_approve(trust)
    for name in ("over-time", "by-purpose", "budgets"):
        response = client.get(f"/treasury/charts/{name}.svg")
        assert response.status_code == 200 and response.mimetype == "image/svg+xml"
        assert b"<svg" in response.data and b"<script" not in response.data
    assert client.get("/treasury/charts/nothing.svg").status_code == 404


def test_evidence_is_private_but_its_hash_is_public(trust: dict[str, Any], client: Any) -> None:
    data = b"certificate of donation no. 7"
    digest = hashlib.sha256(data).hexdigest()
    d = draft_and_approve(trust, uploads=[service.Upload("cert.pdf", "application/pdf", data)])
    assert digest in client.get(f"/treasury/disbursements/{d.id}").get_data(as_text=True)
    assert client.get(f"/treasury/evidence/{digest}").status_code in (302, 401)
    voter_client = switch_user(client, trust["voter"])
    assert voter_client.get(f"/treasury/evidence/{digest}").status_code == 403
    member_client = switch_user(client, trust["members"][1])
    download = member_client.get(f"/treasury/evidence/{digest}")
    assert download.status_code == 200 and download.data == data


def test_emergency_spending_within_the_cap_needs_a_passed_motion_and_ratification(
    trust: dict[str, Any]
) -> None:
    from app.council import service as council

    m = trust["members"]
    with pytest.raises(service.TreasuryError) as over:
        service.propose_emergency(m[0], "Relief", 500_000_001, "owner_care", "Owners", "Relief")
    assert "Art. 23.1" in str(over.value)
    db.session.rollback()
    budget = service.propose_emergency(m[0], "COVID relief: owner care", 300_000_000,
                                       "owner_care", "Owners in Hubei", "Relief supplies")
    db.session.commit()
    with pytest.raises(service.TreasuryError):
        service.authorise_emergency(budget.id)  # the motion is still open
    db.session.rollback()
    from app.council.models import Motion

    motion = db.session.get(Motion, budget.motion_id)
    for member in m[:3]:  # the supervisor (m[3]) is recused on spending (Art. 22.4)
        council.vote(motion, member, "for")
    council.close_motion(motion, m[0])
    db.session.commit()
    assert service.sync_budgets() == [f"emergency budget {budget.id} authorised by motion "
                                      f"{motion.id}"]
    db.session.commit()
    assert ledger_sums()[f"budget:{budget.id}"] == 300_000_000
    assert budget.ratification_due is not None
    assert not service.overdue(budget)
    assert service.overdue(budget, budget.ratification_due + timedelta(seconds=1))
    # A spending vote about something else does not ratify it: only the owners' vote on it.
    with pytest.raises(service.TreasuryError) as other:
        service.ratify_emergency(m[0], budget.id, proposal_id=trust["proposal"])
    assert "Art. 23.3" in str(other.value)
    db.session.rollback()
    ratification = owners_ratify(trust, budget.id)
    assert service.sync_budgets() == [
        f"emergency budget {budget.id} ratified by the owners' vote {ratification}"]
    db.session.commit()
    assert budget.ratified_by == f"proposal:{ratification}"
    assert not service.overdue(budget, budget.ratification_due + timedelta(days=1))


def test_a_council_motion_never_ratifies_emergency_spending(trust: dict[str, Any]) -> None:
    from app.council import service as council
    from app.council.models import Motion

    m = trust["members"]
    budget = service.propose_emergency(m[0], "Flood relief", 100_000_000, "owner_care",
                                       "Owners in Henan", "Relief supplies")
    authorising = db.session.get(Motion, budget.motion_id)
    for member in m[:3]:  # the supervisor (m[3]) is recused on spending (Art. 22.4)
        council.vote(authorising, member, "for")
    council.close_motion(authorising, m[0])
    service.carry_out(authorising)
    ratifying = council.open_motion(m[0], service.RATIFY_KIND, f"emergency:{budget.id}",
                                    "Ratify the flood relief")
    for member in m[:3]:  # the supervisor (m[3]) is recused on spending (Art. 22.4)
        council.vote(ratifying, member, "for")
    council.close_motion(ratifying, m[0])
    service.carry_out(ratifying)
    db.session.commit()
    assert budget.ratified_at is None  # the charter puts it to the owners
    with pytest.raises(service.TreasuryError) as refused:
        service.ratify_emergency(m[0], budget.id, motion_id=ratifying.id)
    assert refused.value.violations[0].code == "spending.ratification"


def test_an_overdue_ratification_freezes_the_budget_and_new_emergency_spending(
    trust: dict[str, Any]
) -> None:
    from app.council import service as council
    from app.council.models import Motion

    m = trust["members"]
    budget = service.propose_emergency(m[0], "Flood relief", 100_000_000, "owner_care",
                                       "Owners in Henan", "Relief supplies")
    authorising = db.session.get(Motion, budget.motion_id)
    for member in m[:3]:  # the supervisor (m[3]) is recused on spending (Art. 22.4)
        council.vote(authorising, member, "for")
    council.close_motion(authorising, m[0])
    service.carry_out(authorising)
    db.session.commit()
    late = budget.ratification_due + timedelta(days=1)
    with pytest.raises(service.TreasuryError) as frozen:
        service.draft(m[1], budget.id, 1_000_00, "owner_care", "An owner", "Help", now=late)
    assert [v.code for v in frozen.value.violations] == ["spending.ratification_overdue"]
    db.session.rollback()
    with pytest.raises(service.TreasuryError) as blocked:
        service.propose_emergency(m[0], "More relief", 1_000_00, "owner_care", "Owners",
                                  "Relief", now=late)
    assert "Art. 23.4" in str(blocked.value)
    db.session.rollback()
    # Before the due date the budget is open; after the owners ratify it, it is open again.
    assert service.draft(m[1], budget.id, 1_000_00, "owner_care", "An owner", "Help")
    db.session.commit()
    owners_ratify(trust, budget.id)
    service.sync_budgets()
    db.session.commit()
    assert service.draft(m[1], budget.id, 1_000_00, "owner_care", "An owner", "Help", now=late)


def test_overdue_ratification_is_flagged_on_the_public_page(
    trust: dict[str, Any], client: Any
) -> None:
    budget = Budget(id="emergency-9", source="emergency", title="Old relief", amount_fen=100,
                    category="owner_care", beneficiary="Owners", purpose="Relief",
                    authorised_at=utcnow() - timedelta(days=100),
                    ratification_due=utcnow() - timedelta(days=10))
    db.session.add(budget)
    db.session.commit()
    assert "ratification overdue" in client.get("/treasury/").get_data(as_text=True)


def test_a_correction_is_a_reversing_entry_never_an_edit(trust: dict[str, Any]) -> None:
    admin = trust["admin"]
    wrong = service.record_income(admin, "donations", 999_00, reference="typo")
    db.session.commit()
    rows_before = {(r.id, r.amount_fen) for r in db.session.scalars(select(LedgerRow))}
    motion = pass_motion(trust["members"][0], "reverse_transaction", f"txn:{wrong.id}")
    service.reverse(admin, wrong.id, "Entered twice", motion_id=motion.id)
    db.session.commit()
    rows_after = {(r.id, r.amount_fen) for r in db.session.scalars(select(LedgerRow))}
    assert rows_before < rows_after  # every earlier row is still there, unchanged
    assert ledger_sums()["income:donations"] == -5_000_000_00
    with pytest.raises(service.TreasuryError):
        service.reverse(admin, wrong.id, "again", motion_id=motion.id)


def test_a_reversal_that_would_overdraw_is_refused(trust: dict[str, Any]) -> None:
    draft_and_approve(trust, amount=600_000_00)
    first_income = db.session.scalar(select(TreasuryTxn).where(TreasuryTxn.kind == "income"))
    assert first_income is not None
    motion = pass_motion(trust["members"][0], "reverse_transaction", f"txn:{first_income.id}")
    with pytest.raises(service.TreasuryError) as refused:
        service.reverse(trust["admin"], first_income.id, "Bounced", motion_id=motion.id)
    assert "below zero" in str(refused.value)


def test_income_and_reversal_pages_are_for_administrators(
    trust: dict[str, Any], client: Any
) -> None:
    login(client, trust["members"][0])
    assert client.get("/treasury/income/new").status_code == 403
    admin_client = switch_user(client, trust["admin"])
    page = admin_client.get("/treasury/income/new")
    response = admin_client.post("/treasury/income/new", data={
        "csrf_token": csrf_from(page), "source": "share_proceeds", "amount_yuan": "1234.56",
        "received_on": "2026-01-15", "reference": "DIV-2025"}, follow_redirects=True)
    assert response.status_code == 200
    assert ledger_sums()["income:share_proceeds"] == -123456


def test_audit_names_the_disbursement_whose_amount_was_edited(trust: dict[str, Any]) -> None:
    d = draft_and_approve(trust)
    assert list(audit_treasury()) == []
    db.session.execute(update(LedgerRow).where(LedgerRow.txn == d.txn,
                                               LedgerRow.account == "expense:owner_care")
                       .values(amount_fen=1_00))
    db.session.commit()
    findings = [str(f) for f in audit_treasury()]
    assert any("does not balance" in f for f in findings)
    assert any(f.startswith(f"disbursement {d.id}:") for f in findings)


def test_the_api_approves_with_the_pages_rules(trust: dict[str, Any], client: Any) -> None:
    from app.accounts.services import issue_api_token

    m = trust["members"]
    d = service.draft(m[0], trust["budget"], 100_00, "owner_care", "Families of 12 owners",
                      "Hospital bills after a road accident.")
    db.session.commit()
    bearer = {who: {"Authorization": f"Bearer {issue_api_token(user, 'app')}"}
              for who, user in (("submitter", m[0]), ("member", m[1]), ("owner", trust["voter"]))}
    db.session.commit()
    url = f"/api/treasury/disbursements/{d.id}/approvals"
    assert client.post(url, json={}, headers=bearer["owner"]).status_code == 403
    own = client.post(url, json={}, headers=bearer["submitter"])
    assert own.status_code == 422 and own.mimetype == "application/problem+json"
    assert own.get_json()["detail"]
    given = client.post(url, json={}, headers=bearer["member"])
    assert given.status_code == 201 and given.get_json()["member_id"] == m[1].id
    listed = client.get("/api/treasury/disbursements").get_json()["items"]
    assert [a["member_id"] for a in listed[0]["approvals"]] == [m[1].id]
    assert listed[0]["amount_fen"] == 100_00 and "beneficiary_private" not in listed[0]
