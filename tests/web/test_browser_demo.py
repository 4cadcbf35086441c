"""The page of ``make run`` in Debian's headless Chromium: "try as" a demo person, what a read-only
visitor is shown of a change, thumbs up/down, and stopping an answer. Screenshots go to
``tests/web/artifacts/`` (gitignored)."""

from __future__ import annotations

import re

import pytest

from agent.feedback import feedback_store
from agent.runtime import Runtime
from agent.service import AgentService
from connectors.web.app import create_app
from contract.settings import Settings
from demo import DEMO_TODAY
from tests.support.browser import NEEDS_CHROMIUM, ask, shot
from tests.support.web import TOKENS, LiveServer, make_web_runtime

pytestmark = NEEDS_CHROMIUM
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def demo_server(tmp_path):
    service = AgentService(Runtime(Settings(data_dir=tmp_path, demo=True, demo_today=DEMO_TODAY)))
    server = LiveServer(create_app(service, background_indexing=False)).start()
    yield server
    server.stop()


def test_try_as_a_demo_person_previews_for_read_only_and_feedback(demo_server, browser):
    page = browser.new_page(viewport={"width": 1100, "height": 850})
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(demo_server.url + "/")
    picker = page.get_by_role("combobox", name=re.compile("demo only", re.I))
    playwright_api.expect(picker).to_be_visible()
    playwright_api.expect(page.locator(".try-as")).to_contain_text("Demo only")
    playwright_api.expect(page.locator(".who")).to_have_text("anonymous (read-only)")

    # Read-only: the change is refused, but what it would do is shown (a server-side dry run).
    ask(page, "restart checkout")
    answer = page.locator(".msg.assistant").last
    playwright_api.expect(answer).to_contain_text("read-only access", timeout=60_000)
    playwright_api.expect(answer).to_contain_text("What it would do")
    playwright_api.expect(answer).to_contain_text("server-side dry run")
    shot(page, "demo-01-read-only-preview")

    # Try as the requester: a real request this time, waiting for checkout's on-call.
    picker.select_option("user:default/tomas.novak")
    playwright_api.expect(page.locator(".who")).to_have_text(re.compile("Tomas Novak"))
    ask(page, "who owns checkout?")
    answer = page.locator(".msg.assistant").last
    playwright_api.expect(answer).to_contain_text("team-checkout", timeout=60_000)
    answer.get_by_role("button", name="Bad answer").click()
    playwright_api.expect(answer.locator(".feedback .thanks")).to_have_text("Thanks, noted.")
    shot(page, "demo-02-try-as-and-feedback")
    rows = feedback_store(demo_server.app.state.web.service.runtime).rows("bad")
    assert [(r.question, r.principal) for r in rows] == [("who owns checkout?", "user:default/tomas.novak")]

    ask(page, "restart checkout")
    card = page.get_by_role("group", name=re.compile("Approval needed"))
    playwright_api.expect(card).to_contain_text("component:default/checkout", timeout=60_000)
    shot(page, "demo-03-request-as-tomas")
    assert errors == []


def test_a_running_answer_can_be_stopped_from_the_page(tmp_path, browser):
    service = AgentService(make_web_runtime(tmp_path, web_api_tokens=TOKENS, web_trust_proxy_headers=True))
    server = LiveServer(create_app(service, background_indexing=False)).start()
    try:
        context = browser.new_context(extra_http_headers={"X-Forwarded-Email": "wendy.owner@example.test"})
        page = context.new_page()
        page.goto(server.url + "/")
        ask(page, "slow report on widgets")
        stop = page.get_by_role("button", name="Stop the answer")
        playwright_api.expect(stop).to_be_visible()
        page.wait_for_timeout(600)
        stop.click()
        playwright_api.expect(page.locator(".msg.assistant").last).to_contain_text("Stopped.")
        playwright_api.expect(stop).to_be_hidden()
        shot(page, "stop-01-stopped")
        runs = server.app.state.web.runs.of_thread(
            page.evaluate("() => localStorage.getItem('portal-agent:thread')"), "user:default/wendy.owner"
        )
        assert runs and runs[0].status == "interrupted"
        ask(page, "how do I deploy widgets?")  # the conversation is free again
        playwright_api.expect(page.locator(".msg.assistant").last).to_contain_text("widgetctl deploy")
        context.close()
    finally:
        server.stop()
