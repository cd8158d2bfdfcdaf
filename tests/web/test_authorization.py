"""Every route × every kind of visitor, generated from the route map.

A new route without an entry in EXPECTED fails `test_every_route_is_in_the_matrix`, so nobody
can add a page without saying who may use it.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.communities.models import Community
from app.core.extensions import db
from app.council import service as council
from app.council.models import Candidacy, Motion, MotionVoteRecord
from app.proposals.models import Proposal
from app.results.models import SealedResult
from app.treasury.models import Budget, Disbursement, Evidence, TreasuryTxn
from app.voting.models import Ballot, RollEntry
from tests.factories import PASSWORD, csrf_from, make_owner, pass_second_factor

ROLES = ("anonymous", "owner", "ineligible", "council", "recused", "admin")
SIGNED_IN = ROLES[1:]

# Access classes: what each role gets from a GET (POSTs: see _post_ok).
PUBLIC = dict.fromkeys(ROLES, 200)
OWNER = {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 200)}
COUNCIL = {
    "anonymous": 302,
    "owner": 403,
    "ineligible": 403,
    "council": 200,
    "recused": 200,
    "admin": 200,
}
# Supporting documents: seated reviewers only; an administrator runs operations, not reviews.
SEATED = {**COUNCIL, "admin": 403}
ADMIN = {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 403), "admin": 200}
API = {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 200)}
OWN_RECEIPT = {
    "anonymous": 302,
    "owner": 200,
    "ineligible": 404,
    "council": 404,
    "recused": 404,
    "admin": 404,
}
ON_ROLL = {
    "anonymous": 401,
    "owner": 200,
    "ineligible": 404,
    "council": 200,
    "recused": 200,
    "admin": 404,
}
IMPORT_TOKEN = dict.fromkeys(ROLES, 401)  # a bearer import token, never a session

EXPECTED: dict[tuple[str, str], dict[str, int]] = {
    ("public.home", "GET"): PUBLIC,
    ("public.results_index", "GET"): PUBLIC,
    ("public.result_page", "GET"): PUBLIC,
    ("public.charter", "GET"): PUBLIC,
    ("public.charter_rules_json", "GET"): PUBLIC,
    ("public.log_entry", "GET"): PUBLIC,
    ("public.log_browser", "GET"): PUBLIC,
    ("public.verify_page", "GET"): PUBLIC,
    ("public.verify_page", "POST"): PUBLIC,
    ("public.set_language", "POST"): PUBLIC,
    ("public.set_timezone", "POST"): PUBLIC,
    ("public.healthz", "GET"): PUBLIC,
    ("accounts.login", "GET"): PUBLIC,
    ("accounts.login", "POST"): PUBLIC,
    ("accounts.register", "GET"): PUBLIC,
    ("accounts.register", "POST"): PUBLIC,
    ("accounts.logout", "POST"): {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 302)},
    # Without a pending sign-up or a live link these send everyone elsewhere.
    ("accounts.register_confirm", "GET"): dict.fromkeys(ROLES, 302),
    ("accounts.register_confirm", "POST"): dict.fromkeys(ROLES, 302),
    ("accounts.verify_link", "GET"): dict.fromkeys(ROLES, 302),
    ("accounts.reset_request", "GET"): PUBLIC,
    ("accounts.reset_request", "POST"): PUBLIC,
    ("accounts.reset_confirm", "GET"): dict.fromkeys(ROLES, 302),
    ("accounts.reset_confirm", "POST"): dict.fromkeys(ROLES, 302),
    ("profile.show", "GET"): OWNER,
    ("profile.change_name", "POST"): OWNER,
    ("profile.change_address", "POST"): OWNER,
    ("profile.confirm_address", "POST"): OWNER,
    ("profile.change_password", "POST"): OWNER,
    ("profile.end_session", "POST"): OWNER,
    ("profile.claim", "POST"): OWNER,
    ("profile.claim_confirm", "POST"): OWNER,
    ("twofactor.page", "GET"): OWNER,
    ("twofactor.page", "POST"): OWNER,
    # The key being enrolled: owners opened the enrolment page just before (the matrix goes in
    # endpoint order); office holders have two-factor on, so their key is never served.
    ("twofactor.qr", "GET"): {"anonymous": 302, "owner": 200, "ineligible": 200,
                              "council": 404, "recused": 404, "admin": 404},
    ("twofactor.turn_off", "POST"): OWNER,
    ("verifiable.trust_keys", "GET"): PUBLIC,
    ("verifiable.result_json", "GET"): PUBLIC,
    ("verifiable.result_history", "GET"): PUBLIC,
    ("verifiable.roll_jsonl", "GET"): PUBLIC,
    ("verifiable.ballots_jsonl", "GET"): PUBLIC,
    ("verifiable.commitments_json", "GET"): PUBLIC,
    ("verifiable.receipt_proof", "GET"): PUBLIC,
    ("verifiable.log_checkpoint", "GET"): PUBLIC,
    ("verifiable.log_entries", "GET"): PUBLIC,
    ("verifiable.log_record", "GET"): PUBLIC,
    ("verifiable.log_records", "GET"): PUBLIC,
    ("verifiable.log_inclusion", "GET"): PUBLIC,
    ("verifiable.log_consistency", "GET"): PUBLIC,
    ("witnessed.checkpoint_txt", "GET"): PUBLIC,
    ("witnessed.trust_witnesses", "GET"): PUBLIC,
    ("witnessed.trust_keys_note", "GET"): PUBLIC,
    ("witnessed.trust_keys_proof", "GET"): PUBLIC,
    ("witnessed.log_proof", "GET"): PUBLIC,
    ("witnessed.witnesses_page", "GET"): PUBLIC,
    ("proposals.index", "GET"): PUBLIC,
    ("proposals.detail", "GET"): PUBLIC,
    ("proposals.new", "GET"): OWNER,
    ("proposals.new", "POST"): OWNER,
    ("proposals.submit", "POST"): OWNER,
    ("proposals.withdraw", "POST"): OWNER,
    ("proposals.cosign", "POST"): OWNER,
    ("proposals.schedule", "POST"): OWNER,
    ("proposals.accept", "POST"): COUNCIL,
    ("proposals.reject", "POST"): COUNCIL,
    ("owner.dashboard", "GET"): OWNER,
    ("owner.vote", "GET"): OWNER,
    ("owner.vote", "POST"): OWNER,
    ("owner.receipt", "GET"): OWN_RECEIPT,
    ("owner.receipt_download", "GET"): OWN_RECEIPT,
    ("owner.tokens", "GET"): OWNER,
    ("owner.tokens", "POST"): OWNER,
    ("api.openapi", "GET"): PUBLIC,
    ("api.list_proposals", "GET"): PUBLIC,
    ("api.get_proposal", "GET"): PUBLIC,
    ("api.result", "GET"): PUBLIC,
    ("api.me", "GET"): API,
    ("api.my_receipts", "GET"): API,
    ("api.my_weight", "GET"): ON_ROLL,
    ("api.cast", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    # Secret votes (issue 19). Trustee posts and encrypted casts: a session needs X-CSRFToken.
    ("secret.trustees_page", "GET"): PUBLIC,
    ("secret_api.ceremony_status", "GET"): PUBLIC,
    ("secret_api.proposal_spec", "GET"): PUBLIC,
    ("secret_api.election_json", "GET"): PUBLIC,
    ("secret_api.tally", "GET"): PUBLIC,
    ("secret_api.shares", "GET"): {
        "anonymous": 401, "owner": 403, "ineligible": 403, "council": 200, "recused": 200,
        "admin": 403,
    },
    ("secret_api.keygen", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("secret_api.deal", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("secret_api.confirm", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("secret_api.complain", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("secret_api.answer", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("secret_api.decrypt", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("secret_api.cast", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("verifiable.election_json", "GET"): PUBLIC,
    ("verifiable.tally_json", "GET"): PUBLIC,
    ("growth_api.import_entries", "POST"): IMPORT_TOKEN,
    ("api_public.council_seats", "GET"): PUBLIC,
    ("api_public.council_motions_list", "GET"): PUBLIC,
    ("api_public.council_motion", "GET"): PUBLIC,
    ("api_public.communities_list", "GET"): PUBLIC,
    ("api_public.community", "GET"): PUBLIC,
    ("api_public.treasury_ledger", "GET"): PUBLIC,
    ("api_public.treasury_budgets", "GET"): PUBLIC,
    ("api_public.treasury_disbursements", "GET"): PUBLIC,
    ("api_public.charter_versions", "GET"): PUBLIC,
    ("api_public.charter_rules", "GET"): PUBLIC,
    ("api_public.log_records", "GET"): PUBLIC,
    ("api_actions.my_drafts", "GET"): API,
    ("opendata.index", "GET"): PUBLIC,
    ("opendata.as_csv", "GET"): PUBLIC,
    ("opendata.as_jsonl", "GET"): PUBLIC,
    ("opendata.as_dictionary", "GET"): PUBLIC,
    # A session POST without X-CSRFToken stops at the CSRF check (400) before the role check;
    # tests/web/test_api_records.py checks the roles with Bearer tokens.
    ("api_actions.new_draft", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("api_actions.cosign_proposal", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("api_actions.cosign", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("api_actions.motion_vote", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("api_actions.approve", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    # The discussion: public reads (the comment asked for does not exist: 404 for everyone);
    # writes stop at the session's CSRF check, as above (tests/web/test_api_comments.py).
    ("api_comments.list_comments", "GET"): PUBLIC,
    ("api_comments.get_comment", "GET"): dict.fromkeys(ROLES, 404),
    ("api_comments.post_comment", "POST"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("api_comments.edit_comment", "PATCH"): {"anonymous": 401, **dict.fromkeys(SIGNED_IN, 400)},
    ("api_comments.report_comment", "POST"): {"anonymous": 401,
                                              **dict.fromkeys(SIGNED_IN, 400)},
    ("council.index", "GET"): PUBLIC,
    ("council.motions", "GET"): PUBLIC,
    ("council.motion", "GET"): PUBLIC,
    ("council.election", "GET"): PUBLIC,
    ("council.candidacy", "GET"): PUBLIC,
    ("council.nominate", "POST"): OWNER,
    ("council.queue", "GET"): COUNCIL,
    ("council.new_motion", "GET"): COUNCIL,
    ("council.new_motion", "POST"): COUNCIL,
    ("council.proposal_motion", "POST"): COUNCIL,
    ("council.vote", "POST"): COUNCIL,
    ("council.recuse", "POST"): COUNCIL,
    ("council.close", "POST"): COUNCIL,
    ("council.stand", "GET"): OWNER,
    ("council.stand", "POST"): OWNER,
    ("council.call_election", "POST"): COUNCIL,
    ("council.my_interests", "GET"): COUNCIL,
    ("council.my_interests", "POST"): COUNCIL,
    ("council.withdraw_interest", "POST"): COUNCIL,
    ("council.resign", "POST"): COUNCIL,
    # The protector's acts on a passed amendment (here one that does not exist: the role check
    # comes first, then a 404); only the seated protector gets further (tests/web/test_protector).
    ("amendments.index", "GET"): PUBLIC,
    ("amendments.detail", "GET"): dict.fromkeys(ROLES, 404),
    ("amendments.hold", "POST"): {**COUNCIL, "council": 404, "recused": 404, "admin": 404},
    ("amendments.release", "POST"): {**COUNCIL, "council": 404, "recused": 404, "admin": 404},
    ("communities.directory", "GET"): PUBLIC,
    ("communities.detail", "GET"): PUBLIC,
    ("communities.apply", "GET"): OWNER,
    ("communities.apply", "POST"): OWNER,
    ("communities.review", "POST"): COUNCIL,
    ("communities.decide", "POST"): COUNCIL,
    ("communities.cosign", "POST"): OWNER,
    # The matrix's sha256 is a disbursement's evidence, not this community's: seated members
    # get past the role check to a 404.
    ("communities.document", "GET"): {**SEATED, "council": 404, "recused": 404},
    ("treasury.index", "GET"): PUBLIC,
    ("treasury.ledger", "GET"): PUBLIC,
    ("treasury.budget", "GET"): PUBLIC,
    ("treasury.disbursement", "GET"): PUBLIC,
    ("treasury.export_csv", "GET"): PUBLIC,
    ("treasury.chart", "GET"): PUBLIC,
    ("treasury.evidence", "GET"): SEATED,
    ("treasury.new_disbursement", "GET"): COUNCIL,
    ("treasury.new_disbursement", "POST"): COUNCIL,
    ("treasury.approve", "POST"): COUNCIL,
    ("treasury.suspend", "POST"): COUNCIL,
    ("treasury.new_emergency", "GET"): COUNCIL,
    ("treasury.new_emergency", "POST"): COUNCIL,
    ("treasury.authorise", "POST"): COUNCIL,
    ("treasury.ratify", "POST"): COUNCIL,
    ("treasury.new_income", "GET"): ADMIN,
    ("treasury.new_income", "POST"): ADMIN,
    ("treasury.reverse", "POST"): ADMIN,
    ("admin.index", "GET"): ADMIN,
    ("admin.audit_trail", "GET"): ADMIN,
    ("admin.signing_keys", "GET"): ADMIN,
    ("admin.signing_keys", "POST"): ADMIN,
    ("admin.growth_import", "GET"): ADMIN,
    ("admin.growth_import", "POST"): ADMIN,
    # take-part (issue 21): notifications, the job queue, search, discussion.
    ("notifications.index", "GET"): OWNER,
    ("notifications.read", "POST"): OWNER,
    ("notifications.follow", "GET"): {"anonymous": 302, **dict.fromkeys(SIGNED_IN, 404)},
    ("notifications.settings", "GET"): OWNER,
    ("notifications.settings", "POST"): OWNER,
    # The signed token is the authority (a forged one here): no session needed, none enough.
    ("notifications.unsubscribe", "GET"): dict.fromkeys(ROLES, 404),
    ("notifications.unsubscribe", "POST"): dict.fromkeys(ROLES, 404),
    ("notifications.ask_cosign", "POST"): OWNER,
    ("jobs.index", "GET"): ADMIN,
    ("jobs.retry", "POST"): ADMIN,
    ("jobs.ping", "POST"): ADMIN,
    ("search.search", "GET"): PUBLIC,
    ("discussion.post", "POST"): OWNER,
    ("discussion.edit", "POST"): OWNER,
    ("discussion.report", "POST"): OWNER,
    ("discussion.appeal", "POST"): OWNER,
    ("discussion.amend", "POST"): OWNER,
    ("discussion.decide_amendment", "POST"): OWNER,
    ("discussion.hide", "POST"): COUNCIL,
    ("discussion.dismiss", "POST"): COUNCIL,
    ("discussion.decide", "POST"): COUNCIL,
    ("discussion.moderation", "GET"): COUNCIL,
    ("admin.outbox", "GET"): ADMIN,
    ("admin.claims", "GET"): ADMIN,
    ("admin.accounts", "GET"): ADMIN,
    ("admin.account_state", "POST"): ADMIN,
}


def _post_ok(expected: int, status: int, role: str) -> bool:
    """A POST with no form data: a refused role gets exactly its status (the sign-in redirect,
    401 or 403); an allowed role gets past the role check — a form error, a redirect with a
    message, a 400 for a missing field — but never 401/403 and never a server error."""
    refused = expected in (401, 403) or (expected == 302 and role == "anonymous")
    return status == expected if refused else status not in (401, 403, 500)


def _routes(app: Any) -> list[tuple[str, str, Any]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return found


def test_every_route_is_in_the_matrix(app: Any) -> None:
    routes = {(endpoint, method) for endpoint, method, _rule in _routes(app)}
    unlisted = sorted(routes - set(EXPECTED))
    assert not unlisted, f"routes with no access rule in the matrix: {unlisted}"
    stale = sorted(set(EXPECTED) - routes)
    assert not stale, f"matrix entries for routes that no longer exist: {stale}"


def _world(app: Any) -> dict[str, Any]:
    """The demo trust, plus an owner who is on no roll and a council member recused on a motion."""
    app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    open_vote = db.session.scalar(
        select(Proposal).where(Proposal.state == "voting", Proposal.secrecy == "open"))
    sealed = db.session.scalar(select(SealedResult).where(SealedResult.proposal_id == "2026-001"))
    ballot, voter = db.session.execute(
        select(Ballot, User)
        .join(
            RollEntry,
            (RollEntry.proposal_id == Ballot.proposal_id) & (RollEntry.token == Ballot.token),
        )
        .join(User, User.id == RollEntry.owner_id)
        .where(Ballot.proposal_id == sealed.proposal_id, User.role == "owner")
        .order_by(Ballot.id)
        .limit(1)
    ).one()
    seated = sorted(council.seated_member_ids())
    member = db.session.get(User, seated[0])
    recused = db.session.get(User, seated[1])
    motion = council.open_motion(member, "general", "matrix:test", "A motion for the matrix")
    council.recuse(motion, recused, "declared interest for the matrix test")
    ineligible = make_owner(0, email="ineligible@example.test")
    admin = db.session.scalar(select(User).where(User.role == "admin"))
    db.session.commit()
    election = db.session.scalar(select(Proposal.id).where(Proposal.kind == "council_election"))
    secret_open = db.session.scalar(
        select(Proposal.id).where(Proposal.secrecy == "secret", Proposal.state == "voting"))
    secret_sealed = db.session.scalar(
        select(Proposal.id).where(Proposal.secrecy == "secret", Proposal.state == "sealed"))
    params = {
        "proposal_id": open_vote.id,
        "receipt": ballot.receipt,
        "digest": sealed.digest,
        "index": 0,
        "motion_id": motion.id,
        "community_id": db.session.scalar(select(Community.id)),
        "budget_id": db.session.scalar(select(Budget.id)),
        "disbursement_id": db.session.scalar(
            select(Disbursement.id).where(Disbursement.state == "recorded")
        ),
        "sha256": db.session.scalar(select(Evidence.sha256)),
        "txn_id": db.session.scalar(select(TreasuryTxn.id)),
        "name": "by-purpose",
        # Rows that do not exist: the role check comes first, then a 404.
        "notification_id": 999999,
        "job_id": 999999,
        "comment_id": 999999,
        "appeal_id": 999999,
        "amendment_id": 999999,
        "pending_id": 999999,
        "interest_id": 1,
        "seat_id": 1,
        "candidacy_id": db.session.scalar(select(Candidacy.id)),
        "version": 1,
        "user_id": voter.id,
        "code": "123456",
        "token": "not-a-live-reset-token",
    }
    overrides = {
        # Receipts and results live under the sealed vote; elections under the election.
        "owner.receipt": {"proposal_id": sealed.proposal_id},
        "owner.receipt_download": {"proposal_id": sealed.proposal_id},
        "verifiable.receipt_proof": {"proposal_id": sealed.proposal_id},
        "verifiable.result_json": {"proposal_id": sealed.proposal_id},
        "witnessed.log_proof": {"proposal_id": sealed.proposal_id},
        "verifiable.result_history": {"proposal_id": sealed.proposal_id},
        "verifiable.roll_jsonl": {"proposal_id": sealed.proposal_id},
        "verifiable.ballots_jsonl": {"proposal_id": sealed.proposal_id},
        "verifiable.commitments_json": {"proposal_id": sealed.proposal_id},
        "public.result_page": {"proposal_id": sealed.proposal_id},
        "api.result": {"proposal_id": sealed.proposal_id},
        "council.election": {"proposal_id": election},
        **{
            endpoint: {"proposal_id": secret_open}
            for endpoint in (
                "secret.trustees_page", "secret_api.ceremony_status",
                "secret_api.proposal_spec", "secret_api.election_json", "secret_api.shares",
                "secret_api.keygen", "secret_api.deal", "secret_api.confirm",
                "secret_api.decrypt", "secret_api.cast", "secret_api.complain",
                "secret_api.answer",
            )
        },
        **{
            endpoint: {"proposal_id": secret_sealed}
            for endpoint in ("secret_api.tally", "verifiable.election_json",
                             "verifiable.tally_json")
        },
        "opendata.as_csv": {"name": "ledger"},
        "opendata.as_jsonl": {"name": "communities"},
        "opendata.as_dictionary": {"name": "budgets"},
    }
    users = {
        "owner": voter,
        "ineligible": ineligible,
        "council": member,
        "recused": recused,
        "admin": admin,
    }
    return {"params": params, "overrides": overrides, "users": users, "motion": motion}


def _url(rule: Any, endpoint: str, world: dict[str, Any]) -> str:
    values = {**world["params"], **world["overrides"].get(endpoint, {})}
    path = rule.rule
    for name in rule.arguments:
        path = re.sub(rf"<(?:[a-z]+:)?{name}>", str(values[name]), path)
    query = {
        "verifiable.log_entries": "?start=0&end=1",
        "verifiable.log_records": "?start=0&end=1",
        "verifiable.log_inclusion": "?index=0&size=1",
        "verifiable.log_consistency": "?first=1&second=1",
    }.get(endpoint, "")
    return path + query


def _client_for(app: Any, role: str, world: dict[str, Any]) -> Any:
    client = app.test_client()
    if role != "anonymous":
        user = world["users"][role]
        page = client.get("/login")
        password = PASSWORD if user.email.endswith("example.test") else "demo-password-2026"
        response = client.post(
            "/login",
            data={"login": user.email, "password": password, "csrf_token": csrf_from(page)},
        )
        assert response.status_code == 302, f"{role} could not sign in: {response.data[-3000:]}"
        if role in ("council", "recused", "admin"):
            pass_second_factor(client, user)
    return client


@pytest.mark.slow
def test_each_role_gets_what_the_matrix_says_on_every_route(app: Any, db_session: Any) -> None:
    world = _world(app)
    clients = {role: _client_for(app, role, world) for role in ROLES}
    tokens = {role: csrf_from(clients[role].get("/verify")) for role in ROLES}
    problems = []
    # Signing out comes last, or every later request would be anonymous.
    order = sorted(_routes(app), key=lambda r: (r[0] == "accounts.logout", r[0], r[1]))
    for endpoint, method, rule in order:
        url = _url(rule, endpoint, world)
        for role in ROLES:
            expected = EXPECTED[(endpoint, method)][role]
            client = clients[role]
            if method == "GET":
                status = client.get(url).status_code
                ok = status == expected
            else:
                status = client.open(url, method=method,
                                     data={"csrf_token": tokens[role]}).status_code
                ok = _post_ok(expected, status, role)
            if not ok:
                problems.append(f"{method} {url} as {role}: {status}, expected {expected}")
    assert not problems, "\n".join(problems)
    # The recused member got past the role check above, but the rule still held: no vote.
    recused_votes = db.session.scalars(
        select(MotionVoteRecord).where(
            MotionVoteRecord.motion_id == world["motion"].id,
            MotionVoteRecord.member_id == world["users"]["recused"].id,
        )
    ).all()
    assert recused_votes == []
    assert db.session.get(Motion, world["motion"].id) is not None
