"""The arguments of every tool about one catalog component: shared by the reads and the remediations."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EntityArgs(BaseModel):
    name: str = Field(description="Catalog component name or ref, e.g. checkout or component:default/checkout")
    cluster: str | None = Field(None, description="Cluster (kubeconfig context) name; default: the first one")
