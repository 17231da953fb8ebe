#!/bin/bash
# The lead's quiet series of session 25, every customer of the extract known
# under another email, so that each is written and its change tracked:
# s25_ri_changed_new / _old are s25_ri_known_new / _old with "old." put before
# each imported customer's email (one UPDATE of email and email_normalized);
# the benchmark deletes the imported policies before each run, customers and
# cards stay. Alternating twin, new, old, twin, old, new, each on a fresh copy.
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
NEW=/opt/odoo19/addons,/opt/odoo19/odoo/addons,$PWD
OLD=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/wt_main
run() {  # run LABEL TEMPLATE ADDONS [options]
    local label=$1 tmpl=$2 addons=$3; shift 3
    dropdb --if-exists "lead_rx_$label"; createdb -T "$tmpl" "lead_rx_$label"
    echo "== $label $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "lead_rx_$label" --addons-path "$addons" \
        --rows 10000 --no-memory --output "$R/lead_s25_ri_changed_$label.json" "$@" 2>&1 |
        grep -v "WARNING\|^20..-" | grep "^|.*renewal import\|equal\|differ" | cut -c1-160
}
run twin1 s25_ri_changed_new "$NEW" --fair-twin
run new1 s25_ri_changed_new "$NEW" --compare lead_rx_twin1
run old1 s25_ri_changed_old "$OLD" --compare lead_rx_new1
run twin2 s25_ri_changed_new "$NEW" --fair-twin
run old2 s25_ri_changed_old "$OLD"
run new2 s25_ri_changed_new "$NEW" --compare lead_rx_old2
