"""The key ceremony's complaint round in the app: complaints, public answers, QUAL, deadlines,
failure, the page, the log and the audit."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from app.audit.models import AuditEvent
from app.core.extensions import db
from app.decisions.cron import seal_due_votes
from app.decisions.votes import close_and_seal
from app.notifications.models import Notification
from app.proposals.models import Proposal
from app.secret import ceremony
from app.secret.models import SecretComplaint, SecretElection
from app.translog.models import LogLeaf
from ballots.trustee import KeygenState, answers, settled_share
from ballots.verify import verify_any
from tests.factories import login
from tests.unit.ballots import independent_format2
from tests.web.secret_helpers import (
    SecretVote,
    answer_wrongly,
    bearer,
    check_and_confirm,
    close_now,
    download_bundle,
    keygen_and_deal,
    open_secret_vote,
    post_decryption,
)

VOTE_PAGE = "/me/vote/"
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _finish(client: Any, vote: SecretVote) -> None:
    """Each trustee's key share over QUAL, once settled."""
    base = f"/api/secret/{vote.id}"
    doc = client.get(base + "/election.json").get_json()
    for t in vote.trustees:
        assert t.state is not None
        boxes = client.get(base + "/shares", headers=t.headers).get_json()["shares"]
        t.share = settled_share(t.state, doc, boxes)


def _leaves(kind: str, subject: str) -> list[dict[str, Any]]:
    return [json.loads(r) for r in db.session.scalars(
        select(LogLeaf.record_json).where(LogLeaf.type == kind, LogLeaf.subject == subject)
        .order_by(LogLeaf.index))]


def _failed_in_the_open(client: Any, vote: SecretVote) -> list[dict[str, Any]]:
    """The vote's trustees told, the audit event, and a cast refused saying why; returns
    what each notice said."""
    told = db.session.scalars(select(Notification).where(
        Notification.kind == "ceremony_failed")).all()
    assert {t.user.id for t in vote.trustees} <= {n.user_id for n in told}
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "secret.ceremony_failed", AuditEvent.subject == vote.id))
    headers = bearer(vote.author)
    db.session.commit()
    r = client.post(f"/api/secret/{vote.id}/ballots", json={"token": "00"}, headers=headers)
    assert r.status_code == 422 and "key ceremony failed" in r.get_json()["error"]
    return [json.loads(n.params) for n in told]


def test_a_bad_share_answered_correctly_disqualifies_nobody(client: Any, db_session: Any) -> None:
    vote = open_secret_vote(client)
    trustees = keygen_and_deal(client, vote, cheat=(2, 1))
    check_and_confirm(client, vote, trustees)
    election = db.session.get(SecretElection, vote.id)
    assert election.state == "dealing"  # one complaint waits for its answer
    info = client.get(f"/api/secret/{vote.id}/ceremony").get_json()
    assert [(c["accuser"], c["dealer"], c["share"]) for c in info["complaints"]] == [(1, 2, None)]
    assert client.get(f"/api/secret/{vote.id}/election.json").status_code == 404
    # The accused dealer is told.
    dealer_user = vote.trustees[1].user.id
    assert db.session.scalar(select(Notification.subject).where(
        Notification.user_id == dealer_user, Notification.kind == "ceremony_complaint"
    )) == f"complaint:{vote.id}:2:1"
    dealer = vote.trustees[1]
    assert dealer.state is not None
    # A trustee duty: the dealer's duties box names the step and its command.
    login(client, dealer.user)
    duties = client.get("/notifications/", headers={"Accept-Language": "en"}).get_data(
        as_text=True)
    assert "answer the complaints about the shares you dealt (answer)" in duties
    assert "ballots.trustee answer --server" in duties
    r = client.post(f"/api/secret/{vote.id}/answers",
                    json=answers(dealer.state, info["complaints"]), headers=dealer.headers)
    assert r.status_code == 201, r.get_json()
    assert db.session.get(SecretElection, vote.id).state == "ready"
    doc = client.get(f"/api/secret/{vote.id}/election.json").get_json()
    assert doc["qualified"] == [1, 2, 3] and doc["complaints"][0]["share"] is not None
    _finish(client, vote)
    assert [leaf["accuser"] for leaf in _leaves("secret.complaint", vote.id)] == [1]
    assert [leaf["valid"] for leaf in _leaves("secret.answer", vote.id)] == [True]
    ready = _leaves("secret.election", vote.id)[-1]
    assert ready["election"]["qualified"] == [1, 2, 3]
    page = client.get(f"/proposals/{vote.id}/trustees")
    assert b"it checks: the complaint is settled" in page.data
    assert b"Disqualified dealers" not in page.data
    zh = client.get(f"/proposals/{vote.id}/trustees", headers=CHINESE)
    assert "投诉".encode() in zh.data


