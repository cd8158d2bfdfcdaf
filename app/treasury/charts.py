"""The treasury's charts: pygal renders SVG on the server; no JavaScript, no network.

pygal always embeds a config <script> and a <style> block in its SVG. The charts are served as
separate image/svg+xml documents shown with <img>, where browsers never run scripts, and we drop
the script element anyway; the page itself keeps its strict CSP with no inline style or script.

Each chart is drawn at two sizes: `wide` for a laptop and `narrow` for a phone (the page picks
one with <picture>). A chart drawn at 720 px and shrunk onto a 360 px screen halves its type to
six pixels; drawn at 360 px its labels keep their real size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

import pygal
from pygal.style import Style

# Green for money in, a brown (not an alarm red) for money out, blue for what is held. A budget's
# remaining money is a neutral grey-blue: having money left is no warning.
INCOME, SPENDING, BALANCE = "#0b6e4f", "#9a4d00", "#2f6fb0"
SPENT, REMAINING = "#2f6fb0", "#8da2b8"
PURPOSE_COLOURS = ("#2f6fb0", "#0b6e4f", "#9a4d00", "#7d3c98", "#5f6b7a", "#b0306b")


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    font: int  # labels and legend, in the SVG's own pixels (= CSS pixels at this size)
    max_x_labels: int


SIZES = {"wide": Size(720, 360, 13, 14), "narrow": Size(360, 420, 14, 5)}


def _style(size: Size, colours: tuple[str, ...]) -> Style:
    return Style(
        background="white",
        plot_background="white",
        foreground="#1f2933",
        foreground_strong="#1f2933",
        foreground_subtle="#9aa5b1",
        colors=colours,
        font_family="'Noto Sans', 'Noto Sans CJK SC', sans-serif",
        title_font_size=size.font + 3,
        label_font_size=size.font,
        major_label_font_size=size.font,
        legend_font_size=size.font,
        value_font_size=size.font,
    )


def yuan(fen: int) -> str:
    return f"¥{fen // 100:,}.{fen % 100:02d}" if fen >= 0 else "-" + yuan(-fen)


def compact_yuan(value: float, chinese: bool) -> str:
    """An axis label, short enough for a phone and whole: ¥12M, or ¥1,200万 in Chinese."""
    sign, v = ("-", -value) if value < 0 else ("", value)
    if chinese:
        if v >= 100_000_000:
            return f"{sign}¥{v / 100_000_000:,.4g}亿"
        if v >= 10_000:
            return f"{sign}¥{v / 10_000:,.4g}万"
    else:
        if v >= 1_000_000:
            return f"{sign}¥{v / 1_000_000:,.4g}M"
        if v >= 1_000:
            return f"{sign}¥{v / 1_000:,.4g}K"
    return f"{sign}¥{v:,.0f}"


def nice_ticks(largest: float, most: int) -> list[float]:
    """At most `most` + 1 round values from 0 to at least `largest` (steps of 1, 2 or 5 x 10^n)."""
    if largest <= 0:
        return [0.0]
    raw = largest / most
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    count = -(-largest // step)  # ceiling division
    return [float(step * i) for i in range(int(count) + 1)]


def _options(title: str, size: Size, colours: tuple[str, ...], chinese: bool) -> dict[str, Any]:
    narrow = size is SIZES["narrow"]
    return {
        "title": title,
        "style": _style(size, colours),
        "js": [],
        "width": size.width,
        "height": size.height,
        "disable_xml_declaration": False,
        "explicit_size": False,
        "value_formatter": lambda v: compact_yuan(v, chinese),
        "print_values": False,
        "no_data_text": "—",
        "show_y_guides": True,
        # pygal shortens long labels and legends with an ellipsis unless told not to.
        "truncate_label": -1,
        "truncate_legend": -1,
        "legend_at_bottom": narrow,
        "legend_at_bottom_columns": 1 if narrow else None,
        "legend_box_size": size.font,
    }


def render(chart: Any) -> bytes:
    tree = chart.render_tree()
    for parent in list(tree.iter()):
        for child in list(parent):
            if str(child.tag).rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return b"<?xml version='1.0' encoding='utf-8'?>\n" + ElementTree.tostring(tree)


def every_month(months: list[tuple[str, int, int, int]]) -> list[tuple[str, int, int, int]]:
    """The months from the first to the last, quiet ones included (no income, no spending, the
    balance carried over): a time axis, where a gap of half a year looks like one."""
    if not months:
        return []
    given = {m[0]: m for m in months}
    year, month = map(int, months[0][0].split("-"))
    out: list[tuple[str, int, int, int]] = []
    balance = 0
    while True:
        key = f"{year:04d}-{month:02d}"
        row = given.get(key, (key, 0, 0, balance))
        out.append(row)
        balance = row[3]
        if key == months[-1][0]:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def over_time(
    months: list[tuple[str, int, int, int]],
    title: str,
    labels: dict[str, str],
    size: Size = SIZES["wide"],
    chinese: bool = False,
) -> bytes:
    filled = every_month(months)
    step = max(1, -(-len(filled) // size.max_x_labels))  # ceiling division
    chart = pygal.Bar(
        **_options(title, size, (INCOME, SPENDING, BALANCE), chinese),
        x_labels_major_every=step,
        show_minor_x_labels=step == 1,
        x_label_rotation=0 if step > 1 or len(filled) <= 6 else 30,
    )
    chart.x_labels = [m for m, *_ in filled]
    chart.add(labels["income"], [i / 100 for _, i, _, _ in filled])
    chart.add(labels["spending"], [s / 100 for _, _, s, _ in filled])
    chart.add(labels["balance"], [c / 100 for *_, c in filled])
    return render(chart)


def by_purpose(
    amounts: dict[str, int],
    names: dict[str, str],
    title: str,
    size: Size = SIZES["wide"],
    chinese: bool = False,
) -> bytes:
    chart = pygal.Pie(**_options(title, size, PURPOSE_COLOURS, chinese), inner_radius=0.45)
    for purpose, fen in sorted(amounts.items()):
        if fen > 0:  # the legend holds the amount itself: no need to read it off a slice
            chart.add(f"{names.get(purpose, purpose)} · {yuan(fen)}", fen / 100)
    return render(chart)


def budgets(
    lines: list[tuple[str, int, int]],
    title: str,
    labels: dict[str, str],
    size: Size = SIZES["wide"],
    chinese: bool = False,
) -> bytes:
    """lines: (budget id, spent fen, remaining fen)."""
    largest = max((s + r for _, s, r in lines), default=0) / 100
    chart = pygal.HorizontalStackedBar(
        **_options(title, size, (SPENT, REMAINING), chinese),
        # Few, round amounts on the value axis: pygal's own choice crowds a phone's width.
        y_labels=nice_ticks(largest, 3 if size is SIZES["narrow"] else 6),
    )
    chart.x_labels = [name for name, _, _ in lines]
    chart.add(labels["spent"], [s / 100 for _, s, _ in lines])
    chart.add(labels["remaining"], [r / 100 for _, _, r in lines])
    return render(chart)
