"""The charter amendment editor: the charter in force as fields, not a JSON box.

Each article is a row (its number, its English and Chinese text, a box to remove it; the form
adds a blank row on request) and each value of the rules is its own field, typed as the
value in force is: a whole number, a fraction written ``1/10``, yes or no, or text. From what
is posted it builds exactly what the JSON form stored: ``new_text`` and ``new_text_zh`` (the
charter in force with the changed articles' paragraphs rewritten, removed ones dropped, added
ones placed in number order) and ``new_rules`` (the rules in force with the posted values and
the articles in both languages). The rules are then checked by governance as before; each
problem is put back under its field.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

# Edited as articles, or not a value an owner retypes (the witnesses' keys).
NOT_VALUES = ("articles", "articles_zh", "witnesses")
ARTICLE_PREFIX = re.compile(r"^(\s*\**\s*)(Art\. [0-9]+(?:\.[0-9]+)*)(\s*\**\s*)")
ZH_PREFIX = re.compile(r"^(\s*\**\s*)第 ([0-9]+(?:\.[0-9]+)*) 条(\s*\**\s*)")
FRACTION = re.compile(r"^\s*([0-9]{1,9})\s*/\s*([0-9]{1,9})\s*$")
MAX_ARTICLES = 500


@dataclass
class Value:
    keys: tuple[str | int, ...]  # where it is: ("voting", "kinds", "general", "quorum")
    type: str  # integer, fraction, boolean, text
    current: Any
    shown: str  # what the field holds (posted text after a refusal)
    error: str = ""

    @property
    def name(self) -> str:
        return "rule/" + "/".join(str(k) for k in self.keys)

    @property
    def id(self) -> str:
        return "rule-" + "-".join(re.sub(r"[^A-Za-z0-9_]", "_", str(k)) for k in self.keys)

    @property
    def path(self) -> str:
        """As governance names it in a problem: voting.kinds.general.quorum, purposes[0].id."""
        out = ""
        for k in self.keys:
            out += f"[{k}]" if isinstance(k, int) else (f".{k}" if out else k)
        return out


@dataclass
class Article:
    index: int
    ref: str
    en: str
    zh: str
    remove: bool = False
    error: str = ""


def _zh_number(ref: str) -> str:
    return f"第 {ref.removeprefix('Art. ')} 条"


def ref_key(ref: str) -> tuple[int, ...]:
    numbers = ref.removeprefix("Art. ").split(".")
    return tuple(int(n) for n in numbers if n.isdigit())


def _leaves(value: Any, keys: tuple[str | int, ...]) -> list[Value]:
    if isinstance(value, bool):
        return [Value(keys, "boolean", value, "yes" if value else "no")]
    if isinstance(value, int):
        return [Value(keys, "integer", value, str(value))]
    if isinstance(value, str):
        return [Value(keys, "text", value, value)]
    if (isinstance(value, list) and len(value) == 2
            and all(type(v) is int for v in value)):
        return [Value(keys, "fraction", value, f"{value[0]}/{value[1]}")]
    if isinstance(value, Mapping):
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*keys, str(k)))]
    if isinstance(value, list):
        return [leaf for i, v in enumerate(value) for leaf in _leaves(v, (*keys, i))]
    return []  # anything else stays as it is in force


def values_of(rules: Mapping[str, Any]) -> list[Value]:
    return [leaf for key, value in rules.items() if key not in NOT_VALUES
            for leaf in _leaves(value, (key,))]


def articles_of(rules: Mapping[str, Any]) -> list[Article]:
    english = rules.get("articles", {})
    chinese = rules.get("articles_zh", {})
    refs = sorted(english, key=ref_key)
    return [Article(i, ref, english[ref], chinese.get(ref, "")) for i, ref in enumerate(refs)]


def _parse(value: Value, posted: str) -> Any:
    """The posted text as the value's type; raises ValueError with the reader's message."""
    if value.type == "integer":
        text = posted.strip()
        if not re.fullmatch(r"-?[0-9]{1,15}", text):
            raise ValueError(_("Write a whole number."))
        return int(text)
    if value.type == "fraction":
        match = FRACTION.match(posted)
        if not match:
            raise ValueError(_("Write a fraction such as 1/10."))
        return [int(match.group(1)), int(match.group(2))]
    if value.type == "boolean":
        if posted not in ("yes", "no"):
            raise ValueError(_("Choose yes or no."))
        return posted == "yes"
    return posted.strip()


def _set(target: Any, keys: tuple[str | int, ...], new: Any) -> None:
    *parents, last = keys
    for key in parents:
        target = target[key]
    target[last] = new


@dataclass
class Editor:
    articles: list[Article]
    values: list[Value]
    problems: list[str]

    def sections(self) -> list[tuple[str, list[Value]]]:
        """The values grouped by the rules' top-level key, in the charter's order."""
        out: dict[str, list[Value]] = {}
        for value in self.values:
            out.setdefault(str(value.keys[0]), []).append(value)
        first = ("voting", "council", "spending", "communities", "purposes")
        return sorted(out.items(), key=lambda item: (first.index(item[0]) if item[0] in first
                                                     else len(first), item[0]))

    def has_errors(self) -> bool:
        return bool(self.problems or any(a.error for a in self.articles)
                    or any(v.error for v in self.values))


def blank(rules: Mapping[str, Any]) -> Editor:
    return Editor(articles_of(rules), values_of(rules), [])


def from_form(form: Mapping[str, str], rules: Mapping[str, Any]) -> Editor:
    """What was posted, as the editor shows it again (typed values checked, not yet applied)."""
    count = form.get("articles", "0")
    rows = min(int(count), MAX_ARTICLES) if count.isdigit() else 0
    articles = [Article(i, form.get(f"art-{i}-ref", "").strip(), form.get(f"art-{i}-en", ""),
                        form.get(f"art-{i}-zh", ""), form.get(f"art-{i}-remove") == "yes")
                for i in range(rows)]
    values = values_of(rules)
    for value in values:
        if value.name in form:
            value.shown = form[value.name]
            try:
                _parse(value, value.shown)
            except ValueError as exc:
                value.error = str(exc)
    return Editor(articles, values, [])


def add_row(editor: Editor) -> None:
    editor.articles.append(Article(len(editor.articles), "", "", ""))


def build(editor: Editor, rules: Mapping[str, Any], text: str,
          text_zh: str) -> dict[str, Any] | None:
    """The amendment's fields, as the JSON form stored them; None when a field is wrong (its
    error set on the editor)."""
    new_rules = copy.deepcopy(dict(rules))
    for value in editor.values:
        if value.error:
            continue
        _set(new_rules, value.keys, _parse(value, value.shown))
    english: dict[str, str] = {}
    chinese: dict[str, str] = {}
    for row in editor.articles:
        if row.remove or not (row.ref or row.en.strip() or row.zh.strip()):
            continue
        if not re.fullmatch(r"Art\. [1-9][0-9]*(\.[1-9][0-9]*)*", row.ref):
            row.error = _("Number the article like Art. 12.3.")
        elif row.ref in english:
            row.error = _("Another article has this number.")
        elif not row.en.strip() or not row.zh.strip():
            row.error = _("Give the article's text in English and in Chinese.")
        english[row.ref], chinese[row.ref] = row.en.strip(), row.zh.strip()
    if editor.has_errors():
        return None
    order = sorted(english, key=ref_key)
    new_rules["articles"] = {ref: english[ref] for ref in order}
    new_rules["articles_zh"] = {ref: chinese[ref] for ref in order}
    if not text_zh.strip():
        # A charter installed before it had a Chinese text: the amendment gives one, written
        # from its articles, as the first charter's Chinese text was.
        text_zh = "\n\n".join(f"{_zh_number(ref)} {chinese[ref]}" for ref in order) + "\n"
        return {"new_text": amend_text(text, rules.get("articles", {}), english,
                                       ARTICLE_PREFIX, lambda ref: ref),
                "new_text_zh": text_zh, "new_rules": new_rules}
    return {"new_text": amend_text(text, rules.get("articles", {}), english, ARTICLE_PREFIX,
                                   lambda ref: ref),
            "new_text_zh": amend_text(text_zh, rules.get("articles_zh", {}), chinese, ZH_PREFIX,
                                      _zh_number),
            "new_rules": new_rules}


def amend_text(text: str, old: Mapping[str, str], new: Mapping[str, str],
               prefix: re.Pattern[str], number: Any) -> str:
    """The charter's text with each changed article's paragraph rewritten, removed ones dropped
    and new ones placed after the last article numbered below them; everything else as it
    was, so an amendment that changes nothing leaves the text exactly as in force."""
    if dict(old) == dict(new):
        return text
    out: list[str] = []
    for paragraph in text.strip("\n").split("\n\n"):
        match = prefix.match(paragraph)
        ref = f"Art. {match.group(2).removeprefix('Art. ')}" if match else ""
        if match is None or (ref not in old and ref not in new):
            out.append(paragraph)
        elif ref in new and new[ref] != old.get(ref):
            out.append(f"{match.group(1)}{number(ref)}{match.group(3)}{new[ref]}")
        elif ref in new:
            out.append(paragraph)
        # else: the amendment removes it
    for ref in sorted(set(new) - set(old), key=ref_key):
        at = len(out)
        for i, paragraph in enumerate(out):
            match = prefix.match(paragraph)
            if match and ref_key(f"Art. {match.group(2).removeprefix('Art. ')}") < ref_key(ref):
                at = i + 1
        out.insert(at, f"{number(ref)} {new[ref]}")
    return "\n\n".join(out) + "\n"


def place_problems(editor: Editor, problems: list[tuple[str, str]]) -> list[str]:
    """Put each governance problem under its field, in the reader's language; return what
    belongs to none, named in words (the rules' path kept only as an untranslated detail)."""
    from app.proposals.amendment_labels import path_words
    from app.web.refusals import say_problem

    by_path = {v.path: v for v in editor.values}
    unplaced: list[str] = []
    for name, problem in problems:
        message = say_problem(problem)
        path = name.removeprefix("new_rules").removeprefix(".")
        if name.startswith("new_rules") and path in by_path:
            by_path[path].error = message
            continue
        article = next((a for a in editor.articles
                        if a.ref and path.startswith("articles") and repr(a.ref) in path), None)
        if article is not None:
            article.error = message
            continue
        if name == "new_text":
            unplaced.append(_("The charter's English text: %(problem)s", problem=message))
        elif name == "new_text_zh":
            unplaced.append(_("The charter's Chinese text: %(problem)s", problem=message))
        elif name == "new_rules" or not path:
            unplaced.append(message)
        else:
            said = _("%(where)s: %(problem)s", where=path_words(path), problem=message)
            unplaced.append(Markup('{} <code translate="no" lang="en">{}</code>').format(
                said, path))
    return unplaced
