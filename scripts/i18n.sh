#!/usr/bin/env bash
# Re-export each module's i18n/<module>.pot from a fresh database and merge zh_CN.po with it.
# New terms then show untranslated in zh_CN.po (and tests/test_translations.py lists them).
set -euo pipefail
source "$(dirname "$0")/common.sh"

find_odoo
install_requirements
ensure_postgres

DB=${DB:-insurance_renewal_i18n_$$}
trap 'dropdb --if-exists "$DB" >/dev/null 2>&1 || true' EXIT
dropdb --if-exists "$DB" >/dev/null 2>&1 || true

"$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" -i insurance_renewal,insurance_renewal_queue \
    --without-demo=all --stop-after-init --log-level=warn --http-port="$(free_port)" >/dev/null
command -v msgmerge >/dev/null || die "msgmerge is missing: install Debian's gettext."
for module in insurance_renewal insurance_renewal_queue; do
    I18N="$REPO_ROOT/$module/i18n"
    mkdir -p "$I18N"
    "$ODOO_BIN" --addons-path="$ADDONS_PATH" i18n export -d "$DB" -l pot \
        -o "$I18N/$module.pot" "$module" >/dev/null
    [ -f "$I18N/zh_CN.po" ] || cp "$I18N/$module.pot" "$I18N/zh_CN.po"
    msgmerge --quiet --no-fuzzy-matching --no-wrap --update --backup=none \
        "$I18N/zh_CN.po" "$I18N/$module.pot"
    msgattrib --no-obsolete --no-wrap --output-file="$I18N/zh_CN.po" "$I18N/zh_CN.po"
    "$ODOO_PYTHON" - "$I18N" <<'EOF'
import sys, polib
po = polib.pofile(f"{sys.argv[1]}/zh_CN.po")
missing = [e.msgid for e in po if not e.msgstr]
print(f"{sys.argv[1]}/zh_CN.po: {len(po)} terms, {len(missing)} untranslated")
for msgid in missing:
    print("  -", msgid.replace("\n", "\\n")[:120])
EOF
done
