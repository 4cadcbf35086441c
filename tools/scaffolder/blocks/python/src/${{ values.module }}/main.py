"""The HTTP entry point of ${{ values.name }}."""

from fastapi import FastAPI

from ${{ values.module }}.config import load

SERVICE = "${{ values.name }}"
settings = load()
app = FastAPI(title=SERVICE, description=${{ values.description | dump }})


@app.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/info")
def info() -> dict[str, str | None]:
    return {"service": SERVICE, "owner": "${{ values.owner }}", "database_host": settings.database_host}
