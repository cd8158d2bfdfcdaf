"""Walk every page a visitor can reach by following links, and check each as it is drawn.

The walk starts from a few pages, follows every same-site link to an HTML page (never a form's
button, so it changes nothing), and visits each kind of page (each Flask endpoint) at most a few
times: three proposals show the same template in its different states, a hundred would only
take longer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from werkzeug.exceptions import HTTPException

from tests.e2e.a11y import problems_on

LAYOUT_JS = (Path(__file__).parent / "layout.js").read_text()

# Machine-readable records (JSON, CSV, SVG, proofs) are for programs, not for this walk.
NOT_PAGES = (".json", ".jsonl", ".csv", ".svg")
NOT_PAGE_ENDPOINTS = {
    "static",
    "treasury.evidence",
    "communities.document",
    "treasury.export_csv",
    "treasury.chart",
    "public.healthz",
}

LINKS_JS = """() => Array.from(document.querySelectorAll('a[href]'))
  .map((a) => a.href).filter((href) => href.startsWith(location.origin))"""


def layout_problems_on(page: Any) -> list[str]:
    """Sideways scrolling, clipped text and small tap targets on the page as drawn now."""
    return list(page.evaluate(LAYOUT_JS))


def every_problem_on(page: Any) -> list[str]:
    return problems_on(page) + layout_problems_on(page)


def endpoint_of(app: Any, path: str) -> str | None:
    """The Flask endpoint that serves `path`, or None for what is not a page of ours."""
    if path.endswith(NOT_PAGES):
        return None
    try:
        endpoint, _ = app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException:
        return None
    if endpoint in NOT_PAGE_ENDPOINTS or endpoint.split(".")[0].endswith("api"):
        return None
    return str(endpoint)


def walk(
    page: Any,
    app: Any,
    start: Iterable[str],
    label: str,
    per_endpoint: int = 2,
    shot: Callable[[Any, str], Any] | None = None,
    already: Counter[str] | None = None,
    widths: Iterable[dict[str, int]] = (),
) -> tuple[list[str], list[str]]:
    """Follow links from `start`, checking every page reached, at most `per_endpoint` pages of
    each endpoint, counting those `already` checked by an earlier walk. Each page is checked
    at each of `widths` in turn (resized, not loaded again), or as it is if none are given.
    Returns the paths checked and the problems, each naming walker, width and page."""
    sizes = list(widths) or [page.viewport_size]
    seen: set[str] = set()
    counts: Counter[str] = Counter(already or {})
    queue = list(start)
    checked: list[str] = []
    problems: list[str] = []
    while queue:
        parts = urlsplit(queue.pop(0))
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen:
            continue
        seen.add(path)
        endpoint = endpoint_of(app, parts.path)
        if endpoint is None or counts[endpoint] >= per_endpoint:
            continue
        counts[endpoint] += 1
        response = page.goto(path)
        found = (
            []
            if response is not None and response.status == 200
            else [f"HTTP {response.status if response is not None else 'no response'}"]
        )
        if response is not None and "text/html" not in (response.headers.get("content-type") or ""):
            continue
        checked.append(path)
        name = path.strip("/").replace("/", "-").replace("?", "-") or "home"
        for size in sizes:
            if page.viewport_size != size:
                page.set_viewport_size(size)
            found += every_problem_on(page)
            if found and shot is not None:  # the picture of a failing page is what a fixer needs
                shot(page, f"{label}-{size['width']}px-{name}")
            problems += [f"{label} {size['width']}px {path}: {problem}" for problem in found]
            found = []
        queue += page.evaluate(LINKS_JS)
    return checked, problems


def endpoints_of(app: Any, paths: Iterable[str]) -> Counter[str]:
    return Counter(e for p in paths if (e := endpoint_of(app, urlsplit(p).path)) is not None)
