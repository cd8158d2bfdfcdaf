"""Bad input on growth-value imports: hypothesis writes CSV and JSON Lines files with random
columns, values, encodings and duplicates. A file with any problem writes nothing, every
problem names its row, field and reason, and nothing crashes: not the readers, not the service,
not POST /api/growth/import, not the administrators' import page.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.core.extensions import db
from app.growth import imports
from app.growth.models import DIMENSIONS, GrowthEntry
from tests.factories import csrf_from, login, make_owner
from tests.web.test_properties_support import BOUNDARY, PROPERTY_SETTINGS, Checksums, garbage

TOKEN = "test-import-token-0123456789"  # TRUST_IMPORT_API_TOKEN in tests/conftest.py
NOW = datetime.now(UTC)

stamp = st.one_of(
    st.datetimes(min_value=datetime(1990, 1, 1), max_value=NOW.replace(tzinfo=None)
                 - timedelta(minutes=5)).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%SZ")),
    st.sampled_from(["2999-01-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-01-01 10:00:00",
                     "2026-01-01T10:00:00+08:00", "yesterday", ""]),
)
# The same few source ids over and over, so files hold duplicates and re-imports.
source_id = st.one_of(st.sampled_from(["s1", "s2", "s3", "s4", "s5"]), garbage)
points = st.one_of(st.integers(-imports.MAX_POINTS * 2, imports.MAX_POINTS * 2),
                   st.sampled_from([0, 1, -1, 10**30]))


def plausible(owners: list[str]) -> st.SearchStrategy[Any]:
    """Values for each column: mostly right, sometimes wrong in every way we can think of."""
    return {
        "owner": st.one_of(st.sampled_from([*owners, "NOBODY"]), garbage),
        "dimension": st.one_of(st.sampled_from(sorted(DIMENSIONS)), garbage),
        "points": st.one_of(points, points.map(str), garbage),
        "reason": st.one_of(st.text(min_size=1, max_size=50), garbage),
        "source_id": source_id,
        "occurred_at": st.one_of(stamp, garbage),
    }


@st.composite
def rows(draw: st.DrawFn, owners: list[str]) -> tuple[list[str], list[dict[str, Any]]]:
    """A header (the right columns, or some missing, extra or twice) and 0-6 rows for it."""
    columns = list(imports.COLUMNS)
    if draw(st.booleans()):
        columns = draw(st.lists(st.sampled_from([*imports.COLUMNS, "extra", "", "Owner"]),
                                min_size=0, max_size=8))
    values = plausible(owners)
    body = []
    for _ in range(draw(st.integers(0, 6))):
        row = {c: draw(values.get(c, garbage)) for c in columns}
        if draw(st.integers(0, 9)) == 0 and row:
            row.pop(draw(st.sampled_from(sorted(row))))  # a short row
        body.append(row)
    return columns, body


def as_csv(columns: list[str], body: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for row in body:
        writer.writerow([row[c] for c in columns if c in row])
    return out.getvalue()


def as_jsonl(columns: list[str], body: list[dict[str, Any]], mangle: int) -> str:
    lines = [json.dumps(row, ensure_ascii=bool(mangle % 2)) for row in body]
    if mangle == 3:
        lines.append("{not json")
    if mangle == 4:
        lines.append("[1, 2]")
    if mangle == 5:
        lines.insert(0, "")
    return "\n".join(lines) + ("\n" if mangle != 2 else "")


def encode(text: str, how: str, noise: bytes) -> bytes:
    if how == "utf-8-sig":
        return text.encode("utf-8-sig")
    if how == "noise":
        return text.encode() + noise
    try:
        return text.encode(how)
    except UnicodeEncodeError:
        return text.encode("utf-8", errors="surrogatepass")


@st.composite
def files(draw: st.DrawFn, owners: list[str]) -> tuple[str, bytes]:
    """("csv" | "jsonl", the file's bytes) in one of several encodings, sometimes broken."""
    columns, body = draw(rows(owners))
    kind = draw(st.sampled_from(["csv", "jsonl"]))
    text = as_csv(columns, body) if kind == "csv" else as_jsonl(columns, body,
                                                                 draw(st.integers(0, 6)))
    if draw(st.integers(0, 9)) == 0:
        text = draw(st.sampled_from(BOUNDARY)) + text
    how = draw(st.sampled_from(["utf-8", "utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1",
                                "gb18030", "noise"]))
    return kind, encode(text, how, draw(st.binary(min_size=1, max_size=8)))


def entry_count() -> int:
    return int(db.session.scalar(select(func.count()).select_from(GrowthEntry)) or 0)


def well_formed(problems: list[Any], rows_in_file: int) -> bool:
    """Every problem says where (row 0 = the whole file) and what, with a reason."""
    return all(
        isinstance(p.row, int) and p.row >= 0 and isinstance(p.field, str) and p.field
        and isinstance(p.reason, str) and p.reason.strip()
        for p in problems
    )


@pytest.fixture
def owners(db_session: Any) -> list[str]:
    people = [make_owner(0) for _ in range(3)]
    db.session.commit()
    return [p.external_id for p in people]


def read(kind: str, data: bytes) -> imports.Parsed:
    return imports.read_csv(data) if kind == "csv" else imports.read_jsonl(data)


def test_any_file_is_imported_whole_or_not_at_all(owners: list[str]) -> None:
    sums = Checksums()

    @PROPERTY_SETTINGS
    @given(file=files(owners), dry_run=st.booleans())
    def check(file: tuple[str, bytes], dry_run: bool) -> None:
        kind, data = file
        parsed = read(kind, data)
        assert well_formed(parsed.problems, parsed.rows)
        before, count = sums.before(), entry_count()
        report = imports.import_entries(parsed, "brand-crm", dry_run=dry_run, via="test")
        db.session.commit()  # the boundary commits, as the view, the API and the command do
        sums.forget()
        assert well_formed(report.problems, report.rows)
        if report.problems or dry_run:
            assert sums.after() == before, report.problems
        else:
            assert report.inserted + report.skipped == len(parsed.entries)
            assert entry_count() == count + report.inserted

    check()


def test_a_bad_row_anywhere_rejects_the_whole_file(owners: list[str]) -> None:
    sums = Checksums()

    @PROPERTY_SETTINGS
    @given(good=st.integers(1, 20), bad_at=st.integers(0, 20),
           bad=st.sampled_from([("points", "0"), ("owner", "NOBODY"), ("dimension", "luck"),
                                ("occurred_at", "2999-01-01T00:00:00Z"), ("reason", ""),
                                ("reason", "a\x00b"), ("points", "1.5")]))
    def check(good: int, bad_at: int, bad: tuple[str, str]) -> None:
        body = [{"owner": owners[i % 3], "dimension": "purchase", "points": "10",
                 "reason": "fuzz", "source_id": f"whole-{good}-{bad_at}-{i}",
                 "occurred_at": "2026-01-01T10:00:00Z"} for i in range(good)]
        body[bad_at % good][bad[0]] = bad[1]
        parsed = imports.read_csv(as_csv(list(imports.COLUMNS), body).encode())
        before = sums.before()
        report = imports.import_entries(parsed, "brand-crm", via="test")
        db.session.commit()
        sums.forget()
        assert report.inserted == 0 and report.problems
        assert any(p.row == bad_at % good + 2 and p.field == bad[0] for p in report.problems)
        assert sums.after() == before

    check()


def test_the_import_api_answers_any_body_without_crashing_or_half_writing(
    owners: list[str], client: Any
) -> None:
    types = {"csv": "text/csv", "jsonl": "application/x-ndjson"}

    sums = Checksums()

    @PROPERTY_SETTINGS
    @given(file=files(owners), as_json=st.booleans(), source=st.sampled_from(
        ["brand-crm", "other.system", "", "bad source!", "x" * 70, "nul\x00source"]))
    def check(file: tuple[str, bytes], as_json: bool, source: str) -> None:
        kind, data = file
        if as_json and kind == "jsonl":
            lines = data.decode("utf-8", errors="replace").splitlines()
            entries: list[Any] = []
            for line in lines:
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    entries.append(line)
            body, mimetype = json.dumps({"source": source, "entries": entries}), \
                "application/json"
        else:
            body, mimetype = data, types[kind]
        before = sums.before()
        response = client.post("/api/growth/import", data=body, content_type=mimetype,
                               query_string={"source": source} if source else {},
                               headers={"Authorization": f"Bearer {TOKEN}"})
        sums.forget()
        assert response.status_code in (200, 400, 413, 415, 422), response.data[:300]
        payload = response.get_json()
        assert isinstance(payload, dict)
        if response.status_code == 200:
            assert {"rows", "inserted", "skipped"} <= set(payload)
            return
        assert sums.after() == before
        assert payload["error"]
        if response.status_code == 422:
            assert payload["problems"]
            for problem in payload["problems"]:
                assert set(problem) == {"row", "field", "reason"}
                assert isinstance(problem["row"], int) and problem["field"] and problem["reason"]

    check()


def test_the_admin_import_page_takes_any_file_and_rejected_files_write_nothing(
    owners: list[str], app: Any
) -> None:
    admin = make_owner(0, role="admin")
    db.session.commit()
    client = app.test_client()
    login(client, admin)
    token = csrf_from(client.get("/admin/imports"))

    sums = Checksums()

    @PROPERTY_SETTINGS
    @given(file=files(owners), name=st.sampled_from(["g.csv", "g.jsonl", "g.txt", "", "G.CSV"]))
    def check(file: tuple[str, bytes], name: str) -> None:
        kind, data = file
        before, count = sums.before(), entry_count()
        response = client.post("/admin/imports", content_type="multipart/form-data", data={
            "csrf_token": token, "source": "brand-crm", "file": (io.BytesIO(data), name)})
        sums.forget()
        assert response.status_code == 200, response.status_code
        page = response.get_data(as_text=True)
        rejected = 'class="bad"' in page or 'class="error"' in page
        if rejected:
            assert sums.after() == before
        if entry_count() != count:
            assert not rejected and 'class="ok"' in page

    check()


def test_every_problem_of_a_header_with_blank_columns_names_a_field() -> None:
    """Found by the property test above: the second blank column's problem had no field."""
    parsed = imports.read_csv(b"owner,,\r\n")
    assert parsed.problems
    assert all(p.field for p in parsed.problems)
    assert [p.field for p in parsed.problems].count("(blank)") == 3
