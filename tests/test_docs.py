"""The documentation site (``mkdocs.yml``): built with warnings as errors, with the pages it
makes from the repository (the README, the notebooks, the experiments, the API reference)."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


def hooks():
    """``docs/hooks.py``, the site's MkDocs hooks, as a module."""
    pytest.importorskip("mkdocs")
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_links_to_pages_of_the_site_point_at_them_and_others_become_names():
    rewrite = hooks().rewrite_links
    readme = "see [docs/reliability.md](docs/reliability.md), [x](examples/x.py) and [y](#y)"
    assert rewrite(readme, "README.md") == (
        "see [docs/reliability.md](reliability.md), x (`examples/x.py`) and [y](#y)"
    )
    assert rewrite("[peers](peers/README.md#table)", "benchmarks/README.md") == (
        "[peers](peers.md#table)"
    )
    assert (
        rewrite("[`a.json`](results/a.json)", "benchmarks/README.md")
        == "`a.json` (`benchmarks/results/a.json`)"
    )


def test_the_experiments_page_says_when_it_has_no_figures_to_show():
    page = hooks().experiments_page(None)
    assert "## Fig. 3: `critic_impact`" in page and "this build had no results" in page
    assert "$" not in page  # matplotlib's math is written out


@pytest.mark.slow
def test_the_site_builds_without_a_warning(tmp_path):
    pytest.importorskip("mkdocs_jupyter")
    pytest.importorskip("mkdocstrings_handlers.python")
    figures = tmp_path / "results" / "figures"
    figures.mkdir(parents=True)
    (figures / "fig3a_critic_impact_accuracy_nwj.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    site = tmp_path / "site"
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        # (Material's notice of its successor is not a warning of this site.)
        env={
            **os.environ,
            "MIRL_DOCS_RESULTS": str(tmp_path / "results"),
            "NO_MKDOCS_2_WARNING": "1",
        },
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr
    assert not re.search(r"^WARNING", build.stderr, re.MULTILINE), build.stderr
    assert not (ROOT / ".cache").exists()  # nothing written beside the sources
    for page in ("index", "experiments", "reliability", "benchmarks", "peers"):
        assert (site / page / "index.html" if page != "index" else site / "index.html").exists()
    for notebook in ("reproduce", "bounds_and_estimators", "your_own_loop"):
        assert "MIRL_SOURCE" in (site / "notebooks" / notebook / "index.html").read_text()
    assert 'id="mirl.api.run"' in (site / "reference" / "api" / "index.html").read_text()
    experiments = (site / "experiments" / "index.html").read_text()
    assert "figures/fig3a_critic_impact_accuracy_nwj.png" in experiments
    assert (site / "figures" / "fig3a_critic_impact_accuracy_nwj.png").exists()
