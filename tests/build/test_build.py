"""The build's own guarantees: determinism, cascading, cycles, names, errors, atomicity."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

import assetpub
from tests.build.conftest import output_text
from tests.conftest import SHARED, missing, read_tree

SITE = {
    "css/app.css": '@import "base.css";\n.logo { background: url(../img/logo.png) }\n',
    "css/base.css": "body { background: url('../img/bg.png') }\n",
    "css/other.css": ".x { background: url(../img/other.png) }\n",
    "css/big.css": "".join(f".rule-{i} {{ margin: {i}px; color: #{i:06x} }}\n" for i in range(200)),
    "img/logo.png": b"\x89PNG logo",
    "img/bg.png": b"\x89PNG bg",
    "img/other.png": b"\x89PNG other",
    "js/app.js": 'import { a } from "./a.js";\nexport const app = a;\n',
    "js/a.js": 'import { app } from "./app.js";\nexport const a = 1;\nexport { app };\n',
    "robots.txt": "User-agent: *\n",
    "index.html": '<link rel="stylesheet" href="css/app.css"><script type="module" src="js/app.js"></script>',
}


def test_same_sources_give_byte_identical_trees(make_site, build, tmp_path):
    src = make_site(SITE)
    build(src, out=tmp_path / "one")
    build(src, out=tmp_path / "two")
    # everything but .assetpub/ (the cache records mtimes)
    one = {k: v for k, v in read_tree(tmp_path / "one").items() if not k.startswith(".assetpub/")}
    two = {k: v for k, v in read_tree(tmp_path / "two").items() if not k.startswith(".assetpub/")}
    assert one == two
    assert any(k.endswith(".css.br") for k in one) and any(k.endswith(".css.gz") for k in one)


def test_editing_a_leaf_image_cascades_to_every_css_that_reaches_it(make_site, build, tmp_path):
    src = make_site(SITE)
    before = build(src, out=tmp_path / "a").manifest
    (src / "img/bg.png").write_bytes(b"\x89PNG bg v2")
    after = build(src, out=tmp_path / "b").manifest
    changed = {n for n in before if before.path(n) != after.path(n)}
    # base.css references bg.png; app.css imports base.css; index.html keeps its name
    assert changed == {"img/bg.png", "css/base.css", "css/app.css"}
    assert before.entry("index.html").integrity != after.entry("index.html").integrity


def test_js_module_cycle_builds_and_cascades(make_site, build, tmp_path):
    src = make_site(SITE)
    result = build(src, out=tmp_path / "a", minify=False)
    m = result.manifest
    assert f'"./{m.path("js/a.js").rsplit("/", 1)[1]}"' in output_text(result, "js/app.js")
    assert f'"./{m.path("js/app.js").rsplit("/", 1)[1]}"' in output_text(result, "js/a.js")
    (src / "js/a.js").write_text('import { app } from "./app.js";\nexport const a = 2;\nexport { app };\n')
    after = build(src, out=tmp_path / "b").manifest
    assert after.path("js/a.js") != m.path("js/a.js") and after.path("js/app.js") != m.path("js/app.js")


def test_html_keeps_its_name_and_references_are_rewritten(make_site, build):
    result = build(make_site(SITE))
    m = result.manifest
    assert m.path("index.html") == "index.html" and m.path("robots.txt") == "robots.txt"
    html = output_text(result, "index.html")
    assert f'href="{m.path("css/app.css")}"' in html and f'src="{m.path("js/app.js")}"' in html
    assert m.entry("index.html").cache_control == "public, max-age=0, must-revalidate"
    assert m.entry("css/app.css").cache_control == "public, max-age=31536000, immutable"


def test_names_with_spaces_and_non_ascii_are_percent_encoded(make_site, build):
    src = make_site(
        {
            "css/a.css": ".a { background: url('../img/my%20photo.png') }\n.b { background: url(\"../img/caf%C3%A9.png\") }\n"
            ".c { background: url('../img/café.png#x') }\n",
            "img/my photo.png": b"1",
            "img/café.png": b"2",
        }
    )
    result = build(src, minify=False)
    m = result.manifest
    photo = m.path("img/my photo.png").rsplit("/", 1)[1]
    assert photo.startswith("my photo.") and (result.out / m.path("img/my photo.png")).is_file()
    text = output_text(result, "css/a.css")
    assert f"../img/{photo.replace(' ', '%20')}" in text
    cafe = m.path("img/café.png").rsplit("/", 1)[1]
    assert f"../img/{cafe.replace('é', '%C3%A9')}" in text  # the author's encoding is kept
    assert f"../img/{cafe}#x" in text
    assert m.url("img/my photo.png") == "/assets/img/" + photo.replace(" ", "%20")
    assert not result.warnings


def test_non_utf8_css_is_a_clear_error_and_nothing_is_written(make_site, build, tmp_path):
    src = make_site({"css/ok.css": "a{}", "css/latin1.css": "a { content: 'caf\xe9' }\n/* x */\n".encode("latin-1")})
    with pytest.raises(assetpub.BuildError, match=r"latin1\.css:1: not valid UTF-8"):
        build(src)
    assert not (tmp_path / "out").exists()


def test_failed_build_leaves_previous_output_and_manifest_untouched(make_site, build, tmp_path):
    src = make_site(SITE)
    build(src)
    before = read_tree(tmp_path / "out")
    (src / "css/base.css").write_text("body { background: url(missing.png) }\n")
    (src / "index.html").write_text("<p>changed</p>")
    with pytest.raises(assetpub.BuildError, match=r"base\.css:1: missing reference 'missing.png'"):
        build(src, strict=True)
    assert read_tree(tmp_path / "out") == before


def test_earlier_outputs_stay_and_clean_removes_old_ones(make_site, build, tmp_path):
    src = make_site(SITE)
    first = build(src).manifest
    for i in range(3):
        (src / "css/other.css").write_text(f".x{{color:#{i}{i}{i}}}\n")
        build(src)
    out = tmp_path / "out"
    assert (out / first.path("css/other.css")).is_file()  # old pages still need it
    removed = assetpub.clean(out, keep=2)
    assert first.path("css/other.css") in removed
    assert not (out / first.path("css/other.css")).exists()
    current = assetpub.Manifest.load(out)
    assert all((out / p).is_file() for p in current.paths())
    assert (out / "unrelated.txt").exists() is False
    (out / "unrelated.txt").write_text("not ours")
    assetpub.clean(out, keep=1)
    assert (out / "unrelated.txt").exists()  # never written by assetpub: never removed


def test_the_manifest_history_links_each_distinct_manifest_without_copying(make_site, build, tmp_path):
    """An entry costs no copy whatever the manifest's size: a hard link to the manifest
    written, whose later versions replace it by rename. A history of copies (an older
    assetpub, a file system without links) is still read and not repeated."""
    src = make_site(SITE)
    out = tmp_path / "out"
    history = out / ".assetpub/manifests"
    build(src)
    build(src)  # unchanged: no new entry
    assert sorted(p.name for p in history.iterdir()) == ["000001.json"]
    assert (history / "000001.json").stat().st_ino == (out / "assetpub-manifest.json").stat().st_ino
    first = (out / "assetpub-manifest.json").read_bytes()
    (src / "css/other.css").write_text(".x{color:#123}\n")
    build(src)
    assert sorted(p.name for p in history.iterdir()) == ["000001.json", "000002.json"]
    assert (history / "000001.json").read_bytes() == first  # the old manifest, not the new one
    assert (history / "000002.json").stat().st_ino == (out / "assetpub-manifest.json").stat().st_ino
    copy = history / "000002.json"
    data = copy.read_bytes()
    copy.unlink()
    copy.write_bytes(data)  # a copy, another inode, the same bytes
    (out / ".assetpub/stamp.json").unlink(missing_ok=True)  # the full build, which records history
    build(src)
    assert sorted(p.name for p in history.iterdir()) == ["000001.json", "000002.json"]


def test_unchanged_outputs_keep_their_mtime(make_site, build, tmp_path):
    src = make_site(SITE)
    m = build(src).manifest
    target = tmp_path / "out" / m.path("css/other.css")
    os.utime(target, ns=(1_000_000_000, 1_000_000_000))
    os.utime(tmp_path / "out/robots.txt", ns=(1_000_000_000, 1_000_000_000))
    (src / "css/app.css").write_text("a{}")
    build(src)
    assert target.stat().st_mtime_ns == 1_000_000_000
    assert (tmp_path / "out/robots.txt").stat().st_mtime_ns == 1_000_000_000


def test_ignored_files_dotfiles_editor_leftovers_and_exclude(make_site, build, tmp_path):
    src = make_site(
        {
            "a.css": "a{}",
            ".env": "SECRET=1",
            ".git/config": "x",
            "sub/.DS_Store": "x",
            "sub/.well-known/x": "only served at the root",
            "a.css~": "x",
            ".a.css.swp": "x",
            "#a.css#": "x",
            "drafts/x.css": "x{}",
            "b.css": "b{}",
        }
    )
    m = build(src, exclude=["drafts/**", "b.css"]).manifest
    assert list(m) == ["a.css"]
    assert not [p for p in (tmp_path / "out").rglob("*") if "SECRET" in p.name or p.name.startswith(".env")]


def test_symlink_out_of_root_skipped_with_warning(make_site, build, tmp_path):
    src = make_site({"a.css": "a{}", "inside.txt": "in"})
    (tmp_path / "secret.txt").write_text("secret")
    (src / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (src / "alias.txt").symlink_to(src / "inside.txt")
    result = build(src)
    assert "leak.txt" not in result.manifest and "alias.txt" in result.manifest
    assert any("leak.txt: skipped: symlink points outside its source root" in w for w in result.warnings)


def test_output_inside_source_root_is_not_picked_up(make_site):
    src = make_site({"a.css": "a{}"})
    assetpub.build([src], out=src / "build")
    result = assetpub.build([src], out=src / "build")
    assert list(result.manifest) == ["a.css"]


def test_output_that_is_or_holds_a_source_root_is_an_error(make_site, tmp_path):
    # the second build would take the first one's outputs for sources (a.<hash>.<hash>.css)
    src = make_site({"a.css": "a{}"})
    with pytest.raises(assetpub.ConfigError, match=r"output directory is the source directory"):
        assetpub.build([src], out=src)
    with pytest.raises(assetpub.ConfigError, match=r"source directory .*src is inside the output directory"):
        assetpub.build([src], out=tmp_path)
    assert sorted(p.name for p in src.iterdir()) == ["a.css"]  # nothing written


def test_manifest_api(make_site, build, tmp_path):
    src = make_site({"fonts/f.eot": "x", "css/a.css": "a{}"})
    build(src, base_url="https://cdn.example.com/static")
    m = assetpub.Manifest.load(tmp_path / "out" / "assetpub-manifest.json")
    path = m.path("fonts/f.eot")
    assert m.url("fonts/f.eot?#iefix") == f"https://cdn.example.com/static/{path}?#iefix"
    assert m.integrity("css/a.css").startswith("sha384-")
    with pytest.raises(KeyError) as err:
        m.url("nope.css")
    assert isinstance(err.value, assetpub.AssetNotFound)
    assert "nope.css" in str(err.value) and "assetpub-manifest.json" in str(err.value)
    raw = (tmp_path / "out/assetpub-manifest.json").read_text()
    assert raw.index('"css/a.css"') < raw.index('"fonts/f.eot"')


def test_manifest_entry_fields(make_site, build, tmp_path):
    import base64
    import hashlib

    result = build(make_site({"css/a.css": "body { color: red }\n" * 20}))
    entry = result.manifest.entry("css/a.css")
    data = (tmp_path / "out" / entry.path).read_bytes()
    assert entry.integrity == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
    assert entry.size == len(data)
    assert entry.content_type == "text/css; charset=utf-8"
    assert set(entry.encodings) == {"br", "gzip"}


def test_first_root_wins(make_site, build):
    a = make_site({"x.txt": "from a"}, root="a")
    b = make_site({"x.txt": "from b", "y.txt": "y"}, root="b")
    result = build(a, b)
    assert output_text(result, "x.txt") == "from a" and "y.txt" in result.manifest


def test_missing_source_directory_is_an_error(tmp_path):
    with pytest.raises(assetpub.ConfigError, match="does not exist"):  # a usage mistake: exit 2
        assetpub.build([tmp_path / "nope"], out=tmp_path / "out")


def test_synthetic_site_with_cycles_and_traps_builds(tmp_path):
    if not (SHARED / "bench/make_site.py").exists():
        missing(f"shared/bench not present at {SHARED}")
    subprocess.run([sys.executable, str(SHARED / "bench/make_site.py"), str(tmp_path / "site"), "--files", "1000", "--scale", "0.1"], check=True, capture_output=True)
    result = assetpub.build([tmp_path / "site"], out=tmp_path / "out", strict=True)
    assert len(result.manifest) > 900
    assert not [w for w in result.warnings if "not-a-real-reference" in w]


def test_pages_directory_inside_a_source_root_is_not_an_asset(make_site, build):
    src = make_site({"css/a.css": "a{}", "pages/index.html": "<p>{{ asset_url('css/a.css') }}</p>"})
    result = build(src, pages=src / "pages")
    assert sorted(result.manifest) == ["css/a.css", "index.html"]
    assert result.manifest.url("css/a.css") in (result.out / "index.html").read_text()


def test_html_links_to_pages_are_not_missing_references(make_site, build):
    src = make_site({
        "index.html": '<a href="about">About</a> <a href="docs/intro.html#x">Docs</a> <a href="files/guide.pdf">PDF</a>'
                      '<img src="img/nope.png">',
        "files/guide.pdf": b"%PDF",
    })
    result = build(src)
    assert [w for w in result.warnings if "missing reference" in w] == [f"{src}/index.html:1: missing reference 'img/nope.png' (left as written)"]
    assert f'href="{result.manifest.path("files/guide.pdf")}"' in (result.out / "index.html").read_text()


def test_page_referencing_a_missing_asset_warns_in_the_build_result(make_site, build):
    src = make_site({"css/a.css": "a{}", "pages/index.html": "{{ asset_url('css/nope.css') }}"})
    result = build(src, pages=src / "pages")
    assert any("css/nope.css" in w and "not found" in w for w in result.warnings)
    assert "/assets/css/nope.css" in (result.out / "index.html").read_text()


def test_rewritten_file_gets_a_later_whole_second_mtime(tmp_path):
    """Same size, same second: Last-Modified / nginx's ETag must still change."""
    from assetpub.output import write_atomic

    path = tmp_path / "index.html"
    write_atomic(path, b"<p>one</p>")
    first = path.stat().st_mtime_ns
    write_atomic(path, b"<p>two</p>")
    assert path.stat().st_mtime_ns // 10**9 > first // 10**9


