"""The static site (`make site`, tools/site.py): built here for one lecture with a demo (a quick-mode preview), then
read in headless Chromium: the index links lectures, homework and instructions; the lecture page shows its text, its
plots and the demo snapshot, and no traceback; every relative link in the site resolves. Publishing (no --quick)
refuses without a current full-mode run that held every claim, and refuses homework that `course release --check`
or its leak check would reject."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from browserutil import ROOT, launch, require_chromium, require_playwright

pytestmark = pytest.mark.slow

OUT = Path(os.environ.get("COURSE_BROWSER_OUT", ROOT / "build" / "browser-screenshots"))
LECTURE = "01_gradient_descent"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    p = subprocess.run([sys.executable, str(ROOT / "tools" / "site.py"), "--out", str(out), "--lectures", LECTURE,
                        "--quick"],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    print(p.stdout.strip().splitlines()[-1])
    return out


def test_every_relative_link_resolves(site):
    broken = []
    for page in site.rglob("*.html"):
        for href in re.findall(r'href="([^"]+)"', page.read_text(encoding="utf-8")):
            if re.match(r"^[a-z]+:", href) or href.startswith("#"):
                continue
            target = (page.parent / href.split("#")[0]).resolve()
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {href}")
    assert not broken, broken[:20]


def test_index_and_lecture_in_a_browser(site):
    require_chromium()
    sync_playwright = require_playwright()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        context = launch(pw, site.parent / "chromium-profile")
        # the page loads MathJax from its CDN: there is no network here, so fail that fast
        context.route(re.compile(r"^https?://(?!127\.0\.0\.1)"), lambda route: route.abort())
        page = context.new_page()
        page.goto((site / "index.html").as_uri())
        assert page.title() == "Deep Learning Basics"
        for section in ("Instructions", "Lectures", "Homework"):
            assert page.locator(f"h2:text-is('{section}')").count() == 1, section
        assert page.locator("a[href='assignments/hw01_gradient_descent.html']").count() == 1
        assert page.locator("a[href='instructions.html']").count() == 1
        colab = page.locator(f"a[href$='notebooks/{LECTURE}.ipynb'][href^='https://colab.research.google.com']")
        assert colab.count() == 1
        page.screenshot(path=str(OUT / "site-index.png"), full_page=True)

        page.locator(f"a[href='notebooks/{LECTURE}.html']").click()
        page.wait_for_load_state()
        assert page.url.endswith(f"notebooks/{LECTURE}.html")
        text = page.locator("body").inner_text()
        assert "Gradient descent" in text
        assert "Traceback" not in text
        assert page.locator(".course-demo-note").count() >= 1, "the widget snapshot note is missing"
        imgs = page.locator(".jp-OutputArea-output img")
        assert imgs.count() >= 3, "expected the lecture's plots (and the demo snapshot) as images"
        sizes = imgs.evaluate_all("els => els.map(e => e.naturalWidth)")
        assert all(w > 50 for w in sizes), sizes
        page.locator(".course-demo-note").first.scroll_into_view_if_needed()
        page.screenshot(path=str(OUT / f"site-{LECTURE}.png"))

        page.goto((site / "instructions.html").as_uri())
        assert "make test" in page.locator("body").inner_text()
        context.close()


def test_readme_opens_every_notebook_in_colab():
    """README's Colab table links every lecture and every homework (add a row when you add a notebook)."""
    from autograder.project import colab_url

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    notebooks = sorted((ROOT / "notebooks").glob("*.ipynb")) + sorted((ROOT / "assignments").glob("*.ipynb"))
    missing = [p.relative_to(ROOT).as_posix() for p in notebooks if colab_url(p.relative_to(ROOT).as_posix())
               not in readme]
    assert not missing, f"README lacks an Open-in-Colab link for: {missing}"


def _site_module():
    """tools/site.py as a module (loaded from its file: its name would shadow the standard library's `site`)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("course_site", ROOT / "tools" / "site.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_publishing_refuses_without_a_current_full_mode_run(tmp_path, monkeypatch, capsys):
    """No full-mode run of the lecture: the site runs it first; when that fails (a claim did not hold), nothing is
    built. A run whose claim failed is never current."""
    import nbformat

    site = _site_module()
    calls = []
    monkeypatch.setattr(site, "run_full_mode", lambda lectures, folder: calls.append(lectures) or 1)
    rc = site.main(["--out", str(tmp_path / "out"), "--lectures", LECTURE, "--full-mode",
                    str(tmp_path / "full-mode")])
    assert rc == 1 and calls and calls[0][0].stem == LECTURE
    assert "not built: full mode failed" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()

    nb = nbformat.read(str(ROOT / "notebooks" / f"{LECTURE}.ipynb"), as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    for i, c in enumerate(code):
        c.execution_count = i + 1
    code[-1].outputs = [nbformat.v4.new_output("stream", text="✗ claim did not hold on this run: x (value 1)\n")]
    (tmp_path / "full-mode").mkdir()
    nbformat.write(nb, str(tmp_path / "full-mode" / f"{LECTURE}.ipynb"))
    assert site.failed_claims(nb)
    assert site.full_mode_notebook(ROOT / "notebooks" / f"{LECTURE}.ipynb", tmp_path / "full-mode") is None
    code[-1].outputs = [nbformat.v4.new_output("stream", text="✓ claim: x (1 > 0)\n")]
    nbformat.write(nb, str(tmp_path / "full-mode" / f"{LECTURE}.ipynb"))
    assert site.full_mode_notebook(ROOT / "notebooks" / f"{LECTURE}.ipynb", tmp_path / "full-mode") is not None


def test_publishing_refuses_stale_or_leaking_homework(tmp_path, monkeypatch):
    from autograder.release import leaks
    from autograder.release import plan as release

    site = _site_module()
    assert site.homework_problems() == []  # the committed tree can be published
    monkeypatch.setattr(release, "stale", lambda planned: [ROOT / "assignments" / "hw01_gradient_descent.ipynb"])
    monkeypatch.setattr(leaks, "leaks", lambda root, homeworks=None: ["hw01.ols_closed_form: in notebooks/x.ipynb"])
    problems = site.homework_problems()
    assert any("graded answer in student material: hw01.ols_closed_form" in p for p in problems)
    assert any("assignments/hw01_gradient_descent.ipynb is not what `course release` generates" in p
               for p in problems)
    with pytest.raises(SystemExit, match="homework cannot be published"):
        site.build(tmp_path / "out", [], homework=True)
