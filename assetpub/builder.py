"""The build: sources -> references -> fingerprints -> products -> output + manifest.

Nothing is written until every source has been read, scanned and resolved, so a bad
file (or a missing reference in strict mode) leaves the previous output untouched.
Then fingerprinted files are written (new names never replace anything the live
manifest uses), then files that keep their names, then the manifest, last.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import __version__, compress, media_types
from . import minify as minifier
from .compilers import Ref, scanner_for
from .config import Config, load_config
from .digest import combine, fingerprinted_name, is_pre_digested, sha256_hex
from .errors import BuildError, ConfigError
from .globs import matches
from .graph import closure_hashes
from .load_path import SourceFile, discover
from .manifest import MANIFEST_NAME, Manifest
from .output import record_history, write_if_changed
from .pipeline import Job, Product, process
from .resolve import local_target, rewritten

log = logging.getLogger(__name__)


@dataclass
class BuildResult:
    manifest: Manifest
    out: Path
    warnings: list[str] = field(default_factory=list)
    files: int = 0
    bytes: int = 0
    written: int = 0
    processed: int = 0
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "manifest": str(self.out / MANIFEST_NAME),
            "files": self.files,
            "bytes": self.bytes,
            "written": self.written,
            "processed": self.processed,
            "warnings": list(self.warnings),
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Source:
    file: SourceFile
    data: bytes
    sha: str
    kind: str
    text: str | None = None
    refs: list[Ref] = field(default_factory=list)


def build(
    sources: Any = None, out: Any = None, *, config: Config | None = None, config_file: Any = None, **options: Any
) -> BuildResult:
    """Build assets. `build(["assets"], out="build", base_url="/static/")`, or `build(config=cfg)`.

    Settings not given come from `config_file` when named (the API never reads the
    current directory's config on its own; the CLI does)."""
    if config is None:
        if isinstance(sources, (str, Path)):
            sources = [sources]
        config = load_config(config_file, discover=False, sources=tuple(sources or ()), out=out, **options)
    return Builder(config).run()


class Builder:
    def __init__(self, config: Config):
        if not config.sources:
            raise ConfigError("no source directory given (pass SOURCE_DIR or set 'sources' in the config)")
        if config.out is None:
            raise ConfigError("no output directory given (pass --out DIR or set 'out' in the config)")
        self.config = config
        self.out = Path(config.out)
        self.base_path = urlsplit(config.base_url).path or "/"
        self.warnings: list[str] = []

    # -- the steps, in order -------------------------------------------------
    def run(self) -> BuildResult:
        started = time.perf_counter()
        files, walk_warnings = discover(self.config.sources, exclude=self.config.exclude, skip=[self.out])
        self.warnings.extend(walk_warnings)
        sources = {name: self._read(f) for name, f in files.items()}
        edges, edits = self._resolve(sources)
        out_names, fingerprints = self._name(sources, edges)
        self._out_names = out_names
        products = [process(self._job(sources[n], out_names[n], edits[n])) for n in sources]
        manifest = self._manifest(products, fingerprints)
        if self.config.pages is not None:
            pages = self._render_pages(manifest)
            products += pages
            fingerprints.update({p.name: sha256_hex(p.data) for p in pages})
            manifest = self._manifest(products, fingerprints)
        written = self._write(products, manifest)
        for w in self.warnings:
            log.warning("%s", w)
        return BuildResult(
            manifest=manifest,
            out=self.out,
            warnings=self.warnings,
            files=len(products),
            bytes=sum(len(p.data) for p in products),
            written=written,
            processed=len(products),
            seconds=time.perf_counter() - started,
        )

    # -- reading and scanning ------------------------------------------------
    def _read(self, file: SourceFile) -> _Source:
        try:
            data = file.path.read_bytes()
        except OSError as e:
            raise BuildError(f"cannot read: {e.strerror}", file=str(file.path)) from None
        kind = media_types.kind(file.name)
        source = _Source(file, data, sha256_hex(data), kind)
        scanner = scanner_for(kind)
        if scanner is not None:
            try:
                source.text = data.decode("utf-8")
            except UnicodeDecodeError as e:
                line = data[: e.start].count(b"\n") + 1
                raise BuildError(
                    f"not valid UTF-8 (byte 0x{data[e.start]:02x}); save the file as UTF-8", file=str(file.path), line=line
                ) from None
            refs, notes = scanner(source.text)
            source.refs = refs
            for note in notes:
                self.warnings.append(f"{file.path}:{_line(source.text, note.pos)}: {note.message}")
        return source

    def _resolve(self, sources: dict[str, _Source]) -> tuple[dict[str, list[str]], dict[str, list]]:
        """Edges of the reference graph, and per file the pending edits (ref, target name or None)."""
        edges: dict[str, list[str]] = {}
        pending: dict[str, list] = {}
        missing: list[str] = []
        for name, source in sources.items():
            targets: set[str] = set()
            pending[name] = []
            for ref in source.refs:
                target = local_target(ref.url, name, self.base_path, kind=ref.kind)
                if target is None:
                    continue
                if target.name in sources:
                    targets.add(target.name)
                    pending[name].append((ref, target))
                elif ref.kind == "sourcemap":
                    self.warnings.append(
                        f"{source.file.path}:{_line(source.text, ref.start)}: source map {ref.url!r} not found; comment removed"
                    )
                    pending[name].append((ref, None))
                else:
                    missing.append(f"{source.file.path}:{_line(source.text, ref.start)}: missing reference {ref.url!r}")
            edges[name] = sorted(targets)
        if missing and self.config.strict:
            more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
            raise BuildError(missing[0] + more)
        self.warnings.extend(m + " (left as written)" for m in missing)
        return edges, pending

    # -- naming ----------------------------------------------------------------
    def _keeps_name(self, name: str) -> bool:
        return matches(name, self.config.keep_names) or is_pre_digested(name)

    def _name(self, sources: dict[str, _Source], edges: dict[str, list[str]]):
        closure = closure_hashes(edges, {n: s.sha for n, s in sources.items()})
        pipeline = self.pipeline_id()
        fingerprints = {n: combine(pipeline, n, closure[n]) for n in sources}
        out_names = {n: n if self._keeps_name(n) else fingerprinted_name(n, fingerprints[n]) for n in sources}
        return out_names, fingerprints

    def pipeline_id(self) -> str:
        """Everything besides the sources that changes output bytes or names."""
        c = self.config
        return combine(
            f"assetpub {__version__}",
            minifier.versions(),
            compress.version(),
            f"minify={c.minify}",
            f"gzip={c.gzip}",
            f"brotli={c.brotli}:{c.brotli_quality}",
            f"base_path={self.base_path}",
            "keep=" + ",".join(c.keep_names),
        )

    def _job(self, source: _Source, out_name: str, pending: list) -> Job:
        edits = []
        has_map = False
        for ref, target in pending:
            if target is None:  # a missing source map: drop its comment
                start, end = ref.comment
                edits.append((start, end, ""))
                continue
            has_map = has_map or ref.kind == "sourcemap"
            new = rewritten(target, self._out_names[target.name])
            if new != ref.url:
                edits.append((ref.start, ref.end, new))
        return Job(
            name=source.file.name,
            out_name=out_name,
            kind=source.kind,
            data=source.data,
            edits=tuple(edits),
            minify=self.config.minify and minifier.should_minify(source.file.name, source.kind, has_map),
            compressible=media_types.is_compressible(source.file.name) and (self.config.gzip or self.config.brotli),
            use_brotli=self.config.brotli,
            use_gzip=self.config.gzip,
            brotli_quality=self.config.brotli_quality,
        )

    # -- manifest and output -------------------------------------------------------
    def _manifest(self, products: list[Product], fingerprints: dict[str, str]) -> Manifest:
        assets = {}
        for p in products:
            fingerprinted = p.out_name != p.name or is_pre_digested(p.name)
            assets[p.name] = {
                "path": p.out_name,
                "integrity": p.integrity,
                "size": len(p.data),
                "content_type": media_types.content_type(p.name),
                "cache_control": self._cache_control(p.name, fingerprinted),
                "digest": fingerprints[p.name],
                "fingerprinted": fingerprinted,
                "encodings": {
                    enc: {"path": p.out_name + compress.EXTENSIONS[enc], "size": len(data)}
                    for enc, data in sorted(p.variants.items())
                },
            }
        return Manifest(
            base_url=self.config.base_url,
            assets=dict(sorted(assets.items())),
            extra={"generator": f"assetpub {__version__}", "pipeline": self.pipeline_id()},
            source=str(self.out / MANIFEST_NAME),
        )

    def _render_pages(self, manifest: Manifest) -> list[Product]:
        """Jinja2 pages rendered with the asset helpers; they keep their names (see pages.py)."""
        from .pages import render_pages

        rendered = render_pages(self.config, manifest)
        clash = sorted(set(rendered) & set(manifest.assets))
        if clash:
            raise BuildError(f"page {clash[0]!r} has the same name as a source file")
        return [
            process(
                Job(
                    name=name,
                    out_name=name,
                    kind="html",
                    data=html.encode("utf-8"),
                    compressible=media_types.is_compressible(name) and (self.config.gzip or self.config.brotli),
                    use_brotli=self.config.brotli,
                    use_gzip=self.config.gzip,
                    brotli_quality=self.config.brotli_quality,
                )
            )
            for name, html in sorted(rendered.items())
        ]

    def _cache_control(self, name: str, fingerprinted: bool) -> str:
        for rule in self.config.headers:
            if matches(name, [rule.match]):
                return rule.cache_control
        return self.config.cache_control if fingerprinted else self.config.cache_control_keep_name

    def _write(self, products: list[Product], manifest: Manifest) -> int:
        """Fingerprinted files first, then files that keep their names, then the manifest."""
        written = 0
        ordered = sorted(products, key=lambda p: not manifest.assets[p.name]["fingerprinted"])
        for p in ordered:
            written += write_if_changed(self.out / p.out_name, p.data)
            for enc, data in p.variants.items():
                written += write_if_changed(self.out / (p.out_name + compress.EXTENSIONS[enc]), data)
        data = manifest.to_json()
        write_if_changed(self.out / MANIFEST_NAME, data)
        record_history(self.out, data)
        return written


def _line(text: str | None, pos: int) -> int:
    return text.count("\n", 0, pos) + 1 if text else 1
