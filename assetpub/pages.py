"""Static pages: Jinja2 templates rendered at build time with the asset helpers.

`pages = "templates"` in the config renders every `*.html` under that directory
(except partials and layouts: any file or directory whose name starts with `_` or
`.`) over the manifest of the build in progress. The builder writes the results as
files that keep their names, so a page is rebuilt, and changes, whenever an asset it
references gets a new fingerprint.
"""

from __future__ import annotations

import logging
import os
import traceback
from pathlib import Path

import jinja2
from jinja2.loaders import split_template_path

from .config import Config
from .errors import AssetpubError, BuildError, ConfigError
from .jinja import install
from .manifest import Manifest
from .safe_path import UnsafePath, within

log = logging.getLogger(__name__)


def render_pages(config: Config, manifest: Manifest) -> dict[str, str]:
    """{output name relative to the pages directory: rendered HTML} for every page."""
    root = Path(config.pages) if config.pages is not None else None
    if root is None:
        return {}
    if not root.is_dir():
        raise ConfigError(f"{root}: pages directory not found")
    env = environment(config, manifest)
    return {name: _render(env, root, name) for name in page_names(root)}


def environment(config: Config, manifest: Manifest) -> jinja2.Environment:
    """The Jinja2 environment pages render in: autoescaped, helpers installed. In strict
    mode an undefined variable is an error too, not an empty string."""
    env = jinja2.Environment(
        loader=_Loader(str(config.pages), encoding="utf-8"),
        autoescape=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined if config.strict else jinja2.Undefined,
    )
    install(env, manifest=manifest, base_url=config.base_url, strict=config.strict, importmap=config.importmap)
    return env


def page_names(root: Path) -> list[str]:
    """Template names of the pages, sorted: `*.html` not inside `_*` or `.*` names. A
    symlink that leaves the pages directory is skipped with a warning, as in a source root."""
    names = []
    seen = {os.path.realpath(root)}
    for directory, dirnames, filenames in os.walk(root, followlinks=True):
        kept = []
        for d in sorted(dirnames):
            path = os.path.join(directory, d)
            real = os.path.realpath(path)
            if d.startswith(("_", ".")) or real in seen:
                continue
            if not within(root, path):
                log.warning("%s: skipped: symlink points outside the pages directory", path)
                continue
            seen.add(real)
            kept.append(d)
        dirnames[:] = kept
        for name in filenames:
            path = os.path.join(directory, name)
            rel = Path(path).relative_to(root)
            if not name.endswith(".html") or name.startswith(("_", ".")) or not os.path.isfile(path):
                continue
            if not within(root, path):
                log.warning("%s: skipped: symlink points outside the pages directory", path)
                continue
            names.append(rel.as_posix())
    return sorted(names)


class _Loader(jinja2.FileSystemLoader):
    """Loads templates (pages, includes, layouts) only from inside the pages directory:
    a symlinked partial that leaves it is an error, and its target is never read."""

    def get_source(self, environment, template):
        pieces = split_template_path(template)
        for searchpath in self.searchpath:
            path = os.path.join(searchpath, *pieces)
            if os.path.lexists(path) and not within(searchpath, path):
                raise UnsafePath(f"{path}: symlink points outside the pages directory; not read")
        return super().get_source(environment, template)


def _render(env: jinja2.Environment, root: Path, name: str) -> str:
    try:
        return env.get_template(name).render(page=name)
    except jinja2.TemplateSyntaxError as e:
        file = e.filename or str(root / name)
        raise BuildError(f"template syntax error: {e.message}", file=file, line=e.lineno) from None
    except UnicodeDecodeError as e:
        raise BuildError(f"template is not valid UTF-8: {e.reason}", file=str(root / name)) from None
    except Exception as e:  # noqa: BLE001
        # whatever a template raises while rendering (a missing asset, a filter, a division)
        # is the page author's error: one line naming the template line, never a traceback
        file, line = _template_frame(e, root) or (str(root / name), None)
        if isinstance(e, jinja2.TemplateNotFound):
            message = f"template not found: {e.name}"
        elif isinstance(e, (AssetpubError, jinja2.TemplateError)):
            message = str(e)
        else:
            message = f"{type(e).__name__}: {e}"
        raise BuildError(message, file=file, line=line) from None


def _template_frame(error: BaseException, root: Path) -> tuple[str, int] | None:
    """The innermost traceback frame in a template file. Jinja2 rewrites tracebacks so
    template frames carry the template's file name and line number."""
    found = None
    for frame in traceback.extract_tb(error.__traceback__):
        try:
            Path(frame.filename).resolve().relative_to(root.resolve())
        except ValueError:
            continue
        if frame.lineno is not None:
            found = (frame.filename, frame.lineno)
    return found
