"""Compile the translation catalogues (.po -> .mo) whenever the package is built or installed.

Everything else about the package is in pyproject.toml. The .mo files are build products,
never committed; `pip install .` and `pip install -e .` both run build_py, which writes them
next to their .po in translations/. The app also compiles any missing or stale one when it
starts (app/translations.py), so a checkout that was never installed still works.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

TRANSLATIONS = Path(__file__).resolve().parent / "translations"


def compile_catalogues() -> None:
    try:
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po
    except ImportError:  # an old pip without build isolation: the app compiles them at start
        print("Babel is not installed; translations will be compiled when the app starts")
        return
    for po in sorted(TRANSLATIONS.glob("*/LC_MESSAGES/*.po")):
        with po.open("rb") as source:
            catalog = read_po(source, locale=po.parent.parent.name)
        with po.with_suffix(".mo").open("wb") as target:
            write_mo(target, catalog, use_fuzzy=False)
        po.with_suffix(".mo").chmod(0o644)
        print(f"compiled {po.with_suffix('.mo').relative_to(TRANSLATIONS.parent)}")


ROOT = TRANSLATIONS.parent
# The in-browser verifier's audited library, from the npm registry at the lockfile's version.
VENDOR = {"node_modules/@noble/ed25519/index.js": "static/vendor/noble-ed25519.js"}


def vendor_javascript() -> None:
    """`npm ci` from package-lock.json, then copy the files the pages load into static/vendor."""
    npm = shutil.which("npm")
    if npm is None:
        print("npm is not installed; the in-browser verifier will be unavailable")
        return
    subprocess.run(  # noqa: S603 - a fixed command in the checkout
        [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=ROOT,
        check=True,
    )
    for source, target in VENDOR.items():
        (ROOT / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / source, ROOT / target)
        print(f"vendored {target}")


class BuildPyWithCatalogues(build_py):
    def run(self) -> None:
        compile_catalogues()
        vendor_javascript()
        super().run()


setup(cmdclass={"build_py": BuildPyWithCatalogues})
