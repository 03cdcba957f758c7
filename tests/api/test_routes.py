"""The API through the ASGI app: answers, search, articles, errors, health."""

from __future__ import annotations

from collections.abc import Sequence
from xml.etree import ElementTree

from fastapi.testclient import TestClient

from api.app import create_app
from rag.models.embed import Embedder
from rag.models.llm import LLMError, Message
from rag.services import Services
from rag.settings import Settings
from rag.testing.llm import FunctionModel

ASIF = "What did Khwaja Asif write on X?"


def test_ask_returns_a_cited_answer_whose_quotes_are_article_text(client: TestClient, services: Services) -> None:
    response = client.post("/v1/ask", json={"question": ASIF})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["refused"] is False
    assert "open war" in answer["text"].lower() and "[1]" in answer["text"]
    bodies = {a.id: a.body for a in services.store.list_articles()}
    for citation in answer["citations"].values():
        assert bodies[citation["article_id"]][citation["start"] : citation["end"]] == citation["quote"]
    assert {"retrieve", "generate"} <= set(answer["timings"])


def test_ask_off_corpus_is_a_refusal_not_an_answer(client: TestClient) -> None:
    answer = client.post("/v1/ask", json={"question": "Who won India's 2024 general election?"}).json()
    assert answer["refused"] is True and answer["mode"] == "refused"
    assert answer["citations"] == {} and answer["text"].startswith("The sources don't say")


def test_empty_or_malformed_questions_get_a_422_with_the_reason(client: TestClient) -> None:
    blank = client.post("/v1/ask", json={"question": "   "})
    assert blank.status_code == 422 and "empty" in blank.text
    missing = client.post("/v1/ask", json={"query": ASIF})
    assert missing.status_code == 422 and "question" in missing.text
    backwards = client.post("/v1/ask", json={"question": ASIF, "since": "2026-03-05", "until": "2026-03-01"})
    assert backwards.status_code == 422 and "since" in backwards.text


def test_search_ranks_the_article_about_the_query_first(client: TestClient) -> None:
    response = client.post("/v1/search", json={"query": "Khwaja Asif open war", "k": 3})
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert hits and hits[0]["article_id"] == "004_fce48783007ea49c" and len(hits) <= 3
    only = client.post("/v1/search", json={"query": "drone strikes", "article_ids": ["000_6a5e87b74b7ecf65"]}).json()
    assert {h["article_id"] for h in only["hits"]} == {"000_6a5e87b74b7ecf65"}


def test_articles_are_listed_added_one_or_in_a_batch_and_deleted(client: TestClient) -> None:
    listed = client.get("/v1/articles").json()
    assert {a["id"] for a in listed} == {"000_6a5e87b74b7ecf65", "003_4d3fdf98ee31191a", "004_fce48783007ea49c"}
    assert "body" not in listed[0]

    one = {"id": "ceasefire-1", "title": "Qatar brokers ceasefire", "outlet": "Wire", "published_at": "2026-03-10",
           "body": "Qatar announced on Tuesday that both sides agreed to a 48-hour ceasefire in Kandahar."}
    added = client.post("/v1/articles", json=one)
    assert added.status_code == 200 and added.json()["report"]["added"] == ["ceasefire-1"]
    again = client.post("/v1/articles", json=one).json()
    assert again["report"]["unchanged"] == ["ceasefire-1"]

    batch = [
        {"id": "talks-2", "body": "Delegations met in Doha on Wednesday to extend the truce by a week."},
        {"id": "bad-3", "body": "   "},
        {"id": "bad-4", "title": "no body"},
        {"id": "bad-5", "body": "Text.", "published_at": "last week"},
    ]
    result = client.post("/v1/articles", json=batch)
    assert result.status_code == 200, result.text
    report = result.json()["report"]
    assert report["added"] == ["talks-2"]
    reasons = {f["source"]: f["reason"] for f in report["failed"]}
    assert set(reasons) == {"bad-3", "bad-4", "bad-5"}
    assert "body" in reasons["bad-4"] and "ISO date" in reasons["bad-5"]
    hits = client.post("/v1/search", json={"query": "truce Doha delegations", "k": 1}).json()["hits"]
    assert hits[0]["article_id"] == "talks-2"

    all_bad = client.post("/v1/articles", json=[{"id": "x", "body": ""}])
    assert all_bad.status_code == 422 and all_bad.json()["report"]["failed"][0]["source"] == "x"
    malformed = client.post("/v1/articles", json={"id": "no body here"})
    assert malformed.status_code == 422

    assert client.delete("/v1/articles/talks-2").json() == {"article_id": "talks-2", "deleted": True}
    gone = client.delete("/v1/articles/talks-2")
    assert gone.status_code == 404 and "talks-2" in gone.json()["detail"]
    assert "talks-2" not in {a["id"] for a in client.get("/v1/articles").json()}


