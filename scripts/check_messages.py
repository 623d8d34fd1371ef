"""Fails when the Vietnamese catalogue is out of date, incomplete, or not compiled.

Runs makemessages, compares the msgids it finds with the committed django.po, then puts the
committed file back: the check never rewrites the catalogue.
"""

import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "locale/vi/LC_MESSAGES/django.po"
MO = PO.with_suffix(".mo")
IGNORE = [".venv", ".tools", "test-results", "staticfiles", "bench", "tests"]


def key(entry):
    return (entry.msgctxt, entry.msgid)


def main():
    committed_text = PO.read_text(encoding="utf-8")
    committed = polib.pofile(committed_text)
    args = [sys.executable, "manage.py", "makemessages", "-l", "vi", "--no-obsolete", "-v", "0"]
    for pattern in IGNORE:
        args += ["--ignore", pattern]
    try:
        subprocess.run(args, cwd=ROOT, check=True)
        current = polib.pofile(str(PO))
    finally:
        PO.write_text(committed_text, encoding="utf-8")

    problems = []
    known = {key(e) for e in committed if not e.obsolete}
    missing = [e.msgid for e in current if key(e) not in known]
    if missing:
        problems.append(f"{len(missing)} string(s) not in the catalogue: {missing[:10]}")
    untranslated = [e.msgid for e in committed.untranslated_entries()]
    if untranslated:
        problems.append(f"{len(untranslated)} untranslated: {untranslated[:10]}")
    fuzzy = [e.msgid for e in committed.fuzzy_entries()]
    if fuzzy:
        problems.append(f"{len(fuzzy)} fuzzy: {fuzzy[:10]}")
    mo_entries = polib.mofile(str(MO)) if MO.exists() else []
    compiled = {key(e): e.msgstr for e in mo_entries}
    stale = [
        e.msgid
        for e in committed.translated_entries()
        if compiled.get(key(e)) != e.msgstr and not e.msgid_plural
    ]
    if stale:
        problems.append(f"django.mo is stale for {len(stale)} string(s): run 'make messages'")

    if problems:
        print("Vietnamese catalogue check failed:\n- " + "\n- ".join(problems))
        print("Run 'make messages', translate the new entries in " + str(PO.relative_to(ROOT)))
        return 1
    print(f"Vietnamese catalogue: {len(committed.translated_entries())} strings, all translated.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
