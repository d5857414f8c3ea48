"""Compiled translation catalogs, so that every install serves Chinese, also one without `make`.

The package ships the ``.po`` sources; a ``.mo`` that is missing or older than its source is
compiled when the app starts, beside the source where the package folder is writable and in the
instance folder where it is not. Writes go through a temporary file and an atomic rename, so
several workers starting at once never read half a catalog.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

PACKAGE_TRANSLATIONS = Path(__file__).resolve().parent / "translations"

logger = logging.getLogger(__name__)


def _stale(po: Path, mo: Path) -> bool:
    return not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime


def _compile(po: Path, mo: Path) -> None:
    """Compile one catalog into `mo`, replacing it atomically."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f)
    mo.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=mo.parent, prefix=".messages-", suffix=".mo")
    try:
        with os.fdopen(fd, "wb") as f:
            write_mo(f, catalog)
        os.replace(tmp, mo)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def compiled_directory(instance_path: str | os.PathLike, source: Path = PACKAGE_TRANSLATIONS
                       ) -> Path:
    """Return a translations folder whose catalogs are compiled and current.

    That is the package's own folder when its ``.mo`` files are current or can be written there,
    else ``<instance>/translations``.
    """
    sources = sorted(source.glob("*/LC_MESSAGES/*.po"))
    stale = [po for po in sources if _stale(po, po.with_suffix(".mo"))]
    if not stale:
        return source
    try:
        for po in stale:
            _compile(po, po.with_suffix(".mo"))
        return source
    except OSError:
        target = Path(instance_path) / "translations"
        logger.info("translations folder %s is read-only; compiling into %s", source, target)
        for po in sources:
            mo = target / po.relative_to(source).with_suffix(".mo")
            if _stale(po, mo):
                _compile(po, mo)
        return target
