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
from .manifest import MANIFEST_NAME, Manifest
from .origin import RESERVED
from .output import STATE_DIR, record_history, write_if_changed
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
    products the previous build made or checked are not stat()ed either, and only the
    names that reach a modified file get their fingerprints computed again.

    A build with a memo does not write the build cache: the caller does, with `flush()`
    (when `due()`, after the result is out, and at the end)."""

    save_every: float = 5.0
    cache: BuildCache | None = None
    files: dict[str, SourceFile] | None = None  # the last walk; None: walk again
    walk_warnings: list[str] = field(default_factory=list)
    sources: dict[str, _Source] = field(default_factory=dict)
    products: dict[str, tuple[str, Product]] = field(default_factory=dict)  # name -> (digest, product)
    naming: tuple | None = None  # (closure hashes, digests, output names) of the last build
    manifest_lines: dict = field(default_factory=dict)  # name -> (digest, its manifest line)
    resolved: dict = field(default_factory=dict)  # name -> (edges, pending edits, warnings, misses)
    entries: dict = field(default_factory=dict)  # name -> (digest, output name, manifest entry)
    live: _Live | None = None  # what the last build used (the save's arguments, computed when saving)
    saved_at: float = 0.0
    stats: dict[str, int] = field(default_factory=dict)  # what the last build skipped (tests)

    def due(self) -> bool:
        return self.live is not None and time.monotonic() - self.saved_at >= self.save_every

    def flush(self) -> None:
        """Write the build cache if a save was deferred."""
        if self.cache is not None and self.live is not None:
            live = self.live
            self.cache.save(live_sources=live.sources(), live_scans=live.scans(), live_names=set(live.products))
            self.saved_at, self.live = time.monotonic(), None


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
        self._known: dict[str, Product] = {}
        self._manifest_lines: dict | None = None  # the memo's, in watch mode
        self._transient: list[str] = []  # warnings about this run only (not repeated by a no-op)
        self._wrote: dict[str, list] = {}  # output path -> its stat right after this build wrote it
        self._entries: dict | None = None  # the memo's, in watch mode

    # -- the steps, in order -------------------------------------------------
    def run(self, *, memo: BuildMemo | None = None, changed: Any = None) -> BuildResult:
        started = time.perf_counter()
        trusted = _trusted_sources(memo, changed)
        if trusted is not None:
            files, walk_warnings = memo.files, memo.walk_warnings
        else:
            skip = [self.out] + ([self.config.pages] if self.config.pages is not None else [])
            files, walk_warnings = discover(self.config.sources, exclude=self.config.exclude, skip=skip)
        self.warnings.extend(walk_warnings)
        self._walked = len(self.warnings)  # the walk's warnings come first; a no-op walks again
        _check_reserved(files)
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
            if memo is not None:
                memo.products.clear()
                memo.naming = None
                memo.manifest_lines.clear()
                memo.entries.clear()
        sources = self._scan(files, cache, trusted or {})
        if memo is not None and trusted is None:
            memo.resolved = {}  # the files may have changed: resolved afresh
        edges, pending = self._resolve(sources, memo.resolved if memo is not None else None, trusted or {})
        self._manifest_lines = memo.manifest_lines if memo is not None else None
        self._entries = memo.entries if memo is not None else None
        previous = memo.naming if trusted is not None and memo.naming is not None else None
        out_names, digests, closure = self._name(sources, edges, previous, changed=set(files) - set(trusted or ()))
        if memo is not None:
            memo.naming = (dict(closure), dict(digests), dict(out_names))
        self._known = {n: p for n, (d, p) in (memo.products.items() if trusted is not None else ()) if digests.get(n) == d}
        try:
            products, processed, reused = self._produce_or_forget(sources, pending, out_names, digests, cache, files)
            manifest = self._manifest(products, digests)
            if self.config.pages is not None:
                pages = self._render_pages(manifest)
                products.update({p.name: p for p in pages})
                digests.update({p.name: p.integrity for p in pages})
                processed += [p.name for p in pages]
                manifest = self._manifest(products, digests)
            written = self._write(products, manifest, cache, digests, fresh=set(processed))
            live = _Live(files, sources, products)
            if memo is None:
                cache.save(live_sources=live.sources(), live_scans=live.scans(), live_names=set(products))
                if stamped and before is not None:
                    self._stamp(before, products)
            else:
                memo.cache, memo.live = cache, live  # saved by the caller: memo.flush()
                memo.files, memo.walk_warnings = files, walk_warnings
                memo.sources = sources
                fresh = set(processed)
                memo.products = {
                    n: (digests[n], _product_from_entry(n, p.entry()) if n in fresh or p.files or p.hashes else p)
                    for n, p in products.items() if n in digests
                }
                memo.stats = {"trusted_sources": len(trusted or {}), "trusted_products": len(self._known)}
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
            bytes=sum(p.size for p in products.values()),
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
    def _scan(self, files: dict[str, SourceFile], cache: BuildCache, trusted: dict[str, _Source]) -> dict[str, _Source]:
        """Hash and scan every source; unchanged files (same stat) cost one stat(), and
        `trusted` ones (known unchanged, watch mode) nothing."""
        reference = cache.reference()
        known: dict[str, _Source] = {}
        todo: list[tuple[SourceFile, str, os.stat_result]] = []
        for name, f in files.items():
            if name in trusted:
                known[name] = trusted[name]
                continue
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
        for name in files:
            for line, message in known[name].scan.notes:
                self.warnings.append(f"{files[name].path}:{line}: {message}")
        return {name: known[name] for name in files}

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

    def _resolve(self, sources: dict[str, _Source], resolved: dict | None = None, trusted=()):
        """Edges of the reference graph, and per file the pending edits (ref row, LocalRef or None).

        `resolved` (watch mode: name -> what this found for it, kept across builds of the
        same files) is reused for the `trusted` names and refreshed for the others."""
        edges: dict[str, list[str]] = {}
        pending: dict[str, list] = {}
        missing: list[str] = []
        for name, source in sources.items():
            if resolved is not None and name in trusted and name in resolved:
                edges[name], pending[name], notes, misses = resolved[name]
                self.warnings.extend(notes)
                missing.extend(misses)
                continue
            targets: set[str] = set()
            todo = pending[name] = []
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
            edges[name] = sorted(targets)
            self.warnings.extend(notes)
            missing.extend(misses)
            if resolved is not None:
                resolved[name] = (edges[name], todo, notes, misses)
        if missing and self.config.strict:
            more = f" (and {len(missing) - 1} more, listed below)" if len(missing) > 1 else ""
            error = BuildError(missing[0] + more)
            error.details = tuple(missing[1:])  # the CLI prints each as an `error:` line of its own
            raise error
        self.warnings.extend(m + " (left as written)" for m in missing)
        return edges, pending

    # -- naming ----------------------------------------------------------------
    def _keeps_name(self, name: str) -> bool:
        return matches(name, self.config.keep_names) or is_pre_digested(name)

    def _name(self, sources: dict[str, _Source], edges: dict[str, list[str]], previous=None, *, changed=()):
        """(output names, digests, closure hashes). With `previous` (the last build's three
        maps, same files: watch mode) only the names that reach a `changed` one are hashed."""
        own = {n: s.scan.sha for n, s in sources.items()}
        pipeline = self.pipeline_id()
        if previous is None:
            todo, closure, digests, out_names = sources, closure_hashes(edges, own), {}, {}
        else:
            todo = reaching(edges, set(changed))
            closure, digests, out_names = (dict(m) for m in previous)
            closure.update(closure_hashes(edges, own, only=todo, known=closure))
        for n in todo:
            digests[n] = combine(pipeline, n, closure[n])
            out_names[n] = n if self._keeps_name(n) else fingerprinted_name(n, digests[n])
        return out_names, digests, closure

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
    def _produce_or_forget(self, sources, pending, out_names, digests, cache: BuildCache, files):
        """_produce; a source found changed since it was hashed is forgotten by the cache
        (saved, where the state directory exists), so running again hashes it afresh."""
        try:
            return self._produce(sources, pending, out_names, digests, cache)
        except ChangedDuringBuild as e:
            cache.forget_source(str(e.file))
            if cache.path.parent.is_dir():
                cache.save(
                    live_sources={str(f.path) for f in files.values()},
                    live_scans={f"{s.kind}:{s.scan.sha}" for s in sources.values()},
                    live_names=set(sources),
                )
            raise

    def _produce(self, sources, pending, out_names, digests, cache: BuildCache):
        products: dict[str, Product] = {}
        processed: list[str] = []
        reused: list[str] = []
        jobs: list[Job] = []
        for name, source in sources.items():
            digest, out_name = digests[name], out_names[name]
            published = self.reuse.get(digest)
            if published is not None and published.get("path") == out_name:
                products[name] = _product_from_entry(name, published)
                reused.append(name)
                continue
            made = self._known.get(name)
            if made is not None and made.out_name == out_name:  # made or checked by the last build (watch)
                products[name] = made  # holds no bytes: see the memo's update in run()
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
        return dict(sorted(products.items())), processed, reused

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
    def _manifest(self, products: dict[str, Product], digests: dict[str, str]) -> Manifest:
        assets = {}
        known = self._entries  # watch mode: name -> (digest, out name, entry) of the last build
        for name, p in sorted(products.items()):
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

    def _write(self, products: dict[str, Product], manifest: Manifest, cache: BuildCache, digests, *, fresh) -> int:
        """Files that keep their names (held back until now), then the manifest, last.

        Every product made by this build (`fresh`) is recorded in the cache, written or
        found on disk with the same bytes: after an interrupted build, a deleted
        OUT/.assetpub or a hand-edited output (rewritten), the state describes the disk again."""
        written = sum(p.written for p in products.values())
        hashes = {rel: e for p in products.values() for rel, e in p.hashes.items()}
        for p in products.values():
            for rel, data in p.files.items():
                path = inside(self.out, rel)
                written += write_if_changed(path, data)
                hashes[rel] = written_entry(path, data)
        for name in sorted(fresh):
            cache.remember_product(name, digests[name], products[name].entry(), self.out)
        data = manifest.to_json(lines=self._manifest_lines)
        manifest_written = write_if_changed(self.out / MANIFEST_NAME, data)
        record_history(self.out, self.out / MANIFEST_NAME, data)  # a link: the manifest's ctime moves
        hashes[MANIFEST_NAME] = written_entry(self.out / MANIFEST_NAME, data)
        self._wrote = {rel: e[:5] for rel, e in hashes.items()}  # stats right after writing: _stamp's
        if self.record_hashes and (written or fresh or manifest_written):
            record_written(self.out, hashes)  # a build that made nothing has nothing to add
        return written


def _trusted_sources(memo: BuildMemo | None, changed: Any) -> dict[str, _Source] | None:
    """The sources the last build saw that are known unchanged, or None: walk and stat all."""
    if memo is None or changed is None or memo.files is None:
        return None
    changed = set(changed)
    if not changed <= set(memo.files):
        return None  # a name the last walk did not see: walk again
    return {n: s for n, s in memo.sources.items() if n not in changed}


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
