"""globs.matches: the rules of .gitignore, one line per case, and each case checked
against git itself (`git check-ignore --no-index`)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from assetpub.globs import matches
from tests.conftest import missing

# (patterns, name, matched)
CASES = [
    (["*.html"], "index.html", True),
    (["*.html"], "pages/about.html", True),  # no slash: any depth
    (["*.html"], "index.htm", False),
    (["/robots.txt"], "robots.txt", True),  # a leading slash anchors
    (["/robots.txt"], "sub/robots.txt", False),
    (["robots.txt"], "sub/robots.txt", True),
    (["css/*.css"], "css/a.css", True),  # a slash in the middle anchors
    (["css/*.css"], "x/css/a.css", False),
    (["css/*.css"], "css/sub/a.css", False),  # `*` stays in one segment
    (["css/**/*.css"], "css/a.css", True),  # `/**/` is zero or more directories
    (["css/**/*.css"], "css/a/b/c.css", True),
    (["**/vendor/*.js"], "vendor/a.js", True),
    (["**/vendor/*.js"], "lib/vendor/a.js", True),
    ([".well-known/**"], ".well-known/security.txt", True),
    ([".well-known/**"], ".well-known/a/b.txt", True),
    ([".well-known/**"], "x/.well-known/a", False),
    (["a?.txt"], "ab.txt", True),
    (["a?.txt"], "a/.txt", False),
    (["*.[ch]"], "a.c", True),  # character classes
    (["*.[ch]"], "a.h", True),
    (["*.[ch]"], "a.d", False),
    (["*.[!ch]"], "a.d", True),
    (["*.[!ch]"], "a.c", False),
    (["img/[a-c]*.png"], "img/b1.png", True),
    (["img/[a-c]*.png"], "img/d1.png", False),
    (["drafts/"], "drafts/a.md", True),  # a trailing slash: directories only
    (["drafts/"], "x/drafts/a.md", True),
    (["drafts/"], "drafts", False),
    (["*.map", "!keep.map"], "keep.map", False),  # the last match decides; `!` re-includes
    (["*.map", "!keep.map"], "a.map", True),
    (["!keep.map", "*.map"], "keep.map", True),
    (["drafts/", "!drafts/keep.md"], "drafts/keep.md", True),  # not below an excluded directory
    (["drafts/**", "!drafts/keep.md"], "drafts/keep.md", False),  # `/**` excludes the files, not the directory
    (["\\!important.txt"], "!important.txt", True),  # escapes
    (["\\#notes"], "#notes", True),
    (["# a comment", ""], "# a comment", False),
    (["a\\*b"], "a*b", True),
    (["a\\*b"], "axb", False),
    (["trailing.txt   "], "trailing.txt", True),  # trailing spaces ignored
    (["**"], "any/thing.txt", True),
    (["a**b"], "axyb", True),  # other runs of asterisks are one `*`
    (["a**b"], "ax/yb", False),
    (["[unclosed"], "[unclosed", False),  # as git: an unclosed `[` matches nothing
    (["sw.js", "service-worker.js"], "js/sw.js", True),
]


@pytest.mark.parametrize("patterns, name, matched", CASES, ids=[f"{p}~{n}" for p, n, _ in CASES])
def test_matches(patterns, name, matched):
    assert matches(name, patterns) is matched


def test_git_agrees_with_every_case(tmp_path):
    git = shutil.which("git")
    if git is None:
        missing("git not found")
    for n, (patterns, name, matched) in enumerate(CASES):
        repo = tmp_path / str(n)
        repo.mkdir()
        subprocess.run([git, "init", "-q", str(repo)], check=True)
        (repo / ".gitignore").write_text("\n".join(patterns) + "\n", encoding="utf-8")
        proc = subprocess.run([git, "-c", "core.excludesFile=", "check-ignore", "--no-index", "-q", name], cwd=repo,
                              capture_output=True, text=True)
        assert proc.returncode in (0, 1), proc.stderr
        assert (proc.returncode == 0) is matched, (patterns, name, "git says", proc.returncode == 0)


def test_git_agrees_on_generated_patterns(tmp_path):
    """Random lists of patterns over a small alphabet (seeded: the same cases every run),
    each against paths of the same alphabet, decided by us and by git."""
    import random

    git = shutil.which("git")
    if git is None:
        missing("git not found")
    rng = random.Random(20261130)
    pieces = ["a", "b", "*", "?", "**", "[ab]", "[!a]", ".x", "/"]
    segments = ["a", "b", "ab", "a.x", "b.x", "ba"]
    for n in range(80):
        patterns = []
        for _ in range(rng.randint(1, 3)):
            text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 4)))
            patterns.append(("!" if rng.random() < 0.25 else "") + text + ("/" if rng.random() < 0.15 else ""))
        names = sorted({"/".join(rng.choice(segments) for _ in range(rng.randint(1, 3))) for _ in range(25)})
        repo = tmp_path / str(n)
        repo.mkdir()
        subprocess.run([git, "init", "-q", str(repo)], check=True)
        (repo / ".gitignore").write_text("\n".join(patterns) + "\n", encoding="utf-8")
        proc = subprocess.run([git, "-c", "core.excludesFile=", "check-ignore", "--no-index", "--stdin"], cwd=repo,
                              input="\n".join(names) + "\n", capture_output=True, text=True)
        assert proc.returncode in (0, 1), proc.stderr
        ignored = set(proc.stdout.splitlines())
        ours = {name for name in names if matches(name, patterns)}
        assert ours == ignored, (patterns, sorted(ours ^ ignored))
