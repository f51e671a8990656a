"""A stylesheet with millions of references builds in memory that does not grow with
their number (issue 15, finding 6): past pipeline.MANY_REFS a file's scan carries the
first of each distinct reference and their count, the producing worker finds them again
in the bytes it checked, and the cache keeps that capped form. Sizes and counts are
asserted, never time or memory; the output must be the bytes the ordinary path makes."""

from __future__ import annotations

import json
import pickle
import re
import shutil
import tempfile
from pathlib import Path

import pytest

import assetpub
from assetpub import builder, pipeline
from assetpub.compilers import rewrite
from assetpub.minify_check import _css_chunks, css_difference
from tests.conftest import write_tree

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
RULE = ".c{i}{{background:url(img/a.png)}} .d{i}{{background:url('img/b.png?v=1#x') url(https://x.test/c.png)}}\n"


def _huge_tree(root: Path, rules: int) -> Path:
    src = root / "src"
    write_tree(src, {
        "img/a.png": b"\x89PNG" + bytes(range(32)),
        "img/b.png": b"\x89PNG" + bytes(range(33)),
        "huge.css": "".join(RULE.format(i=i) for i in range(rules)) + "@import 'gone.css';\n",
    })
    return src


def _files(out: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and ".assetpub" not in p.parts
    }


def test_the_scan_of_a_file_with_many_references_holds_the_distinct_ones(tmp_path, monkeypatch):
    """What crosses from the scanning worker to the builder: one row per distinct
    reference (with the line of its first occurrence), and the count; not 3,000 rows."""
    monkeypatch.setattr(pipeline, "MANY_REFS", 100)
    src = _huge_tree(tmp_path, 1000)
    result = pipeline.scan(str(src / "huge.css"), "css")
    assert result.many == 3001
    assert [(r.kind, r.url, r.line) for r in result.refs] == [
        ("url", "img/a.png", 1), ("url", "img/b.png?v=1#x", 1), ("url", "https://x.test/c.png", 1),
        ("import", "gone.css", 1001),
    ]
    monkeypatch.setattr(pipeline, "MANY_REFS", 10_000)
    few = pipeline.scan(str(src / "huge.css"), "css")
    assert few.many == 0 and len(few.refs) == 3001
    assert len(pickle.dumps(result)) * 100 < len(pickle.dumps(few))


def test_a_file_with_many_references_is_built_the_same_without_per_reference_rows(tmp_path, monkeypatch):
    """The builder sends the producing worker one replacement per distinct reference (no
    edits), the output is byte for byte the ordinary path's, the missing @import is
    warned about once with its line, and the cache keeps 4 rows and the count; the next
    build takes the scan from the cache and makes the same output again."""
    src = _huge_tree(tmp_path, 1000)
    normal = assetpub.build([src], out=tmp_path / "normal", jobs=1)
    monkeypatch.setattr(pipeline, "MANY_REFS", 100)
    jobs, scans = [], []
    real_produce, real_scan = builder.produce, builder.scan
    monkeypatch.setattr(builder, "produce", lambda job, out: jobs.append(job) or real_produce(job, out))
    monkeypatch.setattr(builder, "scan", lambda path, kind: scans.append(path) or real_scan(path, kind))
    out = tmp_path / "out"
    result = assetpub.build([src], out=out, jobs=1)
    assert _files(out) == _files(tmp_path / "normal")
    assert result.warnings == normal.warnings[-1:] == [f"{src / 'huge.css'}:1001: missing reference 'gone.css' (left as written)"]
    (job,) = [j for j in jobs if j.name == "huge.css"]
    assert job.edits == () and sorted(u for _, u, _ in job.replace) == ["img/a.png", "img/b.png?v=1#x"]
    assert len(pickle.dumps(job)) < 1000
    cached = json.loads((out / ".assetpub/cache.json").read_text())["scans"]
    (rows, notes, many), = [v for v in cached.values() if len(v[0]) == 4]
    assert many == 3001 and len((out / ".assetpub/cache.json").read_bytes()) < 4000

    (out / ".assetpub/stamp.json").unlink(missing_ok=True)
    for p in out.glob("huge.*"):
        p.unlink()  # the product is made again, from the cached scan
    scans.clear()
    again = assetpub.build([src], out=out, jobs=1)
    assert scans == [] and again.processed == ["huge.css"]
    assert _files(out) == _files(tmp_path / "normal")


def test_sample_site_with_every_file_on_the_many_references_path(tmp_path, monkeypatch):
    """CSS, JS and HTML (notes, navigation links, modules, source maps) all found again
    in the producing worker give the outputs the ordinary path gives."""
    src = tmp_path / "site"
    shutil.copytree(REPO / "sample_site", src)
    config = src / "assetpub.toml"
    normal = assetpub.build(config_file=config, out=tmp_path / "normal", jobs=1)
    monkeypatch.setattr(pipeline, "MANY_REFS", 0)
    many = assetpub.build(config_file=config, out=tmp_path / "many", jobs=1)
    assert _files(tmp_path / "many") == _files(tmp_path / "normal")
    assert (many.warnings, many.notes) == (normal.warnings, normal.notes)


# -- the property: any stylesheet, either path, the same bytes ----------------------------

_URLS = st.sampled_from([
    "img/a.png", "./img/a.png", "img/a.png?v=2#top", "img/%61.png", "/static/img/a.png", "img/b.png",
    "gone.png", "https://cdn.test/a.png", "data:image/png;base64,AAAA", "#frag", "", "img/a.png ",
    "css/x.css", "x.css", "../img/a.png", "img/a b.png",
])


