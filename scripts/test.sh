#!/usr/bin/env bash
# Run every test: the addon's Odoo tests on a fresh throwaway database, then pytest.
# Prints "N passed, N failed" last and exits non-zero on any failure or logged error.
set -euo pipefail
source "$(dirname "$0")/common.sh"

find_odoo
install_requirements
ensure_postgres

DB=${DB:-insurance_renewal_test_$$}
TEST_TAGS=${TEST_TAGS:-/insurance_renewal}
LOG_DIR="$REPO_ROOT/.test-logs"
ODOO_LOG="$LOG_DIR/odoo.log"
mkdir -p "$LOG_DIR"

cleanup() {
    [ -n "${KEEP_DB:-}" ] || dropdb --if-exists "$DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT
dropdb --if-exists "$DB" >/dev/null 2>&1 || true

echo "== Odoo tests ($TEST_TAGS) on a new database $DB; full log in $ODOO_LOG"
set +e
"$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" -i insurance_renewal,payment_demo \
    --test-enable --test-tags="$TEST_TAGS" --stop-after-init --log-level=test \
    --http-port="$(free_port)" --db-filter="^$DB\$" --max-cron-threads=0 \
    2>&1 | tee "$ODOO_LOG" | grep -E --line-buffered " (ERROR|CRITICAL|WARNING) |^(FAIL|ERROR):|tests when loading"
odoo_status=${PIPESTATUS[0]}
# insurance_renewal_queue (reminders as queue_job jobs) installs itself with
# queue_job: tested on the same database afterwards, so that the tests above run
# the scheduled actions as they are without queue_job.
QUEUE_TAGS=${QUEUE_TAGS:-$([ "$TEST_TAGS" = /insurance_renewal ] && echo /insurance_renewal_queue)}
if [ -n "$QUEUE_TAGS" ] && [ "$odoo_status" -eq 0 ]; then
    echo "== Odoo tests ($QUEUE_TAGS) with queue_job installed"
    "$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" -i insurance_renewal_queue \
        --test-enable --test-tags="$QUEUE_TAGS" --stop-after-init --log-level=test \
        --http-port="$(free_port)" --db-filter="^$DB\$" --max-cron-threads=0 \
        2>&1 | tee -a "$ODOO_LOG" | grep -E --line-buffered " (ERROR|CRITICAL|WARNING) |^(FAIL|ERROR):|tests when loading"
    odoo_status=${PIPESTATUS[0]}
fi
set -e
read -r odoo_passed odoo_failed < <("$ODOO_PYTHON" "$REPO_ROOT/scripts/odoo_test_summary.py" "$ODOO_LOG" "$odoo_status")

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
