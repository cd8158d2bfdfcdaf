"""Reading a rendered page as a Chinese reader would: the visible text, with what machines read
(``translate="no"`` elements such as the rules JSON and digests) left out."""

from __future__ import annotations

import re
from html.parser import HTMLParser

SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
CLOCK = re.compile(r"\b\d{1,2}:\d{2}\b")
# Every zone name babel writes for the zones readers can choose, in both languages.
ZONE = re.compile(r"(标准时间|世界时|时间|Time|UTC|GMT)")
VOID = {"br", "hr", "img", "input", "meta", "link", "source", "wbr", "col", "area", "base"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.stack: list[tuple[str, bool, bool]] = []  # (tag, machine, in a <time>)
        self.text: list[str] = []
        self.times: list[str] = []
        self._time: list[str] | None = None

    def _machine(self) -> bool:
        return any(m for _t, m, _i in self.stack)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        attr = dict(attrs)
        machine = tag in ("script", "style", "title") or attr.get("translate") == "no"
        self.stack.append((tag, machine, tag == "time"))
        if tag == "time":
            self._time = []

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            top, _m, _i = self.stack.pop()
            if top == "time" and self._time is not None:
                self.times.append("".join(self._time))
                self._time = None
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if self._machine():
            return
        if self._time is not None:
            self._time.append(data)
        else:
            self.text.append(data)


def problems(html: str) -> list[str]:
    """Raw codes and times without a zone that a reader would see on the page."""
    reader = _Reader()
    reader.feed(html)
    text = " ".join(reader.text)
    found = [f"raw code {m!r}" for m in sorted(set(SNAKE.findall(text)))]
    found += [f"time without zone near {text[max(0, m.start() - 30):m.end() + 10]!r}"
              for m in CLOCK.finditer(text)]
    found += [f"<time> without zone: {t!r}" for t in reader.times
              if CLOCK.search(t) and not ZONE.search(t)]
    return found
