"""A local stand-in of the GitHub REST API: the endpoints PyGithub calls to create a repository,
write a commit with the Git Data API, and open a pull request. Every call is recorded (method,
path, JSON body, Authorization header) so tests can assert the exact conversation.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def _sha(*parts: Any) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class GitHubState:
    def __init__(self, orgs: set[str], user: str):
        self.orgs = orgs
        self.user = user
        self.repos: dict[str, dict[str, Any]] = {}
        self.blobs: dict[str, bytes] = {}
        self.trees: dict[str, list[dict[str, Any]]] = {}
        self.commits: dict[str, dict[str, Any]] = {}
        self.pulls: list[dict[str, Any]] = []
        self.calls: list[dict[str, Any]] = []

    def add_repo(self, owner: str, name: str, files: dict[str, bytes] | None = None, branch: str = "main") -> None:
        tree = []
        for path, data in (files or {"README.md": b"# " + name.encode() + b"\n"}).items():
            sha = _sha("blob", data)
            self.blobs[sha] = data
            tree.append({"path": path, "mode": "100644", "type": "blob", "sha": sha})
        tree_sha = _sha("tree", tree)
        self.trees[tree_sha] = tree
        commit_sha = _sha("commit", tree_sha, "init")
        self.commits[commit_sha] = {"tree": tree_sha, "parents": [], "message": "init"}
        self.repos[f"{owner}/{name}"] = {
            "owner": owner,
            "name": name,
            "default_branch": branch,
            "refs": {f"refs/heads/{branch}": commit_sha},
            "private": True,
            "description": "",
        }

    def files_at(self, slug: str, branch: str) -> dict[str, bytes]:
        repo = self.repos[slug]
        commit = self.commits[repo["refs"][f"refs/heads/{branch}"]]
        return {e["path"]: self.blobs[e["sha"]] for e in self.trees[commit["tree"]]}


class _Handler(BaseHTTPRequestHandler):
    state: GitHubState
    base: str

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    # --- plumbing ---------------------------------------------------------------------------------
    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        return json.loads(raw) if raw else None

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self, method: str) -> None:
        body = self._body() if method in ("POST", "PATCH", "PUT") else None
        path = self.path.split("?", 1)[0]
        self.state.calls.append(
            {"method": method, "path": path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if self.headers.get("Authorization") != "token test-token":
            return self._send(401, {"message": "Bad credentials"})
        for pattern, verb, handler in ROUTES:
            m = re.fullmatch(pattern, path)
            if m and verb == method:
                try:
                    status, payload = handler(self, body, *m.groups())
                except KeyError as exc:
                    status, payload = 404, {"message": f"Not Found: {exc}"}
                return self._send(status, payload)
        self._send(404, {"message": f"no stand-in route for {method} {path}"})

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_PUT(self) -> None:
        self._handle("PUT")

    # --- JSON shapes ------------------------------------------------------------------------------
    def repo_json(self, slug: str) -> dict[str, Any]:
        repo = self.state.repos[slug]
        return {
            "id": abs(hash(slug)) % 10**8,
            "name": repo["name"],
            "full_name": slug,
            "owner": {"login": repo["owner"], "url": f"{self.base}/users/{repo['owner']}"},
            "private": repo["private"],
            "description": repo["description"],
            "default_branch": repo["default_branch"],
            "url": f"{self.base}/repos/{slug}",
            "html_url": f"https://github.example/{slug}",
            "clone_url": f"https://github.example/{slug}.git",
        }

    def ref_json(self, slug: str, ref: str) -> dict[str, Any]:
        sha = self.state.repos[slug]["refs"][ref]
        return {
            "ref": ref,
            "url": f"{self.base}/repos/{slug}/git/{ref}",
            "object": {"sha": sha, "type": "commit", "url": f"{self.base}/repos/{slug}/git/commits/{sha}"},
        }

    def commit_json(self, slug: str, sha: str) -> dict[str, Any]:
        commit = self.state.commits[sha]
        return {
            "sha": sha,
            "url": f"{self.base}/repos/{slug}/git/commits/{sha}",
            "message": commit["message"],
            "tree": {"sha": commit["tree"], "url": f"{self.base}/repos/{slug}/git/trees/{commit['tree']}"},
            "parents": [{"sha": p, "url": f"{self.base}/repos/{slug}/git/commits/{p}"} for p in commit["parents"]],
        }


# --- routes -----------------------------------------------------------------------------------------
def _user(h: _Handler, body, login):
    kind = "Organization" if login in h.state.orgs else "User"
    return 200, {"login": login, "type": kind, "url": f"{h.base}/users/{login}"}


def _org(h: _Handler, body, login):
    if login not in h.state.orgs:
        raise KeyError(login)
    return 200, {"login": login, "url": f"{h.base}/orgs/{login}"}


def _create_repo(h: _Handler, body, owner=None):
    owner = owner or h.state.user
    slug = f"{owner}/{body['name']}"
    if slug in h.state.repos:
        return 422, {"message": "Repository creation failed.", "errors": [{"message": "name already exists"}]}
    h.state.add_repo(owner, body["name"])
    h.state.repos[slug]["private"] = body.get("private", False)
    h.state.repos[slug]["description"] = body.get("description", "")
    return 201, h.repo_json(slug)


def _get_repo(h: _Handler, body, owner, name):
    return 200, h.repo_json(f"{owner}/{name}")


def _edit_repo(h: _Handler, body, owner, name):
    slug = f"{owner}/{name}"
    if "default_branch" in body:
        h.state.repos[slug]["default_branch"] = body["default_branch"]
    return 200, h.repo_json(slug)


def _get_ref(h: _Handler, body, owner, name, ref):
    return 200, h.ref_json(f"{owner}/{name}", f"refs/{ref}")


def _patch_ref(h: _Handler, body, owner, name, ref):
    slug = f"{owner}/{name}"
    h.state.repos[slug]["refs"][f"refs/{ref}"] = body["sha"]
    return 200, h.ref_json(slug, f"refs/{ref}")


def _create_ref(h: _Handler, body, owner, name):
    slug = f"{owner}/{name}"
    if body["ref"] in h.state.repos[slug]["refs"]:
        return 422, {"message": "Reference already exists"}
    h.state.repos[slug]["refs"][body["ref"]] = body["sha"]
    return 201, h.ref_json(slug, body["ref"])


def _get_commit(h: _Handler, body, owner, name, sha):
    return 200, h.commit_json(f"{owner}/{name}", sha)


def _create_blob(h: _Handler, body, owner, name):
    data = base64.b64decode(body["content"]) if body.get("encoding") == "base64" else body["content"].encode()
    sha = _sha("blob", data)
    h.state.blobs[sha] = data
    return 201, {"sha": sha, "url": f"{h.base}/repos/{owner}/{name}/git/blobs/{sha}"}


def _create_tree(h: _Handler, body, owner, name):
    entries = {}
    if body.get("base_tree"):
        entries = {e["path"]: e for e in h.state.trees[body["base_tree"]]}
    for e in body["tree"]:
        sha = e.get("sha")
        if sha is None:  # inline content: GitHub creates the blob
            data = e["content"].encode()
            sha = _sha("blob", data)
            h.state.blobs[sha] = data
        entries[e["path"]] = {"path": e["path"], "mode": e["mode"], "type": e["type"], "sha": sha}
    tree = sorted(entries.values(), key=lambda e: e["path"])
    sha = _sha("tree", tree)
    h.state.trees[sha] = tree
    return 201, {"sha": sha, "url": f"{h.base}/repos/{owner}/{name}/git/trees/{sha}", "tree": tree, "truncated": False}


def _create_commit(h: _Handler, body, owner, name):
    sha = _sha("commit", body["tree"], body["parents"], body["message"])
    h.state.commits[sha] = {
        "tree": body["tree"],
        "parents": body["parents"],
        "message": body["message"],
        "author": body.get("author"),
    }
    return 201, h.commit_json(f"{owner}/{name}", sha)


def _create_pull(h: _Handler, body, owner, name):
    number = len(h.state.pulls) + 1
    pull = {**body, "number": number, "repo": f"{owner}/{name}"}
    h.state.pulls.append(pull)
    return 201, {
        "number": number,
        "id": number,
        "title": body["title"],
        "body": body.get("body"),
        "url": f"{h.base}/repos/{owner}/{name}/pulls/{number}",
        "html_url": f"https://github.example/{owner}/{name}/pull/{number}",
        "state": "open",
        "draft": body.get("draft", False),
        "head": {"ref": body["head"]},
        "base": {"ref": body["base"]},
    }


def _topics(h: _Handler, body, owner, name):
    return 200, {"names": body.get("names", [])}


R = r"/repos/([^/]+)/([^/]+)"
ROUTES = [
    (r"/users/([^/]+)", "GET", _user),
    (r"/orgs/([^/]+)", "GET", _org),
    (r"/orgs/([^/]+)/repos", "POST", _create_repo),
    (r"/user/repos", "POST", _create_repo),
    (R, "GET", _get_repo),
    (R, "PATCH", _edit_repo),
    (R + r"/git/ref/(.+)", "GET", _get_ref),
    (R + r"/git/refs/(.+)", "PATCH", _patch_ref),
    (R + r"/git/refs", "POST", _create_ref),
    (R + r"/git/commits/([0-9a-f]+)", "GET", _get_commit),
    (R + r"/git/blobs", "POST", _create_blob),
    (R + r"/git/trees", "POST", _create_tree),
    (R + r"/git/commits", "POST", _create_commit),
    (R + r"/pulls", "POST", _create_pull),
    (R + r"/topics", "PUT", _topics),
]


class GitHubStandIn:
    """``with GitHubStandIn() as gh: gh.url``: a threaded server on 127.0.0.1 with a fresh state."""

    def __init__(self, orgs: set[str] | None = None, user: str = "octo"):
        self.state = GitHubState(orgs or {"tessera"}, user)

    def __enter__(self) -> GitHubStandIn:
        handler = type("Handler", (_Handler,), {"state": self.state})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        handler.base = self.url
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def calls(self) -> list[dict[str, Any]]:
        return self.state.calls

    def routes(self) -> list[str]:
        return [f"{c['method']} {c['path']}" for c in self.state.calls]
