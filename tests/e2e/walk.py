"""Walk every page a visitor can reach by following links, and check each as it is drawn.

The walk starts from a few pages, follows every same-site link to an HTML page (never a form's
button, so it changes nothing), and visits each kind of page (each Flask endpoint) at most a few
times: two proposals show the same template, a hundred would only take longer.
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
    return None if endpoint in NOT_PAGE_ENDPOINTS or endpoint.endswith("api") else str(endpoint)


def crawl(
    page: Any, app: Any, start: Iterable[str], per_endpoint: int = 2, skip: Iterable[str] = ()
) -> list[str]:
    """The paths reached from `start`, in the order found, at most `per_endpoint` per endpoint.

    Each page is opened once here; the caller checks it (or not) through `visit`."""
    seen: set[str] = set(skip)
    counts: Counter[str] = Counter()
    queue = list(start)
    found: list[str] = []
    while queue:
        url = queue.pop(0)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path in seen:
            continue
        seen.add(path)
        endpoint = endpoint_of(app, parts.path)
        if endpoint is None or endpoint.startswith("api") or counts[endpoint] >= per_endpoint:
            continue
        counts[endpoint] += 1
        response = page.goto(path)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        found.append(path)
        queue += page.evaluate(LINKS_JS)
    return found


def check_pages(
    page: Any, paths: Iterable[str], label: str, shot: Callable[[Any, str], Any] | None = None
) -> list[str]:
    """Open each path and return every problem found, each naming the walk and the page."""
    problems: list[str] = []
    for path in paths:
        response = page.goto(path)
        found = [] if response is not None and response.status == 200 else [
            f"HTTP {response.status if response is not None else 'no response'}"
        ]
        found += every_problem_on(page)
        if found and shot is not None:  # the picture of a failing page is what a fixer needs
            shot(page, f"{label}-{path.strip('/').replace('/', '-') or 'home'}")
        problems += [f"{label} {path}: {problem}" for problem in found]
    return problems
