"""A council member reading in Chinese: the motion's kind, state and deadline in Chinese with
its zone, an early close refused in Chinese quoting the charter's article in Chinese, and the
co-signature an owner gives on a community application in their own account."""

from __future__ import annotations

import re
from typing import Any

from tests.e2e.browse import sign_in, switch_language
from tests.e2e.trust_data import community_under_review


def test_a_council_member_works_in_chinese(db_session: Any, new_page: Any, shot: Any) -> None:
    scene = community_under_review()
    ana = new_page()
    sign_in(ana, scene.opener)
    # She switches the site to Chinese with the header's language button.
    switch_language(ana, "zh_Hans_CN")
    ana.goto(f"/communities/{scene.community_id}")
    assert "<html lang=\"zh-Hans-CN\">" in ana.content(), ana.content()[:300]
    ana.get_by_label("动议事项").select_option("certify")
    ana.get_by_role("button", name="发起动议").click()
    ana.get_by_role("heading", level=1).wait_for()
    heading = ana.get_by_role("heading", level=1).inner_text()
    assert heading.startswith("认证社群 — ")
    main = ana.get_by_role("main").inner_text()
    assert "certify_community" not in main and "表决中" in main
    assert re.search(r"表决截止 .*中国标准时间", main)
    shot(ana, "motion-in-chinese")

    # Ana votes and tries to count at once: Bo has not voted, so it is too early.
    ana.get_by_label("你的表决").select_option("for")
    ana.get_by_role("button", name="提交我的表决").click()
    ana.get_by_role("main").wait_for()
    assert ana.get_by_role("button", name="结束动议并计票").count() == 0
    token = ana.locator("input[name=csrf_token]").first.get_attribute("value")
    refused = ana.request.post(f"{ana.url}/close", form={"csrf_token": token},
                               headers={"Accept-Language": "zh-CN"})
    assert "只有在所有可投票的理事均已投票" in refused.text()
    assert "Art. 15.5：“动议自提出起至少开放 24 小时" in refused.text()

    # The log names what each record is about in words, linked: the community by its name,
    # the motion by its number; no stored tag such as `community:3` or `motion:1`.
    ana.goto("/log")
    main = ana.get_by_role("main").inner_text()
    assert f"community:{scene.community_id}" not in main and "motion:" not in main
    assert ana.get_by_role("link", name=scene.name).count() >= 1
    assert ana.get_by_role("link", name=re.compile(r"^理事会动议 \d+$")).count() >= 1
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", main), main
    shot(ana, "log-in-chinese")
    ana.goto("/treasury/ledger")
    assert "assets:cash" not in ana.get_by_role("main").inner_text()
