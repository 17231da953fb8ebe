#!/bin/bash
# h25i's runs of benchmarks/renewal_import.py (2026-11-26), on fresh copies of
# two copies of s25_bt (the lead's `benchmarks/run.py --policies 10000`
# portfolio, installed with Chinese loaded; none of the extract's customers is
# in it): h25i_tmpl for this branch's code (after; no new column, so no
# upgrade), h25i_tmplb for main's code at 635805f (before; git worktree add
# --detach /tmp/h25i_main 635805f). "twin" is the fair twin (--fair-twin).
# Each run on a fresh copy; end states compared by checksums with the twin
# and, after against before, with each other. The machine was shared (the
# lead and another helper on the same 2 cores).
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
A=${TEMPLATE:-h25i_tmpl}
B=${TEMPLATE_BEFORE:-h25i_tmplb}
BEFORE=/opt/odoo19/addons,/opt/odoo19/odoo/addons,${BEFORE_CODE:-/tmp/h25i_main}
copy() { dropdb --if-exists "$2"; createdb -T "$1" "$2"; }
run() {  # run LABEL TEMPLATE DB ROWS [options]
    local label=$1 tmpl=$2 db=$3 rows=$4; shift 4
    copy "$tmpl" "$db"
    echo "== $label ($db, $rows rows) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "$db" --rows "$rows" --no-memory \
        --output "$R/h25i_${SERIES:-}$label.json" "$@" 2>&1 | grep -v "WARNING\|^20..-"
}
same() {  # same DB OTHER: compare two end states
    echo "== end states of $1 and $2"
    $PY -c "import sys; sys.argv=['x']; from benchmarks import renewal_import as r; r.compare('$1', '$2')"
}
step=${1:-all}
if [ "$step" = all ] || [ "$step" = new10000 ]; then
    run new10000_twin_1 "$A" h25i_t1 10000 --fair-twin
    run new10000_after_1 "$A" h25i_a1 10000 --compare h25i_t1
    run new10000_before_1 "$B" h25i_b1 10000 --addons-path "$BEFORE" --compare h25i_t1
    same h25i_a1 h25i_b1
    dropdb h25i_a1; dropdb h25i_b1
    run new10000_twin_2 "$A" h25i_t2 10000 --fair-twin --compare h25i_t1
    run new10000_before_2 "$B" h25i_b2 10000 --addons-path "$BEFORE" --compare h25i_t2
    run new10000_after_2 "$A" h25i_a2 10000 --compare h25i_t2
    same h25i_a2 h25i_b2
    dropdb h25i_t1; dropdb h25i_b2; dropdb h25i_a2
    run new10000_twin_3 "$A" h25i_t3 10000 --fair-twin --compare h25i_t2
    dropdb h25i_t2; dropdb h25i_t3
fi