def test_a_wrong_answer_disqualifies_and_the_vote_still_seals_and_verifies(
    client: Any, db_session: Any, tmp_path: Path
) -> None:
    from ballots.secret.client import prepare_ballot

    vote = open_secret_vote(client)
    trustees = keygen_and_deal(client, vote, cheat=(2, 1))
    check_and_confirm(client, vote, trustees)
    answer_wrongly(client, vote)
    dealer = vote.trustees[1]
    assert dealer.state is not None
    row = db.session.get(SecretComplaint, (vote.id, 2, 1))
    assert row.valid is False
    # An answer stands as given: a second try is refused.
    again = answers(dealer.state, [{"accuser": 1, "dealer": 2, "share": None}])
    r = client.post(f"/api/secret/{vote.id}/answers", json=again, headers=dealer.headers)
    assert r.status_code == 409
    assert db.session.get(SecretElection, vote.id).state == "ready"
    doc = client.get(f"/api/secret/{vote.id}/election.json").get_json()
    assert doc["qualified"] == [1, 3]
    _finish(client, vote)
    page = client.get(f"/proposals/{vote.id}/trustees").data
    assert b"Disqualified dealers" in page and b"Trustee 2" in page

    headers = bearer(vote.author)
    db.session.commit()
    spec = client.get(f"/api/secret/{vote.id}/proposal.json").get_json()
    token = client.get(f"/api/proposals/{vote.id}/my-weight", headers=headers).get_json()["token"]
    ballot = prepare_ballot(spec, doc, token, ["yes"])
    r = client.post(f"/api/secret/{vote.id}/ballots", json=ballot.cast, headers=headers)
    assert r.status_code == 201, r.get_json()
    closes = close_now(vote.id)
    close_and_seal(vote.id, now=closes + timedelta(seconds=1))
    db.session.commit()
    # The disqualified dealer still holds a share of the qualified dealers' key.
    assert post_decryption(client, vote, vote.trustees[1]).status_code == 201
    r = post_decryption(client, vote, vote.trustees[0])
    assert r.status_code == 201 and r.get_json()["sealed"]
    bundle = download_bundle(client, vote.id, tmp_path / "bundle")
    report = verify_any(bundle)
    assert report.ok, report.message
    assert independent_format2.verify(bundle) is None
    from app.integrity.run import run_audit

    before = [f.problem for f in run_audit() if "complaint" in f.problem]
    assert before == []
    db.session.execute(update(SecretComplaint).where(SecretComplaint.proposal_id == vote.id)
                       .values(valid=True))
    db.session.commit()
    found = [f.problem for f in run_audit() if "complaint" in f.problem]
    assert any("not the one logged" in p for p in found), found
    assert any("'valid' is not the answer's check" in p for p in found), found


def test_an_unanswered_complaint_disqualifies_at_the_answers_deadline(
    client: Any, db_session: Any
) -> None:
    vote = open_secret_vote(client)
    trustees = keygen_and_deal(client, vote, cheat=(3, 2))
    check_and_confirm(client, vote, trustees)
    election = db.session.get(SecretElection, vote.id)
    key_due = election.key_due
    seal_due_votes(key_due + timedelta(minutes=1))
    assert db.session.get(SecretElection, vote.id).state == "dealing"  # answers still open
    lines = seal_due_votes(key_due + timedelta(hours=12, minutes=1))
    assert any("key ready, qualified [1, 2]" in line for line in lines), lines
    assert db.session.get(SecretElection, vote.id).state == "ready"
    dealer = vote.trustees[2]
    assert dealer.state is not None
    late = answers(dealer.state, [{"accuser": 2, "dealer": 3, "share": None}])
    r = client.post(f"/api/secret/{vote.id}/answers", json=late, headers=dealer.headers)
    assert r.status_code == 409
    _finish(client, vote)


