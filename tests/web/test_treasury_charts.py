"""The treasury's charts read on a phone and without sight: whole labels, a time axis with the
quiet months in it, a neutral colour for money left, alt text that holds the numbers; and the
filter refuses a date range that ends before it starts instead of showing an empty table."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest

from app.treasury import charts
from tests.web import test_treasury as base

trust = base.trust  # the fixture: a charter, a seated council, cash and a budget


@pytest.fixture
def spent(trust: dict[str, Any]) -> dict[str, Any]:
    base.draft_and_approve(trust)  # RMB 200,000 of owner care from the budget
    return trust


def test_every_month_between_the_first_and_the_last_is_on_the_axis() -> None:
    months = [("2025-11", 100, 0, 100), ("2026-02", 0, 40, 60)]
    assert charts.every_month(months) == [
        ("2025-11", 100, 0, 100),
        ("2025-12", 0, 0, 100),  # quiet: the balance carries over
        ("2026-01", 0, 0, 100),
        ("2026-02", 0, 40, 60),
    ]
    assert charts.every_month([]) == []


def test_axis_amounts_are_short_round_and_whole() -> None:
    assert charts.nice_ticks(3_000_000, 3) == [0, 1_000_000, 2_000_000, 3_000_000]
    assert charts.nice_ticks(2_750_000, 6) == [
        0,
        500_000,
        1_000_000,
        1_500_000,
        2_000_000,
        2_500_000,
        3_000_000,
    ]
    assert charts.compact_yuan(12_000_000, chinese=False) == "¥12M"
    assert charts.compact_yuan(12_000_000, chinese=True) == "¥1,200万"
    assert charts.compact_yuan(250_000_000, chinese=True) == "¥2.5亿"
    assert charts.compact_yuan(2_500, chinese=False) == "¥2.5K"
    assert charts.compact_yuan(0, chinese=True) == "¥0"


def _texts(svg: bytes) -> list[str]:
    return [unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg.decode())]


def test_the_charts_draw_whole_labels_at_both_sizes(spent: dict[str, Any], client: Any) -> None:
    for name in ("over-time", "by-purpose", "budgets"):
        for size in ("wide", "narrow"):
            response = client.get(f"/treasury/charts/{name}.svg?size={size}")
            assert response.status_code == 200, (name, size)
            texts = _texts(response.data)
            assert texts and not [t for t in texts if "…" in t], (name, size, texts)
            width = re.search(rb'viewBox="0 0 (\d+) ', response.data)
            assert width and int(width.group(1)) == charts.SIZES[size].width
    assert client.get("/treasury/charts/budgets.svg?size=huge").status_code == 404

    budgets = client.get("/treasury/charts/budgets.svg").data.decode()
    assert charts.REMAINING in budgets and "#c0392b" not in budgets  # money left is no alarm
    purposes = _texts(client.get("/treasury/charts/by-purpose.svg").data)
    assert "Owner care · ¥200,000.00" in purposes  # the legend says the amount, in full


def test_the_alt_text_holds_the_numbers_the_charts_draw(spent: dict[str, Any], client: Any) -> None:
    page = client.get("/treasury/").get_data(as_text=True)
    found = re.findall(r'<img src="/treasury/charts/[^"]*"[^>]*alt="([^"]*)"', page)
    alts = [unescape(a) for a in found]
    assert len(alts) == 3
    over_time, by_purpose, budgets = alts
    assert "income ¥5,000,000.00" in over_time and "spending ¥200,000.00" in over_time
    assert "Owner care ¥200,000.00 (100.0%)" in by_purpose
    assert f"{spent['budget']}: spent ¥200,000.00, remaining ¥800,000.00." in budgets
    # A phone gets the chart drawn for its width.
    assert '<source media="(max-width: 40rem)"' in page and "size=narrow" in page


def test_a_reversed_date_range_is_refused_with_a_message(
    spent: dict[str, Any], client: Any
) -> None:
    response = client.get("/treasury/?from=2026-03-01&to=2026-01-31")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "The end date 2026-01-31 is before the start date 2026-03-01." in page
    assert 'id="f-to" type="date" name="to" value="2026-01-31" aria-invalid="true"' in page
    assert "Recorded disbursements" not in page  # no empty table pretending nothing was spent
    csv = client.get("/treasury/disbursements.csv?from=2026-03-01&to=2026-01-31")
    assert csv.status_code == 400 and b"before the start date" in csv.data

    bad = client.get("/treasury/?from=2026-02-30").get_data(as_text=True)
    assert "Enter a date as YYYY-MM-DD." in bad

    fine = client.get("/treasury/?from=2000-01-01&to=2999-12-31")
    assert fine.status_code == 200 and "Recorded disbursements" in fine.get_data(as_text=True)
