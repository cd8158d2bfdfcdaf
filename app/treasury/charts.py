"""The treasury's charts: pygal renders SVG on the server; no JavaScript, no network.

pygal always embeds a config <script> and a <style> block in its SVG. The charts are served as
separate image/svg+xml documents shown with <img>, where browsers never run scripts, and we drop
the script element anyway; the page itself keeps its strict CSP with no inline style or script.
"""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pygal
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#9aa5b1",
    colors=("#0b6e4f", "#c0392b", "#2f6fb0", "#d68910", "#7d3c98"),
    font_family="'Noto Sans', 'Noto Sans CJK SC', sans-serif",
    title_font_size=16,
    label_font_size=12,
    legend_font_size=12,
)


def _yuan(fen: int) -> float:
    # Only for the drawing scale: every number a reader sees comes from integer fen.
    return fen / 100


def _options(title: str) -> dict[str, Any]:
    return {"title": title, "style": STYLE, "js": [], "width": 720, "height": 360,
            "disable_xml_declaration": False, "explicit_size": False,
            "value_formatter": lambda v: f"¥{v:,.2f}", "print_values": False,
            "no_data_text": "—", "show_y_guides": True}


def render(chart: Any) -> bytes:
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return b"<?xml version='1.0' encoding='utf-8'?>\n" + ElementTree.tostring(tree)


def over_time(months: list[tuple[str, int, int, int]], title: str, labels: dict[str, str]) -> bytes:
    chart = pygal.Bar(**_options(title), x_label_rotation=30)
    chart.x_labels = [m for m, *_ in months]
    chart.add(labels["income"], [_yuan(i) for _, i, _, _ in months])
    chart.add(labels["spending"], [_yuan(s) for _, _, s, _ in months])
    chart.add(labels["balance"], [_yuan(c) for *_, c in months], secondary=False)
    return render(chart)


def by_purpose(amounts: dict[str, int], names: dict[str, str], title: str) -> bytes:
    chart = pygal.Pie(**_options(title), inner_radius=0.45)
    for purpose, fen in sorted(amounts.items()):
        if fen > 0:
            chart.add(names.get(purpose, purpose), _yuan(fen))
    return render(chart)


def budgets(lines: list[tuple[str, int, int]], title: str, labels: dict[str, str]) -> bytes:
    """lines: (budget id, spent fen, remaining fen)."""
    chart = pygal.HorizontalStackedBar(**_options(title))
    chart.x_labels = [name for name, _, _ in lines]
    chart.add(labels["spent"], [_yuan(s) for _, s, _ in lines])
    chart.add(labels["remaining"], [_yuan(r) for _, _, r in lines])
    return render(chart)
