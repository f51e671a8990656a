"""Cases from Django's staticfiles test suite (see ../shared/conformance/README.md)."""

from __future__ import annotations

import re
import shutil

import pytest

import assetpub
from tests.build.conftest import output_text

DOCS = "django/tests/staticfiles_tests/project/documents"
VARIANT = "django/variants/newer_comment_aware_quote_preserving/tests/staticfiles_tests/project/documents"


@pytest.fixture
def django_build(conformance, tmp_path):
    return assetpub.build([conformance / DOCS], out=tmp_path / "out", base_url="/static/", minify=False)


def test_import_references_fingerprinted_target(django_build):
    m = django_build.manifest
    assert output_text(django_build, "cached/styles.css") == f'@import url("{m.path("cached/other.css").split("/")[-1]}");\n'


def test_import_cascades_into_importer_fingerprint(conformance, tmp_path):
    src = tmp_path / "docs"
    shutil.copytree(conformance / DOCS, src)
    first = assetpub.build([src], out=tmp_path / "a", base_url="/static/").manifest
    (src / "cached/other.css").write_text("body { color: red }\n")
    second = assetpub.build([src], out=tmp_path / "b", base_url="/static/").manifest
    assert first.path("cached/styles.css") != second.path("cached/styles.css")
    assert first.path("cached/import.css") != second.path("cached/import.css")  # via styles.css
    assert first.path("cached/url.css") == second.path("cached/url.css")  # unrelated


def test_ignored_references_untouched(django_build, conformance):
    source = (conformance / DOCS / "cached/css/ignored.css").read_text()
    assert output_text(django_build, "cached/css/ignored.css") == source


def test_fragments_and_queries_kept(django_build):
    m = django_build.manifest
    eot = m.path("cached/css/fonts/font.eot").rsplit("/", 1)[1]
    svg = m.path("cached/css/fonts/font.svg").rsplit("/", 1)[1]
    text = output_text(django_build, "cached/css/fragments.css")
    assert f"url('fonts/{eot}?#iefix')" in text
    assert f"url('fonts/{svg}#webfontIyfZbseF')" in text
    assert f"url('fonts/{svg}#path/to/../../fonts/font.svg')" in text
    assert "url('data:font/woff;charset=utf-8;base64,d09GRgABAAAAADJoAA0AAAAAR2QAAQAAAAAAAAAAAAA')" in text
    assert 'url("#default#VML")' in text


def test_older_fragments_variant(conformance, tmp_path):
    roots = [conformance / "django/variants/older_fragments/tests/staticfiles_tests/project/documents", conformance / DOCS]
    result = assetpub.build(roots, out=tmp_path / "out", minify=False)
    eot = result.manifest.path("cached/css/fonts/font.eot").rsplit("/", 1)[1]
    assert f"fonts/{eot}?#iefix" in output_text(result, "cached/css/fragments.css")


def test_absolute_references_under_prefix(django_build):
    m = django_build.manifest
    text = output_text(django_build, "cached/absolute.css")
    assert f'@import url("/static/{m.path("cached/styles.css")}");' in text
    assert f'@import url("/static/{m.path("styles_root.css")}");' in text


def test_absolute_references_outside_prefix_untouched(django_build, conformance):
    source = (conformance / DOCS / "cached/absolute_no_static.css").read_text()
    assert output_text(django_build, "cached/absolute_no_static.css") == source


def test_relative_form_and_fragment_kept(django_build):
    m = django_build.manifest
    styles = m.path("cached/styles.css").rsplit("/", 1)[1]
    absolute = m.path("cached/absolute.css").rsplit("/", 1)[1]
    text = output_text(django_build, "cached/relative.css")
    assert f'@import url("../cached/{styles}");' in text
    assert f'@import url("{absolute}");' in text
    assert f'@import url("{absolute}#eggs");' in text


def test_denormalised_path_resolves(django_build):
    styles = django_build.manifest.path("cached/styles.css").rsplit("/", 1)[1]
    assert f'@import url("..//cached///{styles}");' in output_text(django_build, "cached/denorm.css")


def test_import_forms(django_build):
    m = django_build.manifest
    assert output_text(django_build, "cached/import.css") == f"@import '{m.path('cached/styles.css').rsplit('/', 1)[1]}';\n"
    other = m.path("cached/other.css").rsplit("/", 1)[1]
    assert output_text(django_build, "cached/styles_insensitive.css") == f'@IMporT uRL("{other}");'


def test_external_import_untouched(django_build, conformance):
    assert output_text(django_build, "cached/url.css") == (conformance / DOCS / "cached/url.css").read_text()


def test_nested_data_uri_untouched(django_build, conformance):
    source = (conformance / DOCS / "cached/data_uri_with_nested_url.css").read_text()
    assert output_text(django_build, "cached/data_uri_with_nested_url.css") == source


@pytest.mark.parametrize(
    "name, map_name, expected",
    [
        ("cached/source_map.css", "cached/source_map.css.map", "/*# sourceMappingURL={map}*/"),
        ("cached/source_map_tabs.css", "cached/source_map.css.map", "/*#\tsourceMappingURL={map}\t*/"),
        ("cached/source_map.js", "cached/source_map.js.map", "//# sourceMappingURL={map}\n"),
        ("cached/source_map_trailing_whitespace.js", "cached/source_map.js.map", "//# sourceMappingURL={map}\t \n"),
    ],
)
def test_source_map_comment_rewritten(django_build, name, map_name, expected):
    map_base = django_build.manifest.path(map_name).rsplit("/", 1)[1]
    assert re.fullmatch(r"source_map\.(css|js)\.[0-9a-f]{12}\.map", map_base)
    assert expected.format(map=map_base) in output_text(django_build, name)


