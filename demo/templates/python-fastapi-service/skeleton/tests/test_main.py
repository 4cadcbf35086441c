from fastapi.testclient import TestClient

from ${{ values.module }}.main import app

client = TestClient(app)


def test_healthz_is_ok():
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_info_names_the_service_and_its_owner():
    body = client.get("/info").json()
    assert body == {"service": "${{ values.name }}", "owner": "${{ values.owner }}"}
