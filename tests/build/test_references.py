"""Reference forms that are easy to get subtly wrong: image-set() with url() inside,
quoted url() with spaces through the minifier."""

from __future__ import annotations

from tests.build.conftest import output_text

IMAGES = {"img/a.png": b"\x89PNG a", "img/b c.png": b"\x89PNG bc"}


def test_image_set_with_url_inside_is_rewritten_once(make_site, build):
    src = make_site(
        {
            **IMAGES,
            "css/a.css": '.e { background-image: image-set(url("../img/a.png") 1x, "../img/b c.png" 2x) }\n'
            ".f { background-image: -webkit-image-set(url(../img/a.png) 1x) }\n",
        }
    )
    result = build(src, minify=False)
    m = result.manifest
    a = m.path("img/a.png").rsplit("/", 1)[1]
    bc = m.path("img/b c.png").rsplit("/", 1)[1]
    text = output_text(result, "css/a.css")
    assert f'image-set(url("../img/{a}") 1x, "../img/{bc}" 2x)' in text
    assert f"-webkit-image-set(url(../img/{a}) 1x)" in text
    assert not result.warnings


def test_minified_quoted_url_keeps_a_space_in_the_name(make_site, build):
    # rcssmin strips all whitespace inside url(), even quoted; the file would not be found
    src = make_site({**IMAGES, "css/a.css": ".b { background: url( \"../img/b c.png\" ) }\n"})
    result = build(src, minify=True)
    bc = result.manifest.path("img/b c.png").rsplit("/", 1)[1]
    text = output_text(result, "css/a.css")
    assert f'url("../img/{bc.replace(" ", "%20")}")' in text, text


def test_html_style_attribute_urls_are_rewritten(make_site, build):
    src = make_site(
        {
            **IMAGES,
            "index.html": '<div style="background: url(img/a.png)"></div>\n'
            "<p style='background-image: url(\"img/b c.png\")'></p>\n"
            '<span style="color: red">x</span> <i style="background:url(&quot;img/a.png&quot;)"></i>\n',
        }
    )
    result = build(src, minify=False)
    m = result.manifest
    html = output_text(result, "index.html")
    assert f'style="background: url({m.path("img/a.png")})"' in html
    assert f"""style='background-image: url("{m.path("img/b c.png")}")'""" in html
    assert '<span style="color: red">' in html
    # an entity-encoded URL is not guessed at: left as written, and no false warning
    assert 'style="background:url(&quot;img/a.png&quot;)"' in html
    assert not result.warnings


def test_missing_reference_is_quoted_as_written(make_site, build):
    src = make_site({"css/a.css": '.y { background: url(\\.\\./img/x.png) }\n.z { background: url("it\'s.png") }\n'})
    warnings = build(src).warnings
    assert any(w.endswith(r"a.css:1: missing reference '\.\./img/x.png' (left as written)") for w in warnings), warnings
    assert any(w.endswith("a.css:2: missing reference 'it's.png' (left as written)") for w in warnings), warnings


def test_image_set_type_strings_are_not_references(make_site, build):
    # image-set("a.avif" type("image/avif")): the MIME type is not a URL (a false warning,
    # and a failed build with --strict)
    src = make_site(
        {
            **IMAGES,
            "img/a.avif": b"avif",
            "css/a.css": '.a { background-image: image-set("../img/a.avif" type("image/avif"),'
            ' url(../img/a.png) type("image/png") 1x) }\n',
        }
    )
    result = build(src, minify=False, strict=True)
    m = result.manifest
    text = output_text(result, "css/a.css")
    assert f'image-set("../img/{m.path("img/a.avif").rsplit("/", 1)[1]}" type("image/avif"),' in text
    assert f'url(../img/{m.path("img/a.png").rsplit("/", 1)[1]}) type("image/png") 1x)' in text
    assert not result.warnings


def test_html_template_expressions_and_bound_attributes_are_not_references(make_site, build):
    # HTML assets are often templates for a front-end framework; with --strict these
    # false "missing references" would fail the build
    src = make_site(
        {
            **IMAGES,
            "index.html": '<img src="{{ user.avatar }}"> <img src="${avatar}"> <img src="<%= url %>">\n'
            '<img :src="avatar"> <img v-bind:src="avatar" x-bind:srcset="set">\n'
            '<div style="background:url({{bg}})"></div> <svg><use xlink:href="img/a.png#i"/></svg>\n'
            '<img alt="see src=img/nope.png" title=\'href="x.css"\' src="img/a.png">\n',
        }
    )
    result = build(src, minify=False, strict=True)
    html = output_text(result, "index.html")
    assert f'xlink:href="{result.manifest.path("img/a.png")}#i"' in html
    assert '<img :src="avatar"> <img v-bind:src="avatar" x-bind:srcset="set">' in html
    assert f'alt="see src=img/nope.png" title=\'href="x.css"\' src="{result.manifest.path("img/a.png")}"' in html
    assert not result.warnings


