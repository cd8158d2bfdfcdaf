"""Accessibility checks run inside the page, written out here rather than vendored.

Each check reads the rendered DOM and computed styles in Chromium and returns plain-language
problems; an empty list means the page passed. They cover what the issue asks for: labels on
every control, names on images and charts, one h1 and no skipped heading levels, one main
landmark, no positive tabindex (focus follows the page order), no sideways scrolling, and
WCAG AA text contrast (4.5:1, 3:1 for large text) for every visible piece of text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AUDIT_JS = (Path(__file__).parent / "audit.js").read_text()


def problems_on(page: Any) -> list[str]:
    """Every accessibility problem found on the page as it is rendered now."""
    return list(page.evaluate(AUDIT_JS))


def active_element(page: Any) -> dict[str, str]:
    return dict(
        page.evaluate(
            """() => {
              const el = document.activeElement;
              const box = el.getBoundingClientRect();
              const style = getComputedStyle(el);
              return {tag: el.tagName.toLowerCase(), id: el.id, text: el.innerText.trim(),
                      outline: style.outlineStyle,
                      onscreen: String(box.left >= 0 && box.top >= 0 && box.right <= innerWidth)};
            }"""
        )
    )
