#!/bin/bash
# The lead's quiet series of session 25 (nothing else running): the merged code
# (h25a, h25i, h25u) on copies of s25_ri_new (s25_bt, a run.py --policies 10000
# portfolio, upgraded with it), main's code of the session before (635805f, a
# git worktree at /tmp/wt_main) on copies of s25_bt itself, the fair twin on
# copies of s25_ri_new; alternating twin, new, old, twin, old, new.
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
NEW=/opt/odoo19/addons,/opt/odoo19/odoo/addons,$PWD
OLD=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/wt_main
run() {  # run LABEL TEMPLATE ADDONS [options]
    local label=$1 tmpl=$2 addons=$3; shift 3
    dropdb --if-exists "lead_ri_$label"; createdb -T "$tmpl" "lead_ri_$label"
    echo "== $label $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "lead_ri_$label" --addons-path "$addons" \
        --rows 10000 --no-memory --output "$R/lead_s25_ri_$label.json" "$@" 2>&1 |
        grep -v "WARNING\|^20..-" | tail -4
}
run twin1 s25_ri_new "$NEW" --fair-twin
run new1 s25_ri_new "$NEW" --compare lead_ri_twin1
run old1 s25_bt "$OLD" --compare lead_ri_new1
run twin2 s25_ri_new "$NEW" --fair-twin
run old2 s25_bt "$OLD"
run new2 s25_ri_new "$NEW" --compare lead_ri_old2