def test_a_dealer_who_deals_nothing_is_complained_against_at_the_deadline(
    client: Any, db_session: Any
) -> None:
    vote = open_secret_vote(client)
    keygen_and_deal(client, vote, skip_deal=3)
    key_due = db.session.get(SecretElection, vote.id).key_due
    seal_due_votes(key_due + timedelta(minutes=1))
    rows = db.session.scalars(select(SecretComplaint).where(
        SecretComplaint.proposal_id == vote.id)).all()
    assert {(c.dealer, c.accuser, c.filed_by) for c in rows} == {(3, 1, "deadline"),
                                                                 (3, 2, "deadline")}
    seal_due_votes(key_due + timedelta(hours=13))
    assert db.session.get(SecretElection, vote.id).state == "ready"
    assert client.get(f"/api/secret/{vote.id}/election.json").get_json()["qualified"] == [1, 2]
    page = client.get(f"/proposals/{vote.id}/trustees").data
    assert b"filed at the deadline" in page


def test_fewer_than_k_qualified_fails_the_ceremony_and_tells_the_council(
    client: Any, db_session: Any
) -> None:
    vote = open_secret_vote(client)
    trustees = keygen_and_deal(client, vote)
    base = f"/api/secret/{vote.id}"
    accuser = vote.trustees[0]
    for dealer in (2, 3):
        r = client.post(base + "/complaints", json={"dealer": dealer}, headers=accuser.headers)
        assert r.status_code == 201
    check_and_confirm(client, vote, trustees)
    key_due = db.session.get(SecretElection, vote.id).key_due
    lines = seal_due_votes(key_due + timedelta(hours=13))
    assert any("key ceremony FAILED, 1 of 3 dealers qualified, 2 needed" in ln for ln in lines)
    assert db.session.get(SecretElection, vote.id).state == "failed"
    assert client.get(f"/api/secret/{vote.id}/election.json").status_code == 404
    assert client.get(f"/api/secret/{vote.id}/ceremony").get_json()["election"] is None
    failed = _leaves("secret.failed", vote.id)
    assert failed and failed[0]["qualified"] == [1] and failed[0]["threshold"] == 2
    assert all(said["qualified"] == 1 for said in _failed_in_the_open(client, vote))
    page = client.get(f"/proposals/{vote.id}/trustees").data
    assert b"The key ceremony failed: only 1" in page
    # The author is on the roll: their vote page says why it takes no ballot.
    login(client, vote.author)
    own = client.get(f"{VOTE_PAGE}{vote.id}").data
    assert b'id="ceremony-failed"' in own and b"cannot take secret ballots" in own
    zh = client.get(f"/proposals/{vote.id}/trustees", headers=CHINESE).data
    assert "密钥仪式失败".encode() in zh
    # The vote is never sealed: at close it stays unsealed, like a keygen that never finished.
    closes = close_now(vote.id)
    close_and_seal(vote.id, now=closes + timedelta(seconds=1))
    db.session.commit()
    assert db.session.get(Proposal, vote.id).state == "closed"


