"""``techdocs-ref: url:`` read from GitHub through PyGithub, against a local stand-in of the REST API."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.support.docs import ctx, docs_runtime
from tools.docs.indexer import index_runtime

FILES = {
    "README.md": "# Widgets repo\n",
    "site/mkdocs.yml": "site_name: Widgets\nnav:\n  - Home: index.md\n  - Tuning: tuning.md\n  - Missing: nope.md\n",
    "site/docs/index.md": "# Widgets\n\nThe widgets service assembles widgets from sprockets.\n",
    "site/docs/tuning.md": "# Tuning\n\n## Sprocket pool\n\nSet `SPROCKET_POOL_SIZE` to 64 for peak season.\n",
}


def _sha(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


class GitHubStandIn(BaseHTTPRequestHandler):
    """The three REST calls the docs source makes: repo, recursive tree, blob."""

    requests: list[str] = []
    files: dict[str, str] = FILES

    def log_message(self, *args):  # keep test output quiet
        pass

    def _json(self, status: int, body: dict) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        base = f"http://{self.headers['Host']}"
        path = self.path.split("?", 1)[0]
        self.requests.append(self.path)
        repo_url = f"{base}/repos/acme/widgets"
        if path == "/repos/acme/widgets":
            self._json(
                200,
                {
                    "id": 1,
                    "name": "widgets",
                    "full_name": "acme/widgets",
                    "url": repo_url,
                    "owner": {"login": "acme", "id": 2},
                    "default_branch": "main",
                    "archived": False,
                },
            )
        elif path == "/repos/acme/widgets/git/trees/main":
            tree = [
                {
                    "path": p,
                    "mode": "100644",
                    "type": "blob",
                    "sha": _sha(t),
                    "size": len(t),
                    "url": f"{repo_url}/git/blobs/{_sha(t)}",
                }
                for p, t in self.files.items()
            ]
            tree.append({"path": "site/docs", "mode": "040000", "type": "tree", "sha": "d" * 40})
            self._json(200, {"sha": "t" * 40, "url": f"{repo_url}/git/trees/main", "tree": tree, "truncated": False})
        elif path.startswith("/repos/acme/widgets/git/blobs/"):
            sha = path.rsplit("/", 1)[1]
            text = next((t for t in self.files.values() if _sha(t) == sha), None)
            if text is None:
                self._json(404, {"message": "Not Found"})
                return
            self._json(
                200,
                {
                    "sha": sha,
                    "size": len(text),
                    "encoding": "base64",
                    "url": f"{repo_url}/git/blobs/{sha}",
                    "content": base64.b64encode(text.encode()).decode(),
                },
            )
        else:
            self._json(404, {"message": "Not Found"})


@pytest.fixture()
def github_api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), GitHubStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    GitHubStandIn.requests = []
    GitHubStandIn.files = FILES
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_techdocs_url_ref_is_read_through_pygithub(tmp_path, github_api):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: widgets\n  annotations:\n"
        "    backstage.io/techdocs-ref: url:https://github.com/acme/widgets/tree/main/site\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: team-w\n"
    )
    runtime = docs_runtime(tmp_path / "data", catalog=[catalog])
    runtime.settings.github_url = github_api
    report = index_runtime(runtime)
    assert report.pages == 2 and report.sites == 1
    assert [s.reason for s in report.skipped] == ["nav entry 'Missing' points at missing file nope.md"]
    result = runtime.tools["search_docs"].run({"query": "SPROCKET_POOL_SIZE"}, ctx(runtime))
    top = result.data["results"][0]
    assert top["url"] == "/docs/default/component/widgets/tuning/#sprocket-pool"
    assert top["title"] == "Widgets › Tuning" and "64 for peak season" in top["snippet"]
    blob_reads = sum("/git/blobs/" in r for r in GitHubStandIn.requests)

    again = index_runtime(runtime)  # unchanged: blobs are read and hashed, nothing is embedded
    assert again.pages_unchanged == 2 and again.chunks_added == 0
    assert sum("/git/blobs/" in r for r in GitHubStandIn.requests) == 2 * blob_reads


def test_unreachable_github_is_reported(tmp_path):
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: widgets\n  annotations:\n"
        "    backstage.io/techdocs-ref: url:https://github.com/acme/widgets/tree/main/site\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: team-w\n"
    )
    runtime = docs_runtime(tmp_path / "data", catalog=[catalog])
    runtime.settings.github_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    report = index_runtime(runtime)
    assert report.pages == 0
    assert any("component:default/widgets" in s.reason for s in report.skipped)


def test_github_site_with_docs_dir_outside_its_config_and_snippets(tmp_path, github_api):
    GitHubStandIn.files = {
        "hack/site/mkdocs.yml": (
            "site_name: Far\ndocs_dir: ../../docs\nexclude_docs: /internal.md\n"
            "markdown_extensions:\n  - pymdownx.snippets:\n      base_path: [examples]\n"
        ),
        "docs/README.md": '# Far\n\nDeploy with:\n\n```sh\n--8<-- "deploy.sh:2"\n```\n',
        "docs/internal.md": "# Internal\n\nnot published\n",
        "examples/deploy.sh": "#!/bin/sh\nfarctl deploy --wait --timeout 300s\n",
    }
    catalog = tmp_path / "catalog.yaml"
    catalog.write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: far\n  annotations:\n"
        "    backstage.io/techdocs-ref: url:https://github.com/acme/widgets/tree/main/hack/site\n"
        "spec:\n  type: service\n  lifecycle: production\n  owner: team-w\n"
    )
    runtime = docs_runtime(tmp_path / "data", catalog=[catalog])
    runtime.settings.github_url = github_api
    report = index_runtime(runtime)
    assert report.pages == 1 and not report.skipped, report.summary()
    top = runtime.tools["search_docs"].run({"query": "farctl deploy timeout"}, ctx(runtime)).data["results"][0]
    assert top["url"] == "/docs/default/component/far/#far"  # README.md is the home page
    assert "farctl deploy --wait --timeout 300s" in top["snippet"] and "#!/bin/sh" not in top["snippet"]
