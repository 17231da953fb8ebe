#!/usr/bin/env bash
# The runs of 2026-11-26 (h18r): /tmp/h18r/before is `git archive 0e95d33` (main when
# this work began), /tmp/h18r/after a copy of the branch's insurance_renewal (rsync'd
# before each series), /tmp/h18r/bench the branch's benchmarks (the same script for
# both codes). Template h18r_tmpl = a copy of h17b_tmpl upgraded with the branch.
# bench.sh LABEL CODE(before|after) ROWS INVOICES [profile|querylog] [more args]; KEEP=1 keeps the database.
set -u
label=$1 code=$2 rows=$3 invoices=$4 prof=${5:-}
shift 5 2>/dev/null || shift $#
db=h18r_r_${label}
dropdb --if-exists $db
createdb -T h18r_tmpl $db
addons=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/h18r/$code
cmd=(/opt/odoo-venv/bin/python /tmp/h18r/bench/benchmarks/receipt_import.py --database $db --rows $rows --invoices $invoices --addons-path $addons --output /tmp/h18r/results/$label.json "$@")
echo "$(date -u +%T) start $label load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$prof" = profile ]; then
  /opt/odoo-venv/bin/py-spy record -r 50 --format raw -o /tmp/h18r/results/$label.raw -- "${cmd[@]}"
elif [ "$prof" = querylog ]; then
  "${cmd[@]}" --query-log /tmp/h18r/results/$label.queries.txt
else
  "${cmd[@]}"
fi
echo "$(date -u +%T) end $label rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${KEEP:-}" ] || dropdb --if-exists $db