@pytest.mark.parametrize(
    "name",
    ["cached/source_map_sensitive.css", "cached/source_map_sensitive.js", "cached/source_map_data_uri.css", "cached/source_map_data_uri.js"],
)
def test_source_map_wrong_case_and_data_uri_untouched(django_build, conformance, name):
    assert output_text(django_build, name) == (conformance / DOCS / name).read_text()


def test_comments_are_not_followed(django_build):
    assert not [w for w in django_build.warnings if "does.not.exist" in w]
    text = output_text(django_build, "cached/css/comments.css")
    assert '/* Single line: @import url("does.not.exist.A.css"); */' in text
    window = django_build.manifest.path("cached/css/window.css").rsplit("/", 1)[1]
    assert f'@import url("{window}");' in text


def test_comment_aware_quote_preserving_variant(conformance, tmp_path):
    result = assetpub.build([conformance / VARIANT, conformance / DOCS], out=tmp_path / "out", base_url="/static/", minify=False)
    assert not [w for w in result.warnings if "non_exist" in w or "does.not.exist" in w]
    text = output_text(result, "cached/css/ignored.css")
    assert 'content: "url(non_exist.png)";' in text and "content: 'url(non_exist.png)';" in text
    assert '/*url("does.not.exist.png")*/' in text
    imports = output_text(result, "cached/import.css")
    styles = result.manifest.path("cached/styles.css").rsplit("/", 1)[1]
    assert f"@import '{styles}';" in imports
    assert f"@import url({styles}) layer(default);" in imports
    assert f'@import url("{styles}") screen and (orientation: landscape);' in imports
    assert f'@import url("/static/{result.manifest.path("styles_root.css")}");' in imports
    assert '/* @import url("m/css/base.css"); */' in imports


def test_cycles_build_and_cascade(conformance, tmp_path):
    src = tmp_path / "loop"
    shutil.copytree(conformance / "django/tests/staticfiles_tests/project/loop", src)
    one = assetpub.build([src], out=tmp_path / "o1").manifest
    two = assetpub.build([src], out=tmp_path / "o2").manifest
    assert one.to_dict()["assets"] == two.to_dict()["assets"]
    (src / "foo.css").write_text('@import url("bar.css")\n/* edited */\n')
    three = assetpub.build([src], out=tmp_path / "o3").manifest
    assert three.path("foo.css") != one.path("foo.css")
    assert three.path("bar.css") != one.path("bar.css")  # bar imports foo
    assert three.path("baz.css") == one.path("baz.css")  # baz reaches nothing


def test_documents_loop_with_missing_members_builds(django_build):
    assert any("loop/bar.css:1: missing reference 'foo.css'" in w for w in django_build.warnings)


def test_missing_reference_strict_names_file_line_and_target(conformance, tmp_path):
    with pytest.raises(assetpub.BuildError) as err:
        assetpub.build([conformance / "django/tests/staticfiles_tests/project/faulty"], out=tmp_path / "out", strict=True)
    message = str(err.value)
    assert "faulty.css:1:" in message and "'missing.css'" in message
    assert not (tmp_path / "out").exists()


def test_missing_reference_default_warns_and_leaves_it(conformance, tmp_path):
    result = assetpub.build([conformance / "django/tests/staticfiles_tests/project/faulty"], out=tmp_path / "out")
    assert any(w.endswith("faulty.css:1: missing reference 'missing.css' (left as written)") for w in result.warnings)
    assert '@import url("missing.css")' in output_text(result, "faulty.css")


def test_es_module_references(conformance, tmp_path):
    src = tmp_path / "static"
    shutil.copytree(conformance / DOCS, src)
    (src / "nested/js").mkdir(parents=True)
    (src / "nested/js/nested.js").write_text("export default 1;\n")
    (src / "cached/computed.js").write_text("const name = 'x';\nconst m = import(`./${name}.js`);\n")
    result = assetpub.build([src], out=tmp_path / "out", base_url="/static/", minify=False)
    m = result.manifest
    test_js = m.path("cached/module_test.js").rsplit("/", 1)[1]
    nested = m.path("nested/js/nested.js").rsplit("/", 1)[1]
    text = output_text(result, "cached/module.js")
    assert "./module_test.js" not in text
    assert text.count(f'"./{test_js}"') == 13
    assert f'import rootConst from "/static/{m.path("absolute_root.js")}";' in text
    assert f'import relativeModule from "../nested/js/{nested}";' in text
    assert f'import("./{test_js}")' in text
    assert f'export * from "./{test_js}";' in text
    assert "$second_var_2 as secondVarAlias\n} from \"./" + test_js in text
    assert output_text(result, "cached/computed.js") == (src / "cached/computed.js").read_text()
    assert any("computed.js:2:" in w and "template literal" in w for w in result.warnings)
    # a string that merely looks like url() in JS is not a reference
    assert output_text(result, "cached/test.js") == 'myVar = url("import.css");\n'
