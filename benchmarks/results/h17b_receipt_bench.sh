#!/usr/bin/env bash
# The A/B runs of 2026-11-26 (h17b): /tmp/h17b/before was `git archive 2bbd432` (main when
# this work began), /tmp/h17b/after a copy of the branch's insurance_renewal, /tmp/h17b/bench the
# branch's benchmarks (the same script for both). Template h17b_tmpl = a copy of h16r_tmpl
# (`run.py --policies 10000 --steps none`), updated with the before code.
# bench.sh LABEL CODE(before|after) ROWS INVOICES [profile|querylog]; KEEP=1 keeps the database.
# The 300-row rounds: for i in 1 2 3; do bench.sh ab_before_$i before 300 300; bench.sh ab_after_$i after 300 300; done
set -u
label=$1 code=$2 rows=$3 invoices=$4 prof=${5:-}
db=h17b_r_${label}
[ -n "${KEEP:-}" ] || dropdb --if-exists $db
createdb -T h17b_tmpl $db
addons=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/h17b/$code
cmd=(/opt/odoo-venv/bin/python /tmp/h17b/bench/benchmarks/receipt_import.py --database $db --rows $rows --invoices $invoices --addons-path $addons --output /tmp/h17b/results/$label.json)
echo "$(date -u +%T) start $label load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$prof" = profile ]; then
  /opt/odoo-venv/bin/py-spy record -r 50 --format raw -o /tmp/h17b/results/$label.raw -- "${cmd[@]}"
elif [ "$prof" = querylog ]; then
  "${cmd[@]}" --query-log /tmp/h17b/results/$label.queries.txt
else
  "${cmd[@]}"
fi
echo "$(date -u +%T) end $label rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${KEEP:-}" ] || dropdb --if-exists $db