def test_forged_and_misplaced_complaints_and_answers_are_refused(
    client: Any, db_session: Any
) -> None:
    vote = open_secret_vote(client)
    base = f"/api/secret/{vote.id}"
    t1, t2 = vote.trustees[0], vote.trustees[1]
    # Not while keys are still being made.
    assert client.post(base + "/complaints", json={"dealer": 2},
                       headers=t1.headers).status_code == 409
    keygen_and_deal(client, vote)
    for body, code in (({"dealer": 1}, 400), ({"dealer": 4}, 400), ({"dealer": "2"}, 400),
                       ({}, 400), ({"dealer": 2, "x": 1}, 400)):
        r = client.post(base + "/complaints", json=body, headers=t1.headers)
        assert r.status_code == code, (body, r.get_json())
    outsider = bearer(vote.author)
    db.session.commit()
    assert client.post(base + "/complaints", json={"dealer": 2},
                       headers=outsider).status_code == 403
    assert client.post(base + "/complaints", json={"dealer": 2},
                       headers=t1.headers).status_code == 201
    assert client.post(base + "/complaints", json={"dealer": 2},
                       headers=t1.headers).status_code == 409
    # Answers: only to complaints against the poster, canonical scalars only.
    for body in ({"answers": {"1": "00" * 32}}, {"answers": {}}, {"answers": {"3": "00" * 32}}):
        assert client.post(base + "/answers", json=body, headers=vote.trustees[2].headers
                           ).status_code == 400
    assert client.post(base + "/answers", json={"answers": {"1": "ff" * 32}},
                       headers=t2.headers).status_code == 400
    assert db.session.get(SecretComplaint, (vote.id, 2, 1)).answer is None
    # After confirming, and after the deadline, no more complaints.
    t3 = vote.trustees[2]
    r = client.post(base + "/confirm", json={"confirmed": True}, headers=t3.headers)
    assert r.status_code == 201
    assert client.post(base + "/complaints", json={"dealer": 1},
                       headers=t3.headers).status_code == 409
    key_due = db.session.get(SecretElection, vote.id).key_due
    db.session.commit()
    try:
        ceremony.file_complaint(vote.id, t2.user.id, {"dealer": 3}, now=key_due)
    except ceremony.CeremonyRefused as exc:
        assert exc.status == 409
    else:
        raise AssertionError("a complaint after the deadline was taken")
    db.session.rollback()
    assert db.session.get(SecretComplaint, (vote.id, 3, 2)) is None
    assert len(_leaves("secret.complaint", vote.id)) == 1


class _AppClient:
    """`python -m ballots.trustee`'s Client, through the Flask test client instead of a socket:
    the same requests, the same app."""

    def __init__(self, client: Any, vote_id: str, headers: dict[str, str]) -> None:
        self.client, self.base, self.headers = client, f"/api/secret/{vote_id}", headers

    def call(self, path: str, body: Any = None) -> Any:
        from ballots.trustee import CeremonyError

        if body is None:
            r = self.client.get(self.base + path, headers=self.headers)
        else:
            r = self.client.post(self.base + path, json=body, headers=self.headers)
        if r.status_code >= 400:
            raise CeremonyError(f"server said {r.status_code}: {r.get_data(as_text=True)}")
        return r.get_json()


