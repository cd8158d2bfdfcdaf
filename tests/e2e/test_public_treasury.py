"""The public reads the treasury at desktop and phone widths, in English and in Chinese: totals,
charts, the disbursement table filtered by purpose, its CSV export and a disbursement's page."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browse import nav_link, switch_language
from tests.e2e.conftest import DESKTOP, PHONE
from tests.e2e.trust_data import EVIDENCE_NAME, PRIVATE_BENEFICIARY, treasury_with_spending

# What a reader sees in each language (the header switch sets the language, not the browser).
WORDS = {
    "en": {"lang": "en", "Treasury": "Treasury", "Filter": "Filter",
           "Download CSV": "Download CSV", "Evidence": "Evidence"},
    "zh_Hans_CN": {"lang": "zh-Hans-CN", "Treasury": "财务", "Filter": "筛选",
                   "Download CSV": "下载 CSV", "Evidence": "证明材料"},
}


def _no_sideways_scroll(page: Any) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} scrolls sideways: {width}px"


def _charts_drawn(page: Any) -> list[int]:
    """The natural width of every chart image once it has loaded (0 if it failed)."""
    # The load event waits for every image. (wait_for_function would poll with an eval that
    # the page's own Content-Security-Policy may refuse.)
    page.wait_for_load_state("load")
    return list(page.evaluate(
        "Array.from(document.querySelectorAll('main img')).map((img) => img.naturalWidth)"))


def _shown_rows(page: Any) -> list[str]:
    table = page.locator("table").filter(has=page.locator("a[href*='/treasury/disbursements/']"))
    return [str(t) for t in table.locator("tbody tr").all_inner_texts()]


@pytest.mark.parametrize("language", ["en", "zh_Hans_CN"], ids=["english", "chinese"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_the_public_reads_filters_and_exports_the_treasury(
    db_session: Any, new_page: Any, shot: Any, tmp_path: Path,
    viewport: dict[str, int], language: str,
) -> None:
    scene = treasury_with_spending()
    words = WORDS[language]
    page = new_page(viewport)

    page.goto("/")
    nav_link(page, "Treasury").click()
    if language != "en":
        switch_language(page, language)
    assert page.locator("html").get_attribute("lang") == words["lang"]
    assert page.get_by_role("heading", level=1).inner_text() == words["Treasury"]
    shot(page, "treasury")

    assert page.locator("#total-income").inner_text() == "¥5,000,000.00"
    assert page.locator("#total-spent").inner_text() == "¥350,000.00"
    assert page.locator("#total-cash").inner_text() == "¥4,650,000.00"
    widths = _charts_drawn(page)
    assert len(widths) == 3 and all(w > 0 for w in widths), f"chart natural widths: {widths}"
    assert len(_shown_rows(page)) == 2
    _no_sideways_scroll(page)

    page.locator("#f-purpose").select_option("public_welfare")
    page.get_by_role("button", name=words["Filter"]).click()
    page.wait_for_load_state()
    shot(page, "filtered")
    (row,) = _shown_rows(page)
    assert "Red Cross Society, Henan branch" in row
    assert page.locator("#rows-total").inner_text() == "¥150,000.00"

    with page.expect_download() as download_info:
        page.get_by_role("link", name=words["Download CSV"]).click()
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    exported = list(csv.DictReader(saved.open(newline="")))
    assert [(r["category"], r["amount_fen"], r["budget"]) for r in exported] == [
        ("public_welfare", "15000000", scene.emergency_budget)]

    page.locator("#f-purpose").select_option("owner_care")
    page.get_by_role("button", name=words["Filter"]).click()
    page.locator(f"a[href$='/treasury/disbursements/{scene.care_id}']").click()
    page.get_by_role("heading", name=words["Evidence"]).wait_for()
    shot(page, "disbursement")
    evidence = page.get_by_role("heading", name=words["Evidence"]).locator(
        "xpath=following-sibling::ul[1]")
    assert evidence.inner_text().strip() == scene.evidence_sha256
    html = page.content()
    assert PRIVATE_BENEFICIARY not in html
    assert EVIDENCE_NAME not in html and "/treasury/evidence/" not in html
    _no_sideways_scroll(page)
