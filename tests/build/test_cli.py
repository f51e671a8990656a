"""`assetpub build` / `assetpub clean` through click's runner and as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from assetpub.cli import main
from tests.conftest import write_tree

ASSETPUB = shutil.which("assetpub", path=str(Path(sys.executable).parent)) or "assetpub"


def run(*args, cwd=None):
    return subprocess.run([ASSETPUB, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_build_json_summary(tmp_path):
    src = write_tree(tmp_path / "src", {"css/a.css": "a{}", "img/x.png": b"x"})
    result = CliRunner().invoke(main, ["build", str(src), "--out", str(tmp_path / "out"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert summary["files"] == 2 and summary["warnings"] == []
    assert Path(summary["manifest"]).is_file()


def test_build_human_summary_and_warnings(tmp_path):
    src = write_tree(tmp_path / "src", {"css/a.css": "a { background: url(nope.png) }"})
    result = CliRunner().invoke(main, ["build", str(src), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0
    assert "built 1 file (" in result.output and "1 warning," in result.output
    assert "warning: " in result.output and "a.css:1: missing reference 'nope.png'" in result.output


def test_strict_missing_reference_exit_1_one_line(tmp_path):
    src = write_tree(tmp_path / "src", {"css/a.css": "\n\na { background: url(nope.png) }"})
    proc = run("build", src, "--out", tmp_path / "out", "--strict")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [f"error: {src}/css/a.css:3: missing reference 'nope.png'"]
    assert "Traceback" not in proc.stderr and not (tmp_path / "out").exists()


def test_real_subprocess_build_and_clean(tmp_path):
    src = write_tree(tmp_path / "src", {"css/a.css": "a{color:red}"})
    proc = run("build", src, "--out", tmp_path / "out", "-q")
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""
    manifest = json.loads((tmp_path / "out/assetpub-manifest.json").read_text())
    old = manifest["assets"]["css/a.css"]["path"]
    (src / "css/a.css").write_text("a{color:blue}")
    assert run("build", src, "--out", tmp_path / "out", "-q").returncode == 0
    proc = run("clean", tmp_path / "out", "--keep", "1")
    assert proc.returncode == 0 and f"removed {old}" in proc.stdout
    assert not (tmp_path / "out" / old).exists()


def test_config_from_pyproject_and_flags_override(tmp_path):
    write_tree(tmp_path, {
        "assets/a.css": "a { background: url(nope.png) }",
        "pyproject.toml": '[tool.assetpub]\nsources = ["assets"]\nout = "public"\nbase_url = "/static"\n',
    })
    proc = run("build", "-q", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "public/assetpub-manifest.json").read_text())
    assert manifest["base_url"] == "/static/"
    proc = run("build", "--strict", cwd=tmp_path)
    assert proc.returncode == 1 and "missing reference 'nope.png'" in proc.stderr


def test_assetpub_toml_is_found(tmp_path):
    write_tree(tmp_path, {"a/x.txt": "x", "assetpub.toml": 'sources = ["a"]\nout = "o"\n'})
    assert run("build", "-q", cwd=tmp_path).returncode == 0
    assert (tmp_path / "o/assetpub-manifest.json").is_file()


def test_unknown_config_key_and_wrong_type_name_key_and_file(tmp_path):
    write_tree(tmp_path, {"assetpub.toml": 'sources = ["a"]\nout = "o"\nminfy = false\n', "a/x.txt": "x"})
    proc = run("build", cwd=tmp_path)
    assert proc.returncode == 2  # a configuration mistake
    assert "assetpub.toml: unknown key 'minfy'" in proc.stderr and "Traceback" not in proc.stderr
    write_tree(tmp_path, {"other.toml": 'sources = ["a"]\nout = "o"\nstrict = "yes"\n'})
    proc = run("build", "--config", "other.toml", cwd=tmp_path)
    assert proc.returncode == 2 and "other.toml: key 'strict' must be a boolean, not string" in proc.stderr


def test_broken_toml_is_one_line(tmp_path):
    write_tree(tmp_path, {"assetpub.toml": "sources = [\n"})
    proc = run("build", cwd=tmp_path)
    assert proc.returncode == 2 and "assetpub.toml: not valid TOML" in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_no_sources_or_out_is_a_clear_error(tmp_path):
    proc = run("build", cwd=tmp_path)
    assert proc.returncode == 2 and "no source directory given" in proc.stderr
    write_tree(tmp_path, {"a/x.txt": "x"})
    proc = run("build", "a", cwd=tmp_path)
    assert proc.returncode == 2 and "no output directory given" in proc.stderr


def test_help_explains(tmp_path):
    proc = run("build", "--help")
    assert proc.returncode == 0 and "--base-url" in proc.stdout and "fingerprinted" in proc.stdout
    assert run("--version").stdout.startswith("assetpub")


def test_usage_error_exit_2(tmp_path):
    assert run("build", "--no-such-flag").returncode == 2


def test_no_color_env_independent(tmp_path):
    env = {**os.environ, "LANG": "C"}
    src = write_tree(tmp_path / "src", {"café.css": "a{}"})
    proc = subprocess.run([ASSETPUB, "build", str(src), "--out", str(tmp_path / "o"), "-q"], capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr


def test_one_progress_bar_drawn_only_on_a_terminal():
    import io

    from assetpub.commands._shared import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    progress = Progress(enabled=True, stream=stream, delay=0)
    progress("scan", 10, 10)
    progress("build", 5, 10)
    progress("build", 10, 10)
    drawn = stream.getvalue()
    assert "scan  [" in drawn and "build  [" in drawn and "5/10" in drawn and "10/10" in drawn
    quiet = io.StringIO()
    Progress(stream=quiet)("build", 10, 10)  # StringIO is not a terminal
    assert quiet.getvalue() == ""


def test_config_paths_are_relative_to_the_config_file(tmp_path):
    from assetpub.config import load_config

    write_tree(tmp_path, {"site/assetpub.toml": 'sources = ["a"]\nout = "o"\ntarget = "origin"\n'})
    config = load_config(tmp_path / "site/assetpub.toml")
    assert config.sources == (tmp_path / "site/a",) and config.out == tmp_path / "site/o"
    assert config.target == str(tmp_path / "site/origin")
    write_tree(tmp_path, {"site/assetpub.toml": 'target = "s3://bucket/prefix"\n'})
    assert load_config(tmp_path / "site/assetpub.toml").target == "s3://bucket/prefix"


def _without_root_powers() -> list[str]:
    """A command prefix under which file modes apply: root reads and writes anything, so
    as root the command runs without its capabilities (setpriv); skip if that is not possible."""
    if os.geteuid() != 0:
        return []
    prefix = ["setpriv", "--bounding-set=-all", "--inh-caps=-all"]
    if not shutil.which("setpriv") or subprocess.run([*prefix, "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root and cannot drop capabilities: file modes do not apply")
    return prefix


def test_unreadable_source_is_one_line_naming_the_file(tmp_path):
    src = write_tree(tmp_path / "src", {"css/ok.css": "a{}", "css/locked.css": "b{}"})
    (src / "css/locked.css").chmod(0)
    prefix = _without_root_powers()
    out = tmp_path / "out"
    proc = subprocess.run(
        [*prefix, ASSETPUB, "build", str(src), "--out", str(out)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {src / 'css/locked.css'}: cannot read: Permission denied"
    assert not (out / "assetpub-manifest.json").exists()


def test_relative_base_url_is_a_clear_error(tmp_path):
    # "assets/" would resolve against each page's own URL: /blog/post -> /blog/assets/…
    write_tree(tmp_path, {"assetpub.toml": 'sources = ["a"]\nout = "o"\nbase_url = "assets"\n', "a/x.txt": "x"})
    proc = run("build", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "assetpub.toml: key 'base_url' must be a path from the site root" in proc.stderr and "'assets'" in proc.stderr
    result = CliRunner().invoke(main, ["build", str(tmp_path / "a"), "-o", str(tmp_path / "o"), "--base-url", "ftp://x/"])
    assert result.exit_code == 2 and result.output.startswith("error: --base-url must be"), result.output
    for good in ("/static", "https://cdn.example.com/assets", "//cdn.example.com/a/"):
        result = CliRunner().invoke(main, ["build", str(tmp_path / "a"), "-o", str(tmp_path / "o"), "--base-url", good])
        assert result.exit_code == 0, (good, result.output)


def test_output_directory_that_is_a_file_is_one_line(tmp_path):
    write_tree(tmp_path, {"a/x.txt": "x", "taken": "a file", "assetpub.toml": 'sources = ["a"]\nout = "taken"\n'})
    proc = run("build", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {tmp_path / 'taken'}: output directory is a file"
    proc = run("build", "a", "--out", "taken/sub", cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"error: {tmp_path / 'taken'}: is a file, so output directory {tmp_path / 'taken/sub'} cannot be created"
    assert (tmp_path / "taken").read_text() == "a file"


def test_unwritable_output_directory_is_one_line(tmp_path):
    write_tree(tmp_path, {"a/x.txt": "x", "a/css/y.css": "a{}"})
    (tmp_path / "ro").mkdir(mode=0o555)
    prefix = _without_root_powers()
    proc = subprocess.run([*prefix, ASSETPUB, "build", "a", "--out", "ro/out"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert proc.stderr.strip().startswith(f"error: {tmp_path / 'ro/out'}") and proc.stderr.strip().endswith(
        ": cannot write: Permission denied"), proc.stderr


def test_command_table_names_every_click_command_in_the_commands_package():
    """cli.COMMANDS is the one table: every click command defined in assetpub/commands/
    is in it, under its own name."""
    import importlib
    import pkgutil

    import click

    from assetpub import commands
    from assetpub.cli import COMMANDS, main

    defined = {}
    for info in pkgutil.iter_modules(commands.__path__):
        module = importlib.import_module(f"assetpub.commands.{info.name}")
        defined.update({obj.name: f"{info.name}:{attr}" for attr, obj in vars(module).items()
                        if isinstance(obj, click.Command) and obj.callback.__module__ == module.__name__})
    assert defined == COMMANDS
    assert all(main.get_command(None, name).name == name for name in COMMANDS)


def test_one_command_imports_only_its_module():
    code = (
        "import sys\n"
        "from assetpub.cli import main\n"
        "try:\n    main(['publish', '--help'])\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.startswith('assetpub.commands.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    # publish's module imports build's (deploy shares its options) and the shared helpers, nothing else
    assert out.strip().splitlines()[-1] == (
        "['assetpub.commands._shared', 'assetpub.commands.build', 'assetpub.commands.publish']"
    )


def test_watch_and_deploy_take_the_build_options_as_build_declares_them():
    """One declaration of the build's options (commands/build.py): watch differs only in
    --brotli-quality's default, and no command reaches back into cli.py for helpers."""
    from assetpub.cli import main

    def options(name):
        return [(p.name, p.opts, p.help) for p in main.get_command(None, name).params]

    build = options("build")[:8]
    assert [o[0] for o in build] == ["sources", "out", "base_url", "strict", "minify", "brotli_quality", "jobs",
                                     "config_file"]
    assert options("deploy")[:8] == build
    watch = options("watch")[:8]
    assert [o for o in watch if o[0] != "brotli_quality"] == [o for o in build if o[0] != "brotli_quality"]
    assert main.get_command(None, "watch").params[5].default == 5
    commands = Path(__file__).parents[2] / "assetpub" / "commands"
    assert not [f.name for f in commands.glob("*.py") if "from ..cli import" in f.read_text(encoding="utf-8")]