def test_hand_edited_manifest_with_a_bad_entry_is_a_clear_error(tmp_path):
    import json

    path = tmp_path / "assetpub-manifest.json"
    good = {"path": "a.1.css", "integrity": "sha384-x", "size": 1, "encodings": {}}
    for bad, problem in (
        ("nope", "is not a table"),
        ({**good, "path": 3}, "has no valid 'path'"),
        ({k: v for k, v in good.items() if k != "integrity"}, "has no valid 'integrity'"),
        ({**good, "encodings": {"br": "x"}}, "has malformed 'encodings'"),
    ):
        path.write_text(json.dumps({"version": 1, "base_url": "/", "assets": {"a.css": bad}}))
        with pytest.raises(assetpub.ManifestError, match=f"assetpub-manifest.json: entry 'a.css' {problem}"):
            assetpub.Manifest.load(path)


def test_names_with_hash_or_question_mark_are_found_by_their_own_name(make_site, build):
    """A file may be named `a#1.png` or `what?.txt`: the name itself is looked up first, and
    only a name that is not an asset is read as name + ?query / #fragment."""
    from assetpub.resolver import Resolver

    result = build(make_site({"img/a#1.png": b"1", "img/a.png": b"2", "docs/what?.txt": "?"}))
    m = result.manifest
    hashed = m.path("img/a#1.png")
    assert hashed.startswith("img/a#1.") and (result.out / hashed).is_file()
    assert m.url("img/a#1.png") == "/assets/" + hashed.replace("#", "%23")
    assert m.url("img/a.png#1") == "/assets/" + m.path("img/a.png") + "#1"  # a fragment on another asset
    assert "docs/what?.txt" in m and m.url("docs/what?.txt").startswith("/assets/docs/what%3F.")
    assert m.integrity("img/a#1.png") != m.integrity("img/a.png")
    r = Resolver(result.out)
    assert r.url("img/a#1.png") == m.url("img/a#1.png") and r.integrity("img/a#1.png") == m.integrity("img/a#1.png")
    assert r.url("img/a.png#1") == m.url("img/a.png#1")
    assert m.url("img/a#1.png?v=2") == m.url("img/a#1.png") + "?v=2"  # the longest asset name wins
