"""Schemathesis against the live app and its own /api/openapi.json, on the demo trust.

Every documented operation is called with generated data (valid and invalid), as an anonymous
client, an owner and a seated council member (Bearer tokens). Checked: no server error, and every
answer (status, content type, headers, body) is one the document describes. The run is
bounded by a small max_examples so CI stays quick; the demo gives the reads real records.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import checks
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.services import issue_api_token
from app.communities.models import Community
from app.core.extensions import db
from app.council import service as council
from app.council.models import Motion
from app.discussion.models import Comment
from app.results.models import SealedResult
from app.treasury.models import Disbursement
from app.voting.models import Ballot

MAX_EXAMPLES = 12
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


@pytest.fixture
def api_world(app: Any, db_session: Any) -> dict[str, Any]:
    result = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert result.exit_code == 0, result.output
    owner = db.session.scalar(select(User).where(User.role == "owner").order_by(User.id))
    member = db.session.get(User, sorted(council.seated_member_ids())[0])
    tokens = {"owner": issue_api_token(owner, "schemathesis"),
              "council": issue_api_token(member, "schemathesis")}
    db.session.commit()
    sealed = db.session.scalar(select(SealedResult.proposal_id).limit(1))
    # A comment in the sealed vote's discussion, so the discussion reads have a body to check.
    comment = Comment(proposal_id=sealed, author_id=owner.id, body="Well argued; I voted yes.")
    db.session.add(comment)
    db.session.commit()
    known = {
        "proposal_id": sealed,
        "motion_id": db.session.scalar(select(Motion.id).limit(1)),
        "community_id": db.session.scalar(select(Community.id).limit(1)),
        "disbursement_id": db.session.scalar(select(Disbursement.id).limit(1)),
        "comment_id": comment.id,
        "version": 1,
        "index": 0,
        "receipt": db.session.scalar(select(Ballot.receipt)
                                     .where(Ballot.proposal_id == sealed).limit(1)),
    }
    assert all(v is not None for v in known.values()), known
    return {"tokens": tokens, "known": known}


@pytest.mark.slow
def test_the_api_answers_as_its_document_says(app: Any, api_world: dict[str, Any]) -> None:
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    known = api_world["known"]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            # Generated ids rarely name a real record, so each case is also sent with the ids
            # of the demo's records: the answers with bodies get checked too.
            variants = [dict(case.path_parameters or {})]
            if case.path_parameters:
                variants.append({k: known[k] for k in case.path_parameters})
            for path_parameters in variants:
                case.path_parameters = path_parameters
                for who in (None, "owner", "council"):
                    token = api_world["tokens"].get(who)
                    headers = {"Authorization": f"Bearer {token}"} if token else {}
                    case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            run()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 25, f"only {operations} operations in the document"
    assert not failures, "\n\n".join(failures)
