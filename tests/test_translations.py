"""Every user-facing string has a Simplified Chinese translation, in the addon and
in its queue_job glue."""

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
