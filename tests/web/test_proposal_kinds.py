"""Every kind an owner may propose can be written in the browser, and a passed charter
amendment becomes the next charter version."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.charter import service as charter
from app.core.db_types import utcnow
from app.core.extensions import db
from app.decisions import cron
from app.proposals.models import Proposal
from app.translog.models import LogLeaf
from app.voting import service as voting
from governance.default_charter import default_rules
from tests.factories import csrf_from, install_charter, login, make_open_vote, make_owner

BODY = "Why the owners should adopt this, in more than twenty characters."


@pytest.fixture
def author(db_session: Any, client: Any) -> Any:
    install_charter()
    owner = make_owner(2000, name="Author")
    db.session.commit()
    login(client, owner)
    return owner


def _post(client: Any, **fields: str) -> Any:
    token = csrf_from(client.get("/proposals/new"))
    return client.post("/proposals/new", data={"csrf_token": token, "body": BODY, **fields})


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Proposal)) or 0


def _payload(response: Any) -> dict[str, Any]:
    assert response.status_code == 302, response.get_data(as_text=True)[-2000:]
    proposal = db.session.get(Proposal, response.headers["Location"].rsplit("/", 1)[1])
    assert proposal is not None and proposal.state == "draft"
    return dict(json.loads(proposal.payload_json))


def test_a_community_scheme_is_drafted_with_its_text_and_one_criterion_per_line(
    author: Any, client: Any
) -> None:
    response = _post(
        client, kind="community_scheme", title="Trial community certification scheme",
        scheme_text="Industry communities of owners may apply to be certified.",
        criteria="At least 30 member owners\n\n  Ten co-signing owners  \n",
    )
    assert _payload(response) == {
        "scheme_text": "Industry communities of owners may apply to be certified.",
        "criteria": ["At least 30 member owners", "Ten co-signing owners"],
    }
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "<li>At least 30 member owners</li>" in page and "may apply to be certified" in page


def test_a_community_scheme_without_criteria_is_shown_again_and_nothing_is_saved(
    author: Any, client: Any
) -> None:
    response = _post(client, kind="community_scheme", title="Trial community scheme",
                     scheme_text="Communities may apply.", criteria="  \n")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'id="criteria-error"' in page and "list at least one certification criterion" in page
    assert _count() == 0


def _editor(client: Any) -> dict[str, str]:
    """Every field of the amendment editor as the page fills it (a browser's submission)."""
    page = client.get("/proposals/new?kind=charter_amendment").get_data(as_text=True)
    fields = {m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input type="(?:text|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"', page)}
    fields.update({m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input type="text"[^>]*?id="[^"]+" name="([^"]+)" value="([^"]*)"', page)})
    fields.update({m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', page)})
    for m in re.finditer(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', page, re.S):
        chosen = re.search(r'value="([^"]+)" selected', m.group(2))
        assert chosen, m.group(1)
        fields[m.group(1)] = chosen.group(1)
    fields.pop("csrf_token", None)
    fields.pop("kind", None)
    return fields


def _article_row(fields: dict[str, str], ref: str) -> int:
    return next(int(k.split("-")[1]) for k, v in fields.items()
                if k.endswith("-ref") and v == ref)


def test_the_amendment_form_is_the_charter_in_force_as_fields(author: Any, client: Any) -> None:
    page = client.get("/proposals/new?kind=charter_amendment").get_data(as_text=True)
    assert 'name="new_rules"' not in page and 'name="new_text"' not in page  # no JSON box
    assert "# Test charter" not in page  # nor the whole charter in one box
    assert 'value="Art. 10.3"' in page and "一次投票至少开放 72 小时" in page
    assert 'name="rule/voting/max_hours" value="336"' in page
    assert 'name="rule/voting/kinds/general/quorum" value="1/10"' in page
    assert "Longest vote (hours)" in page and "Add an article" in page


def test_an_unchanged_amendment_stores_the_charter_in_force(author: Any, client: Any) -> None:
    fields = _editor(client)
    response = _post(client, kind="charter_amendment", title="Restate the charter", **fields)
    payload = _payload(response)
    version = charter.require_current()
    assert payload["new_rules"] == json.loads(version.rules_json)
    assert payload["new_text"].strip() == version.text.strip()


def test_a_charter_amendment_is_drafted_from_its_fields(author: Any, client: Any) -> None:
    fields = _editor(client)
    fields["rule/voting/max_hours"] = "360"
    fields["rule/voting/kinds/general/quorum"] = "1/8"
    fields["rule/spending/beneficiary_required"] = "no"
    row = _article_row(fields, "Art. 10.3")
    fields[f"art-{row}-en"] = "A vote stays open for at least 72 hours and at most 15 days."
    fields[f"art-{row}-zh"] = "一次投票至少开放 72 小时，至多 15 天。"
    fields[f"art-{_article_row(fields, 'Art. 5.3')}-remove"] = "yes"
    rules = default_rules()
    for kind in rules["voting"]["kinds"].values():
        kind["secrecy"] = "open"
    # Art. 5.3 is cited by a purpose, so removing it is refused at once, by its path.
    refused = _post(client, kind="charter_amendment", title="Longer votes", **fields)
    assert refused.status_code == 200 and _count() == 0
    assert "is not among the articles" in refused.get_data(as_text=True)
    del fields[f"art-{_article_row(fields, 'Art. 5.3')}-remove"]
    added = int(fields["articles"])
    fields.update({"articles": str(added + 1), f"art-{added}-ref": "Art. 10.5",
                   f"art-{added}-en": "Results are sealed within the hour of the close.",
                   f"art-{added}-zh": "结果在投票结束后一小时内封存。"})
    payload = _payload(_post(client, kind="charter_amendment", title="Longer votes", **fields))
    expected = json.loads(charter.require_current().rules_json)
    expected["voting"]["max_hours"] = 360
    expected["voting"]["kinds"]["general"]["quorum"] = [1, 8]
    expected["spending"]["beneficiary_required"] = False
    expected["articles"]["Art. 10.3"] = fields[f"art-{row}-en"]
    expected["articles_zh"]["Art. 10.3"] = fields[f"art-{row}-zh"]
    expected["articles"]["Art. 10.5"] = "Results are sealed within the hour of the close."
    expected["articles_zh"]["Art. 10.5"] = "结果在投票结束后一小时内封存。"
    assert payload["new_rules"] == expected
    assert list(payload["new_rules"]["articles"]).index("Art. 10.5") == \
        list(payload["new_rules"]["articles"]).index("Art. 10.4") + 1
    assert payload["new_text"].startswith("# Test charter")
    assert "Art. 10.5 Results are sealed" in payload["new_text_zh"] or \
        "第 10.5 条 结果在投票结束后一小时内封存。" in payload["new_text_zh"]


def test_add_an_article_adds_a_blank_row_and_saves_nothing(author: Any, client: Any) -> None:
    fields = _editor(client)
    count = int(fields["articles"])
    page = _post(client, kind="charter_amendment", title="Adding", add_article="1",
                 **fields).get_data(as_text=True)
    assert f'name="articles" value="{count + 1}"' in page
    assert f'name="art-{count}-ref" value=""' in page and _count() == 0
    assert 'class="error-summary"' not in page


def test_the_form_asks_for_the_kind_first_then_only_for_that_kinds_fields(
    author: Any, client: Any
) -> None:
    chooser = client.get("/proposals/new").get_data(as_text=True)
    for kind in ("general", "spending", "poll", "community_scheme", "charter_amendment"):
        assert f'href="/proposals/new?kind={kind}"' in chooser
    assert 'name="title"' not in chooser
    spending = client.get("/proposals/new?kind=spending").get_data(as_text=True)
    assert 'name="amount_yuan"' in spending and 'name="beneficiary"' in spending
    for other in ("new_rules", "new_text", "scheme_text", "options"):
        assert f'name="{other}"' not in spending  # no JSON box, no charter, no options
    assert "# Test charter" not in spending
    poll = client.get("/proposals/new?kind=poll").get_data(as_text=True)
    assert 'name="options"' in poll and 'name="amount_yuan"' not in poll


def test_a_refused_proposal_puts_an_error_summary_first_with_the_focus(
    author: Any, client: Any
) -> None:
    response = _post(client, kind="spending", title="Hi", body="too short")
    page = response.get_data(as_text=True)
    summary = page.index('class="error-summary"')
    assert "autofocus" in page[summary : page.index(">", summary)]
    assert summary < page.index('<form method="post" novalidate')
    assert 'href="#title"' in page[summary:] and 'href="#body"' in page[summary:]


def test_each_wrong_value_is_shown_at_its_field_and_nothing_is_saved(
    author: Any, client: Any
) -> None:
    fields = _editor(client)
    fields["rule/voting/max_hours"] = "a week"
    fields["rule/voting/kinds/general/quorum"] = "a tenth"
    fields["rule/council/term_days"] = "0"
    response = _post(client, kind="charter_amendment", title="A broken amendment", **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _count() == 0
    assert 'id="rule-voting-max_hours-error">Write a whole number.' in page
    assert 'id="rule-voting-kinds-general-quorum-error">Write a fraction such as 1/10.' in page
    summary = page.index('class="error-summary"')
    assert "autofocus" in page[summary : page.index(">", summary)]
    assert 'href="#rule-voting-max_hours"' in page[summary:]
    fields["rule/voting/max_hours"] = "336"
    fields["rule/voting/kinds/general/quorum"] = "1/10"
    governance = _post(client, kind="charter_amendment", title="A broken amendment", **fields)
    page = governance.get_data(as_text=True)
    assert 'id="rule-council-term_days-error"' in page and _count() == 0


def test_an_article_without_its_chinese_text_is_refused_at_its_row(
    author: Any, client: Any
) -> None:
    fields = _editor(client)
    added = int(fields["articles"])
    fields.update({"articles": str(added + 1), f"art-{added}-ref": "Art. 10.5",
                   f"art-{added}-en": "English only.", f"art-{added}-zh": ""})
    response = _post(client, kind="charter_amendment", title="English only", **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and _count() == 0
    assert f'id="art-{added}-error">Give the article&#39;s text in English and in Chinese.' \
        in page
    assert f'href="#art-{added}-ref"' in page


def test_a_spending_proposal_keeps_what_the_money_is_for(author: Any, client: Any) -> None:
    response = _post(client, kind="spending", title="Roadside help for owners",
                     amount_yuan="5000", category="owner_care",
                     beneficiary="Owners in hardship", purpose="Towing and repairs.")
    assert _payload(response) == {
        "amount_fen": 500_000, "category": "owner_care",
        "beneficiary": "Owners in hardship", "purpose": "Towing and repairs.",
    }


def _install_charter_the_council_may_put_amendments_to_the_vote() -> None:
    # In the real charter an amendment needs owners' co-signatures; skipped to keep this short.
    voting_rules = default_rules()["voting"]
    voting_rules["kinds"]["charter_amendment"]["cosign_required"] = 0
    install_charter(voting=voting_rules)


def _amendment_vote(ballot: str) -> str:
    """A charter amendment voted on over the last four days, now past its close."""
    rules = default_rules()
    rules["voting"]["max_hours"] = rules["voting"]["max_hours"] + 24
    author, chair = make_owner(5000, name="Voter"), make_owner(500, name="Chair")
    opens = utcnow() - timedelta(days=4)
    proposal_id = make_open_vote(
        author, chair, kind="charter_amendment", title="Let votes run a day longer",
        fields={"new_text": "# Charter v2", "new_text_zh": "# 章程第二版", "new_rules": rules},
        opens=opens, closes=utcnow() - timedelta(hours=1),
    )
    voting.cast(proposal_id, author.id, [ballot], now=opens + timedelta(hours=1))
    db.session.commit()
    return proposal_id


def test_a_passed_amendment_becomes_charter_v2_and_is_logged_once(db_session: Any) -> None:
    _install_charter_the_council_may_put_amendments_to_the_vote()
    old_max = charter.current_rules().voting.max_hours
    proposal_id = _amendment_vote("yes")

    assert f"sealed {proposal_id}" in cron.run_due()

    current = charter.require_current()
    assert (current.version, current.adopted_by, current.text) == (2, proposal_id, "# Charter v2")
    assert charter.current_rules().voting.max_hours == old_max + 24
    (leaf,) = db.session.scalars(select(LogLeaf).where(LogLeaf.type == "charter.adopted",
                                                       LogLeaf.subject == "charter-v2"))
    assert json.loads(leaf.record_json)["adopted_by"] == proposal_id
    # Applying it again (a second cron run, `trust seal` after cron) adopts nothing more.
    assert charter.apply_sealed_amendment(proposal_id) is None
    assert [v.version for v in charter.versions()] == [1, 2]


def test_a_rejected_amendment_changes_nothing(db_session: Any) -> None:
    _install_charter_the_council_may_put_amendments_to_the_vote()
    proposal_id = _amendment_vote("no")

    assert f"sealed {proposal_id}" in cron.run_due()

    assert [v.version for v in charter.versions()] == [1]
    assert charter.apply_sealed_amendment(proposal_id) is None
    assert db.session.scalar(select(func.count()).select_from(LogLeaf)
                             .where(LogLeaf.type == "charter.adopted")) == 1


def test_sealing_by_hand_adopts_a_passed_amendment_too(db_session: Any, app: Any) -> None:
    _install_charter_the_council_may_put_amendments_to_the_vote()
    proposal_id = _amendment_vote("yes")

    sealed = app.test_cli_runner().invoke(args=["trust", "seal", proposal_id])

    assert sealed.exit_code == 0, sealed.output
    db.session.expire_all()
    assert charter.require_current().adopted_by == proposal_id


def test_the_charter_text_changes_only_where_its_articles_change() -> None:
    from app.proposals.amendment_form import ARTICLE_PREFIX, ZH_PREFIX, amend_text
    from governance.default_charter import ARTICLES, default_text
    from governance.default_charter_zh import ARTICLES_ZH, default_text_zh

    text = "# Charter\n\n" + default_text() + "\n**Art. 40.9** Witnessed.\n"
    old = {**ARTICLES, "Art. 40.9": "Witnessed."}
    assert amend_text(text, old, dict(old), ARTICLE_PREFIX, str) == text
    new = {k: v for k, v in old.items() if k != "Art. 5.2"}
    new["Art. 10.3"] = "Votes run three to fifteen days."
    new["Art. 40.9"] = "Witnessed by four."
    new["Art. 10.35"] = "Added."
    amended = amend_text(text, old, new, ARTICLE_PREFIX, str).split("\n\n")
    assert "Art. 10.3 Votes run three to fifteen days." in amended
    assert "**Art. 40.9** Witnessed by four.\n" in amended or \
        "**Art. 40.9** Witnessed by four." in [p.strip() for p in amended]
    assert not any(p.startswith("Art. 5.2 ") for p in amended)
    assert amended.index("Art. 10.35 Added.") == amended.index(
        next(p for p in amended if p.startswith("Art. 10.4 "))) + 1
    assert amended[0] == "# Charter"
    zh_new = {**ARTICLES_ZH, "Art. 10.3": "投票开放三至十五天。"}
    zh = amend_text(default_text_zh(), ARTICLES_ZH, zh_new, ZH_PREFIX,
                    lambda ref: f"第 {ref.removeprefix('Art. ')} 条")
    assert "第 10.3 条 投票开放三至十五天。" in zh.split("\n\n")
    assert zh.count("\n\n") == default_text_zh().count("\n\n")