_FORMS = [  # every way a stylesheet holds a URL (or seems to: a comment, a string)
    "a{{b:url({url})}}",
    "a{{b:url('{url}')}}",
    'a{{b:URL( "{url}" )}}',
    "@import '{url}';",
    "a{{b:image-set('{url}' 1x, url({url}) 2x)}}",
    "/* url({url}) */",
    'a{{content:"url({url})"}}',
    "a {{ b : url({url}) ; ; }}",
    "@media (x){{a{{b:url({url})}}}}",
]


@st.composite
def _pieces(draw):
    if draw(st.integers(0, 9)) == 8:  # a fragment: unterminated tokens, stray braces
        return draw(st.sampled_from(["\n", " ", "a{", "}", "url(", "'", "(", ")", ";"]))
    return draw(st.sampled_from(_FORMS)).format(url=draw(_URLS))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    pieces=st.lists(_pieces(), max_size=30),
    repeat=st.integers(1, 3),
    source_map=st.sampled_from(["", "\n/*# sourceMappingURL=x.css.map */", "\n/*# sourceMappingURL=gone.map */"]),
)
def test_either_path_gives_the_same_bytes(pieces, repeat, source_map):
    """Generated stylesheets (every url form, comments and strings that hold no reference,
    unterminated tokens, missing and external targets, source maps present or not) build
    to the same files whether their references travel as rows or are found again."""
    text = "".join(pieces) * repeat + source_map
    with tempfile.TemporaryDirectory(prefix="issue-15c-") as tmp:
        root = Path(tmp)
        write_tree(root / "src", {
            "img/a.png": b"\x89PNG" + bytes(range(16)),
            "img/b.png": b"\x89PNG" + bytes(range(17)),
            "css/x.css": text,
            "css/x.css.map": "{}",
            "css/img/a.png": b"\x89PNG" + bytes(range(18)),
        })
        outputs = []
        for limit in (pipeline.MANY_REFS, 0):
            saved, pipeline.MANY_REFS = pipeline.MANY_REFS, limit
            try:
                result = assetpub.build([root / "src"], out=root / f"out{limit}", base_url="/static/", jobs=1)
            except assetpub.BuildError as e:
                result = str(e)
            finally:
                pipeline.MANY_REFS = saved
            outputs.append((_files(root / f"out{limit}") if (root / f"out{limit}").exists() else None,
                            result if isinstance(result, str) else result.warnings))
        (normal, warned), (many, warned_once) = outputs
        assert many == normal
        # a reference written many times is warned about once (per kind), at its first line
        if isinstance(warned, str):
            assert warned_once == warned
        else:
            assert set(warned_once) <= set(warned) and len(warned_once) <= len(warned)
            assert {_unlined(w) for w in warned_once} == {_unlined(w) for w in warned}


def _unlined(warning: str) -> str:
    return re.sub(r":\d+: ", ": ", warning, count=1)


# -- the minifier's check, a chunk at a time ---------------------------------------------

@settings(max_examples=200, deadline=None)
@given(
    source=st.lists(st.sampled_from([
        "a", "b", " ", "  ", ":", ";", "{", "}", "(", ")", "+", "-", "calc(", "url(x)", "'s'", "'open", "/*c*/", "\n", "1px",
    ]), max_size=60).map("".join),
    edit=st.sampled_from([lambda t: t, lambda t: t.replace(" ", ""), lambda t: t.replace(";}", "}"), lambda t: t + "a"]),
)
def test_the_css_check_in_chunks_says_what_it_says_in_one(source, edit):
    """css_difference reads both texts in chunks of tokens: with chunks of 2 tokens (every
    boundary the rules look across) it finds what it finds with one chunk for the text."""
    from assetpub import minify_check

    minified = edit(source)
    whole = css_difference(source, minified)
    saved = minify_check._CHUNK
    minify_check._CHUNK = 2
    try:
        assert css_difference(source, minified) == whole
        assert [v for chunk in _css_chunks(source) for v in chunk[0]] == _one_chunk(source)
    finally:
        minify_check._CHUNK = saved


def _one_chunk(text: str) -> list[str]:
    from assetpub import minify_check

    saved = minify_check._CHUNK
    minify_check._CHUNK = 1 << 30
    try:
        chunks = list(_css_chunks(text))
    finally:
        minify_check._CHUNK = saved
    assert len(chunks) <= 1
    return chunks[0][0] if chunks else []


def test_the_css_check_holds_a_chunk_of_tokens_at_a_time():
    """A 100,000-rule stylesheet is checked a few thousand tokens at a time."""
    text = ".c{background:url(img/a.png)}\n" * 100_000
    sizes = [len(chunk[0]) for chunk in _css_chunks(text, positions=False)]
    assert sum(sizes) == 700_000 and max(sizes) <= 4096 + 8
    assert css_difference(text, text.replace("\n", "")) is None
    assert css_difference(text, text.replace("\n", "").replace("a.png)}.c", "a.png)}.d", 1)) is not None


def test_rewrite_refuses_edits_out_of_order():
    assert rewrite("abcdef", iter([(1, 2, "X"), (3, 4, "Y")]), ordered=True) == "aXcYef"
    with pytest.raises(ValueError):
        rewrite("abcdef", iter([(3, 4, "Y"), (1, 2, "X")]), ordered=True)
