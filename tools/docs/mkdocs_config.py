"""``mkdocs.yml`` read the way mkdocs reads it, for the parts that decide which pages exist and what they hold.

- YAML tags: ``!ENV VAR`` / ``!ENV [VAR1, VAR2, default]`` take the first set environment variable
  (else the default, else null), as mkdocs' ``pyyaml_env_tag`` does; ``!relative [$config_dir|$docs_dir]``
  becomes :class:`Relative`; ``!!python/name:…`` and other python tags keep their dotted name (mkdocs would
  import it; we never import from a config file).
- ``docs_dir`` is relative to the config file's folder and may point outside it (``../../docs``).
- ``exclude_docs`` (gitignore patterns, plus mkdocs' defaults ``.*`` and ``/templates/``) and
  ``draft_docs`` drop pages; a ``README.md`` is the folder's index page unless an ``index.md`` is there too.
- ``pymdownx.snippets`` and the ``macros`` plugin turn on includes (:mod:`tools.docs.includes`).
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

DEFAULT_EXCLUDE = (".*", "/templates/")


@dataclass(frozen=True)
class Relative:
    """A ``!relative`` path option: relative to ``$config_dir``, ``$docs_dir`` or (``""``) the page's folder."""

    base: str = ""


class _MkDocsLoader(yaml.SafeLoader):
    """SafeLoader plus the tags mkdocs configs use; nothing is ever imported or executed."""

    env: Mapping[str, str] = os.environ


def _env_tag(loader: _MkDocsLoader, node: yaml.Node) -> Any:
    default = None
    if isinstance(node, yaml.ScalarNode):
        names = [loader.construct_scalar(node)]
    elif isinstance(node, yaml.SequenceNode):
        children = list(node.value)
        if len(children) > 1:  # the last item is the default, typed as YAML types it
            default = loader.construct_object(children.pop())
        names = [loader.construct_scalar(child) for child in children]
    else:
        raise yaml.constructor.ConstructorError(
            None, None, f"!ENV expects a name or a list, not {node.id}", node.start_mark
        )
    for name in names:
        if name in loader.env:
            value = loader.env[name]
            tag = loader.resolve(yaml.ScalarNode, value, (True, False))
            return loader.construct_object(yaml.ScalarNode(tag, value))
    return default


def _relative_tag(loader: _MkDocsLoader, node: yaml.Node) -> Relative:
    value = loader.construct_scalar(node) if isinstance(node, yaml.ScalarNode) else ""
    return Relative(str(value or "").strip())


def _python_tag(loader: _MkDocsLoader, suffix: str, node: yaml.Node) -> Any:
    """``!!python/name:pkg.mod.attr`` → ``"pkg.mod.attr"``; other python tags → their plain value."""
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        return value or suffix.split(":", 1)[-1]
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


def _other_tag(loader: _MkDocsLoader, suffix: str, node: yaml.Node) -> Any:
    return _python_tag(loader, suffix, node)


_MkDocsLoader.add_constructor("!ENV", _env_tag)
_MkDocsLoader.add_constructor("!relative", _relative_tag)
_MkDocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", _python_tag)
_MkDocsLoader.add_multi_constructor("!", _other_tag)


def load_mkdocs_config(text: str, where: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The config as a dict; raises ValueError naming the file and line when it is not valid YAML."""
    loader = _MkDocsLoader(text)
    loader.env = os.environ if env is None else env
    try:
        data = loader.get_single_data()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{where}:{line} invalid YAML: {getattr(exc, 'problem', exc)}") from exc
    finally:
        loader.dispose()
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{where}: mkdocs.yml must be a mapping")
    return data


@dataclass
class SnippetOptions:
    """``pymdownx.snippets``: where snippet names are looked up, and files appended to every page."""

    base_paths: list[str] = field(default_factory=lambda: ["."])
    auto_append: list[str] = field(default_factory=list)
    restrict_base_path: bool = True


@dataclass
class MkDocsOptions:
    site_name: str | None
    docs_dir: str
    nav: Any
    use_directory_urls: bool
    exclude: Any  # pathspec GitIgnoreSpec
    snippets: SnippetOptions | None = None
    macros_include_dir: str | None = None

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> MkDocsOptions:
        import pathspec

        lines = list(DEFAULT_EXCLUDE)
        for key in ("exclude_docs", "draft_docs"):
            value = config.get(key)
            if isinstance(value, str):
                lines.extend(value.splitlines())
            elif isinstance(value, list):
                lines.extend(str(v) for v in value)
        docs_dir = config.get("docs_dir") or "docs"
        return cls(
            site_name=str(config["site_name"]) if config.get("site_name") else None,
            docs_dir=str(docs_dir.base if isinstance(docs_dir, Relative) else docs_dir),
            nav=config.get("nav"),
            use_directory_urls=bool(config.get("use_directory_urls", True)),
            exclude=pathspec.gitignore.GitIgnoreSpec.from_lines(line for line in lines if line.strip()),
            snippets=_snippet_options(config.get("markdown_extensions")),
            macros_include_dir=_macros_include_dir(config.get("plugins")),
        )

    def published(self, files: list[str]) -> list[str]:
        """The Markdown files mkdocs builds into pages: not excluded, and no README shadowed by an index."""
        kept = [f for f in files if not self.exclude.match_file(f)]
        present = set(kept)
        out = []
        for path in kept:
            folder, name = posixpath.split(path)
            if posixpath.splitext(name)[0] == "README" and posixpath.join(folder, "index.md") in present:
                continue  # mkdocs: "Excluding 'README.md' from the site because it conflicts with 'index.md'"
            out.append(path)
        return out


def _options(entries: Any, name: str) -> dict[str, Any] | None:
    """The options of ``name`` in a markdown_extensions/plugins list or mapping (``{}`` when bare), else None."""
    if isinstance(entries, dict):
        if name in entries:
            return entries[name] if isinstance(entries[name], dict) else {}
        return None
    for entry in entries if isinstance(entries, list) else []:
        if entry == name:
            return {}
        if isinstance(entry, dict) and name in entry:
            return entry[name] if isinstance(entry[name], dict) else {}
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    return [(item.base or ".") if isinstance(item, Relative) else str(item) for item in items]


def _snippet_options(extensions: Any) -> SnippetOptions | None:
    options = _options(extensions, "pymdownx.snippets")
    if options is None:
        return None
    return SnippetOptions(
        base_paths=_as_list(options.get("base_path", ".")) or ["."],
        auto_append=_as_list(options.get("auto_append")),
        restrict_base_path=bool(options.get("restrict_base_path", True)),
    )


def _macros_include_dir(plugins: Any) -> str | None:
    options = _options(plugins, "macros")
    if options is None:
        return None
    return str(options.get("include_dir") or "")
