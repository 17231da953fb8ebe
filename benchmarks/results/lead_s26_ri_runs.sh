#!/bin/bash
# The lead's quiet series of session 26 (nothing else running), after the change
# that gives res.partner plain inverses of crm.lead's and calendar.attendee's
# partner_id: `lead_s26_ri_runs.sh new|known|changed|before`. Templates of session
# 25 (see lead_s25_ri_runs.sh), upgraded with this code first. Twin, import,
# twin, import, each on a fresh copy; the first import compared with the first
# twin (and, for `changed`, the second with the second). `before`: main's code
# before the change (23bce7a, a git worktree at /tmp/wt_old) on the changed
# template, twice, then a twin.
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
NEW=/opt/odoo19/addons,/opt/odoo19/odoo/addons,$PWD
OLD=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/wt_old
MIX=${1:-new}
copy() { dropdb --if-exists "$2"; createdb -T "$1" "$2"; }
run() {  # run MIX TEMPLATE LABEL ADDONS [options]
    local mix=$1 tmpl=$2 label=$3 addons=$4 db=lead_ri_$1_$3; shift 4
    copy "$tmpl" "$db"
    echo "== $mix $label $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "$db" --addons-path "$addons" \
        --rows 10000 --no-memory --output "$R/lead_s26_ri_${mix}_$label.json" "$@" 2>&1 |
        grep -v "WARNING\|^20..-" | grep "^|.*renewal import\|rows  \|of CPU" | cut -c1-160
}
case $MIX in
    new) TMPL=s25_ri_new ;;
    *) TMPL=s25_ri_${MIX/before/changed}_new ;;
esac
if [ "$MIX" = before ]; then
    run changed "$TMPL" old1 "$OLD"
    run changed "$TMPL" old2 "$OLD"
    run changed "$TMPL" twin3 "$NEW" --fair-twin
    exit
fi
odoo --addons-path="$NEW" -d "$TMPL" -u insurance_renewal --stop-after-init --log-level=warn >/dev/null 2>&1
run "$MIX" "$TMPL" twin1 "$NEW" --fair-twin
run "$MIX" "$TMPL" inv1 "$NEW" --compare "lead_ri_${MIX}_twin1"
run "$MIX" "$TMPL" twin2 "$NEW" --fair-twin
if [ "$MIX" = changed ]; then
    run "$MIX" "$TMPL" inv2 "$NEW" --compare "lead_ri_${MIX}_twin2"
else
    run "$MIX" "$TMPL" inv2 "$NEW"
fi
