#!/bin/bash
# The lead's quiet series of session 25, every customer and card of the extract
# already known: s25_ri_known_new / _old are s25_ri_new / s25_bt after one
# import of the same 10,000-row extract by the merged code / by main's code of
# the session before (635805f, /tmp/wt_main); the benchmark deletes the
# imported policies before each run, customers and cards stay. Alternating twin,
# new, old, twin, old, new, each on a fresh copy.
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
NEW=/opt/odoo19/addons,/opt/odoo19/odoo/addons,$PWD
OLD=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/wt_main
run() {  # run LABEL TEMPLATE ADDONS [options]
    local label=$1 tmpl=$2 addons=$3; shift 3
    dropdb --if-exists "lead_rk_$label"; createdb -T "$tmpl" "lead_rk_$label"
    echo "== $label $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "lead_rk_$label" --addons-path "$addons" \
        --rows 10000 --no-memory --output "$R/lead_s25_ri_known_$label.json" "$@" 2>&1 |
        grep -v "WARNING\|^20..-" | grep "^|.*renewal import\|equal\|differ" | cut -c1-160
}
run twin1 s25_ri_known_new "$NEW" --fair-twin
run new1 s25_ri_known_new "$NEW" --compare lead_rk_twin1
run old1 s25_ri_known_old "$OLD" --compare lead_rk_new1
run twin2 s25_ri_known_new "$NEW" --fair-twin
run old2 s25_ri_known_old "$OLD"
run new2 s25_ri_known_new "$NEW" --compare lead_rk_old2
