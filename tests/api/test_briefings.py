"""Briefings over HTTP: generate (fake writer, real pipeline and verifier), list newest first, read as json/md/html."""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient

from rag.services import Services


@pytest.fixture
def database_url(db_url: str) -> str:
    """Every test here runs on SQLite and on PostgreSQL."""
    return db_url


def test_generate_list_and_read_a_briefing_in_three_formats(client: TestClient) -> None:
    created = client.post("/v1/briefings", json={"max_words": 200})
    assert created.status_code == 200, created.text
    briefing = created.json()
    assert briefing["payload"]["counts"]["articles"] == 3
    sentences = [s for section in briefing["payload"]["sections"] for s in section["sentences"]]
    assert sentences and all(s["citations"] for s in sentences)

    listed = client.get("/v1/briefings").json()
    assert [b["id"] for b in listed] == [briefing["id"]]

    as_json = client.get(f"/v1/briefings/{briefing['id']}").json()
    assert as_json["payload"]["id"] == briefing["id"] and as_json["markdown"].startswith("#")
    markdown = client.get(f"/v1/briefings/{briefing['id']}", params={"format": "md"})
    assert markdown.headers["content-type"].startswith("text/markdown") and markdown.text == as_json["markdown"]
    html = client.get(f"/v1/briefings/{briefing['id']}", params={"format": "html"})
    assert html.headers["content-type"].startswith("text/html") and "<html" in html.text.lower()
    assert "default-src 'none'" in html.headers["content-security-policy"]


def test_stored_briefings_are_listed_newest_first_and_unknown_ids_are_404(client: TestClient,
                                                                           services: Services) -> None:
    db = services.database
    db.save_briefing("old", dt.date(2026, 3, 1), dt.date(2026, 2, 22), dt.date(2026, 3, 1), "Week 9", "{}", "# 9", "<p>9</p>")
    db.save_briefing("new", dt.date(2026, 3, 8), dt.date(2026, 3, 2), dt.date(2026, 3, 8), "Week 10", "{}", "# 10", "<p>10</p>")
    assert [b["id"] for b in client.get("/v1/briefings").json()] == ["new", "old"]
    missing = client.get("/v1/briefings/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]
    assert client.get("/v1/briefings/new", params={"format": "pdf"}).status_code == 422


def test_a_bad_briefing_request_is_a_4xx_with_the_reason(client: TestClient) -> None:
    unknown_option = client.post("/v1/briefings", json={"colour": "red"})
    assert unknown_option.status_code == 422 and "colour" in unknown_option.text
    backwards = client.post("/v1/briefings", json={"since": "2026-03-08", "until": "2026-03-01"})
    assert backwards.status_code == 400 and "after it ends" in backwards.json()["detail"]
    assert client.get("/v1/briefings").json() == []