def test_new_url_relative_to_import_meta_url_is_a_reference(make_site, build, tmp_path):
    """`new URL("./x.png", import.meta.url)` is how a module names an asset beside it
    (the pattern Vite, webpack 5 and Parcel rewrite): after fingerprinting, only the
    hashed name exists, so it must be rewritten and must cascade."""
    src = make_site(
        {
            "js/app.js": 'const logo = new URL("../img/logo.png", import.meta.url);\n'
            "const worker = new URL('./worker.js' , import.meta.url ).href;\n"
            "const icon = new   URL(\n  'icon.svg',\n  import.meta.url\n);\n"
            'const other = new URL("../img/logo.png", location.href);  // not module-relative\n'
            'const text = "new URL(\'./nope.png\', import.meta.url)";\n'
            "// new URL('./nope.png', import.meta.url)\n"
            "export { logo, worker, icon, other, text };\n",
            "js/worker.js": "self.onmessage = () => {};\n",
            "js/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
            "img/logo.png": b"\x89PNG v1",
        }
    )
    result = build(src, minify=False, strict=True)
    m = result.manifest
    js = output_text(result, "js/app.js")
    logo = m.path("img/logo.png").rsplit("/", 1)[1]
    worker = m.path("js/worker.js").rsplit("/", 1)[1]
    icon = m.path("js/icon.svg").rsplit("/", 1)[1]
    assert f'new URL("../img/{logo}", import.meta.url)' in js
    assert f"new URL('./{worker}' , import.meta.url )" in js
    assert f"'{icon}',\n  import.meta.url" in js
    assert 'new URL("../img/logo.png", location.href)' in js  # another base: left as written
    assert "nope.png" in js and not result.warnings  # strings and comments are not references
    (src / "img/logo.png").write_bytes(b"\x89PNG v2")
    after = build(src, out=tmp_path / "b", minify=False).manifest
    assert after.path("js/app.js") != m.path("js/app.js")  # the module's fingerprint covers the image


def test_new_url_to_a_missing_file_is_reported_like_any_reference(make_site, build):
    import pytest

    import assetpub

    src = make_site({"js/app.js": 'export const u = new URL("./gone.png", import.meta.url);\n'})
    with pytest.raises(assetpub.BuildError, match=r"app\.js:1: missing reference '\./gone\.png'"):
        build(src, strict=True)


def test_new_url_forms_formatters_write_and_directory_urls(make_site, build):
    """Prettier's wrapped call with a trailing comma, a backtick string without ${}, and
    the module's own directory (`new URL(".", import.meta.url)`), which is no file."""
    src = make_site(
        {
            "js/app.js": "export const a = new URL(\n  '../img/logo.png',\n  import.meta.url,\n);\n"
            "export const b = new URL(`./icon.svg`, import.meta.url);\n"
            'export const here = new URL(".", import.meta.url).href;\n'
            'export const up = new URL("../", import.meta.url).href;\n'
            'export const parent = new URL("..", import.meta.url).href;\n',
            "js/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
            "img/logo.png": b"\x89PNG",
        }
    )
    result = build(src, minify=False, strict=True)
    js = output_text(result, "js/app.js")
    m = result.manifest
    assert f"'../{m.path('img/logo.png')}',\n  import.meta.url," in js
    assert f"`./{m.path('js/icon.svg').rsplit('/', 1)[1]}`" in js
    assert 'new URL(".", import.meta.url)' in js and 'new URL("..", import.meta.url)' in js
    assert not result.warnings


def test_references_inside_template_literal_expressions(make_site, build):
    """lit and friends: `html\\`<img src=${new URL("./a.png", import.meta.url)}>\\``, and a
    dynamic import() inside ${}; the template's own text is never a reference."""
    src = make_site(
        {
            "js/card.js": "export const card = (n) => html`\n"
            '  <img src=${new URL("../img/logo.png", import.meta.url)} alt="import(\'./nope.js\')">\n'
            "  ${n > 1 ? html`<b>${new URL(`./icon.svg`, import.meta.url)}</b>` : ''}\n"
            "  ${until(import('./lazy.js').then((m) => m.view()), 'loading')}\n"
            "`;\n",
            "js/lazy.js": "export const view = () => 'lazy';\n",
            "js/icon.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>",
            "img/logo.png": b"\x89PNG",
        }
    )
    result = build(src, minify=False, strict=True)
    js = output_text(result, "js/card.js")
    m = result.manifest
    assert f'new URL("../{m.path("img/logo.png")}", import.meta.url)' in js
    assert f"`./{m.path('js/icon.svg').rsplit('/', 1)[1]}`" in js
    assert f"import('./{m.path('js/lazy.js').rsplit('/', 1)[1]}')" in js
    assert "alt=\"import('./nope.js')\"" in js and not result.warnings
