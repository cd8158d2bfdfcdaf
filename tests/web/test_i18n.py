"""Chinese and English: every string translated, the reader's language chosen and kept."""

from __future__ import annotations

import os
import re
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from babel.messages import frontend
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from babel.support import Translations
from flask import render_template_string

from app.core.translations import compile_all, is_stale
from tests.factories import csrf_from, login, make_owner

# Its commits must reach the database for real (see tests/conftest.py).
pytestmark = pytest.mark.real_commits

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "translations"
ZH_PO = TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}
ENGLISH = {"Accept-Language": "en-GB,en;q=0.9"}
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]")


def _extracted_messages() -> dict[str, str]:
    """msgid -> where it is used, extracted exactly as babel.cfg tells pybabel to."""
    parse = getattr(frontend, "parse_mapping_cfg", None) or frontend.parse_mapping
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse(cfg)
    keywords = dict(DEFAULT_KEYWORDS, lazy_gettext=None, _l=None)
    found: dict[str, str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        keywords=keywords,
        # Unlike babel's default, look inside templates/_macros and templates/_partials.
        directory_filter=lambda path: not os.path.basename(path).startswith("."),
    ):
        for msgid in message if isinstance(message, tuple) else (message,):
            if msgid:
                found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def _chinese_catalogue() -> Any:
    with ZH_PO.open("rb") as po:
        return read_po(po, locale="zh_Hans_CN")


def test_every_string_in_the_templates_and_the_app_has_a_chinese_translation() -> None:
    extracted = _extracted_messages()
    catalogue = _chinese_catalogue()
    assert "Proposals" in extracted and "Bad request" in extracted  # a template and the app
    assert "Sign out" in extracted, "templates/_partials was not searched"
    missing = [
        f"{where}: {msgid!r}"
        for msgid, where in sorted(extracted.items(), key=lambda item: item[1])
        if msgid not in catalogue or not catalogue[msgid].string
    ]
    assert not missing, (
        f"{len(missing)} string(s) lack a zh_Hans_CN translation (see translations/README.md):\n"
        + "\n".join(missing)
    )


def test_the_chinese_catalogue_has_no_fuzzy_guesses_and_keeps_every_placeholder() -> None:
    problems = []
    for message in _chinese_catalogue():
        if not message.id:
            continue
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
        if sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string)):
            problems.append(f"placeholders differ: {message.id!r} -> {message.string!r}")
    assert not problems, "\n".join(problems)


def test_the_chinese_catalogue_defines_each_message_once() -> None:
    # Branches append their blocks and git merges .po files as a union of lines, so the same
    # message can arrive twice; msgfmt refuses such a catalogue, and the two could disagree.
    ids = re.findall(r'^msgid ((?:".*"\n)+)', ZH_PO.read_text(encoding="utf-8"), re.M)
    repeated = sorted(m for m, n in Counter(ids).items() if n > 1)
    assert repeated == []


def test_a_chinese_browser_gets_the_pages_in_chinese(client: Any) -> None:
    page = client.get("/", headers=CHINESE).get_data(as_text=True)
    assert '<html lang="zh-Hans-CN">' in page
    assert ">提案</a>" in page and ">登录</a>" in page
    assert ">Proposals</a>" not in page


def test_an_english_browser_gets_the_pages_in_english(client: Any) -> None:
    page = client.get("/", headers=ENGLISH).get_data(as_text=True)
    assert '<html lang="en">' in page
    assert ">Proposals</a>" in page and "提案" not in page


def test_the_language_cookie_beats_the_browser(client: Any) -> None:
    client.set_cookie("locale", "en", domain="trust.test")
    page = client.get("/", headers=CHINESE).get_data(as_text=True)
    assert ">Proposals</a>" in page


def test_choosing_a_language_sets_the_cookie_for_later_pages(client: Any) -> None:
    token = csrf_from(client.get("/", headers=ENGLISH))
    response = client.post(
        "/language", data={"locale": "zh_Hans_CN", "next": "/", "csrf_token": token}
    )
    assert response.status_code == 302
    assert ">提案</a>" in client.get("/", headers=ENGLISH).get_data(as_text=True)


def test_a_signed_in_owners_saved_language_wins_over_browser_and_cookie(
    client: Any, db_session: Any
) -> None:
    owner = make_owner()
    db_session.commit()
    login(client, owner)
    token = csrf_from(client.get("/", headers=CHINESE))
    client.post("/language", data={"locale": "en", "next": "/", "csrf_token": token})
    db_session.refresh(owner)
    assert owner.locale == "en"

    client.set_cookie("locale", "zh_Hans_CN", domain="trust.test")
    page = client.get("/", headers=CHINESE).get_data(as_text=True)
    assert ">Proposals</a>" in page and ">Sign out</button>" in page


