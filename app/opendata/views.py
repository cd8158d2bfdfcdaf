"""The open-data page and its downloads: CSV (UTF-8 with BOM) and JSON Lines, streamed.

The BOM makes spreadsheet programs read the CSV as UTF-8, so Chinese names show as written.
Each dataset's field dictionary is on the page, in the reader's language, and as JSON with
both languages beside the files.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, render_template, stream_with_context, url_for

from app.opendata.datasets import BY_NAME, DATASETS, LICENCE_URL, Dataset, licence, rows
from app.web.i18n import in_chinese

bp = Blueprint("opendata", __name__, url_prefix="/open-data")
BOM = "\ufeff"


def _dataset(name: str) -> Dataset:
    return BY_NAME.get(name) or abort(404)


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        # Keep a spreadsheet from reading a cell as a formula (CSV injection); the JSON Lines
        # file carries the text exactly.
        return "'" + value
    return value


def csv_stream(dataset: Dataset) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f.name for f in dataset.fields])
    yield BOM + buffer.getvalue()
    names = [f.name for f in dataset.fields]
    for row in rows(dataset):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_csv_cell(row[n]) for n in names])
        yield buffer.getvalue()


def jsonl_stream(dataset: Dataset) -> Iterator[str]:
    for row in rows(dataset):
        yield json.dumps(row, ensure_ascii=False, separators=(",", ":")) + "\n"


def dictionary(dataset: Dataset) -> dict[str, Any]:
    return {
        "dataset": dataset.name,
        "title": {"en": dataset.title_en, "zh": dataset.title_zh},
        "licence": licence(_page_url()),
        "fields": [{"name": f.name, "type": f.type, "unit": f.unit,
                    "meaning": {"en": f.en, "zh": f.zh}} for f in dataset.fields],
    }


def _page_url() -> str:
    return url_for("opendata.index", _external=True)


@bp.get("/")
def index() -> str:
    return render_template("opendata/index.html", datasets=DATASETS, zh=in_chinese(),
                           licence=licence(_page_url()))


def _download(body: Iterator[str], mimetype: str, filename: str) -> Response:
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    # The licence travels with every file a script downloads (RFC 8288, RFC 4946's "license").
    response.headers["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response


@bp.get("/<name>.csv")
def as_csv(name: str) -> Response:
    dataset = _dataset(name)
    response = _download(csv_stream(dataset), "text/csv", f"{name}.csv")
    response.charset = "utf-8"
    return response


@bp.get("/<name>.jsonl")
def as_jsonl(name: str) -> Response:
    dataset = _dataset(name)
    return _download(jsonl_stream(dataset), "application/jsonl", f"{name}.jsonl")


@bp.get("/<name>.dictionary.json")
def as_dictionary(name: str) -> Response:
    body = json.dumps(dictionary(_dataset(name)), ensure_ascii=False, indent=1)
    response = Response(body, mimetype="application/json")
    response.headers["Link"] = f'<{LICENCE_URL}>; rel="license"'
    return response