def test_health_and_readiness(client: TestClient, services: Services) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200, ready.text
    checks = ready.json()["checks"]
    assert checks["index"].startswith("ok (3 articles") and checks["database"] == "ok" and checks["model"] == "ok"
    assert "pending" not in checks["index"]
    # an article the index has not caught up with is shown, and does not make the service unready
    with services.store.write_lock():
        services.store.record.queue("003_4d3fdf98ee31191a")
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"]["index"].endswith("1 pending: 003_4d3fdf98ee31191a)")
    listed = {a["id"]: a["pending"] for a in client.get("/v1/articles").json()}
    assert listed["003_4d3fdf98ee31191a"] is True and listed["000_6a5e87b74b7ecf65"] is False


def test_readiness_is_503_with_the_reason_when_the_model_cannot_load(api_settings: Settings,
                                                                      real_embedder: Embedder) -> None:
    broken = api_settings.model_copy(update={"model_path": api_settings.data_dir / "missing.gguf"})
    services = Services(broken, embedder_override=real_embedder)
    with TestClient(create_app(broken, services=services), raise_server_exceptions=False) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.json()["ready"] is False
        assert "missing.gguf" in ready.json()["checks"]["model"]
        response = client.post("/v1/ask", json={"question": ASIF})
        assert response.status_code == 503
        detail = response.json()["detail"]
        assert detail.startswith("the model backend is unavailable") and "Traceback" not in response.text


def test_a_failing_backend_is_503_and_an_internal_error_never_leaks_a_traceback(api_settings: Settings,
                                                                               real_embedder: Embedder) -> None:
    def down(messages: Sequence[Message]) -> str:
        raise LLMError("endpoint http://10.0.0.1/v1 refused the connection")

    services = Services(api_settings, embedder_override=real_embedder, chat_override=FunctionModel(down))
    app = create_app(api_settings, services=services)

    def boom() -> None:
        raise KeyError("secret internals")

    app.add_api_route("/boom", boom)
    app.router.routes.insert(0, app.router.routes.pop())  # before the web page mounted at /

    with TestClient(app, raise_server_exceptions=False) as client:
        ask = client.post("/v1/ask", json={"question": ASIF})
        assert ask.status_code == 200 and ask.json()["mode"] == "quoted"  # the pipeline quotes when the model fails
        assert ask.json()["timings"].get("generate_failed") == 1.0
        crash = client.get("/boom")
        assert crash.status_code == 500 and "secret" not in crash.text and "Traceback" not in crash.text
        assert crash.json() == {"detail": "internal error; the server log has the details"}


def test_the_openapi_schema_documents_every_route(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for path in ("/v1/ask", "/v1/check", "/v1/search", "/v1/articles", "/v1/articles/{article_id}", "/v1/chat",
                 "/v1/conversations", "/v1/conversations/{conversation_id}", "/v1/models", "/v1/chat/completions",
                 "/v1/briefings", "/v1/briefings/{briefing_id}", "/healthz", "/readyz"):
        assert path in paths, path


def test_check_says_supported_contradicted_or_not_in_sources_with_the_quotes(client: TestClient) -> None:
    supported = client.post("/v1/check", json={
        "claim": "Pakistan's Foreign Office said the country respects Afghanistan's sovereignty."}).json()
    assert supported["verdict"] == "supported"
    assert "respects Afghanistan" in supported["citations"][0]["quote"]
    contradicted = client.post("/v1/check", json={
        "claim": "Pakistan's Foreign Office said the country does not respect Afghanistan's sovereignty."}).json()
    assert contradicted["verdict"] == "contradicted" and "respect" in contradicted["reason"]
    unknown = client.post("/v1/check", json={"claim": "Brazil won the 2026 football world cup."}).json()
    assert unknown["verdict"] == "not_in_sources"
    blank = client.post("/v1/check", json={"claim": " "})
    assert blank.status_code == 422 and "empty" in blank.text


def test_the_page_is_served_at_the_root_with_a_same_origin_script_policy(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and '<script src="app.js"' in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert client.get("/app.js").status_code == 200 and client.get("/app.css").status_code == 200


def test_the_page_has_an_icon_where_it_links_it_and_where_browsers_look_by_default(client: TestClient) -> None:
    page = client.get("/").text
    assert '<link rel="icon" href="favicon.svg" type="image/svg+xml">' in page
    for path in ("/favicon.svg", "/favicon.ico"):
        icon = client.get(path)
        assert icon.status_code == 200, path
        assert icon.headers["content-type"].startswith("image/svg+xml"), path
        root = ElementTree.fromstring(icon.content)  # a well-formed SVG document
        assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox") == "0 0 32 32"
