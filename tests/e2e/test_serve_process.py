"""The scoring service as a real process on a free loopback port: every endpoint, every error."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import custseg

from ..helpers import free_port, wait_until_up

pytestmark = pytest.mark.e2e

CUSTOMER = {"CustomerID": 7, "Gender": "Female", "Age": 35, "Annual Income (k$)": 18,
            "Spending Score (1-100)": 6}


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("model")
    custseg.segment().save(out)
    return out


@pytest.fixture(scope="module")
def service(trained):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "custseg", "serve", "--model", str(trained / "model.json"),
         "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base}/healthz", process)
    with httpx.Client(base_url=base, timeout=10) as client:
        yield client
    process.terminate()
    process.wait(timeout=10)


def test_healthz_model_and_docs(service, trained):
    assert service.get("/healthz").json() == {"ok": True, "status": "healthy"}
    model = service.get("/v1/model").json()["model"]
    saved = json.loads((trained / "model.json").read_text())
    assert model["segments"] == saved["segments"] and model["training"] == saved["training"]
    assert [f["name"] for f in model["features"]] == [f["name"] for f in saved["features"]]
    assert service.get("/docs").status_code == 200
    paths = service.get("/openapi.json").json()["paths"]
    assert {"/healthz", "/v1/model", "/v1/score"} <= set(paths)


def test_score_matches_the_library(service, trained):
    frame = custseg.load_sample()
    customers = frame.head(50).to_dict("records")
    answer = service.post("/v1/score", json={"customers": customers}).json()
    expected = custseg.score_frame(custseg.load_model(trained / "model.json"), frame.head(50))
    assert [r["segment"] for r in answer["results"]] == expected["segment"].tolist()
    assert [r["id"] for r in answer["results"]] == expected["CustomerID"].tolist()
    assert [r["distance"] for r in answer["results"]] == pytest.approx(
        expected["distance"].tolist(), abs=1e-6)
    assert answer["results"][0]["segment_name"] == expected["segment_name"][0]


ERRORS = [
    ({"customers": [{k: v for k, v in CUSTOMER.items() if k != "Age"}]}, 422,
     "customers[0]: missing field 'Age'"),
    ({"customers": [CUSTOMER, dict(CUSTOMER, Pet="cat")]}, 422,
     "customers[1]: unknown field 'Pet'"),
    ({"customers": [dict(CUSTOMER, Age="old")]}, 422,
     "customers[0].Age: must be a number, got 'old'"),
    ({"customers": [dict(CUSTOMER, Gender=3)]}, 422, "customers[0].Gender: must be text"),
    ({"customers": "everyone"}, 422, 'request body must be {"customers": [{...}, ...]}'),
    ({"customers": [CUSTOMER] * 10_001}, 413, "10,001 customers in one request; send at most"),
]


@pytest.mark.parametrize(("body", "status", "message"), ERRORS)
def test_error_shapes(service, body, status, message):
    response = service.post("/v1/score", json=body)
    assert response.status_code == status
    answer = response.json()
    assert answer["ok"] is False and answer["status"] == status
    assert message in answer["error"]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinite_values_are_named(service, literal):
    body = json.dumps({"customers": [CUSTOMER]}).replace('"Age": 35', f'"Age": {literal}')
    response = service.post("/v1/score", content=body)
    assert response.status_code == 422
    assert "customers[0].Age: must be a finite number" in response.json()["error"]


def test_oversized_body_404_405_and_bad_json(service):
    big = service.post("/v1/score", content=b"[" + b" " * (9 * 1024 * 1024) + b"]")
    assert big.status_code == 413 and big.json()["ok"] is False
    missing = service.get("/v2/nothing")
    assert missing.status_code == 404 and missing.json() == {
        "ok": False, "error": "Not Found", "status": 404}
    wrong = service.get("/v1/score")
    assert wrong.status_code == 405 and wrong.json()["status"] == 405
    broken = service.post("/v1/score", content=b'{"customers": [')
    assert broken.status_code == 422 and "not valid JSON" in broken.json()["error"]


MALFORMED = [b"", b"null", b"[]", b"{}", b'{"customers": null}', b'{"customers": [1, 2]}',
             b'{"customers": [[]]}', b'{"customers": [{}]}', b"\xff\xfe\x00",
             b'{"customers": [{"Age": {"$gt": 1}}]}', b'{"customers": [], "extra": 1}',
             b'{"customers": [{"Age": 1e400}]}', b"{" * 5000, b'"just a string"', b"12345"]


def test_a_hundred_malformed_bodies_never_kill_the_service(service):
    rng = __import__("random").Random(0)
    bodies = list(MALFORMED)
    while len(bodies) < 100:
        base = json.dumps({"customers": [CUSTOMER]}).encode()
        cut = rng.randrange(len(base))
        bodies.append(base[:cut] + bytes([rng.randrange(256)]) + base[cut + 1:])
    for body in bodies:
        response = service.post("/v1/score", content=body)
        assert response.status_code in (200, 413, 422), (body, response.text)
        answer = response.json()
        assert answer["ok"] is (response.status_code == 200)
    assert service.get("/healthz").json()["ok"] is True


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.text(max_size=5)
                    | st.integers(), lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=10))
def test_arbitrary_json_gets_an_answer(service, value):
    body = {"customers": value} if isinstance(value, list) else value
    response = service.post("/v1/score", content=json.dumps(body))  # NaN/Infinity literals too
    assert response.status_code in (200, 413, 422)
    assert response.json()["ok"] is (response.status_code == 200)


def test_bad_model_refuses_to_start(tmp_path):
    (tmp_path / "m.json").write_text('{"format": "custseg.model", "version": 2}')
    completed = subprocess.run(
        [sys.executable, "-m", "custseg", "serve", "--model", str(tmp_path / "m.json"),
         "--port", str(free_port())], capture_output=True, text=True, timeout=60)
    assert completed.returncode == 2
    assert completed.stderr.strip().count("\n") == 0
    assert "has version 2 but this custseg reads version 1" in completed.stderr