def test_messages_from_python_code_are_translated_too(client: Any, db_session: Any) -> None:
    owner = make_owner()
    db_session.commit()
    token = csrf_from(client.get("/login", headers=CHINESE))
    page = client.post(
        "/login",
        data={"login": owner.email, "password": "not the password", "csrf_token": token},
        headers=CHINESE,
    ).get_data(as_text=True)
    assert "账号或密码错误。" in page


def test_a_receipt_check_reports_in_the_readers_language(client: Any) -> None:
    token = csrf_from(client.get("/verify", headers=CHINESE))
    page = client.post(
        "/verify", data={"receipt": "not a receipt", "csrf_token": token}, headers=CHINESE
    ).get_data(as_text=True)
    assert "这不是 JSON：请粘贴完整的回执文件内容。" in page


def test_service_messages_stay_english_outside_a_request(app: Any) -> None:
    from app.voting.service import VoteRefused, cast

    with app.app_context(), pytest.raises(VoteRefused) as refused:
        cast("no-such-proposal", 1, "yes")
    assert str(refused.value) == "There is no such proposal."


@pytest.mark.parametrize("headers", [CHINESE, ENGLISH], ids=["zh", "en"])
def test_money_is_shown_in_yuan_with_grouping_in_both_languages(
    app: Any, headers: dict[str, str]
) -> None:
    with app.test_request_context("/", headers=headers):
        shown = render_template_string("{{ 123456 | yuan }} {{ -5 | yuan }} {{ 1234567 | number }}")
    assert shown == "¥1,234.56 -¥0.05 1,234,567"


def test_dates_are_written_the_chinese_way_for_a_chinese_reader(app: Any) -> None:
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 1, 4, 30, tzinfo=UTC)
    with app.test_request_context("/", headers=CHINESE):
        chinese = render_template_string("{{ moment | when }}", moment=moment)
    with app.test_request_context("/", headers=ENGLISH):
        english = render_template_string("{{ moment | when }}", moment=moment)
    assert "2026年3月1日" in chinese and "12:30" in chinese  # Asia/Shanghai, UTC+8
    assert "Mar 1, 2026" in english and "4:30" in english


def test_a_missing_page_is_explained_in_chinese_to_a_chinese_browser(client: Any) -> None:
    response = client.get("/no/such/page", headers=CHINESE)
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert "未找到" in page and "此地址没有内容。" in page and "返回首页" in page


def test_an_expired_form_is_explained_in_chinese_to_a_chinese_browser(client: Any) -> None:
    response = client.post(
        "/language", data={"locale": "en", "csrf_token": "forged"}, headers=CHINESE
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "表单已过期" in page and "未做任何更改" in page


def test_compiling_writes_a_missing_catalogue_that_gettext_then_reads(tmp_path: Path) -> None:
    shutil.copytree(TRANSLATIONS, tmp_path / "translations")
    po = tmp_path / "translations" / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po"
    po.with_suffix(".mo").unlink(missing_ok=True)
    assert is_stale(po)

    assert compile_all(tmp_path / "translations") == [po.with_suffix(".mo")]
    assert not is_stale(po)
    assert compile_all(tmp_path / "translations") == []  # fresh ones are left alone
    chinese = Translations.load(str(tmp_path / "translations"), ["zh_Hans_CN"])
    assert chinese.gettext("Proposals") == "提案"


def test_creating_the_app_recompiles_a_stale_catalogue(app: Any, tmp_path: Path) -> None:
    from app import create_app
    from tests.conftest import app_test_config

    mo = ZH_PO.with_suffix(".mo")
    # Make the compiled file older than its source, as after a `git pull` of a new .po;
    # it is rewritten in place, never removed, so a concurrently running app keeps reading it.
    os.utime(mo, (0, 0))
    assert is_stale(ZH_PO)

    fresh = create_app(
        app_test_config(f"sqlite:///{tmp_path / 'i18n.db'}", tmp_path, AUTO_MIGRATE=False)
    )

    assert not is_stale(ZH_PO)
    page = fresh.test_client().get("/no/such/page", headers=CHINESE).get_data(as_text=True)
    assert "未找到" in page
