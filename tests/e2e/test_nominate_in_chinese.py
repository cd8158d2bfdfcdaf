"""An owner reading in Chinese nominates a council candidate in their own account (Art. 11.5):
the candidacy page shows the count against the charter's number and its deadline with its
zone; the button gives the nomination once and is then gone; the candidate's own try is
refused in Chinese, quoting the article."""

from __future__ import annotations

import re
from typing import Any

from app.core.extensions import db
from app.council import elections, nominations
from tests.e2e.browse import sign_in, switch_language
from tests.e2e.data import Owner, _charter
from tests.factories import PASSWORD, make_owner


def _candidacy() -> tuple[int, Owner, Owner]:
    _charter()
    candidate = make_owner(1000, name="Mei Zhou")
    helper = make_owner(1000, name="Lan Xu")
    early = [make_owner(800) for _ in range(5)]
    candidacy = elections.register(candidate, "protector",
                                   "I will publish every review the protector makes.")
    for owner in early:
        nominations.nominate(candidacy, owner)
    db.session.commit()
    found = (candidacy.id, Owner(helper.email or "", PASSWORD, helper.display_name),
             Owner(candidate.email or "", PASSWORD, candidate.display_name))
    db.session.remove()
    return found


def test_an_owner_nominates_a_candidate_in_chinese(db_session: Any, new_page: Any,
                                                   shot: Any) -> None:
    candidacy_id, helper, candidate = _candidacy()
    lan = new_page()
    sign_in(lan, helper)
    switch_language(lan, "zh_Hans_CN")
    lan.goto(f"/council/candidates/{candidacy_id}")
    main = lan.get_by_role("main").inner_text()
    assert "已获提名 5 / 20" in main
    assert re.search(r"须在 .*中国标准时间 之前有 20 位名册内车主", main), main
    lan.get_by_role("button", name="提名 Mei Zhou").click()
    lan.get_by_role("main").wait_for()
    main = lan.get_by_role("main").inner_text()
    assert "您的提名已作出：6 / 20" in main and "已获提名 6 / 20" in main
    assert lan.get_by_role("button", name="提名 Mei Zhou").count() == 0
    assert "您已提名该候选人。" in main
    shot(lan, "nominated-in-chinese")

    mei = new_page()
    sign_in(mei, candidate)
    switch_language(mei, "zh_Hans_CN")
    mei.goto(f"/council/candidates/{candidacy_id}")
    main = mei.get_by_role("main").inner_text()
    assert mei.get_by_role("button", name="提名 Mei Zhou").count() == 0
    assert "您不能提名该候选人： 候选人不能提名自己" in main
    assert "Art. 11.5" in main and "候选人须获得候选人本人以外的 20 位名册内车主提名" in main
