"""A sealed result is corrected only under a passed council motion of kind `correct_result`
about its vote, each motion used once; the correction publishes its reason and the motion,
and `flask trust audit` names a correction no motion decided."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from app.audit.models import AuditEvent
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.results import service as results
from app.results.models import SealedResult
from app.translog import service as translog
from app.translog.models import LogLeaf
from tests.factories import correction_motion, install_charter, make_owner, pass_motion
from tests.web.council_helpers import sealed_vote

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


@pytest.fixture
def sealed(db_session: Any) -> dict[str, Any]:
    install_charter()
    author, chair = make_owner(3000, name="Author"), make_owner(500, role="council", name="Chair")
    db.session.commit()
    first = sealed_vote(author, chair, [(author, ["yes"])], title="Paint the service centres")
    second = sealed_vote(author, chair, [(author, ["no"])], title="Another question to the owners")
    return {"id": first, "other": second, "chair": chair}


def _seals(proposal_id: str) -> int:
    return len(db.session.scalars(select(SealedResult.id).where(
        SealedResult.proposal_id == proposal_id)).all())


def _refused(proposal_id: str, motion_id: int | None, reason: str = "recount") -> str:
    before = _seals(proposal_id)
    with pytest.raises(results.SealError) as refusal:
        results.seal(proposal_id, correction=True, reason=reason, motion_id=motion_id)
    db.session.rollback()
    assert _seals(proposal_id) == before
    return str(refusal.value)


def _audit(app: Any) -> Any:
    return app.test_cli_runner().invoke(args=["trust", "audit"])


def test_a_correction_without_a_motion_is_refused(sealed: dict[str, Any]) -> None:
    assert "needs a passed council motion of kind correct_result" in _refused(sealed["id"], None)


def test_a_motion_of_another_kind_or_about_another_vote_does_not_do(
    sealed: dict[str, Any],
) -> None:
    general = pass_motion(sealed["chair"], "general", f"proposal:{sealed['id']}")
    other = correction_motion(sealed["other"])
    assert "correct_result" in _refused(sealed["id"], general.id)
    assert f"proposal:{sealed['id']}" in _refused(sealed["id"], other)


def test_an_open_motion_does_not_do(sealed: dict[str, Any]) -> None:
    motion = council.open_motion(sealed["chair"], "correct_result", f"proposal:{sealed['id']}",
                                 "Correct it")
    db.session.commit()
    assert "passed council motion" in _refused(sealed["id"], motion.id)


def test_a_passed_motion_permits_one_correction_published_with_its_reason(
    app: Any, client: Any, sealed: dict[str, Any]
) -> None:
    motion_id = correction_motion(sealed["id"])
    assert "say why" in _refused(sealed["id"], motion_id, reason="  ")

    row = results.seal(sealed["id"], correction=True, reason="A ballot was counted twice.",
                       motion_id=motion_id)
    db.session.commit()

    (leaf,) = db.session.scalars(select(LogLeaf).where(LogLeaf.type == "result.corrected"))
    record = json.loads(leaf.record_json)
    assert (record["motion"], record["reason"], record["digest"]) == (
        motion_id, "A ballot was counted twice.", row.digest)
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "result.corrected")) is not None
    page = client.get(f"/results/{sealed['id']}/", headers=CHINESE).get_data(as_text=True)
    assert "A ballot was counted twice." in page and f"/council/motions/{motion_id}" in page
    assert "更正后的结果" in page
    assert "already been used" in _refused(sealed["id"], motion_id)
    result = _audit(app)
    assert result.exit_code == 0, result.output


def test_the_command_line_correction_names_its_motion(app: Any, sealed: dict[str, Any]) -> None:
    runner = app.test_cli_runner()
    refused = runner.invoke(args=["trust", "seal", sealed["id"], "--correction",
                                  "--reason", "recount"])
    assert refused.exit_code != 0 and "correct_result" in refused.output
    motion_id = correction_motion(sealed["id"])
    done = runner.invoke(args=["trust", "seal", sealed["id"], "--correction",
                               "--reason", "recount", "--motion", str(motion_id)])
    assert done.exit_code == 0, done.output


def test_a_correction_logged_without_a_motion_is_named_by_the_audit(
    app: Any, sealed: dict[str, Any]
) -> None:
    translog.append("result.corrected", sealed["id"], {
        "type": "result.corrected", "proposal": sealed["id"], "digest": "0" * 64,
        "supersedes": None, "reason": "quietly",
    })
    db.session.commit()
    result = _audit(app)
    assert result.exit_code == 1
    assert f"correction of {sealed['id']}" in result.output
    assert "names no council motion" in result.output


def test_the_motion_form_offers_a_correction_of_each_sealed_open_vote(
    client: Any, sealed: dict[str, Any]
) -> None:
    from tests.factories import csrf_from, login

    login(client, sealed["chair"])
    page = client.get("/council/motions/new?about=result").get_data(as_text=True)
    offered = f"correct_result|proposal:{sealed['id']}"
    assert offered in page and f"correct_result|proposal:{sealed['other']}" in page
    response = client.post("/council/motions/new?about=result", data={
        "csrf_token": csrf_from(client.get("/council/motions/new?about=result")),
        "decision": offered, "body": "A ballot was counted twice."})
    assert response.status_code == 302
    motion = db.session.scalar(select(Motion).where(Motion.kind == "correct_result"))
    assert motion is not None and motion.subject == f"proposal:{sealed['id']}"
