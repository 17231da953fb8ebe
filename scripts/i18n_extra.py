"""Write insurance_renewal/i18n_extra/zh_CN.po: the Simplified Chinese of the OCA
addons we depend on that ship no zh_CN.po of their own.

Odoo loads ``<module>/i18n_extra/<lang>.po`` of every installed module and applies its
``model:`` and ``model_terms:`` entries by their full XML id, whatever module owns the
record, so the field labels, selection values, menus, actions and view texts of those
addons read in Chinese. Their ``code:`` strings (Python) are only read from their own
po files: they are left out.

Run it with Odoo's Python after an upgrade of one of those addons::

    /opt/odoo-venv/bin/python scripts/i18n_extra.py

It reads the addons' current .pot files, keeps the translations already in the file
for the terms that remain, drops the terms that are gone and lists the new terms
left to translate (tests/test_translations.py fails until they are).
"""

import argparse
import importlib.util
import sys
from pathlib import Path

import polib

REPO = Path(__file__).resolve().parent.parent
TARGET = REPO / "insurance_renewal" / "i18n_extra" / "zh_CN.po"
MODULES = (
    "account_payment_mode",
    "account_payment_order",
    "account_banking_mandate",
    "mail_activity_team",
    "helpdesk_mgmt",
)
DATA_TYPES = ("model:", "model_terms:")


def pot_path(module):
    """The module's .pot, found where Odoo's Python imports the addon from."""
    spec = importlib.util.find_spec(f"odoo.addons.{module}")
    if spec is None or not spec.origin:
        sys.exit(f"error: the addon {module} is not installed in this Python.")
    path = Path(spec.origin).parent / "i18n" / f"{module}.pot"
    if not path.exists():
        sys.exit(f"error: {path} is missing.")
    return path


def data_entries(modules=MODULES):
    """{msgid: (occurrences, modules)} of the modules' model and model_terms terms,
    in the order of the pots; a msgid found in several modules is one entry."""
    entries = {}
    for module in modules:
        for entry in polib.pofile(str(pot_path(module))):
            occurrences = [
                occurrence
                for occurrence in entry.occurrences
                if occurrence[0].startswith(DATA_TYPES)
            ]
            if entry.obsolete or not occurrences:
                continue
            known, owners = entries.setdefault(entry.msgid, ([], []))
            known += [o for o in occurrences if o not in known]
            if module not in owners:
                owners.append(module)
    return entries


def build(entries, translations):
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "insurance_renewal 19.0 (OCA addons without zh_CN)",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Language": "zh_CN",
        "Plural-Forms": "nplurals=1; plural=0;",
    }
    for msgid, (occurrences, owners) in entries.items():
        label = "module" if len(owners) == 1 else "modules"
        po.append(
            polib.POEntry(
                msgid=msgid,
                msgstr=translations.get(msgid, ""),
                occurrences=occurrences,
                comment=f"{label}: {', '.join(owners)}",
            )
        )
    return po


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=TARGET)
    args = parser.parse_args()
    translations = {}
    if args.output.exists():
        translations = {
            entry.msgid: entry.msgstr
            for entry in polib.pofile(str(args.output))
            if entry.msgstr
        }
    po = build(data_entries(), translations)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    po.save(str(args.output))
    missing = [entry.msgid for entry in po if not entry.msgstr]
    print(f"{args.output}: {len(po)} terms, {len(missing)} untranslated")
    for msgid in missing:
        print("  -", msgid.replace("\n", "\\n")[:120])


if __name__ == "__main__":
    main()