def test_python_dash_m_assetpub_runs_a_parallel_build(tmp_path):
    """`python -m assetpub` is the command, process pool included."""
    from assetpub.workers import PARALLEL_MIN_BYTES, PARALLEL_MIN_ITEMS

    n = PARALLEL_MIN_ITEMS + 1  # enough files and bytes for the process pool to start
    rule = "".join(f".c{i} {{ color: #{i:06x} }}\n" for i in range(PARALLEL_MIN_BYTES // n // 20 + 1))
    src = write_tree(tmp_path / "src", {f"css/{i}.css": rule for i in range(n)})
    proc = subprocess.run(
        [sys.executable, "-m", "assetpub", "build", str(src), "--out", str(tmp_path / "out"), "-j", "2",
         "--brotli-quality", "1", "--json"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["processed"] == n
    assert (tmp_path / "out/assetpub-manifest.json").is_file()


def test_json_output_is_sorted_valid_and_one_list_element_per_line():
    from assetpub.commands._shared import json_text

    value = {"b": [{"y": 1, "x": "é"}, {"x": 2}], "a": {"n": None, "e": [], "d": {}}, "c": [1, [2, 3]], "z": "s"}
    text = json_text(value)
    assert json.loads(text) == value
    lines = text.splitlines()
    assert '    {"x": "\\u00e9", "y": 1},' in lines and '    {"x": 2}' in lines  # ASCII, as json.dumps writes it
    assert [line.strip()[:3] for line in lines if line.startswith('  "')] == ['"a"', '"b"', '"c"', '"z"']
    assert json_text([]) == "[]" and json_text({}) == "{}"


def test_strict_lists_every_missing_reference(tmp_path):
    write_tree(tmp_path, {"a/x.css": 'a{background:url("gone1.png")}\nb{background:url("gone2.png")}\n',
                          "a/y.css": '@import "gone3.css";\n'})
    proc = run("build", "a", "--out", "o", "--strict", cwd=tmp_path)
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 3 and all(line.startswith("error: ") for line in lines), lines
    assert "(and 2 more, listed below)" in lines[0]
    assert sorted(re.search(r"missing reference '([^']+)'", line).group(1) for line in lines) == [
        "gone1.png", "gone2.png", "gone3.css"]


def test_build_notes_files_shipped_unminified_one_line_each(tmp_path):
    """A file rjsmin would break ships as written: one `note:` line naming the file and
    the construct (not a warning: --strict passes), and a count in --json."""
    files = {"js/a.js": "function* g() { yield / a /.source }\n", "js/b.js": "const s = `a ${`, ${1}`}`;\n", "js/ok.js": "const  x = 1;\n"}
    src = write_tree(tmp_path / "src", files)
    result = CliRunner().invoke(main, ["build", str(src), "--out", str(tmp_path / "out"), "--strict"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.output.splitlines() if line.startswith("note: ")]
    assert len(notes) == 2 and "0 warnings" in result.output
    assert notes[0].endswith("a.js: not minified (rjsmin): `/ a /` (line 1) would become `/a/`")
    assert "b.js: not minified (rjsmin): ``, ${` (line 1) would become ``,${`" in notes[1]
    as_json = CliRunner().invoke(main, ["build", str(src), "--out", str(tmp_path / "out2"), "--json"])
    summary = json.loads(as_json.output)
    assert summary["not_minified"] == 2 and len(summary["notes"]) == 2 and summary["warnings"] == []
