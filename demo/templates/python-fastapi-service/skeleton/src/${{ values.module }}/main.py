"""The HTTP entry point of ${{ values.name }}."""

from fastapi import FastAPI

SERVICE = "${{ values.name }}"
OWNER = "${{ values.owner }}"

app = FastAPI(title=SERVICE, description=${{ values.description | dump }})


@app.get("/healthz")
def healthz() -> dict[str, str]:
    """Liveness and readiness probe used by Kubernetes."""
    return {"status": "ok"}


@app.get("/info")
def info() -> dict[str, str]:
    """Who runs this service, for humans and the portal."""
    return {"service": SERVICE, "owner": OWNER}
