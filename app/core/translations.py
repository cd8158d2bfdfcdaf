"""Compile the .po catalogues to the .mo files gettext reads.

The .mo files are build products and never committed. `pip install` compiles them (setup.py);
this module does the same when the app starts, so a fresh clone, or a .po edited since the
install, is never served with missing or stale translations.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

log = logging.getLogger(__name__)


def catalogues(directory: Path) -> list[Path]:
    return sorted(directory.glob("*/LC_MESSAGES/*.po"))


def is_stale(po: Path) -> bool:
    mo = po.with_suffix(".mo")
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def compile_catalogue(po: Path) -> Path:
    """Write po's .mo next to it, atomically: several workers may start at once."""
    mo = po.with_suffix(".mo")
    with po.open("rb") as source:
        catalog = read_po(source, locale=po.parent.parent.name)
    handle, tmp = tempfile.mkstemp(dir=po.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(handle, "wb") as target:
            # Fuzzy entries are guesses; leaving them out shows the English instead.
            write_mo(target, catalog, use_fuzzy=False)
        os.chmod(tmp, 0o644)  # mkstemp makes it owner-only; workers may run as another user
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return mo


def compile_all(directory: Path, only_stale: bool = True) -> list[Path]:
    return [compile_catalogue(po) for po in catalogues(directory) if not only_stale or is_stale(po)]


def ensure_compiled(directory: Path) -> None:
    """Compile what is missing or stale; a read-only install keeps what it was built with."""
    try:
        compile_all(directory)
    except OSError as error:
        log.warning("could not compile translations in %s: %s", directory, error)
