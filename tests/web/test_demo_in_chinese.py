"""The demo's public and council pages, read in Chinese: no raw code, no time without its zone."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from app.accounts.models import User
from app.communities.models import Community
from app.core.extensions import db
from app.council.models import Candidacy, Motion
from app.proposals.models import Proposal
from app.treasury.models import Budget, Disbursement
from tests.factories import login
from tests.web.zh_pages import problems

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def _pages() -> list[str]:
    urls = ["/", "/results/", "/charter", "/log", "/verify", "/proposals/", "/communities/",
            "/treasury/", "/treasury/ledger", "/council/", "/council/motions"]
    urls += [f"/proposals/{p}" for p in db.session.scalars(
        select(Proposal.id).where(Proposal.state != "draft"))]
    urls += [f"/results/{p}/" for p in db.session.scalars(
        select(Proposal.id).where(Proposal.state == "sealed"))]
    urls += [f"/communities/{c}" for c in db.session.scalars(select(Community.id))]
    urls += [f"/council/motions/{m}" for m in db.session.scalars(select(Motion.id))]
    urls += [f"/treasury/budgets/{b}" for b in db.session.scalars(select(Budget.id))]
    urls += [f"/treasury/disbursements/{d}" for d in db.session.scalars(
        select(Disbursement.id).where(Disbursement.state != "pending"))]
    urls += [f"/council/elections/{p}" for p in db.session.scalars(
        select(Proposal.id).where(Proposal.kind == "council_election",
                                  Proposal.state != "draft"))]
    urls += [f"/council/candidates/{c}" for c in db.session.scalars(select(Candidacy.id))]
    return urls


def test_the_demo_in_chinese_shows_words_and_zoned_times(
    app: Any, client: Any, db_session: Any
) -> None:
    built = app.test_cli_runner().invoke(args=["demo", "--no-serve"])
    assert built.exit_code == 0, built.output
    chair = db.session.scalar(select(User).where(User.email == "chair@demo.trust"))
    found: dict[str, list[str]] = {}
    for who in ("public", "council"):
        if who == "council":
            login(client, chair, "demo-password-2026")
        urls = _pages() + (["/council/queue", "/council/interests",
                            "/proposals/new?kind=call_election",
                            "/proposals/new?kind=recall_member"] if who == "council" else [])
        for url in urls:
            response = client.get(url, headers=CHINESE)
            assert response.status_code == 200, url
            html = response.get_data(as_text=True)
            assert re.search(r'<html lang="zh-Hans-CN">', html)
            if issues := problems(html):
                found[f"{who} {url}"] = issues
    assert not found, "\n".join(f"{url}: {issues}" for url, issues in found.items())
