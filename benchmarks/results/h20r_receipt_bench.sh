#!/usr/bin/env bash
# bench.sh LABEL CODE(before|after) ROWS INVOICES [profile|querylog|-] [more args]; KEEP=1 keeps the database.
# /tmp/h20r/before = git archive of main at the start (3b2c893); /tmp/h20r/after = a copy of the branch's addon (copied before each series;
# no schema change, so no upgrade needed).
# Template h20r_tmpl = copy of lead_rc_tmpl upgraded with the branch at its start (= main 3b2c893).
set -u
label=$1 code=$2 rows=$3 invoices=$4 prof=${5:-}
shift 5 2>/dev/null || shift $#
db=h20r_r_${label}
dropdb --if-exists $db
createdb -T h20r_tmpl $db
addons=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/h20r/$code
cmd=(/opt/odoo-venv/bin/python /tmp/h20r/bench/benchmarks/receipt_import.py --database $db --rows $rows --invoices $invoices --addons-path $addons --output /tmp/h20r/results/$label.json "$@")
echo "$(date -u +%T) start $label load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$prof" = profile ]; then
  /opt/odoo-venv/bin/py-spy record -r 50 --format raw -o /tmp/h20r/results/$label.raw -- "${cmd[@]}"
elif [ "$prof" = querylog ]; then
  "${cmd[@]}" --query-log /tmp/h20r/results/$label.queries.txt
else
  "${cmd[@]}"
fi
rc=$?
echo "$(date -u +%T) end $label rc=$rc load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${KEEP:-}" ] || dropdb --if-exists $db

# The series run (2026-11-26, shared machine):
# --- ab1000.sh
# #!/usr/bin/env bash
# # A/B at 1,000 receipts (300 invoices, as h18r's runs), alternating before/after.
# for i in 1 2; do
#   /tmp/h20r/bench.sh ab1000_before_$i before 1000 300 - > /tmp/h20r/results/ab1000_before_$i.log 2>&1
#   /tmp/h20r/bench.sh ab1000_after_$i after 1000 300 - > /tmp/h20r/results/ab1000_after_$i.log 2>&1
# done
# /tmp/h20r/bench.sh q1000_after after 1000 1000 querylog > /tmp/h20r/results/q1000_after.log 2>&1
# --- final.sh
# #!/usr/bin/env bash
# # Final series: code before (main 3b2c893) and after (branch h20r cbfb4d3), alternating,
# # fresh copies of h20r_tmpl; 1,000 receipts (300 invoices) twice each, then 10,000 (3,000 invoices) once each.
# for i in 1 2; do
#   /tmp/h20r/bench.sh f1000_before_$i before 1000 300 - > /tmp/h20r/results/f1000_before_$i.log 2>&1
#   /tmp/h20r/bench.sh f1000_after_$i after 1000 300 - > /tmp/h20r/results/f1000_after_$i.log 2>&1
# done
# /tmp/h20r/bench.sh f10k_before before 10000 3000 - > /tmp/h20r/results/f10k_before.log 2>&1
# /tmp/h20r/bench.sh f10k_after after 10000 3000 - > /tmp/h20r/results/f10k_after.log 2>&1
# --- final2.sh
# #!/usr/bin/env bash
# # Second 10,000-row pair, with the final code (chunks of 1,000): after first, then before.
# while pgrep -f "h20r_r_q10k_before" >/dev/null; do sleep 5; done
# /tmp/h20r/bench.sh f10k_after2 after 10000 3000 - > /tmp/h20r/results/f10k_after2.log 2>&1
# /tmp/h20r/bench.sh f10k_before2 before 10000 3000 - > /tmp/h20r/results/f10k_before2.log 2>&1
# profiles: bench.sh prof1000_before before 1000 1000 profile; bench.sh prof1000_after1 after 1000 1000 profile (numbering only)
# query logs: bench.sh q1000_before before 1000 1000 querylog; q1000_after (numbering, analytic, balance); q10k_before / q10k_after (before the chunks of 1,000)
