#!/bin/bash
# h18i's runs of benchmarks/renewal_import.py (2026-11-26), on fresh copies of two
# templates made from h16i_10000 (upgraded with h18i's code):
#   h18i_tmpl  - as h16i_10000: the default extract (five agents) finds about a
#                tenth of its customers there, the others are created with cards
#   h18i_tmplm - h18i_tmpl after one import of the same 10,000-row extract: every
#                customer and card of the extract exists (the benchmark deletes its
#                policies before each run)
# "before" is the code of main at 0e95d33 (a git worktree), "after" this branch.
# Each run: a fresh copy, the import (or the fair twin), end states compared.
# SERIES=s2_ prefixes the result files (s1_: before the VACUUM in the
# benchmark's preparation, s2_: with it, s3_: the fair twin with three
# updates of the customers folded into its inserts and one pass).
set -u
cd "$(dirname "$0")/../.."
PY=/opt/odoo-venv/bin/python
R=benchmarks/results
BEFORE=/opt/odoo19/addons,/opt/odoo19/odoo/addons,${BEFORE_CODE:-/tmp/h18i/main_code}
copy() { dropdb --if-exists "$2"; createdb -T "$1" "$2"; }
run() {  # run LABEL TEMPLATE DB ROWS [options]
    local label=$1 template=$2 db=$3 rows=$4; shift 4
    copy "$template" "$db"
    echo "== $label ($db, $rows rows) $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    $PY benchmarks/renewal_import.py --database "$db" --rows "$rows" --no-memory \
        --output "$R/h18i_${SERIES:-}$label.json" "$@" 2>&1 | grep -v WARNING
}
step=${1:-all}
if [ "$step" = all ] || [ "$step" = ab2000 ]; then
    # the profiled path: 2,000 rows whose customers and cards exist
    run ab2000_before_1 h18i_tmplm h18i_x 2000 --addons-path "$BEFORE"
    run ab2000_after_1 h18i_tmplm h18i_x 2000
    run ab2000_after_2 h18i_tmplm h18i_x 2000
    run ab2000_before_2 h18i_tmplm h18i_x 2000 --addons-path "$BEFORE"
    dropdb h18i_x
fi
if [ "$step" = all ] || [ "$step" = new10000 ]; then
    # 10,000 rows, most customers new: the import and the fair twin alternating
    run new10000_after_1 h18i_tmpl h18i_a1 10000
    run new10000_twin_1 h18i_tmpl h18i_t1 10000 --fair-twin --compare h18i_a1
    run new10000_before_2 h18i_tmpl h18i_b2 10000 --addons-path "$BEFORE" \
        --compare h18i_t1
    dropdb h18i_a1; dropdb h18i_b2
    run new10000_twin_2 h18i_tmpl h18i_t2 10000 --fair-twin
    run new10000_after_2 h18i_tmpl h18i_a2 10000 --compare h18i_t2
    dropdb h18i_t1; dropdb h18i_t2; dropdb h18i_a2
fi
if [ "$step" = all ] || [ "$step" = known10000 ]; then
    # 10,000 rows whose customers and cards exist
    run known10000_twin_1 h18i_tmplm h18i_t1 10000 --fair-twin
    run known10000_after_1 h18i_tmplm h18i_a1 10000 --compare h18i_t1
    run known10000_before_1 h18i_tmplm h18i_b1 10000 --addons-path "$BEFORE" \
        --compare h18i_t1
    dropdb h18i_t1; dropdb h18i_a1; dropdb h18i_b1
fi
