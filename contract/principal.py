"""Who is asking: the principal every turn and every tool call carries, whatever connector it came through.

Principals are catalog Users (``agent.identity`` resolves them); families only read them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

ANONYMOUS = "user:default/anonymous"
USER_KIND = "user"


class Principal(BaseModel):
    """A person acting through a connector, resolved to a catalog User where possible.

    ``read_only`` is set for people the portal could not identify (unknown Slack users,
    anonymous web users): they may ask anything but may neither request nor approve changes.
    """

    ref: str = Field(description="Catalog entity ref, e.g. user:default/jane.doe")
    display_name: str | None = None
    email: str | None = None
    groups: list[str] = Field(default_factory=list, description="Group refs the user is a member of")
    read_only: bool = False
    via: str = Field("cli", description="cli | slack | web | api | test")

    @property
    def is_anonymous(self) -> bool:
        return self.ref == ANONYMOUS

    @classmethod
    def anonymous(cls, via: str = "web") -> Principal:
        return cls(ref=ANONYMOUS, display_name="anonymous", read_only=True, via=via)
