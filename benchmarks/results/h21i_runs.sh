#!/bin/bash
# h21i's runs of benchmarks/renewal_import.py (2026-11-26), on fresh copies of
# two copies of s23_ri_tmpl: h21i_tmpl upgraded with this branch's code (after),
# h21i_tmplb upgraded with main's code at 4fb653b (before; git worktree add
# --detach /tmp/h21i_main 4fb653b). About a tenth of the default extract's
# customers (five agents) are found there, the others created. "twin" is the
# fair twin (--fair-twin: the same state changes in set-based SQL, now with
# each agent's digest of their visits). Each run on a fresh copy; end states
# compared by checksums (main's code tells each agent of each visit by its own
# message: its assigned_notices differ from the twin's by design). The machine
# was shared (the lead and two other helpers on the same 2 cores).
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
A=${TEMPLATE:-h21i_tmpl}
B=${TEMPLATE_BEFORE:-h21i_tmplb}
BEFORE=/opt/odoo19/addons,/opt/odoo19/odoo/addons,${BEFORE_CODE:-/tmp/h21i_main}
copy() { dropdb --if-exists "$2"; createdb -T "$1" "$2"; }
run() {  # run LABEL TEMPLATE DB ROWS [options]
    local label=$1 tmpl=$2 db=$3 rows=$4; shift 4
    copy "$tmpl" "$db"
    echo "== $label ($db, $rows rows) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "$db" --rows "$rows" --no-memory \
        --output "$R/h21i_${SERIES:-}$label.json" "$@" 2>&1 | grep -v "WARNING\|^20..-"
}
step=${1:-all}
if [ "$step" = all ] || [ "$step" = ab2000 ]; then
    run ab2000_twin_1 "$A" h21i_t1 2000 --fair-twin
    run ab2000_before_1 "$B" h21i_b1 2000 --addons-path "$BEFORE" --compare h21i_t1
    run ab2000_after_1 "$A" h21i_a1 2000 --compare h21i_t1
    dropdb h21i_b1; dropdb h21i_a1
    run ab2000_before_2 "$B" h21i_b2 2000 --addons-path "$BEFORE" --compare h21i_t1
    run ab2000_after_2 "$A" h21i_a2 2000 --compare h21i_t1
    run ab2000_twin_2 "$A" h21i_t2 2000 --fair-twin --compare h21i_a2
    dropdb h21i_t1; dropdb h21i_t2; dropdb h21i_b2; dropdb h21i_a2
fi
if [ "$step" = all ] || [ "$step" = new10000 ]; then
    run new10000_twin_1 "$A" h21i_t1 10000 --fair-twin
    run new10000_after_1 "$A" h21i_a1 10000 --compare h21i_t1
    run new10000_before_1 "$B" h21i_b1 10000 --addons-path "$BEFORE" --compare h21i_t1
    dropdb h21i_a1; dropdb h21i_b1
    run new10000_twin_2 "$A" h21i_t2 10000 --fair-twin --compare h21i_t1
    dropdb h21i_t1; dropdb h21i_t2
fi
