#!/bin/bash
# h20i's runs of benchmarks/renewal_import.py (2026-11-26), on fresh copies of
# h20i_tmpl: s22_ri_tmpl upgraded with main's code (3b2c893; h20i's changes
# store nothing new, so both codes run on it). About a tenth of the default
# extract's customers (five agents) are found there, the others created.
# "before" is main's code at 3b2c893 (git worktree add /tmp/h20i_main 3b2c893),
# "after" this branch; "twin" the fair twin (--fair-twin: the same state
# changes in set-based SQL). Each run on a fresh copy; end states compared by
# checksums. The machine was shared (the lead and two other helpers on the
# same 2 cores).
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
T=${TEMPLATE:-h20i_tmpl}
BEFORE=/opt/odoo19/addons,/opt/odoo19/odoo/addons,${BEFORE_CODE:-/tmp/h20i_main}
copy() { dropdb --if-exists "$2"; createdb -T "$1" "$2"; }
run() {  # run LABEL DB ROWS [options]
    local label=$1 db=$2 rows=$3; shift 3
    copy "$T" "$db"
    echo "== $label ($db, $rows rows) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "$db" --rows "$rows" --no-memory \
        --output "$R/h20i_${SERIES:-}$label.json" "$@" 2>&1 | grep -v "WARNING\|^20..-"
}
step=${1:-all}
if [ "$step" = all ] || [ "$step" = ab2000 ]; then
    run ab2000_twin_1 h20i_t1 2000 --fair-twin
    run ab2000_before_1 h20i_b1 2000 --addons-path "$BEFORE" --compare h20i_t1
    run ab2000_after_1 h20i_a1 2000 --compare h20i_t1
    dropdb h20i_b1; dropdb h20i_a1
    run ab2000_before_2 h20i_b2 2000 --addons-path "$BEFORE" --compare h20i_t1
    run ab2000_after_2 h20i_a2 2000 --compare h20i_t1
    run ab2000_twin_2 h20i_t2 2000 --fair-twin --compare h20i_a2
    dropdb h20i_t1; dropdb h20i_t2; dropdb h20i_b2; dropdb h20i_a2
fi
if [ "$step" = all ] || [ "$step" = new10000 ]; then
    run new10000_twin_1 h20i_t1 10000 --fair-twin
    run new10000_after_1 h20i_a1 10000 --compare h20i_t1
    run new10000_before_1 h20i_b1 10000 --addons-path "$BEFORE" --compare h20i_t1
    dropdb h20i_a1; dropdb h20i_b1
    run new10000_twin_2 h20i_t2 10000 --fair-twin --compare h20i_t1
    dropdb h20i_t1; dropdb h20i_t2
fi
if [ "$step" = all ] || [ "$step" = new10000b ]; then
    # the second pair, in the other order
    run new10000_twin_3 h20i_t3 10000 --fair-twin
    run new10000_before_2 h20i_b2 10000 --addons-path "$BEFORE" --compare h20i_t3
    run new10000_after_2 h20i_a2 10000 --compare h20i_t3
    dropdb h20i_a2; dropdb h20i_b2
    run new10000_twin_4 h20i_t4 10000 --fair-twin --compare h20i_t3
    dropdb h20i_t3; dropdb h20i_t4
fi
