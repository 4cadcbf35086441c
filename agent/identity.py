"""Who is asking. Every turn carries a principal, whatever connector it came through.

Principals are catalog entities of kind ``User``, and nothing else: a group, a component or a
name the catalog resolves to one of them may never act (a group ref would carry the group's
powers, an admin group's included). :func:`catalog_user` is the one place every connector
resolves a name or an email through, so that rule holds for the CLI, Slack and the web alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contract.principal import USER_KIND, Principal

if TYPE_CHECKING:
    from contract.catalog import Catalog, CatalogEntity


class NotAUser(ValueError):
    """A name that resolves to a catalog entity of another kind than User: it may not act."""


def catalog_user(catalog: Catalog, ref: str | None = None, *, email: str | None = None) -> CatalogEntity | None:
    """The catalog User named by ``ref``, or whose profile email is exactly ``email``; None if none.

    An email matches only a User's own ``spec.profile.email``, compared case-insensitively: never
    a group's mailing address, never by its local part. A ``ref`` that names another kind
    (``group:default/team-platform``) or a bare name the catalog resolves to another kind raises
    :class:`NotAUser`, so callers refuse it rather than treat it as an unknown person.
    """
    if email:
        wanted = email.strip().lower()
        found = catalog.user_by_email(wanted)
        if found is not None and found.kind_lower == USER_KIND:
            return found
        # The index keeps the first entity per address, which may be a group sharing it.
        return next((u for u in catalog.all(USER_KIND) if (u.email or "").strip().lower() == wanted), None)
    if not ref:
        return None
    text = ref.strip()
    kind = text.split(":", 1)[0].strip().lower() if ":" in text else USER_KIND
    if kind != USER_KIND:
        raise NotAUser(f"{text} is not a catalog User (only kind User may act)")
    entity = catalog.get(text, default_kind=USER_KIND)
    if entity is not None and entity.kind_lower != USER_KIND:
        raise NotAUser(f"{text} names {entity.ref}, not a catalog User (only kind User may act)")
    return entity


def user_principal(catalog: Catalog, entity: CatalogEntity, via: str) -> Principal:
    """The principal of a catalog User, with its display name, email and groups."""
    profile = (entity.spec or {}).get("profile") or {}
    return Principal(
        ref=entity.ref,
        display_name=profile.get("displayName") or entity.metadata.title,
        email=profile.get("email"),
        groups=catalog.groups_of(entity.ref),
        via=via,
    )


def resolve_principal(
    catalog: Catalog, ref: str | None = None, *, email: str | None = None, via: str = "cli"
) -> Principal:
    """A principal for ``ref`` or ``email``; someone the catalog does not know is read-only.

    Used where the caller is trusted to name a person (the CLI's ``--user``, eval cases): an
    unknown name still answers read-only under a ``user:`` ref. A non-User raises :class:`NotAUser`.
    """
    entity = catalog_user(catalog, ref, email=email)
    if entity is not None:
        return user_principal(catalog, entity, via)
    if email or not ref:
        return Principal.anonymous(via=via)
    text = ref.strip()
    fallback = text if ":" in text else f"{USER_KIND}:default/{text}"
    return Principal(ref=fallback, read_only=True, via=via)
