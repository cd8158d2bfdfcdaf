"""Text people wrote, shown as they wrote it, with its language marked when it is not the page's.

Titles the system makes (a motion to certify a community, a council election) are built in the
reader's language instead: ``app.web.labels`` names the codes, the caller supplies the subject.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

# Han ideographs and CJK punctuation: text with any of them is read as Chinese.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")


def language_of(text: str) -> str:
    """``zh-Hans-CN`` for text with Chinese characters, else ``en`` (the trust's two languages)."""
    return "zh-Hans-CN" if _CJK.search(text or "") else "en"


def lang_attr(text: str | None, page_language: str) -> Markup:
    """`` lang="…"`` for an element holding ``text`` when it is not in the page's language."""
    lang = language_of(text or "")
    if not (text or "").strip() or lang.split("-")[0] == page_language.split("-")[0]:
        return Markup("")
    return Markup(' lang="{}"').format(lang)


def marked(text: str | None, page_language: str) -> Markup:
    """``text`` escaped, in a ``<span lang>`` when its language differs from the page's."""
    text = text or ""
    lang = language_of(text)
    if not text.strip() or lang.split("-")[0] == page_language.split("-")[0]:
        return escape(text)
    return Markup('<span lang="{}">{}</span>').format(lang, text)