def test_the_trustee_command_complains_answers_and_finishes_over_qual(
    client: Any, db_session: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from ballots.trustee import TrusteeShare, run

    monkeypatch.setenv("OT_TRUSTEE_PASSPHRASE", "a long trustee phrase")
    vote = open_secret_vote(client)
    trustees = keygen_and_deal(client, vote, cheat=(2, 1))
    for t in vote.trustees:
        assert t.state is not None
        folder = tmp_path / f"t{t.state.index}"
        folder.mkdir()
        (folder / f"{vote.id}.state").write_bytes(t.state.to_file(b"a long trustee phrase"))
    del trustees

    def cli(t: Any, command: str) -> str:
        app_client: Any = _AppClient(client, vote.id, t.headers)
        return run(command, app_client, vote.id, tmp_path / f"t{t.state.index}")

    said = cli(vote.trustees[0], "receive")
    assert "complained against trustee(s) 2" in said and "run 'receive' again" in said
    assert "answered 1 complaint(s)" in cli(vote.trustees[1], "receive")
    said = cli(vote.trustees[2], "receive")
    assert "key share written" in said
    assert db.session.get(SecretElection, vote.id).state == "ready"
    for t in vote.trustees[:2]:
        assert "key share written" in cli(t, "receive")
    election = ceremony.checked_election(db.session.get(SecretElection, vote.id))
    assert election.qualified == (1, 2, 3)
    for t in vote.trustees:
        data = (tmp_path / f"t{t.state.index}" / f"{vote.id}.share").read_bytes()
        share = TrusteeShare.from_file(data, b"a long trustee phrase")
        from ballots.secret.group import base_mul

        assert base_mul(share.secret) == election.public_shares[share.index]
        assert not (tmp_path / f"t{t.state.index}" / f"{vote.id}.state").exists()


def test_a_ceremony_still_in_keygen_fails_at_its_deadline_in_the_open(
    client: Any, db_session: Any
) -> None:
    vote = open_secret_vote(client)
    base = f"/api/secret/{vote.id}"
    for t in vote.trustees[:2]:  # the third trustee never posts a key share
        info = client.get(base + "/ceremony", headers=t.headers).get_json()
        t.state = KeygenState.generate(vote.id, info["you"]["index"], info["threshold"])
        r = client.post(base + "/keygen", json=t.state.post(info["you"]["name"]),
                        headers=t.headers)
        assert r.status_code == 201, r.get_json()
    key_due = db.session.get(SecretElection, vote.id).key_due
    assert seal_due_votes(key_due - timedelta(minutes=1)) == []
    assert db.session.get(SecretElection, vote.id).state == "keygen"
    lines = seal_due_votes(key_due + timedelta(minutes=1))
    assert any("key ceremony FAILED at its deadline, 2 of 3 trustees posted" in ln
               for ln in lines), lines
    assert db.session.get(SecretElection, vote.id).state == "failed"
    failed = _leaves("secret.failed", vote.id)
    assert len(failed) == 1 and failed[0]["qualified"] == [] and failed[0]["complaints"] == []
    assert failed[0]["threshold"] == 2 and failed[0]["trustees"] == 3
    # A second cron run changes nothing and logs nothing more.
    assert seal_due_votes(key_due + timedelta(minutes=2)) == []
    assert len(_leaves("secret.failed", vote.id)) == 1
    assert all(said["keys"] == 2 for said in _failed_in_the_open(client, vote))
    missing = vote.trustees[2].user.display_name
    page = client.get(f"/proposals/{vote.id}/trustees").get_data(as_text=True)
    assert 'id="ceremony-failed"' in page and "no key share came in time from" in page
    assert missing in page.split('id="ceremony-failed"')[1].split("</p>")[0]
    # Each step's time in the reader's zone, with the instant for machines.
    assert "Times are UTC" not in page and '<time datetime="' in page
    zh = client.get(f"/proposals/{vote.id}/trustees", headers=CHINESE).get_data(as_text=True)
    assert "未按时提交密钥份额" in zh and "no key share came in time" not in zh
    login(client, vote.trustees[2].user)
    told_page = client.get("/notifications/").get_data(as_text=True)
    assert "Trustees who posted a key share in time: 2 of 3" in told_page
    from app.integrity.run import run_audit

    assert [str(f) for f in run_audit()] == []


def test_a_vote_closed_before_its_key_ceremony_finished_fails_it_in_the_open(
    client: Any, db_session: Any
) -> None:
    vote = open_secret_vote(client)  # no trustee posts anything; the vote closes first
    closes = close_now(vote.id)
    close_and_seal(vote.id, now=closes + timedelta(seconds=1))
    db.session.commit()
    assert db.session.get(Proposal, vote.id).state == "closed"
    assert db.session.get(SecretElection, vote.id).state == "failed"
    failed = _leaves("secret.failed", vote.id)
    assert len(failed) == 1 and failed[0]["qualified"] == [] and failed[0]["complaints"] == []
    assert all(said["keys"] == 0 for said in _failed_in_the_open(client, vote))
    page = client.get(f"/proposals/{vote.id}/trustees").get_data(as_text=True)
    assert "no key share came in time from" in page
    # Cron after the close neither fails it again nor seals it.
    key_due = db.session.get(SecretElection, vote.id).key_due
    seal_due_votes(key_due + timedelta(hours=1))
    assert len(_leaves("secret.failed", vote.id)) == 1
    assert db.session.get(Proposal, vote.id).state == "closed"
    from app.integrity.run import run_audit

    # close_now moved the close by a direct edit, which the audit rightly names; nothing else.
    found = [str(f) for f in run_audit()]
    assert found == [f"proposal {vote.id}: closes_at changed since the vote opened (logged at "
                     "opening)"]
