import requests


def test_healthz_reports_database(live_server):
    response = requests.get(f"{live_server}/healthz", timeout=5)
    assert response.status_code == 200
    body = response.json()
    assert body["checks"]["database"] == "ok"
