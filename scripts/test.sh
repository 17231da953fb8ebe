#!/usr/bin/env bash
# Run every test: the addon's Odoo tests on a fresh throwaway database, then pytest.
# Prints "N passed, N failed" last and exits non-zero on any failure or logged error.
set -euo pipefail
source "$(dirname "$0")/common.sh"

find_odoo
install_requirements
ensure_postgres

DB=${DB:-insurance_renewal_test_$$}
TEST_TAGS=${TEST_TAGS:-/insurance_renewal,/insurance_renewal_queue}
LOG_DIR="$REPO_ROOT/.test-logs"
mkdir -p "$LOG_DIR"

# The addon's tests run without queue_job (the scheduled actions do the long work);
# the glue module's tests on a database of their own, with queue_job installed.
split_tags() {  # split_tags 1|0: the tags of the glue module's run, or the others
    local tag all out=()
    IFS=, read -ra all <<< "$TEST_TAGS"
    for tag in "${all[@]}"; do
        case "$tag" in
            *insurance_renewal_queue*) [ "$1" = 1 ] && out+=("$tag") ;;
            *) [ "$1" = 0 ] && out+=("$tag") ;;
        esac
    done
    (IFS=,; echo "${out[*]}")
}

cleanup() {
    [ -n "${KEEP_DB:-}" ] || dropdb --if-exists "$DB" >/dev/null 2>&1 || true
    [ -n "${KEEP_DB:-}" ] || dropdb --if-exists "${DB}_queue" >/dev/null 2>&1 || true
}
trap cleanup EXIT

odoo_passed=0
odoo_failed=0
run_odoo_tests() {  # run_odoo_tests DATABASE MODULES TAGS LOG
    local database=$1 modules=$2 tags=$3 log=$4 status passed failed
    dropdb --if-exists "$database" >/dev/null 2>&1 || true
    echo "== Odoo tests ($tags) on a new database $database; full log in $log"
    set +e
    "$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$database" -i "$modules" \
        --test-enable --test-tags="$tags" --stop-after-init --log-level=test \
        --http-port="$(free_port)" --db-filter="^$database\$" --max-cron-threads=0 \
        2>&1 | tee "$log" | grep -E --line-buffered " (ERROR|CRITICAL|WARNING) |^(FAIL|ERROR):|tests when loading"
    status=${PIPESTATUS[0]}
    set -e
    read -r passed failed < <("$ODOO_PYTHON" "$REPO_ROOT/scripts/odoo_test_summary.py" "$log" "$status")
    odoo_passed=$((odoo_passed + passed))
    odoo_failed=$((odoo_failed + failed))
}

addon_tags=$(split_tags 0)
queue_tags=$(split_tags 1)
if [ -n "$addon_tags" ]; then
    run_odoo_tests "$DB" insurance_renewal,payment_demo "$addon_tags" "$LOG_DIR/odoo.log"
fi
if [ -n "$queue_tags" ]; then
    run_odoo_tests "${DB}_queue" insurance_renewal_queue,payment_demo "$queue_tags" \
        "$LOG_DIR/odoo_queue.log"
fi

echo "== pytest (tests/)"
set +e
(cd "$REPO_ROOT" && "$ODOO_PYTHON" -m pytest tests -q -p no:cacheprovider) | tee "$LOG_DIR/pytest.log"
pytest_status=${PIPESTATUS[0]}
set -e
read -r py_passed py_failed < <("$ODOO_PYTHON" "$REPO_ROOT/scripts/pytest_summary.py" "$LOG_DIR/pytest.log" "$pytest_status")

passed=$((odoo_passed + py_passed))
failed=$((odoo_failed + py_failed))
echo "Odoo: $odoo_passed passed, $odoo_failed failed; pytest: $py_passed passed, $py_failed failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
