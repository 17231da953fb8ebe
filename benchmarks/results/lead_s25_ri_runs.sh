#!/bin/bash
# The lead's quiet series of session 25 (nothing else running), one per mix of
# customers: `lead_s25_ri_runs.sh new|known|changed [prepare]`. The merged code
# (h25a, h25i, h25u) beside main's code of the session before (635805f, a git
# worktree at /tmp/wt_main), alternating twin, new, old, twin, old, new, each on
# a fresh copy of its template:
#   new      s25_ri_new (s25_bt, a run.py --policies 10000 portfolio, upgraded
#            with the merged code) / s25_bt: none of the extract's customers known
#   known    s25_ri_known_new / _old: those after one import of the same extract
#            by each code; the benchmark deletes the imported policies before each
#            run, customers and cards stay (known, unchanged)
#   changed  s25_ri_changed_new / _old: the known ones with "old." put before each
#            imported customer's email, so that each is written and tracked
# `prepare` builds the known and changed templates from the new ones first.
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
NEW=/opt/odoo19/addons,/opt/odoo19/odoo/addons,$PWD
OLD=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/wt_main
MIX=${1:-new}
copy() { dropdb --if-exists "$2"; createdb -T "$1" "$2"; }
if [ "${2:-}" = prepare ]; then
    for side in new old; do
        base=s25_ri_new; addons=$NEW
        [ $side = old ] && base=s25_bt && addons=$OLD
        copy $base s25_ri_known_$side
        $PY benchmarks/renewal_import.py --database s25_ri_known_$side --addons-path "$addons" \
            --rows 10000 --no-memory --output /tmp/known_prep_$side.json >/dev/null 2>&1
        copy s25_ri_known_$side s25_ri_changed_$side
        psql -d s25_ri_changed_$side -Atc "UPDATE res_partner
            SET email = 'old.' || email, email_normalized = 'old.' || email_normalized
            WHERE id IN (SELECT partner_id FROM insurance_policy WHERE name LIKE 'IMP%')
              AND email IS NOT NULL"
    done
fi
case $MIX in
    new) TNEW=s25_ri_new TOLD=s25_bt SUFFIX= ;;
    *) TNEW=s25_ri_${MIX}_new TOLD=s25_ri_${MIX}_old SUFFIX=${MIX}_ ;;
esac
run() {  # run LABEL TEMPLATE ADDONS [options]
    local label=$1 tmpl=$2 addons=$3 db=lead_ri_${MIX}_$1; shift 3
    copy "$tmpl" "$db"
    echo "== $MIX $label $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "$db" --addons-path "$addons" \
        --rows 10000 --no-memory --output "$R/lead_s25_ri_$SUFFIX$label.json" "$@" 2>&1 |
        grep -v "WARNING\|^20..-" | grep "^|.*renewal import\|rows  equal\|rows  differ" | cut -c1-160
}
run twin1 "$TNEW" "$NEW" --fair-twin
run new1 "$TNEW" "$NEW" --compare "lead_ri_${MIX}_twin1"
run old1 "$TOLD" "$OLD" --compare "lead_ri_${MIX}_new1"
run twin2 "$TNEW" "$NEW" --fair-twin
run old2 "$TOLD" "$OLD"
run new2 "$TNEW" "$NEW" --compare "lead_ri_${MIX}_old2"
