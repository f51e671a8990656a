"""The build: sources -> references -> fingerprints -> products -> output + manifest.

Nothing is written until every source has been read, scanned and resolved, so a bad
file (or a missing reference in strict mode) leaves the previous output untouched.
Then fingerprinted files are written (new names never replace anything the live
manifest uses), then files that keep their names, then the manifest, last.

Repeated builds are incremental (see cache.py): an unchanged source is only stat()ed,
and a file whose fingerprint was already built is not processed again.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

from . import __version__, build_stamp, compilers, compress, media_types
from . import minify as minifier
from .cache import CACHE_NAME, BuildCache
from .compilers.urls import local_target, rewritten
from .config import Config, load_config
from .digest import combine, fingerprinted_name, is_pre_digested
from .errors import BuildError, ConfigError, ManifestError
from .globs import matches
from .graph import closure_hashes, reaching
from .hashes import record_written, written_entry
from .load_path import SourceFile, discover
from .manifest import MANIFEST_NAME, Lines, Manifest
from .origin import RESERVED
from .output import STATE_DIR, record_history, write_atomic, write_if_changed
from .pipeline import ChangedDuringBuild, Job, Product, RefRow, Scan, produce, scan
from .safe_path import inside
from .stamps import Reference, sha256_file, stamp
from .workers import Pool

log = logging.getLogger(__name__)

Progress = Callable[[str, int, int], None]  # (phase, done, total)


@dataclass
class BuildResult:
    manifest: Manifest
    out: Path
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # one line per file shipped unminified, and why
    files: int = 0
    bytes: int = 0
    written: int = 0
    processed: list[str] = field(default_factory=list)  # logical names whose output was (re)built
    reused: list[str] = field(default_factory=list)  # logical names taken from `reuse` (not written)
    seconds: float = 0.0

    def summary(self) -> dict[str, Any]:
        return {
            "out": str(self.out),
            "manifest": str(self.out / MANIFEST_NAME),
            "files": self.files,
            "bytes": self.bytes,
            "written": self.written,
            "processed": len(self.processed),
            "reused": len(self.reused),
            "warnings": list(self.warnings),
            "notes": list(self.notes),
            "not_minified": len(self.notes),
            "seconds": round(self.seconds, 3),
        }


class _Unchanged(BuildResult):
    """A no-op's result (build_stamp.py): the manifest on disk is the one the last build
    wrote (its stat is in the outputs' digest), read when first asked for (at 100k files it
    is 48 MB, which the CLI needs only for budgets) and not checked again. It is made with
    the manifest's stat instead; read later, the file must still have it (another build
    may have replaced it since)."""

    @property
    def manifest(self) -> Manifest:
        if not isinstance(self._manifest, Manifest):
            path = self.out / MANIFEST_NAME
            try:
                same = stamp(os.stat(path)) == self._manifest
            except OSError:
                same = False
            if not same:
                raise ManifestError(f"{path}: replaced since this build; build again for its manifest")
            self._manifest = Manifest.load(path, check_entries=False)
        return self._manifest

    @manifest.setter
    def manifest(self, value) -> None:
        self._manifest = value


@dataclass
class BuildMemo:
    """What a build leaves for the next one in the same process (watch mode), so that an
    edit costs what it changes: the build cache stays in memory (not re-read, and saved
    at most every `save_every` seconds and by `flush()`), and when the next build is told
    exactly which files were modified (`build(..., changed=names)`, no file created,
    deleted or moved) the tree is not walked again, unchanged sources are not stat()ed,
    products the previous build made or checked are not stat()ed either, and every step
    (scanning, resolving, naming, producing, the manifest's lines) looks at the names that
    reach a modified file only: the site-wide tables below are the last build's, updated
    in place for those names (a failed build makes the next one walk and start afresh).

    A build with a memo does not write the build cache: the caller does, with `flush()`
    (when `due()`, after the result is out, and at the end)."""

    save_every: float = 5.0
    cache: BuildCache | None = None
    files: dict[str, SourceFile] | None = None  # the last walk; None: walk again
    walk_warnings: list[str] = field(default_factory=list)
    sources: dict[str, _Source] = field(default_factory=dict)
    graph: _Graph | None = None  # the last build's references, resolved
    naming: tuple | None = None  # (closure hashes, digests, output names) of the last build
    products: dict[str, Product] = field(default_factory=dict)  # the last build's, without bytes
    product_digests: dict[str, str] = field(default_factory=dict)  # name -> digest of products[name]
    product_bytes: int = 0  # the sum of their sizes
    assets: dict = field(default_factory=dict)  # the last manifest's table
    manifest_lines: Lines = field(default_factory=Lines)  # the manifest's lines, in name order
    manifest: tuple | None = None  # (stat, bytes) of the manifest the last build left in OUT
    entries: dict = field(default_factory=dict)  # name -> (digest, output name, manifest entry)
    live: _Live | None = None  # what the last build used (the save's arguments, computed when saving)
    saved_at: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)  # how many names each step looked at (tests)

    def due(self) -> bool:
        return self.live is not None and time.monotonic() - self.saved_at >= self.save_every

    def flush(self) -> None:
        """Write the build cache if a save was deferred."""
        if self.cache is not None and self.live is not None:
            live = self.live
            self.cache.save(live_sources=live.sources(), live_scans=live.scans(), live_names=set(live.products))
            self.saved_at, self.live = time.monotonic(), None

    def forget(self) -> None:
        """Start afresh: the next build walks, and rebuilds every table."""
        self.files, self.graph, self.naming = None, None, None
        self.products, self.product_digests, self.assets, self.product_bytes = {}, {}, {}, 0


@dataclass
class _Graph:
    """The resolved references of every source: edges (name -> names it references, sorted),
    the reverse edges, the edits each file waits for (ref row, LocalRef or None), and per
    file the warnings resolving gave (sparse: only files that have some)."""

    edges: dict[str, list[str]] = field(default_factory=dict)
    importers: dict[str, set[str]] = field(default_factory=dict)
    pending: dict[str, list] = field(default_factory=dict)
    notes: dict[str, list[str]] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)
    scan_notes: dict[str, list[str]] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)  # name -> its place in the walk

    def link(self, name: str, targets: list[str]) -> None:
        for old in self.edges.get(name, ()):
            self.importers[old].discard(name)
        self.edges[name] = targets
        for t in targets:
            self.importers.setdefault(t, set()).add(name)

    def in_order(self, sparse: dict[str, list[str]]) -> list[str]:
        return [w for n in sorted(sparse, key=self.order.__getitem__) for w in sparse[n]]


@dataclass(frozen=True)
class _Live:
    """What a build used, for BuildCache.save (computed only when the cache is saved)."""

    files: Mapping[str, SourceFile]
    sources_by_name: Mapping[str, _Source]
    products: Mapping[str, Any]

    def sources(self) -> set[str]:
        return {str(f.path) for f in self.files.values()}

    def scans(self) -> set[str]:
        return {f"{s.kind}:{s.scan.sha}" for s in self.sources_by_name.values()}


@dataclass
class _Source:
    file: SourceFile
    kind: str
    size: int
    scan: Scan


def build(
    sources: Any = None,
    out: Any = None,
    *,
    config: Config | None = None,
    config_file: Any = None,
    reuse: Mapping[str, Mapping[str, Any]] | None = None,
    pool: Pool | None = None,
    progress: Progress | None = None,
    record_hashes: bool = True,
    memo: BuildMemo | None = None,
    changed: Any = None,
    **options: Any,
) -> BuildResult:
    """Build assets: `build(["assets"], out="build", base_url="/static/")`, or `build(config=cfg)`.

    Settings not given come from `config_file` when named (the API never reads the
    current directory's config on its own; the CLI does).

    `reuse` maps full fingerprints (manifest `digest`) to manifest entries already
    published elsewhere: those assets are not processed nor written, their entries are
    copied (deploy from a fresh checkout). `pool` lets a caller keep worker processes
    across builds (watch mode). `progress(phase, done, total)` is called as work finishes.
    `record_hashes` keeps the SHA-256 of every file written in OUT/.assetpub, so that
    publishing the build does not read it again (watch mode, which never publishes,
    turns it off). `memo` (a BuildMemo kept by the caller) and `changed` (the logical
    names of the only files modified since the last build with that memo, or None when
    unknown) make repeated builds in one process cost what changed (watch mode).
    """
    if config is None:
        if isinstance(sources, (str, Path)):
            sources = [sources]
        config = load_config(config_file, discover=False, sources=tuple(sources or ()), out=out, **options)
    own_pool = pool is None
    pool = pool or Pool(config.jobs)
    try:
        builder = Builder(config, reuse=reuse, pool=pool, progress=progress, record_hashes=record_hashes)
        try:
            return builder.run(memo=memo, changed=changed)
        except BaseException:
            if memo is not None:
                memo.files = None  # the failed build's changes are not in the memo: walk again
            raise
    finally:
        if own_pool:
            pool.close()


class Builder:
    def __init__(
        self,
        config: Config,
        *,
        reuse=None,
        pool: Pool | None = None,
        progress: Progress | None = None,
        record_hashes: bool = True,
    ):
        if not config.sources:
            raise ConfigError("no source directory given (pass SOURCE_DIR or set 'sources' in the config)")
        if config.out is None:
            raise ConfigError("no output directory given (pass --out DIR or set 'out' in the config)")
        self.config = config
        self.out = Path(config.out)
        self.base_path = urlsplit(config.base_url).path or "/"
        self.reuse = reuse or {}
        self.pool = pool or Pool(config.jobs)
        self.progress = progress
        self.record_hashes = record_hashes
        self.warnings: list[str] = []
        self.notes: list[str] = []
        self._manifest_lines: Lines | None = None  # the memo's, in watch mode
        self._last_manifest: tuple | None = None  # the memo's, in watch mode
        self._hashes: dict[str, list] = {}  # the publish hash-cache entries of the files this build wrote
        self._transient: list[str] = []  # warnings about this run only (not repeated by a no-op)
        self._wrote: dict[str, list] = {}  # output path -> its stat right after this build wrote it
        self._entries: dict | None = None  # the memo's, in watch mode

    # -- the steps, in order -------------------------------------------------
    def run(self, *, memo: BuildMemo | None = None, changed: Any = None) -> BuildResult:
        started = time.perf_counter()
        only = _modified_only(memo, changed)  # watch mode: the only names modified since the last build
        if only is not None:
            files, walk_warnings = memo.files, memo.walk_warnings
        else:
            skip = [self.out] + ([self.config.pages] if self.config.pages is not None else [])
            files, walk_warnings = discover(self.config.sources, exclude=self.config.exclude, skip=skip)
            _check_reserved(files)  # the same names as last time need no second look
        self.warnings.extend(walk_warnings)
        self._walked = len(self.warnings)  # the walk's warnings come first; a no-op walks again
        self._check_out()
        pipeline = self.pipeline_id()
        stamped = memo is None and not self.reuse and self.record_hashes  # a CLI or API build
        if stamped:
            self._began = self._reference()  # before any source or output is read
            before = build_stamp.sources_digest(files, self.config.pages, self._began)
            unchanged = self._unchanged(before, started)
            if unchanged is not None:
                return unchanged
            build_stamp.remove(self.out)  # whatever happens next, the old stamp no longer holds
        kept = memo.cache if memo is not None else None
        if kept is not None and kept.pipeline == pipeline and kept.path == self.out / CACHE_NAME:
            cache = kept
        else:
            cache = BuildCache(self.out, pipeline)
            if cache.discarded:
                self.warnings.append(f"{cache.path}: build cache {cache.discarded}; rebuilding it")
                self._transient.append(self.warnings[-1])
            only = None  # another pipeline: nothing the memo holds is known to be right
            if memo is not None:
                memo.manifest_lines.clear()
                memo.entries.clear()
        if memo is not None and only is None:
            memo.forget()
        graph = memo.graph if only is not None else _Graph()
        sources = self._scan(files, cache, graph, memo.sources if only is not None else None, only)
        edges, pending = self._resolve(sources, graph, only)
        self._manifest_lines = memo.manifest_lines if memo is not None else None
        self._last_manifest = memo.manifest if memo is not None else None
        self._entries = memo.entries if memo is not None else None
        out_names, digests, closure, named = self._name(sources, graph, memo.naming if only is not None else None, only)
        if memo is not None:
            memo.naming = (closure, digests, out_names)  # updated in place by the next build
            memo.graph = graph
        previous = (memo.products, memo.product_digests) if only is not None else None
        try:
            products, processed, reused = self._produce_or_forget(
                sources, pending, out_names, digests, cache, files, named if only is not None else None, previous
            )
            base = memo.assets if only is not None else None
            manifest = self._manifest(products, digests, named if only is not None else None, base)
            if memo is not None:
                memo.assets = dict(manifest.assets)  # the sources' table, before pages join it
            lines = named if only is not None else None
            page_bytes = 0
            if self.config.pages is not None:
                pages = self._render_pages(manifest)
                page_bytes = sum(p.size for p in pages)
                products.update({p.name: p for p in pages})
                digests = {**digests, **{p.name: p.integrity for p in pages}}  # the memo's naming stays the sources'
                processed += [p.name for p in pages]
                manifest = self._manifest(dict(sorted(products.items())), digests)
                lines = None
            written = self._write(products, manifest, cache, digests, fresh=set(processed), lines=lines)
            live = _Live(files, sources, products)
            if memo is None:
                cache.save(live_sources=live.sources(), live_scans=live.scans(), live_names=set(products))
                cache.release()  # its tables are a third of a large build's memory: not held while
                if self._hashes:  # the publish hash cache is read and merged
                    record_written(self.out, self._hashes)  # a build that made nothing has nothing to add
                if stamped and before is not None:
                    self._stamp(before, products)
            else:
                if self._hashes:  # an API caller's memo build that keeps the hashes (watch does not)
                    record_written(self.out, self._hashes)
                memo.cache, memo.live = cache, live  # saved by the caller: memo.flush()
                memo.files, memo.walk_warnings = files, walk_warnings
                memo.sources = sources
                memo.manifest = self._last_manifest
                fresh = set(processed)
                for n in (named if only is not None else sources):
                    p = products[n]
                    old = memo.products.get(n)
                    memo.product_bytes += p.size - (old.size if old is not None else 0)
                    memo.products[n] = _product_from_entry(n, p.entry()) if n in fresh or p.files or p.hashes else p
                    memo.product_digests[n] = digests[n]
                memo.stats = {
                    "trusted_sources": len(files) - len(only if only is not None else files),
                    "trusted_products": len(sources) - len(named) + self._trusted_products,
                    "scanned": len(only if only is not None else files),
                    "resolved": len(only if only is not None else sources),
                    "named": len(named),
                    "checked": len(named),
                    "lines": len(lines if lines is not None else manifest.assets),
                }
        except OSError as e:  # a full disk, a read-only or vanished directory: no traceback
            where = str(e.filename) if e.filename else str(self.out)
            inside = where == str(self.out) or where.startswith(str(self.out) + os.sep)
            raise BuildError(f"{'cannot write' if inside else 'cannot read'}: {e.strerror or e}", file=where) from None
        for w in self.warnings:
            log.warning("%s", w)
        return BuildResult(
            manifest=manifest,
            out=self.out,
            warnings=self.warnings,
            notes=sorted(self.notes),
            files=len(products),
            bytes=(
                sum(p.size for p in products.values()) if memo is None
                else memo.product_bytes + page_bytes  # the sources' sum kept up to date, and the pages'
            ),
            written=written,
            processed=sorted(processed),
            reused=sorted(reused),
            seconds=time.perf_counter() - started,
        )

    # -- the no-op proof (build_stamp.py) ------------------------------------------
    def _reference(self) -> Reference:
        state = self.out / STATE_DIR
        return Reference(state if state.is_dir() else None)

    def _stamp_key(self) -> str:
        """pipeline_id and the whole configuration; with pages, the template engine's versions."""
        engine = ()
        if self.config.pages is not None:
            from importlib.metadata import version

            import jinja2

            engine = (f"jinja2 {jinja2.__version__}", f"markupsafe {version('markupsafe')}")
        return build_stamp.key(self.pipeline_id(), self.config, *engine)

    def _unchanged(self, before: str | None, started: float) -> BuildResult | None:
        """The last build's result when nothing changed since (the stamp holds), else None."""
        proof = build_stamp.load(self.out) if before is not None else None
        if proof is None or proof.key != self._stamp_key() or proof.sources != before:
            return None
        if proof.outputs != build_stamp.outputs_digest(self.out, None):
            return None
        try:
            manifest_stat = stamp(os.stat(self.out / MANIFEST_NAME))
        except OSError:
            return None
        summary = proof.summary
        warnings = [*self.warnings, *summary.get("warnings", ())]  # this walk's, then the last build's own
        for w in warnings:
            log.warning("%s", w)
        return _Unchanged(
            manifest=manifest_stat,
            out=self.out,
            warnings=warnings,
            notes=list(summary.get("notes", ())),
            files=int(summary.get("files", 0)),
            bytes=int(summary.get("bytes", 0)),
            seconds=time.perf_counter() - started,
        )

    def _stamp(self, before: str, products: Mapping[str, Product]) -> None:
        """Stamp what this build left in OUT: every file either still as this build wrote
        it or older than the build, every file its manifest names present."""
        expected = [MANIFEST_NAME]
        for p in products.values():
            expected.append(p.out_name)
            expected.extend(v["path"] for v in p.encodings.values())
        after = build_stamp.outputs_digest(self.out, self._began, ours=self._wrote, expected=expected)
        if after is None:
            return  # written meanwhile, or in this very tick: the next build, which writes nothing, stamps
        summary = {
            "files": len(products),
            "bytes": sum(p.size for p in products.values()),
            "warnings": [w for w in self.warnings[self._walked:] if w not in self._transient],
            "notes": sorted(self.notes),
        }
        build_stamp.save(self.out, build_stamp.Stamp(self._stamp_key(), before, after, summary))

    def _check_out(self) -> None:
        """Fail before any work when the output directory cannot be one, or would mix
        outputs with sources (the next build would take them for sources). A ConfigError:
        no edit to a source fixes it, so watch mode stops at once."""
        out = os.path.realpath(self.out)
        for root in self.config.sources:
            real = os.path.realpath(root)
            if real == out:
                raise ConfigError(f"output directory is the source directory {root}; use a directory of its own")
            if real.startswith(out.rstrip(os.sep) + os.sep):
                raise ConfigError(f"source directory {root} is inside the output directory {self.out}")
        for path in (self.out, *self.out.parents):
            if path.exists():
                if not path.is_dir():
                    if path == self.out:
                        raise ConfigError(f"{path}: output directory is a file")
                    raise ConfigError(f"{path}: is a file, so output directory {self.out} cannot be created")
                return

    # -- reading and scanning ------------------------------------------------
    def _scan(
        self, files: dict[str, SourceFile], cache: BuildCache, graph: _Graph,
        previous: dict[str, _Source] | None = None, only: set[str] | None = None,
    ) -> dict[str, _Source]:
        """Hash and scan every source; unchanged files (same stat) cost one stat(). With
        `previous` (the last build's sources, watch mode) only the `only` names are looked
        at: the others are known unchanged."""
        reference = cache.reference()
        known: dict[str, _Source] = {}
        todo: list[tuple[SourceFile, str, os.stat_result]] = []
        if only is None:
            graph.order = {name: i for i, name in enumerate(files)}
        for name in files if only is None else only:
            f = files[name]
            kind = media_types.kind(name)
            try:
                st = f.path.stat()
            except OSError as e:
                raise BuildError(f"cannot read: {e.strerror}", file=str(f.path)) from None
            sha = cache.source_sha(str(f.path), st)
            scanned = sha and (Scan(sha) if kind == "other" else _cached_scan(cache, sha, kind))
            if scanned:
                known[name] = _Source(f, kind, st.st_size, scanned)
            else:
                todo.append((f, kind, st))
        if todo and cache.scans:
            todo = self._known_contents(todo, known, cache, reference)
        results = self.pool.map(
            scan, todo, lambda t: (str(t[0].path), t[1]), weight=lambda t: t[2].st_size, progress=self._phase("scan")
        )
        for (f, kind, st), result in zip(todo, results, strict=True):
            if result.error:
                message, line = result.error
                raise BuildError(message, file=str(f.path), line=line)
            cache.remember_source(str(f.path), st, result.sha, reference)
            if kind != "other":
                cache.remember_scan(f"{kind}:{result.sha}", [result.refs, result.notes], many=result.many)
            known[f.name] = _Source(f, kind, st.st_size, result)
        for name, source in known.items():
            if source.scan.notes:
                graph.scan_notes[name] = [f"{source.file.path}:{line}: {message}" for line, message in source.scan.notes]
            else:
                graph.scan_notes.pop(name, None)
        self.warnings.extend(graph.in_order(graph.scan_notes))
        if previous is None:
            return {name: known[name] for name in files}
        sources = dict(previous)  # same names, same order: the modified ones replaced
        sources.update(known)
        return sources

    def _known_contents(self, todo, known: dict[str, _Source], cache: BuildCache, reference) -> list:
        """Files whose stat is new but whose content the cache has scanned before (a fresh
        checkout, or the first rebuild after a cold build): hashed here, not scanned again
        in the pool. Returns the files still to scan."""
        rest = []
        for f, kind, st in todo:
            try:
                sha = sha256_file(f.path)
            except OSError:
                rest.append((f, kind, st))  # the worker reports it
                continue
            cached = Scan(sha) if kind == "other" else _cached_scan(cache, sha, kind)
            if cached is None:
                rest.append((f, kind, st))
                continue
            known[f.name] = _Source(f, kind, st.st_size, cached)
            cache.remember_source(str(f.path), st, sha, reference)
        return rest

    def _resolve(self, sources: dict[str, _Source], graph: _Graph, only: set[str] | None = None):
        """Resolve the references of every source (with `only`: of those names, the graph
        holding the others' from the last build) into `graph`; returns (edges, pending)."""
        for name in sources if only is None else only:
            source = sources[name]
            targets: set[str] = set()
            todo = []
            notes, misses = [], []
            for row in source.scan.refs:
                url, kind, line = row.url, row.kind, row.line
                target = local_target(url, name, self.base_path, kind=kind)
                if target is None:
                    continue
                if target.name in sources:
                    targets.add(target.name)
                    todo.append((row, target))
                elif kind == "navigation":
                    continue  # a link to a page that is not an asset
                elif kind == "sourcemap":
                    notes.append(f"{source.file.path}:{line}: source map '{url}' not found; comment removed")
                    todo.append((row, None))
                else:
                    misses.append(f"{source.file.path}:{line}: missing reference '{url}'")
            graph.link(name, sorted(targets))
            graph.pending[name] = todo
            for table, found in ((graph.notes, notes), (graph.misses, misses)):
                if found:
                    table[name] = found
                else:
                    table.pop(name, None)
        missing = graph.in_order(graph.misses)
        if missing and self.config.strict:
            more = f" (and {len(missing) - 1} more, listed below)" if len(missing) > 1 else ""
            error = BuildError(missing[0] + more)
            error.details = tuple(missing[1:])  # the CLI prints each as an `error:` line of its own
            raise error
        self.warnings.extend(graph.in_order(graph.notes))
        self.warnings.extend(m + " (left as written)" for m in missing)
        return graph.edges, graph.pending

    # -- naming ----------------------------------------------------------------
    def _keeps_name(self, name: str) -> bool:
        return matches(name, self.config.keep_names) or is_pre_digested(name)

    def _name(self, sources: dict[str, _Source], graph: _Graph, previous=None, only=None):
        """(output names, digests, closure hashes, the names named). With `previous` (the last
        build's three maps, same files: watch mode, updated in place) only the names that
        reach one of `only` (the modified ones) are hashed again."""
        pipeline = self.pipeline_id()
        if previous is None:
            own = {n: s.scan.sha for n, s in sources.items()}
            todo, closure, digests, out_names = sources, closure_hashes(graph.edges, own), {}, {}
        else:
            todo = reaching(graph.edges, set(only), importers=graph.importers)
            own = {n: sources[n].scan.sha for n in todo}
            closure, digests, out_names = previous
            closure.update(closure_hashes(graph.edges, own, only=todo, known=closure))
        for n in todo:
            digests[n] = combine(pipeline, n, closure[n])
            out_names[n] = n if self._keeps_name(n) else fingerprinted_name(n, digests[n])
        return out_names, digests, closure, todo

    def pipeline_id(self) -> str:
        """Everything besides the sources that changes output bytes or names."""
        if not hasattr(self, "_pipeline"):
            c = self.config
            self._pipeline = combine(
                f"assetpub {__version__}",
                f"rules {compilers.REVISION}",
                minifier.versions(),
                compress.version(),
                f"minify={c.minify}",
                f"minify_js={minifier.js_minifier(c.minify_js)}",
                f"gzip={c.gzip}",
                f"brotli={c.brotli}:{c.brotli_quality}",
                f"base_path={self.base_path}",
                "keep=" + ",".join(c.keep_names),
            )
        return self._pipeline

    # -- producing outputs ---------------------------------------------------------
    def _produce_or_forget(self, sources, pending, out_names, digests, cache: BuildCache, files, only, previous):
        """_produce; a source found changed since it was hashed is forgotten by the cache
        (saved, where the state directory exists), so running again hashes it afresh."""
        try:
            return self._produce(sources, pending, out_names, digests, cache, only, previous)
        except ChangedDuringBuild as e:
            cache.forget_source(str(e.file))
            if cache.path.parent.is_dir():
                cache.save(
                    live_sources={str(f.path) for f in files.values()},
                    live_scans={f"{s.kind}:{s.scan.sha}" for s in sources.values()},
                    live_names=set(sources),
                )
            raise

    def _produce(self, sources, pending, out_names, digests, cache: BuildCache, only=None, previous=None):
        """The product of every source: reused, found in the cache or made. With `previous`
        (the last build's products and their digests, watch mode) only the `only` names are
        looked at; the others' products are the last build's."""
        products: dict[str, Product] = dict(previous[0]) if previous is not None else {}
        processed: list[str] = []
        reused: list[str] = []
        jobs: list[Job] = []
        self._trusted_products = 0
        for name in sources if only is None else only:
            source = sources[name]
            digest, out_name = digests[name], out_names[name]
            published = self.reuse.get(digest)
            if published is not None and published.get("path") == out_name:
                products[name] = _product_from_entry(name, published)
                reused.append(name)
                continue
            if previous is not None and previous[1].get(name) == digest and products[name].out_name == out_name:
                self._trusted_products += 1  # made or checked by the last build (watch): holds no bytes
                continue
            cached = cache.product(name, digest, self.out)
            if cached is not None:
                products[name] = _product_from_entry(name, cached)
                continue
            jobs.append(self._job(source, out_name, pending[name], out_names))
        results = self.pool.map(
            produce, jobs, lambda j: (j, str(self.out)), weight=lambda j: j.size_hint, progress=self._phase("build")
        )
        for product in results:
            products[product.name] = product
            processed.append(product.name)
            if product.note:
                self.notes.append(f"{sources[product.name].file.path}: {product.note}")
        if previous is None:
            products = dict(sorted(products.items()))  # else the last build's order: the same names
        return products, processed, reused

    def _job(self, source: _Source, out_name: str, pending: list, out_names: dict[str, str]) -> Job:
        edits = []
        replace = []  # a file with many references (Scan.many): per distinct one
        many = source.scan.many
        # a file that names a source map is left as it is (the map's columns must match),
        # even when the map is missing and its comment is dropped
        has_map = any(row.kind == "sourcemap" for row in source.scan.refs)
        made: dict = {}
        for row, target in pending:
            if target is None:  # a missing source map: drop its comment
                new = None
            else:
                new = made.get(target)
                if new is None:  # one string per target, however often it is referenced
                    new = made[target] = rewritten(target, out_names[target.name])
                if new == row.url:
                    continue
            if many:
                replace.append((row.kind, row.url, new))
            elif new is None:
                edits.append((row.comment_start, row.comment_end, ""))
            else:
                edits.append((row.start, row.end, new))
        name = source.file.name
        return Job(
            name=name,
            out_name=out_name,
            kind=source.kind,
            path=str(source.file.path),
            sha=source.scan.sha,
            edits=tuple(edits),
            replace=tuple(replace),
            minify=self.config.minify
            and minifier.should_minify(name, source.kind, has_map)
            and (source.kind != "js" or minifier.js_minifier(self.config.minify_js) is not None),
            compressible=media_types.is_compressible(name) and (self.config.gzip or self.config.brotli),
            use_brotli=self.config.brotli,
            use_gzip=self.config.gzip,
            brotli_quality=self.config.brotli_quality,
            deferred=out_name == name,
            size_hint=source.size * (20 if media_types.is_compressible(name) else 1),
        )

    def _render_pages(self, manifest: Manifest) -> list[Product]:
        """Jinja2 pages rendered with the asset helpers; they keep their names (see pages.py)."""
        from .pages import render_pages

        collect = _Collect()
        # non-strict misses and skipped symlinks belong in the build's warnings
        loggers = [logging.getLogger("assetpub.resolver"), logging.getLogger("assetpub.pages")]
        for logger in loggers:
            logger.addHandler(collect)
        try:
            rendered = render_pages(self.config, manifest)
        finally:
            for logger in loggers:
                logger.removeHandler(collect)
        self.warnings.extend(f"{self.config.pages}: {m}" for m in collect.messages)
        clash = sorted(set(rendered) & set(manifest.assets))
        if clash:
            raise BuildError(f"page {clash[0]!r} has the same name as a source file")
        return [
            produce(
                Job(
                    name=name,
                    out_name=name,
                    kind="html",
                    data=html.encode("utf-8"),
                    compressible=media_types.is_compressible(name) and (self.config.gzip or self.config.brotli),
                    use_brotli=self.config.brotli,
                    use_gzip=self.config.gzip,
                    brotli_quality=self.config.brotli_quality,
                    deferred=True,
                ),
                str(self.out),
            )
            for name, html in sorted(rendered.items())
        ]

    def _phase(self, phase: str):
        if self.progress is None:
            return None
        return lambda done, total: self.progress(phase, done, total)

    # -- manifest and output -------------------------------------------------------
    def _manifest(self, products: dict[str, Product], digests: dict[str, str], only=None, base=None) -> Manifest:
        """The manifest of `products` (in name order); with `base` (the last build's table,
        same names) only the `only` names' entries are made again."""
        assets = dict(base) if base is not None else {}
        known = self._entries  # watch mode: name -> (digest, out name, entry) of the last build
        for name in sorted(products) if base is None else only:
            p = products[name]
            if known is not None:
                seen = known.get(name)
                if seen is not None and seen[0] == digests[name] and seen[1] == p.out_name:
                    assets[name] = seen[2]
                    continue
            fingerprinted = p.out_name != name or is_pre_digested(name)
            assets[name] = {
                **p.entry(),
                "content_type": media_types.content_type(name),
                "cache_control": self._cache_control(name, fingerprinted),
                "digest": digests[name],
                "fingerprinted": fingerprinted,
            }
            if known is not None:
                known[name] = (digests[name], p.out_name, assets[name])
        return Manifest(
            base_url=self.config.base_url,
            assets=assets,
            extra={"generator": f"assetpub {__version__}", "pipeline": self.pipeline_id()},
            source=str(self.out / MANIFEST_NAME),
        )

    def _cache_control(self, name: str, fingerprinted: bool) -> str:
        for rule in self.config.headers:
            if matches(name, [rule.match]):
                return rule.cache_control
        return self.config.cache_control if fingerprinted else self.config.cache_control_keep_name

    def _write(self, products: dict[str, Product], manifest: Manifest, cache: BuildCache, digests, *, fresh, lines=None) -> int:
        """Files that keep their names (held back until now), then the manifest, last.

        Every product made by this build (`fresh`) is recorded in the cache, written or
        found on disk with the same bytes: after an interrupted build, a deleted
        OUT/.assetpub or a hand-edited output (rewritten), the state describes the disk again."""
        made = [products[name] for name in sorted(fresh)]  # only what this build made has bytes or hashes
        written = sum(p.written for p in made)
        hashes = {rel: e for p in made for rel, e in p.hashes.items()}
        for p in made:
            for rel, data in p.files.items():
                path = inside(self.out, rel)
                written += write_if_changed(path, data)
                hashes[rel] = written_entry(path, data)
        for name in sorted(fresh):
            cache.remember_product(name, digests[name], products[name].entry(), self.out)
        data = manifest.to_json(lines=self._manifest_lines, only=lines)
        path = self.out / MANIFEST_NAME
        last = self._last_manifest  # watch mode: (stat, bytes) of the manifest the last build left
        if last is not None and _stat_or_none(path) == last[0]:  # still that file: no need to read it
            manifest_written = data != last[1]
            if manifest_written:
                write_atomic(path, data)
        else:
            manifest_written = write_if_changed(path, data)
        # a link: the manifest's ctime moves; a manifest known new is not compared with the last entry
        record_history(self.out, path, data, new=manifest_written and last is not None)
        self._last_manifest = (_stat_or_none(path), data)
        if self.record_hashes:  # publish's and the stamp's; watch mode hashes no 48 MB manifest per edit
            hashes[MANIFEST_NAME] = written_entry(self.out / MANIFEST_NAME, data)
        self._wrote = {rel: e[:5] for rel, e in hashes.items()}  # stats right after writing: _stamp's
        if self.record_hashes and (written or fresh or manifest_written):
            self._hashes = hashes  # recorded by run(), after the build cache is saved and let go
        return written


def _modified_only(memo: BuildMemo | None, changed: Any) -> set[str] | None:
    """The names `changed` says are the only ones modified since the memo's build, when the
    memo can take them (same files); else None: walk, stat and build every table afresh."""
    if memo is None or changed is None or memo.files is None or memo.graph is None or memo.naming is None:
        return None
    changed = set(changed)
    if not all(name in memo.files for name in changed):  # (set.issubset(dict) would copy the dict)
        return None  # a name the last walk did not see: walk again
    return changed


def _stat_or_none(path: Path) -> tuple | None:
    try:
        return stamp(os.stat(path))
    except OSError:
        return None


def _cached_scan(cache: BuildCache, sha: str, kind: str) -> Scan | None:
    """The scan the cache holds for this content, or None: scan it again."""
    cached = cache.scan(f"{kind}:{sha}")
    if cached is None:
        return None
    refs = [RefRow.from_cached(row) for row in cached[0]]
    return None if None in refs else Scan(sha, refs, cached[1], many=cached[2])


def _check_reserved(files: dict[str, SourceFile]) -> None:
    """A source under the prefix publish reserves for its records would be built and
    referenced but never published (a 404 on the live site): refuse it by name."""
    for name, f in files.items():
        if name.startswith(RESERVED) or name == MANIFEST_NAME:
            raise BuildError(
                f"'{name.split('/')[0]}' is reserved for assetpub's own files on a target; "
                "rename this source (or exclude it)",
                file=str(f.path),
            )


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _product_from_entry(name: str, entry: Mapping[str, Any]) -> Product:
    return Product(
        name=name,
        out_name=entry["path"],
        integrity=entry["integrity"],
        size=entry["size"],
        encodings={k: dict(v) for k, v in sorted(entry.get("encodings", {}).items())},
    )


__all__ = ["build", "Builder", "BuildResult"]
