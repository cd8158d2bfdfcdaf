"""The in-page accessibility audit finds each kind of problem it claims to find.

Without this the page checks could pass by finding nothing at all.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.a11y import problems_on

BROKEN_PAGE = """<!doctype html>
<html><head><title></title></head><body>
<h1>One</h1><h1>Two</h1><h4>Skipped</h4>
<input id="name" type="text"><select id="pick"><option>a</option></select>
<svg viewBox="0 0 10 10"><rect width="10" height="10"/></svg>
<svg role="img" viewBox="0 0 10 10"><rect width="10" height="10"/></svg>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<a href="/x" tabindex="3">Jump</a><p id="twice">a</p><p id="twice">b</p>
<p class="faint">Barely readable</p><div class="wide">wide</div>
<style>.faint { color: #bbbbbb; background: #ffffff; } .wide { width: 2000px; }</style>
</body></html>"""

CLEAN_PAGE = """<!doctype html>
<html lang="en"><head><title>Fine</title></head><body>
<main><h1>Title</h1><h2>Part</h2>
<label for="name">Name</label><input id="name" type="text">
<svg role="img" aria-label="Turnout: 50%" viewBox="0 0 10 10"><rect width="5" height="10"/></svg>
<p>Readable text</p></main>
</body></html>"""


def test_the_audit_reports_every_kind_of_problem_on_a_broken_page(new_page: Any) -> None:
    page = new_page({"width": 390, "height": 844})
    page.set_content(BROKEN_PAGE)
    report = "\n".join(problems_on(page))
    expected = [
        "no lang attribute",
        "no <title>",
        "2 <h1> elements",
        "heading level skipped",
        "0 <main> landmarks",
        "form control without a label: <input#name>",
        "form control without a label: <select#pick>",
        "<svg> is neither role=img nor aria-hidden",
        "<svg role=img> without aria-label",
        "<img> without alt",
        "positive tabindex",
        'id "twice" is used 2 times',
        "page scrolls sideways",
        'contrast 1.92:1 < 4.5:1 for <p> "Barely readable"',
    ]
    missing = [text for text in expected if text not in report]
    assert not missing, f"not reported: {missing}\nreport:\n{report}"


def test_the_audit_passes_a_page_with_none_of_those_problems(new_page: Any) -> None:
    page = new_page({"width": 390, "height": 844})
    page.set_content(CLEAN_PAGE)
    assert problems_on(page) == []
