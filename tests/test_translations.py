"""Every user-facing string has a Simplified Chinese translation, in the addon and
in its queue_job glue."""

import importlib.util
import re
from pathlib import Path

import polib
import pytest

REPO = Path(__file__).resolve().parent.parent
MODULES = ("insurance_renewal", "insurance_renewal_queue")


@pytest.mark.parametrize("module", MODULES)
def test_zh_cn_translates_every_term_of_the_template(module):
    i18n = REPO / module / "i18n"
    template = polib.pofile(str(i18n / f"{module}.pot"))
    chinese = {e.msgid: e.msgstr for e in polib.pofile(str(i18n / "zh_CN.po"))}
    untranslated = [e.msgid for e in template if not chinese.get(e.msgid)]
    assert not untranslated, f"zh_CN.po lacks {len(untranslated)}: {untranslated[:10]}"


@pytest.mark.parametrize("module", MODULES)
def test_zh_cn_keeps_the_placeholders(module):
    for entry in polib.pofile(str(REPO / module / "i18n" / "zh_CN.po")):
        for placeholder in ("%(", "%s"):
            assert entry.msgid.count(placeholder) == entry.msgstr.count(placeholder), (
                entry.msgid
            )


# The OCA addons whose screens our users work in and which ship no zh_CN.po: their
# data terms (labels, selections, menus, views) are translated in our i18n_extra.
OCA_WITHOUT_ZH_CN = (
    "account_payment_mode",
    "account_payment_order",
    "account_banking_mandate",
    "mail_activity_team",
    "helpdesk_mgmt",
)
EXTRA = REPO / "insurance_renewal" / "i18n_extra" / "zh_CN.po"
DATA_OCCURRENCE = re.compile(r"(model|model_terms):")
# Markup and placeholders a translation must carry over as they are: HTML tags,
# QWeb/inline-template expressions and Python formats.
KEPT = re.compile(r"<[^>]+>|\{\{.*?\}\}|%\([a-z_]+\)[sd]|%[sd]")


def _oca_pot(module):
    spec = importlib.util.find_spec(f"odoo.addons.{module}")
    if spec is None:
        pytest.skip(f"the OCA addon {module} is not installed in this Python")
    return Path(spec.origin).parent / "i18n" / f"{module}.pot"


def _extra():
    return {entry.msgid: entry for entry in polib.pofile(str(EXTRA))}


@pytest.mark.parametrize("module", OCA_WITHOUT_ZH_CN)
def test_zh_cn_extra_translates_every_data_term_of_the_oca_addon(module):
    """An OCA upgrade that adds a label fails here until scripts/i18n_extra.py has
    merged it and it is translated; each record's XML id must be listed, since Odoo
    applies the translation by the occurrence's XML id."""
    extra = _extra()
    missing = []
    for entry in polib.pofile(str(_oca_pot(module))):
        wanted = {o for o, _line in entry.occurrences if DATA_OCCURRENCE.match(o)}
        if not wanted:
            continue
        ours = extra.get(entry.msgid)
        listed = {o for o, _line in ours.occurrences} if ours else set()
        if not (ours and ours.msgstr) or not wanted <= listed:
            missing.append(entry.msgid)
    assert not missing, f"i18n_extra/zh_CN.po lacks {len(missing)}: {missing[:10]}"


def test_zh_cn_extra_keeps_markup_and_placeholders():
    for entry in polib.pofile(str(EXTRA)):
        assert sorted(KEPT.findall(entry.msgid)) == sorted(
            KEPT.findall(entry.msgstr)
        ), entry.msgid


def test_zh_cn_extra_holds_only_data_terms_odoo_can_read():
    """Odoo reads code terms of a module from its own po only, and its po reader
    needs the '#. module:' comment of every entry; an English msgstr copied over
    would pass the completeness test while the screen stays English."""
    for entry in polib.pofile(str(EXTRA)):
        assert re.match(r"modules?: \w+", entry.comment), entry.msgid
        assert all(DATA_OCCURRENCE.match(o) for o, _line in entry.occurrences), (
            entry.msgid
        )
        assert entry.msgstr != entry.msgid or entry.msgid.isupper(), entry.msgid
