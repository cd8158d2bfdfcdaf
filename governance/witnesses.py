"""The charter's witness policy: who cosigns the log's checkpoints, and how many must.

Rules JSON (optional; a charter without it has no witnesses and a quorum of 0):

    "witnesses": {
      "quorum": 2,
      "article": "Art. 9.2",
      "list": [
        {"vkey": "<signed-note vkey, type 0x04>", "holder": "council: chair",
         "kind": "council" | "community" | "outside", "url": "https://..."},
        ...
      ]
    }

``url`` is where the trust submits checkpoints (c2sp.org/tlog-witness); the vkey is what
readers hold the checkpoints to. Published as ``{"witnesses": [VKEY...], "quorum": K}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from governance.refusals import N_, Problem

WITNESS_KINDS = ("council", "community", "outside")
# name + hex key id + base64(type byte || 32-byte key): 33 bytes are 44 base64 characters.
_VKEY = re.compile(r"[^\s+]+\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}")
_URL = re.compile(r"https?://[^\s]+")


@dataclass(frozen=True)
class WitnessEntry:
    vkey: str
    holder: str
    kind: str
    url: str

    @property
    def name(self) -> str:
        return self.vkey.split("+", 1)[0]

    def to_json(self) -> dict[str, str]:
        return {"vkey": self.vkey, "holder": self.holder, "kind": self.kind, "url": self.url}


@dataclass(frozen=True)
class WitnessRules:
    quorum: int = 0
    article: str = ""
    entries: tuple[WitnessEntry, ...] = ()

    def policy(self) -> dict[str, Any]:
        """The public policy document, /.well-known/trust-witnesses.json."""
        return {"witnesses": [e.vkey for e in self.entries], "quorum": self.quorum}

    def to_json(self) -> dict[str, Any]:
        return {
            "quorum": self.quorum,
            "article": self.article,
            "list": [e.to_json() for e in self.entries],
        }


def parse_witnesses(value: Any, add: Any, known_articles: Mapping[str, str]) -> WitnessRules:
    """Validate; ``add(path, message)`` collects problems as the charter checker does."""
    if value is None:
        return WitnessRules()
    path = "$.witnesses"
    if not isinstance(value, Mapping) or set(value) != {"quorum", "article", "list"}:
        add(path, Problem("rules.witnesses_shape", N_("must be {quorum, article, list}")))
        return WitnessRules()
    entries: list[WitnessEntry] = []
    items = value["list"]
    if not isinstance(items, list):
        add(f"{path}.list", Problem("rules.witness_list", N_("must be a list of witnesses")))
        items = []
    seen: set[str] = set()
    for i, item in enumerate(items):
        where = f"{path}.list[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"vkey", "holder", "kind", "url"}:
            add(where, Problem("rules.witness_shape", N_("must be {vkey, holder, kind, url}")))
            continue
        vkey, holder, kind, url = item["vkey"], item["holder"], item["kind"], item["url"]
        # A cosignature/v1 vkey's key material starts with the type byte 0x04, "B" in base64.
        if type(vkey) is not str or not _VKEY.fullmatch(vkey) or vkey.split("+", 2)[2][0] != "B":
            add(f"{where}.vkey", Problem(
                "rules.witness_vkey",
                N_("must be a cosignature/v1 verifier key name+hex8+base64")))
            continue
        if vkey.split("+", 1)[0] in seen:
            add(f"{where}.vkey", Problem("rules.witness_twice",
                                         N_("names a witness already listed")))
        seen.add(vkey.split("+", 1)[0])
        if type(holder) is not str or not holder.strip() or len(holder) > 200:
            add(f"{where}.holder", Problem(
                "rules.witness_holder", N_("must say who holds the key (1-200 characters)")))
        if kind not in WITNESS_KINDS:
            add(f"{where}.kind", Problem("rules.one_of", N_("must be one of %(choices)s"),
                                         choices=WITNESS_KINDS))
        if type(url) is not str or not _URL.fullmatch(url):
            add(f"{where}.url", Problem("rules.witness_url",
                                        N_("must be the witness's http(s) address")))
        entries.append(WitnessEntry(vkey, str(holder), str(kind), str(url)))
    quorum = value["quorum"]
    if type(quorum) is not int or not 0 <= quorum <= len(entries):
        add(f"{path}.quorum", Problem(
            "rules.witness_quorum",
            N_("must be an integer from 0 to the %(count)s witnesses listed"),
            count=len(entries)))
        quorum = 0
    article = value["article"]
    if type(article) is not str or article not in known_articles:
        add(f"{path}.article", Problem("rules.article_missing",
                                       N_("must name an article of the charter")))
        article = ""
    return WitnessRules(quorum, article, tuple(entries))
