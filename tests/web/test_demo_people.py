"""'Try as' a demo person on the page: offered with the demo organisation only, a signed choice."""

from __future__ import annotations

import httpx

from agent.runtime import Runtime
from agent.service import AgentService
from connectors.web.app import create_app
from contract.settings import Settings
from demo import DEMO_TODAY
from tests.support.web import TOKENS, make_web_runtime


async def client_for(service):
    app = create_app(service, background_indexing=False)
    return app, httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def test_the_demo_offers_its_people_and_the_choice_is_who_you_are(tmp_path):
    service = AgentService(Runtime(Settings(data_dir=tmp_path, demo=True, demo_today=DEMO_TODAY)))
    app, client = await client_for(service)
    async with app.router.lifespan_context(app), client:
        people = (await client.get("/demo/people")).json()["people"]
        assert [p["ref"] for p in people] == [
            "user:default/tomas.novak",
            "user:default/marco.bianchi",
            "user:default/sam.oconnor",
        ]
        assert (await client.get("/whoami")).json()["anonymous"] is True
        chosen = await client.post("/demo/try-as", json={"ref": "user:default/marco.bianchi"})
        assert chosen.status_code == 200 and "httponly" in chosen.headers["set-cookie"].lower()
        me = (await client.get("/whoami")).json()
        assert me["ref"] == "user:default/marco.bianchi" and me["read_only"] is False
        assert (await client.post("/demo/try-as", json={"ref": "user:default/priya.raman"})).status_code == 422
        # a forged cookie naming someone else is nobody
        client.cookies.set("pa_demo_as", "user:default/sam.oconnor|0000")
        assert (await client.get("/whoami")).json()["anonymous"] is True
        await client.post("/demo/try-as", json={"ref": None})
        assert (await client.get("/whoami")).json()["anonymous"] is True


async def test_with_real_sources_there_are_no_demo_people(tmp_path):
    service = AgentService(make_web_runtime(tmp_path, web_api_tokens=TOKENS))
    app, client = await client_for(service)
    async with app.router.lifespan_context(app), client:
        assert (await client.get("/demo/people")).json()["people"] == []
        assert (await client.post("/demo/try-as", json={"ref": "user:default/wendy.owner"})).status_code == 404
        client.cookies.set("pa_demo_as", "user:default/wendy.owner|whatever")
        assert (await client.get("/whoami")).json()["anonymous"] is True
