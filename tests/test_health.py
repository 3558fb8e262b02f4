from dataclasses import replace

import requests

from plugin_app import create_app


def test_healthz_ok_without_redis(live_server):
    response = requests.get(f"{live_server}/healthz", timeout=5)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "redis": "not configured (jobs run inline)"},
    }


def test_healthz_503_when_database_is_down(settings, tmp_path):
    down = replace(settings, database_url="postgresql+psycopg://nobody@127.0.0.1:1/none")
    client = create_app({"CIBLE_SETTINGS": down, "TESTING": True}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable"
    assert response.json["checks"]["database"].startswith("down: OperationalError")


def test_healthz_503_when_redis_is_down(settings):
    down = replace(settings, redis_url="redis://127.0.0.1:1/0")
    client = create_app({"CIBLE_SETTINGS": down, "TESTING": True}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["checks"]["database"] == "ok"
    assert response.json["checks"]["redis"].startswith("down: ConnectionError")


def test_healthz_checks_a_real_redis(redis_settings):
    client = create_app({"CIBLE_SETTINGS": redis_settings, "TESTING": True}).test_client()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["checks"]["redis"] == "ok"


def test_unknown_api_route_answers_json(live_server):
    response = requests.get(f"{live_server}/api/nothing-here", timeout=5)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["status"] == 404
