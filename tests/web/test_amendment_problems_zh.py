"""The charter rules' problems on the amendment form are said in the reader's language, at their
field; a rule's path is shown as words, and a method code by its name."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask_babel import force_locale
from markupsafe import Markup

from app.core.extensions import db
from app.proposals import amendment_form
from app.proposals.amendment_labels import path_words
from governance.default_charter import default_rules
from governance.refusals import N_, Problem
from tests.factories import csrf_from, install_charter, login, make_owner

CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
BODY = "Why the owners should adopt this, in more than twenty characters."


@pytest.fixture
def author(db_session: Any, client: Any) -> Any:
    install_charter()
    owner = make_owner(2000, name="Author")
    db.session.commit()
    login(client, owner)
    return owner


def _editor(client: Any, headers: dict[str, str]) -> dict[str, str]:
    page = client.get("/proposals/new?kind=charter_amendment", headers=headers)
    text = page.get_data(as_text=True)
    fields = {m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input type="(?:text|hidden)"[^>]*?name="([^"]+)" value="([^"]*)"', text)}
    fields.update({m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<input type="text"[^>]*?id="[^"]+" name="([^"]+)" value="([^"]*)"', text)})
    fields.update({m.group(1): html.unescape(m.group(2)) for m in re.finditer(
        r'<textarea id="[^"]+" name="([^"]+)"[^>]*>([^<]*)</textarea>', text)})
    for m in re.finditer(r'<select id="[^"]+" name="([^"]+)">(.*?)</select>', text, re.S):
        chosen = re.search(r'value="([^"]+)" selected', m.group(2))
        assert chosen, m.group(1)
        fields[m.group(1)] = chosen.group(1)
    fields.pop("kind", None)
    fields["csrf_token"] = csrf_from(page)
    return fields


def _error(page: str, field_id: str) -> str:
    found = re.search(rf'id="{field_id}-error">([^<]*)<', page)
    assert found, f"no error at {field_id}"
    return html.unescape(found.group(1))


def _bad_amendment(client: Any, headers: dict[str, str]) -> str:
    fields = _editor(client, headers)
    fields.update({
        "title": "A broken amendment", "body": BODY,
        "rule/council/term_days": "0",
        "rule/council/recusal_fallback": "nobody",
        "rule/voting/kinds/general/method": "approval",
    })
    response = client.post("/proposals/new?kind=charter_amendment", data={
        "kind": "charter_amendment", **fields}, headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_a_chinese_reader_is_told_each_rules_problem_in_chinese_at_its_field(
    author: Any, client: Any
) -> None:
    page = _bad_amendment(client, CHINESE)
    term = _error(page, "rule-council-term_days")
    assert term.startswith("须在 1 至 ") and term.endswith("现为 0"), term
    fallback = _error(page, "rule-council-recusal_fallback")
    assert fallback == "须为以下之一：交由车主投票表决 (owners_vote)"
    method = _error(page, "rule-voting-kinds-general-method")
    assert method == "认可投票（approval）仅用于理事会选举"
    for english in ("must be between", "must be one of", "approval voting is"):
        assert english not in page
    start = page.index('class="error-summary"')
    summary = page[start:page.index("</ul>", start)]
    assert "现为 0" in summary and 'href="#rule-council-term_days"' in summary


def test_an_english_reader_keeps_the_english_words(author: Any, client: Any) -> None:
    page = _bad_amendment(client, ENGLISH)
    assert _error(page, "rule-council-term_days") == "must be between 1 and 3,660, got 0"
    assert _error(page, "rule-voting-kinds-general-method") == \
        "approval voting is for council elections"
    assert "须在 1 至" not in page


def test_a_problem_without_a_field_is_named_in_words_with_its_path_untranslated(
    app: Any,
) -> None:
    editor = amendment_form.blank(default_rules())
    problem = Problem("rules.fallback_kind", N_("the owners_vote fallback needs this kind"))
    with app.test_request_context(headers=CHINESE), force_locale("zh_Hans_CN"):
        [shown] = amendment_form.place_problems(
            editor, [("new_rules.voting.kinds.council_referral", problem)])
        words = path_words("voting.kinds.council_referral")
        assert words == "车主投票 › 提案类型 › 理事会转交的事项" and words in shown
    assert isinstance(shown, Markup)
    assert "兜底规则" in shown
    assert '<code translate="no" lang="en">voting.kinds.council_referral</code>' in shown
    # Only the untranslated detail carries the path.
    assert shown.count("council_referral") == 1


def test_fixed_options_name_the_method_in_the_readers_language(
    author: Any, client: Any
) -> None:
    page = client.get("/proposals/new?kind=general", headers=CHINESE)
    response = client.post("/proposals/new?kind=general", headers=CHINESE, data={
        "csrf_token": csrf_from(page), "kind": "general", "title": "A plain question",
        "body": BODY, "options": "one\ntwo"})
    text = html.unescape(response.get_data(as_text=True))
    assert "赞成／反对 投票的选项是固定的" in text
    assert "yes_no" not in text
