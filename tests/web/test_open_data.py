"""Open data: every dataset as CSV with a BOM and as JSON Lines, each with a full dictionary."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest

from app.communities.models import Community
from app.core.db_types import utcnow
from app.core.extensions import db
from app.opendata.datasets import DATASETS, columns
from tests.factories import install_charter, make_owner

CHINESE = "上海车友会·电动车"
EXPECTED = {"proposals", "results", "motions", "roll_calls", "communities", "ledger", "budgets",
            "disbursements", "disbursement_approvals", "charter_versions"}


@pytest.fixture
def chinese_community(db_session: Any) -> int:
    install_charter()
    owner = make_owner(800)
    row = Community(name=CHINESE, industry="汽车", description="说明", representative_id=owner.id,
                    applicant_id=owner.id, member_count=12, state="applied", applied_at=utcnow())
    db.session.add(row)
    db.session.commit()
    return row.id


def test_every_issue_dataset_is_published() -> None:
    assert {d.name for d in DATASETS} == EXPECTED


@pytest.mark.parametrize("dataset", DATASETS, ids=lambda d: d.name)
def test_the_dictionary_covers_every_column_in_both_languages(app: Any, dataset: Any) -> None:
    with app.app_context():
        yielded = columns(dataset)
    described = [f.name for f in dataset.fields]
    assert sorted(yielded) == sorted(described), dataset.name
    for field in dataset.fields:
        assert field.type in ("integer", "string", "boolean", "date-time", "json")
        assert field.en.strip() and field.zh.strip(), field.name
        assert any("\u4e00" <= ch <= "\u9fff" for ch in field.zh), field.name
        if "amount" in field.name or field.name.endswith("_fen"):
            assert field.unit == "fen", field.name


def test_csv_starts_with_a_bom_and_chinese_round_trips(client: Any, chinese_community: int) -> None:
    response = client.get("/open-data/communities.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv" and "utf-8" in response.content_type.lower()
    assert response.data.startswith(b"\xef\xbb\xbf")
    text = response.data.decode("utf-8-sig")
    table = list(csv.DictReader(io.StringIO(text)))
    assert [r["name"] for r in table] == [CHINESE]
    assert table[0]["member_count"] == "12" and table[0]["certified_at"] == ""
    assert table[0]["applied_at"].endswith("Z")


def test_jsonl_carries_the_same_rows_with_chinese_unescaped(
    client: Any, chinese_community: int
) -> None:
    response = client.get("/open-data/communities.jsonl")
    assert response.status_code == 200 and response.is_streamed
    assert CHINESE.encode() in response.data
    lines = [json.loads(line) for line in response.data.decode().splitlines()]
    assert lines[0]["name"] == CHINESE and lines[0]["id"] == chinese_community
    assert set(lines[0]) == {f.name for f in next(d for d in DATASETS
                                                   if d.name == "communities").fields}


def test_each_download_header_matches_its_dictionary(client: Any, chinese_community: int) -> None:
    for dataset in DATASETS:
        data = client.get(f"/open-data/{dataset.name}.csv").data.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(data)))
        dictionary = client.get(f"/open-data/{dataset.name}.dictionary.json").get_json()
        assert header == [f["name"] for f in dictionary["fields"]], dataset.name
        assert dictionary["licence"]["en"] and dictionary["licence"]["zh"]
        assert all(f["meaning"]["zh"] for f in dictionary["fields"])


def test_the_page_lists_every_dataset_in_both_languages(client: Any, db_session: Any) -> None:
    page = client.get("/open-data/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "开放数据" in page and "CC BY 4.0" in page
    for dataset in DATASETS:
        assert f"/open-data/{dataset.name}.csv" in page and dataset.title_zh in page
    english = client.get("/open-data/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "Open data" in english and "1 yuan = 100 fen" in english


def test_an_unknown_dataset_is_404(client: Any, db_session: Any) -> None:
    assert client.get("/open-data/users.csv").status_code == 404


def test_a_formula_in_a_name_stays_text_in_the_csv(client: Any, db_session: Any) -> None:
    install_charter()
    owner = make_owner(800)
    db.session.add(Community(name="=HYPERLINK(\"http://x\")", industry="x", description="x",
                             representative_id=owner.id, applicant_id=owner.id,
                             member_count=3, state="applied", applied_at=utcnow()))
    db.session.commit()
    data = client.get("/open-data/communities.csv").data.decode("utf-8-sig")
    assert next(csv.DictReader(io.StringIO(data)))["name"].startswith("'=")
    line = json.loads(client.get("/open-data/communities.jsonl").data.decode().splitlines()[0])
    assert line["name"].startswith("=")


def test_the_licence_is_stated_the_same_way_everywhere(client: Any, db_session: Any) -> None:
    from app.opendata.datasets import LICENCE_URL

    for dataset in DATASETS:
        stated = client.get(f"/open-data/{dataset.name}.dictionary.json").get_json()["licence"]
        assert stated["id"] == "CC-BY-4.0" and stated["url"] == LICENCE_URL
        assert "CC BY 4.0" in stated["en"] and "CC BY 4.0" in stated["zh"]
        assert "/open-data/" in stated["attribution"]["en"]
        assert stated["attribution"]["zh"].startswith("来源：车主信托")
        for suffix in (".csv", ".jsonl", ".dictionary.json"):
            link = client.get(f"/open-data/{dataset.name}{suffix}").headers["Link"]
            assert link == f'<{LICENCE_URL}>; rel="license"', (dataset.name, suffix)
    zh = client.get("/open-data/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'href="https://creativecommons.org/licenses/by/4.0/deed.zh-hans" rel="license"' in zh
    assert "来源：车主信托开放数据（http://trust.test/open-data/）" in zh
    assert "阅读许可协议：知识共享署名 4.0 国际许可协议（CC BY 4.0）" in zh
    en = client.get("/open-data/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert f'href="{LICENCE_URL}" rel="license"' in en
    assert "Source: the owners&#39; trust, open data (http://trust.test/open-data/)" in en
