"""Compile the translation catalogues (.po -> .mo) whenever the package is built or installed.

Everything else about the package is in pyproject.toml. The .mo files are build products,
never committed; `pip install .` and `pip install -e .` both run build_py, which writes them
next to their .po in translations/. The app also compiles any missing or stale one when it
starts (app/translations.py), so a checkout that was never installed still works.
"""

from __future__ import annotations

import os
import re
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
# The in-browser verifier's audited library, copied as one file.
VENDOR = {"node_modules/@noble/ed25519/index.js": "static/vendor/noble-ed25519.js"}
# The browser's secret ballot (static/js/secret-ballot.js) uses the audited @noble/curves
# (ristretto255) and @noble/hashes, installed from the npm registry at package-lock.json's
# versions. Their ES modules are copied as they are into static/vendor/ (only the files the
# entry points import); bare '@noble/hashes/...' specifiers become relative paths, since a
# page can resolve those only through an import map, which would be an inline script.
VENDOR_TREES = {
    "@noble/curves": ("static/vendor/noble-curves", ("ed25519.js",)),
    "@noble/hashes": ("static/vendor/noble-hashes", ("sha2.js",)),
}
_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(?\s*)(['"])([^'"]+)\2""")


def _copy_module_trees() -> None:
    """Copy every module reachable from the entry points, rewriting bare specifiers."""
    todo = [(package, entry) for package, (_, entries) in VENDOR_TREES.items()
            for entry in entries]
    seen: set[tuple[str, str]] = set()
    while todo:
        package, name = todo.pop()
        if (package, name) in seen:
            continue
        seen.add((package, name))
        text = (ROOT / "node_modules" / package / name).read_text(encoding="utf-8")
        depth = name.count("/")

        def rewrite(match: re.Match[str], package: str = package, name: str = name,
                    depth: int = depth) -> str:
            spec, quote = match.group(3), match.group(2)
            for other, (other_target, _) in VENDOR_TREES.items():
                if spec.startswith(other + "/"):
                    rest = spec[len(other) + 1 :]
                    todo.append((other, rest))
                    folder = other_target.rsplit("/", 1)[1]
                    return f"{match.group(1)}{quote}{'../' * (depth + 1)}{folder}/{rest}{quote}"
            if spec.startswith("."):
                todo.append((package, os.path.normpath(os.path.join(os.path.dirname(name),
                                                                    spec))))
            return match.group(0)

        text = _IMPORT.sub(rewrite, text)
        out = ROOT / VENDOR_TREES[package][0] / name
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(text, encoding="utf-8")
    print(f"vendored {len(seen)} ES modules into static/vendor")


def vendor_javascript() -> None:
    """`npm ci` from package-lock.json, then copy the modules the pages load into static/vendor."""
    npm = shutil.which("npm")
    if npm is None:
        print("npm is not installed; the in-browser verifier and secret voting will be unavailable")
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
    _copy_module_trees()


class BuildPyWithCatalogues(build_py):
    def run(self) -> None:
        compile_catalogues()
        vendor_javascript()
        super().run()


setup(cmdclass={"build_py": BuildPyWithCatalogues})
