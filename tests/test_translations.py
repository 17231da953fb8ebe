"""Every user-facing string has a Simplified Chinese translation."""

from pathlib import Path

import polib

I18N = Path(__file__).resolve().parent.parent / "insurance_renewal" / "i18n"


def test_zh_cn_translates_every_term_of_the_template():
    template = polib.pofile(str(I18N / "insurance_renewal.pot"))
    chinese = {e.msgid: e.msgstr for e in polib.pofile(str(I18N / "zh_CN.po"))}
    untranslated = [e.msgid for e in template if not chinese.get(e.msgid)]
    assert not untranslated, f"zh_CN.po lacks {len(untranslated)}: {untranslated[:10]}"


def test_zh_cn_keeps_the_placeholders():
    for entry in polib.pofile(str(I18N / "zh_CN.po")):
        for placeholder in ("%(", "%s"):
            assert entry.msgid.count(placeholder) == entry.msgstr.count(placeholder), (
                entry.msgid
            )
