#!/usr/bin/env bash
# The A/B runs of 2026-11-26: /tmp/h16r/before was `git archive 18b89fb` (main before
# this work), /tmp/h16r/after `git archive` of the branch (8e83b64 for a300a/a300b,
# 2a64999 for a300c and the 10,000-row run); template h16r_tmpl built by
# `benchmarks/run.py --database h16r_tmpl --policies 10000 --steps none`.
# bench.sh LABEL CODE(before|after) ROWS INVOICES [profile]
set -u
label=$1 code=$2 rows=$3 invoices=$4 prof=${5:-}
db=h16r_r_${label}
dropdb --if-exists $db
createdb -T h16r_tmpl $db
addons=/opt/odoo19/addons,/opt/odoo19/odoo/addons,/tmp/h16r/$code
cmd=(/opt/odoo-venv/bin/python /tmp/h16r/after/benchmarks/receipt_import.py --database $db --rows $rows --invoices $invoices --addons-path $addons --output /tmp/h16r/results/$label.json)
echo "$(date -u +%T) start $label load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$prof" ]; then
  /opt/odoo-venv/bin/py-spy record -r 50 --format raw -o /tmp/h16r/results/$label.raw -- "${cmd[@]}"
else
  "${cmd[@]}"
fi
echo "$(date -u +%T) end $label rc=$? load $(cut -d' ' -f1-3 /proc/loadavg)"
dropdb --if-exists $db
