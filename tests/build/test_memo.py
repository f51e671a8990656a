"""builder.BuildMemo (watch mode's in-process state): a rebuild told which files were
modified does work for what reaches them only, and its output is exactly a full build's."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import assetpub
from assetpub.builder import BuildMemo, build
from assetpub.workers import Pool
from tests.conftest import read_tree, write_tree

NAMES = [f"css/s{i}.css" for i in range(6)] + ["js/a.js", "js/b.js", "img/x.png"]


def css(imports, images, extra):
    lines = [f'@import "{Path(i).name}";' for i in imports]
    lines += [f".i{n} {{ background: url(../img/{Path(i).name}) }}" for n, i in enumerate(images)]
    return "\n".join([*lines, extra]) + "\n"


def js(imports, extra):
    return "".join(f'import "./{Path(i).name}";\n' for i in imports) + f"export const v = {extra!r};\n"


def content(name, draw):
    """A file's text: CSS that imports other sheets (cycles allowed), may reference a missing
    image or carry a note (an unterminated url), JS that imports the other module."""
    if name.endswith(".png"):
        return draw(st.sampled_from([b"x", b"y", b"z"]))
    extra = draw(st.sampled_from(["", "/* e */", ".m { color: red }", "x{y:url(nothere.png)}"]))
    if name.endswith(".js"):
        other = [n for n in NAMES if n.endswith(".js") and n != name]
        return js(draw(st.lists(st.sampled_from(other), max_size=1, unique=True)), extra)
    sheets = [n for n in NAMES if n.endswith(".css") and n != name]
    imports = draw(st.lists(st.sampled_from(sheets), max_size=2, unique=True))
    images = draw(st.lists(st.sampled_from(["img/x.png"]), max_size=1))
    return css(imports, images, extra)


def outputs(out):
    return {k: v for k, v in read_tree(out).items() if not k.startswith(".assetpub/")}


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_rebuilds_told_what_changed_equal_full_builds(data):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        site = {n: content(n, data.draw) for n in NAMES}
        src = write_tree(tmp / "src", site)
        memo = BuildMemo(save_every=3600.0)
        with Pool(1) as pool:
            build([src], out=tmp / "out", memo=memo, pool=pool, record_hashes=False)
            for step in range(data.draw(st.integers(1, 4))):
                edited = data.draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=3, unique=True))
                for name in edited:
                    write_tree(src, {name: content(name, data.draw)})
                result = build([src], out=tmp / "out", memo=memo, pool=pool, record_hashes=False, changed=set(edited))
                assert memo.stats["trusted_sources"] == len(NAMES) - len(edited)
                cold = assetpub.build([src], out=tmp / f"cold{step}")
                assert (tmp / "out/assetpub-manifest.json").read_bytes() == (
                    tmp / f"cold{step}/assetpub-manifest.json"
                ).read_bytes()
                assert result.warnings == cold.warnings
                assert result.files == cold.files and result.bytes == cold.bytes
                live = {p for e in cold.manifest.entries.values() for p in e.paths()}
                mine = outputs(tmp / "out")
                assert {p: mine[p] for p in live} == {p: v for p, v in outputs(cold.out).items() if p in live}
                shutil.rmtree(tmp / f"cold{step}")
            memo.flush()


def test_a_rebuild_visits_only_what_reaches_the_change(make_site, tmp_path):
    """Resolving, naming, producing and the manifest lines: a pass over the names that reach
    the edited file, not over the site (memo.stats counts the names each step looked at)."""
    files = {f"css/s{i}.css": f".s{i} {{ color: #{i:06x} }}\n" for i in range(200)}
    files["css/app.css"] = '@import "s1.css";\n.app { color: red }\n'
    src = make_site(files)
    memo = BuildMemo(save_every=3600.0)
    build([src], out=tmp_path / "out", memo=memo, record_hashes=False)
    assert memo.stats["named"] == 201  # the first build names everything
    write_tree(src, {"css/s1.css": ".s1 { color: blue }\n"})
    result = build([src], out=tmp_path / "out", memo=memo, record_hashes=False, changed={"css/s1.css"})
    assert sorted(result.processed) == ["css/app.css", "css/s1.css"]
    assert memo.stats == {
        "trusted_sources": 200, "trusted_products": 199,
        "scanned": 1, "resolved": 1, "named": 2, "checked": 2, "lines": 2,
    }
    cold = assetpub.build([src], out=tmp_path / "cold")
    assert (tmp_path / "out/assetpub-manifest.json").read_bytes() == (cold.out / "assetpub-manifest.json").read_bytes()


def test_a_rebuild_with_pages_equals_a_full_build(make_site, tmp_path):
    """Pages are rendered again on every rebuild, against the manifest of the sources only
    (the memo keeps the sources' table, never the pages' entries)."""
    src = make_site({"css/a.css": ".a { color: red }\n", "css/b.css": '@import "a.css";\n'})
    pages = tmp_path / "pages"
    write_tree(pages, {"index.html": '<link href="{{ asset_url(\'css/b.css\') }}" rel="stylesheet">\n'})
    memo = BuildMemo(save_every=3600.0)
    build([src], out=tmp_path / "out", pages=pages, memo=memo, record_hashes=False)
    for n, text in enumerate([".a { color: blue }\n", ".a { color: green }\n"]):
        write_tree(src, {"css/a.css": text})
        result = build([src], out=tmp_path / "out", pages=pages, memo=memo, record_hashes=False, changed={"css/a.css"})
        cold = assetpub.build([src], out=tmp_path / f"cold{n}", pages=pages)
        assert (tmp_path / "out/assetpub-manifest.json").read_bytes() == (cold.out / "assetpub-manifest.json").read_bytes()
        assert (tmp_path / "out/index.html").read_bytes() == (cold.out / "index.html").read_bytes()
        assert result.bytes == cold.bytes and result.files == cold.files
        assert "index.html" in result.processed and "index.html" not in memo.assets


def test_a_rebuild_does_not_read_back_the_manifest_it_wrote(make_site, tmp_path, monkeypatch):
    """The manifest the last build left (same stat) is compared in memory, not read (48 MB at
    100k files); one changed by hand meanwhile is compared on disk and replaced."""
    from assetpub import output

    src = make_site({"css/a.css": ".a { color: red }\n", "css/b.css": ".b { color: red }\n"})
    out = tmp_path / "out"
    memo = BuildMemo(save_every=3600.0)
    build([src], out=out, memo=memo, record_hashes=False)
    reads = []
    real = output.same_content
    monkeypatch.setattr(output, "same_content", lambda path, data: reads.append(path.name) or real(path, data))
    write_tree(src, {"css/a.css": ".a { color: blue }\n"})
    build([src], out=out, memo=memo, record_hashes=False, changed={"css/a.css"})
    assert "assetpub-manifest.json" not in reads and not any(r.endswith(".json") for r in reads)
    assert len(list((out / ".assetpub/manifests").glob("*.json"))) == 2
    (out / "assetpub-manifest.json").write_text("{}")  # by hand, in place
    write_tree(src, {"css/b.css": ".b { color: blue }\n"})
    build([src], out=out, memo=memo, record_hashes=False, changed={"css/b.css"})
    assert "assetpub-manifest.json" in reads
    cold = assetpub.build([src], out=tmp_path / "cold")
    assert (out / "assetpub-manifest.json").read_bytes() == (cold.out / "assetpub-manifest.json").read_bytes()
