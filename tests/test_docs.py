"""The repository is self-contained: its docs cite only its own files, and every relative
link in a Markdown page leads to a file that exists."""

from __future__ import annotations

import re

import pytest

from .conftest import ROOT

PAGES = sorted([ROOT / "README.md", *ROOT.glob("docs/**/*.md"),
                *ROOT.glob("experiments/*/README.md"), *ROOT.glob("benchmarks/*.md")])
TEXT = sorted([*PAGES, *ROOT.glob("sim/**/*.py"), *ROOT.glob("conf/**/*.yaml"),
               *ROOT.glob("scripts/*.py")])
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


@pytest.mark.parametrize("path", TEXT, ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_cites_files_outside_the_repository(path):
    assert "shared/" not in path.read_text(encoding="utf-8"), "cite a copy in docs/ instead"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_links_lead_to_files_that_exist(page):
    text = page.read_text(encoding="utf-8")
    missing = [target for target in LINK.findall(text)
               if "://" not in target and not target.startswith("mailto:")
               and not (page.parent / target).exists()]
    assert not missing, f"{page.relative_to(ROOT)} links to missing {missing}"
