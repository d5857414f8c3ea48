"""Merge pending Chinese translations (frontdesk/translations/pending/*.tsv) into zh_CN.

Each line of a .tsv is `English msgid<TAB>Chinese text`. Once merged, the .tsv files can be
deleted: the catalog is the record. Messages missing from the catalog are
added; empty translations are filled; existing translations are kept unless --force.
Usage: python scripts/merge_translations.py [--force]
"""

from __future__ import annotations

import fcntl
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "frontdesk" / "translations"
PO = TRANSLATIONS / "zh_CN" / "LC_MESSAGES" / "messages.po"


def main() -> None:
    force = "--force" in sys.argv
    with open("/tmp/frontdesk-po.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with PO.open("rb") as f:
            catalog = read_po(f, locale="zh_CN")
        added = filled = 0
        for tsv in sorted((TRANSLATIONS / "pending").glob("*.tsv")):
            for n, line in enumerate(tsv.read_text(encoding="utf-8").splitlines(), 1):
                if not line.strip():
                    continue
                if "\t" not in line:
                    raise SystemExit(f"{tsv.name}:{n}: no tab between msgid and translation")
                msgid, text = line.split("\t", 1)
                msgid = msgid.replace("\\n", "\n")
                text = text.replace("\\n", "\n")
                message = catalog.get(msgid)
                if message is None:
                    catalog.add(msgid, text)
                    added += 1
                elif not message.string or force or message.fuzzy:
                    message.string = text
                    message.flags.discard("fuzzy")
                    filled += 1
        with PO.open("wb") as f:
            write_po(f, catalog, sort_output=True, omit_header=False, width=100)
    print(f"merged: {added} added, {filled} filled")


if __name__ == "__main__":
    main()
