#!/usr/bin/env bash
# bench.sh LABEL CODE(before|after|work) ROWS INVOICES [profile|querylog|-] [more args]; KEEP=1 keeps the database.
# before = /tmp/h21r_before (git worktree of main at the start, 4fb653b), with its own benchmark and fair twin;
# after = /tmp/h21r/after (git archive of the branch), with the branch's benchmark and twin; work = /work/h21r.
# Template h21r_tmpl = copy of s23_rc_tmpl upgraded with the branch (the bank file becomes a mail thread; no column added).
set -u
label=$1 code=$2 rows=$3 invoices=$4 prof=${5:-}
shift 5 2>/dev/null || shift $#
case $code in before) dir=/tmp/h21r_before;; after) dir=/tmp/h21r/after;; work) dir=/work/h21r;; esac
db=h21r_r_${label}
dropdb --if-exists $db
createdb -T h21r_tmpl $db
addons=/opt/odoo19/addons,/opt/odoo19/odoo/addons,$dir
cmd=(/opt/odoo-venv/bin/python $dir/benchmarks/receipt_import.py --database $db --rows $rows --invoices $invoices --addons-path $addons --output /tmp/h21r/results/$label.json "$@")
echo "$(date -u +%T) start $label load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ "$prof" = profile ]; then
  /opt/odoo-venv/bin/py-spy record -r 50 --format raw -o /tmp/h21r/results/$label.raw -- "${cmd[@]}"
elif [ "$prof" = querylog ]; then
  "${cmd[@]}" --query-log /tmp/h21r/results/$label.queries.txt
else
  "${cmd[@]}"
fi
rc=$?
echo "$(date -u +%T) end $label rc=$rc load $(cut -d' ' -f1-3 /proc/loadavg)"
[ -n "${KEEP:-}" ] || dropdb --if-exists $db

# The series run (2026-11-26, shared machine):
# --- final.sh
# #!/usr/bin/env bash
# # Final series: code before (main 4fb653b, its own benchmark and twin) and after (branch h21r), alternating,
# # fresh copies of h21r_tmpl; 1,000 receipts (300 invoices) twice each, then 10,000 (3,000 invoices) once each.
# for i in 1 2; do
#   /tmp/h21r/bench.sh f1000_before_$i before 1000 300 - > /tmp/h21r/results/f1000_before_$i.log 2>&1
#   /tmp/h21r/bench.sh f1000_after_$i after 1000 300 - > /tmp/h21r/results/f1000_after_$i.log 2>&1
# done
# /tmp/h21r/bench.sh f10k_before before 10000 3000 - > /tmp/h21r/results/f10k_before.log 2>&1
# /tmp/h21r/bench.sh f10k_after after 10000 3000 - > /tmp/h21r/results/f10k_after.log 2>&1
# echo done > /tmp/h21r/results/final.done
# profiles: bench.sh prof1000 after 1000 300 profile; bench.sh prof10k after 10000 3000 profile (summaries: h21r_receipt_prof*.profile.txt, by h21r_receipt_prof.py)
# --- final2.sh
# #!/usr/bin/env bash
# # Second 10,000-row pair, with the final code (after first, then before).
# /tmp/h21r/bench.sh f10k_after2 after 10000 3000 - > /tmp/h21r/results/f10k_after2.log 2>&1
# /tmp/h21r/bench.sh f10k_before2 before 10000 3000 - > /tmp/h21r/results/f10k_before2.log 2>&1
# echo done > /tmp/h21r/results/final2.done
