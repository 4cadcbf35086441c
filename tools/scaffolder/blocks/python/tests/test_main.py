from fastapi.testclient import TestClient

from ${{ values.module }}.config import Settings
from ${{ values.module }}.main import app

client = TestClient(app)


def test_healthz():
    assert client.get("/healthz").json() == {"status": "ok"}


def test_info_names_the_service():
    assert client.get("/info").json()["service"] == "${{ values.name }}"


def test_database_host_is_parsed_from_the_url():
    assert Settings("postgresql://app:pw@db.internal:5432/app").database_host == "db.internal"
    assert Settings(None).database_host is None
