"""The widget in Debian's headless Chromium, driven by Playwright (never a downloaded browser).

Screenshots are kept under ``tests/web/artifacts/`` (gitignored).
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.agent import executions
from tests.support.browser import NEEDS_CHROMIUM, ask, shot
from tests.support.web import DOC_URL

pytestmark = NEEDS_CHROMIUM
playwright_api = pytest.importorskip("playwright.sync_api")


@pytest.fixture
def host_site():
    """Another site (another origin on loopback) whose page embeds the widget with one script tag."""
    import http.server
    import threading

    pages: dict[str, bytes] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = pages.get(self.path)
            self.send_response(200 if body else 404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.end_headers()
            self.wfile.write(body or b"")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    origin = f"http://127.0.0.1:{server.server_address[1]}"

    def publish(path: str, html: str) -> str:
        pages[path] = html.encode()
        return origin + path

    publish.origin = origin  # type: ignore[attr-defined]
    yield publish
    server.shutdown()


def test_full_page_chat_answer_citation_approval_chart_history(live_server, browser):
    server = live_server(web_trust_proxy_headers=True)
    # The OIDC proxy in front of the portal would add this header for the signed-in user.
    context = browser.new_context(
        extra_http_headers={"X-Forwarded-Email": "wendy.owner@example.test"}, viewport={"width": 1100, "height": 800}
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/")
    playwright_api.expect(page.locator(".who")).to_have_text("Wendy Owner")

    # A question: a streamed Markdown answer with a table, its citation and the tool that ran.
    ask(page, "how do I deploy widgets?")
    answer = page.locator(".msg.assistant").last
    playwright_api.expect(answer.locator("table td code").first).to_have_text("widgetctl deploy --env staging")
    playwright_api.expect(answer.locator(".sources a")).to_have_attribute("href", DOC_URL)
    playwright_api.expect(answer.locator(".tool.ok")).to_have_text("widget_docs")
    assert answer.locator(f".text a[href='{DOC_URL}']").count() == 1
    shot(page, "01-answer-with-citation")

    # A change: an approval card; approving it runs the action and the answer says so.
    ask(page, "restart widget-lab")
    card = page.get_by_role("group", name=re.compile("Approval needed"))
    playwright_api.expect(card).to_contain_text("component:default/widget-lab")
    playwright_api.expect(card).to_contain_text("would restart widget-lab with 2 replicas")
    shot(page, "02-approval-card")
    assert executions(server.app.state.web.service.runtime) == []
    card.get_by_role("button", name=re.compile("^Approve")).click()
    playwright_api.expect(page.locator(".msg.assistant").last.locator("strong")).to_have_text("widget-lab")
    playwright_api.expect(card.get_by_role("status")).to_have_text("Approved.")
    assert executions(server.app.state.web.service.runtime) == [
        {"name": "widget-lab", "replicas": 2, "by": "user:default/wendy.owner"}
    ]
    shot(page, "03-approved-result")

    # A chart from a tool result is shown as an image served from /charts/.
    ask(page, "what did widgets cost?")
    playwright_api.expect(page.locator(".charts img")).to_have_count(1)  # PNG and SVG of one chart: one image
    image = page.locator(".charts img").last
    playwright_api.expect(image).to_have_attribute("src", re.compile(r"/charts/widget-cost\.svg$"))
    page.wait_for_function("""() => {
        const host = document.querySelector('portal-agent-chat');
        const img = host.shadowRoot.querySelector('.charts img');
        return img && img.complete && img.naturalWidth > 0; }""")

    # History: a new conversation, then back to the previous one from the list.
    page.get_by_role("button", name="New conversation").click()
    playwright_api.expect(page.locator(".msg")).to_have_count(0)
    history = page.get_by_role("navigation", name="Conversations").get_by_role("button")
    playwright_api.expect(history).to_have_count(1)
    history.first.click()
    playwright_api.expect(page.locator(".msg.user")).to_have_count(3)
    playwright_api.expect(page.locator(".sources a").first).to_have_attribute("href", DOC_URL)

    # The renderer escapes HTML and refuses script URLs.
    html = page.evaluate("""() => window.PortalAgent.markdown(
        '<img src=x onerror=alert(1)> [a](javascript:alert(1)) [b](https://ok.test/x?a=1&b=2) **c** `<i>`')""")
    assert "<img" not in html and "javascript:" not in html and "&lt;img" in html
    assert '<a href="https://ok.test/x?a=1&amp;b=2"' in html and "<strong>c</strong>" in html
    assert "<code>&lt;i&gt;</code>" in html

    # Dark theme.
    page.get_by_role("button", name="Switch light or dark theme").click()
    assert page.locator("portal-agent-chat").get_attribute("theme") in ("dark", "light")
    shot(page, "04-history-theme")
    assert errors == []
    context.close()


# Links an answer may carry that a browser would follow to another site although they look
# relative: backslashes read as slashes, scheme-relative forms, control characters dropped.
OFF_SITE_TRICKS = [
    "[a](/\\evil.example)",
    "[b](\\\\evil.example)",
    "[c](//evil.example)",
    "[d](/\\/evil.example)",
    "[e](/./\\evil.example/x)",
    "[f](https:/\\evil.example)",
    "[g](/\u0000/evil.example)",
    "[h](javascript:alert(1))",
    "[i](JaVaScRiPt:alert(1))",
    "[j](data:text/html,x)",
    "[k](vbscript:x)",
]
KEPT = {
    "[on-site](/docs/page)": "/docs/page",
    "[encoded](/%5Cevil.example)": "/%5Cevil.example",
    "[anchor](#part)": "#part",
    "[docs](https://ok.test/a?b=1)": "https://ok.test/a?b=1",
}


def test_link_filter_never_links_off_site(live_server, browser):
    """Every link the renderer keeps, as the browser itself resolves it, stays here or is an explicit https link."""
    server = live_server()
    page = browser.new_page()
    page.goto(server.url + "/")
    resolve = """(sources) => sources.map((src) => {
        const box = document.createElement('div');
        box.innerHTML = window.PortalAgent.markdown(src);
        return Array.from(box.querySelectorAll('a')).map((a) => a.href);
    })"""
    tricks = page.evaluate(resolve, OFF_SITE_TRICKS)
    for source, hrefs in zip(OFF_SITE_TRICKS, tricks, strict=True):
        assert all(href.startswith(server.url + "/") for href in hrefs), (source, hrefs)
        assert "evil.example" not in "".join(hrefs), (source, hrefs)
    kept = page.evaluate(resolve, list(KEPT))
    for (source, target), hrefs in zip(KEPT.items(), kept, strict=True):
        expected = target if target.startswith("https:") else server.url + "/" + target.lstrip("/")
        assert hrefs == [expected], (source, hrefs)
    page.close()


def test_anonymous_visitors_keep_their_own_conversations(live_server, browser):
    """The visitor key is an HttpOnly cookie the browser keeps: a reload continues, another visitor sees nothing."""
    server = live_server()
    first = browser.new_context()
    page = first.new_page()
    page.goto(server.url + "/")
    playwright_api.expect(page.locator(".who")).to_have_text("anonymous (read-only)")
    ask(page, "how do I deploy widgets?")
    answer = page.locator(".msg.assistant").last
    playwright_api.expect(answer.locator(".sources a")).to_have_attribute("href", DOC_URL)
    assert page.evaluate("() => document.cookie") == "", "scripts cannot read the visitor key"
    page.reload()
    playwright_api.expect(page.locator(".msg.user")).to_have_count(1)
    history = page.get_by_role("navigation", name="Conversations").get_by_role("button")
    playwright_api.expect(history).to_have_count(1)
    other = browser.new_context().new_page()
    other.goto(server.url + "/")
    playwright_api.expect(other.locator(".who")).to_have_text("anonymous (read-only)")
    thread_id = page.evaluate("() => localStorage.getItem('portal-agent:thread')")
    status = other.evaluate(
        "(id) => fetch('/threads/' + id + '/state', {credentials: 'include'}).then((r) => r.status)", thread_id
    )
    assert status == 404
    playwright_api.expect(other.get_by_role("navigation", name="Conversations").get_by_role("button")).to_have_count(0)
    first.close()


def test_embedded_bubble_on_another_site_with_keyboard(live_server, browser, host_site):
    server = live_server(web_allowed_origins=[host_site.origin])
    context = browser.new_context(viewport={"width": 1000, "height": 760})
    page = context.new_page()
    host_html = (
        f"<!doctype html><html><head><title>Team portal</title></head><body><h1>Team portal</h1>"
        f"<p>Any page can embed the assistant with one tag.</p>"
        f'<script src="{server.url}/widget.js" data-token="tok-olga"></script></body></html>'
    )
    page.goto(host_site("/team.html", host_html))
    bubble = page.get_by_role("button", name="Open the portal assistant")
    bubble.focus()
    page.keyboard.press("Enter")
    box = page.get_by_role("textbox", name="Your question")
    playwright_api.expect(box).to_be_focused()
    playwright_api.expect(page.locator(".who")).to_have_text("Olga Oncall")
    page.keyboard.type("how do I deploy widgets?")
    page.keyboard.press("Enter")
    playwright_api.expect(page.locator(".msg.assistant .sources a")).to_have_attribute("href", DOC_URL)
    shot(page, "05-embedded-bubble")
    page.keyboard.press("Escape")
    playwright_api.expect(page.get_by_role("dialog")).to_be_hidden()
    playwright_api.expect(page.get_by_role("button", name="Open the portal assistant")).to_be_focused()
    context.close()


def test_approvals_page_for_an_approver(live_server, browser):
    server = live_server(web_trust_proxy_headers=True)
    # wendy asks for a production restart (four eyes): olga, on call, decides it at /approvals.
    with httpx.Client(base_url=server.url, headers={"Authorization": "Bearer tok-wendy"}, timeout=30) as api:
        thread_id = api.post("/threads", json={}).json()["thread_id"]
        api.post(
            f"/threads/{thread_id}/runs/stream",
            json={"input": {"messages": [{"role": "user", "content": "restart widget-api"}]}, "stream_mode": "updates"},
        )
    context = browser.new_context(extra_http_headers={"X-Forwarded-Email": "olga.oncall@example.test"})
    page = context.new_page()
    page.goto(server.url + "/approvals")
    card = page.get_by_role("group", name=re.compile("Approval needed"))
    playwright_api.expect(card).to_contain_text("component:default/widget-api")
    shot(page, "06-approvals-page")
    card.get_by_role("button", name=re.compile("^Approve")).click()
    playwright_api.expect(card.get_by_role("status")).to_have_text("Approved (executed).")
    playwright_api.expect(card).to_contain_text("Restarted widget-api")
    assert executions(server.app.state.web.service.runtime)[0]["name"] == "widget-api"
    context.close()


def test_openapi_docs_render_offline(live_server, browser):
    """Swagger UI renders with every request answered by the app: anything else is aborted."""
    server = live_server()
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    outside: list[str] = []

    def only_local(route) -> None:
        if route.request.url.startswith(server.url + "/"):
            route.continue_()
        else:  # as on a machine without internet: a CDN asset would fail to load here
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(server.url + "/docs")
    # The operation list, rendered from /openapi.json by Swagger UI's own script.
    run_stream = page.locator(".opblock-post", has_text="/threads/{thread_id}/runs/stream")
    playwright_api.expect(run_stream.first).to_be_visible()
    playwright_api.expect(page.locator(".opblock-tag", has_text="agent protocol").first).to_be_visible()
    assert page.locator(".opblock").count() >= 10
    assert page.locator(".swagger-ui .errors-wrapper").count() == 0
    # Expanding an operation shows its request body schema (the spec was parsed, not just listed).
    run_stream.first.locator(".opblock-summary").click()
    playwright_api.expect(run_stream.first.locator(".opblock-body")).to_contain_text("stream_mode")
    shot(page, "08-openapi-docs")
    assert outside == [], f"the docs pages asked for outside resources: {outside}"
    assert errors == []
    context.close()
