"""Local HTTP stand-ins for the Backstage catalog API and the GitHub REST API (loopback only)."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

Route = Callable[["Request"], tuple[int, Any, dict[str, str]]]


class Request:
    def __init__(self, method: str, path: str, query: dict[str, list[str]], headers: dict[str, str]):
        self.method, self.path, self.query, self.headers = method, path, query, headers


class StandIn:
    """A threaded HTTP server; ``handler(request)`` returns (status, json body, extra headers)."""

    def __init__(self, handler: Route):
        self.handler = handler
        self.requests: list[Request] = []
        outer = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parsed = urlparse(self.path)
                request = Request(
                    "GET", parsed.path, parse_qs(parsed.query), {k.lower(): v for k, v in self.headers.items()}
                )
                outer.requests.append(request)
                status, body, headers = outer.handler(request)
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(payload)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    def __enter__(self) -> StandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


def backstage_handler(entities: list[dict[str, Any]], token: str, page_size_cap: int = 1000) -> Route:
    """``GET /api/catalog/entities/by-query`` with opaque cursors, as Backstage's catalog serves it."""

    def handle(request: Request) -> tuple[int, Any, dict[str, str]]:
        if request.path != "/api/catalog/entities/by-query":
            return 404, {"error": {"name": "NotFoundError", "message": "Not found"}}, {}
        if request.headers.get("authorization") != f"Bearer {token}":
            return 401, {"error": {"name": "AuthenticationError", "message": "Missing credentials"}}, {}
        if "cursor" in request.query:
            state = json.loads(base64.b64decode(request.query["cursor"][0]))
            offset, limit = state["offset"], state["limit"]
        else:
            offset, limit = 0, min(int(request.query.get("limit", ["20"])[0]), page_size_cap)
        items = entities[offset : offset + limit]
        page_info: dict[str, str] = {}
        if offset + limit < len(entities):
            page_info["nextCursor"] = base64.b64encode(
                json.dumps({"offset": offset + limit, "limit": limit}).encode()
            ).decode()
        if offset > 0:
            page_info["prevCursor"] = base64.b64encode(
                json.dumps({"offset": max(0, offset - limit), "limit": limit}).encode()
            ).decode()
        return 200, {"items": items, "totalItems": len(entities), "pageInfo": page_info}, {}

    return handle


def github_handler(
    repos: dict[str, dict[str, Any]],
    users: set[str],
    prefix: str = "/api/v3",
    token: str | None = None,
    per_page: int = 2,
    web_host: str = "ghe.example.test",
) -> Route:
    """The GitHub REST endpoints PyGithub calls for discovery, under a GHE-style ``/api/v3`` prefix:
    owners and their repositories, a file's contents, and a branch's recursive git tree.

    ``repos`` maps ``owner/name`` to ``{"archived": bool, "files": {path: text}}``; owners not in
    ``users`` are organisations. ``web_host`` is the host of the repositories' web URLs.
    """

    def base(request: Request) -> str:
        return f"http://{request.headers['host']}{prefix}"

    def repo_json(request: Request, full_name: str) -> dict[str, Any]:
        owner, name = full_name.split("/")
        api = base(request)
        return {
            "id": abs(hash(full_name)) % 10**6,
            "name": name,
            "full_name": full_name,
            "owner": {
                "login": owner,
                "type": "User" if owner in users else "Organization",
                "url": f"{api}/users/{owner}",
            },
            "private": False,
            "archived": repos[full_name].get("archived", False),
            "default_branch": "main",
            "html_url": f"https://{web_host}/{full_name}",
            "url": f"{api}/repos/{full_name}",
        }

    def handle(request: Request) -> tuple[int, Any, dict[str, str]]:
        if (
            token is not None
            and request.headers.get("authorization") != f"token {token}"
            and request.headers.get("authorization") != f"Bearer {token}"
        ):
            return 401, {"message": "Bad credentials"}, {}
        if not request.path.startswith(prefix):
            return 404, {"message": "Not Found"}, {}
        path = request.path[len(prefix) :]
        parts = [p for p in path.split("/") if p]
        api = base(request)
        if len(parts) == 2 and parts[0] in ("orgs", "users"):
            owner = parts[1]
            is_user = owner in users
            owns = any(r.split("/")[0] == owner for r in repos)
            if (parts[0] == "orgs" and is_user) or not (owns or is_user):
                return 404, {"message": "Not Found"}, {}
            return (
                200,
                {
                    "login": owner,
                    "type": "User" if is_user else "Organization",
                    "url": f"{api}/{parts[0]}/{owner}",
                    "repos_url": f"{api}/{parts[0]}/{owner}/repos",
                },
                {},
            )
        if len(parts) == 3 and parts[0] in ("orgs", "users") and parts[2] == "repos":
            owner = parts[1]
            names = sorted(r for r in repos if r.split("/")[0] == owner)
            page = int(request.query.get("page", ["1"])[0])
            chunk = names[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(names):
                headers["Link"] = f'<{api}/{parts[0]}/{owner}/repos?page={page + 1}>; rel="next"'
            return 200, [repo_json(request, n) for n in chunk], headers
        if len(parts) == 3 and parts[0] == "repos":
            full = f"{parts[1]}/{parts[2]}"
            if full not in repos:
                return 404, {"message": "Not Found"}, {}
            return 200, repo_json(request, full), {}
        if len(parts) >= 6 and parts[0] == "repos" and parts[3:5] == ["git", "trees"]:
            full = f"{parts[1]}/{parts[2]}"
            if full not in repos or "/".join(parts[5:]) != "main":
                return 404, {"message": "Not Found"}, {}
            paths = sorted(repos[full].get("files", {}))
            folders = sorted({"/".join(p.split("/")[:i]) for p in paths for i in range(1, p.count("/") + 1)})
            tree = [{"path": f, "mode": "040000", "type": "tree", "sha": "1" * 40} for f in folders]
            tree += [{"path": p, "mode": "100644", "type": "blob", "sha": "0" * 40, "size": 1} for p in paths]
            url = f"{api}/repos/{full}/git/trees/main"
            return 200, {"sha": "2" * 40, "url": url, "tree": tree, "truncated": False}, {}
        if len(parts) >= 5 and parts[0] == "repos" and parts[3] == "contents":
            full = f"{parts[1]}/{parts[2]}"
            file_path = "/".join(parts[4:])
            files = repos.get(full, {}).get("files", {})
            if file_path not in files:
                return 404, {"message": "Not Found"}, {}
            raw = files[file_path].encode()
            return (
                200,
                {
                    "type": "file",
                    "encoding": "base64",
                    "size": len(raw),
                    "name": file_path.split("/")[-1],
                    "path": file_path,
                    "content": base64.b64encode(raw).decode(),
                    "sha": "0" * 40,
                    "url": f"{api}/repos/{full}/contents/{file_path}",
                    "html_url": f"https://{web_host}/{full}/blob/main/{file_path}",
                    "download_url": f"https://raw.{web_host}/{full}/main/{file_path}",
                },
                {},
            )
        return 404, {"message": "Not Found"}, {}

    return handle
