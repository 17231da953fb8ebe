#!/usr/bin/env bash
# Serve Odoo on http://localhost:8069 with insurance_renewal and its demo data.
set -euo pipefail
source "$(dirname "$0")/common.sh"

DB=${DB:-insurance_renewal}
PORT=${PORT:-8069}

find_odoo
install_requirements
ensure_postgres

if psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    echo "Updating insurance_renewal in database $DB..."
    MODULE_ARGS=(-u insurance_renewal -i insurance_renewal_queue)
else
    echo "Creating database $DB with insurance_renewal and its demo data..."
    MODULE_ARGS=(-i insurance_renewal,insurance_renewal_queue,payment_demo --with-demo
        --load-language=zh_CN)
fi
echo "Odoo will answer on http://localhost:$PORT (login admin / admin, or specialist / specialist)."
# queue_job's job runner is loaded with the server: imports and the ledger export run
# as its jobs (insurance_renewal_queue).
exec "$ODOO_BIN" --addons-path="$ADDONS_PATH" -d "$DB" "${MODULE_ARGS[@]}" \
    --http-port="$PORT" --db-filter="^$DB\$" --load=base,web,queue_job
