"""The site's own checks: every page in the navigation exists and every relative link resolves."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"


def nav_pages(nav):
    for item in nav:
        for value in item.values():
            if isinstance(value, list):
                yield from nav_pages(value)
            else:
                yield value


def test_every_nav_page_exists():
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text())
    pages = list(nav_pages(config["nav"]))
    assert pages, "the navigation is empty"
    for page in pages:
        assert (DOCS / page).is_file(), page


def test_relative_links_resolve():
    for page in DOCS.glob("*.md"):
        for target in re.findall(r"\]\(([^)#:]+)\)", page.read_text()):
            assert (page.parent / target).exists(), f"{page.name} links to missing {target}"
