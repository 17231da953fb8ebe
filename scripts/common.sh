# Shared by run.sh, test.sh and lint.sh: find Odoo, its interpreter and PostgreSQL.
# shellcheck shell=bash

REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
    echo "error: $*" >&2
    exit 2
}

find_odoo() {
    ODOO_BIN=$(command -v odoo || true)
    [ -n "$ODOO_BIN" ] || die "Odoo 19.0 is not installed: the 'odoo' command is not on PATH.
Install Odoo 19.0 Community (its requirements.txt, then 'pip install -e' of its source)
and make 'odoo' reachable on PATH; README.md says how."
    ODOO_PYTHON=$(head -n 1 "$(readlink -f "$ODOO_BIN")" | sed -e 's/^#!//' -e 's/ .*//')
    [ -x "$ODOO_PYTHON" ] || ODOO_PYTHON=$(command -v python3)
    local version
    version=$("$ODOO_PYTHON" -c 'import odoo.release as r; print(r.version_info[0])' 2>/dev/null) ||
        die "'$ODOO_BIN' runs with $ODOO_PYTHON, which cannot import odoo."
    [ "$version" = 19 ] || die "Odoo $version found at $ODOO_BIN; this addon needs Odoo 19.0."
    ODOO_ADDONS=$("$ODOO_PYTHON" -c 'import os, odoo.release as r; root = os.path.dirname(os.path.dirname(os.path.abspath(r.__file__))); print(",".join(p for p in (os.path.join(root, "addons"), os.path.join(root, "odoo", "addons")) if os.path.isdir(p)))')
    ADDONS_PATH="$ODOO_ADDONS,$REPO_ROOT"
}

install_requirements() {
    "$ODOO_PYTHON" -m pip install --quiet --disable-pip-version-check \
        -r "$REPO_ROOT/requirements.txt" 2> >(grep -v "is ignored" >&2) ||
        die "could not install requirements.txt into $ODOO_PYTHON"
}

ensure_postgres() {
    if pg_isready -q 2>/dev/null; then
        ensure_role
        return
    fi
    command -v pg_lsclusters >/dev/null || die "PostgreSQL does not answer and there is no local
cluster to start: start PostgreSQL (12 or later) and give your user a role that can create databases."
    local version cluster
    read -r version cluster _ < <(pg_lsclusters --no-header | head -n 1)
    [ -n "${version:-}" ] || die "PostgreSQL does not answer and no cluster exists: create one with pg_createcluster."
    echo "Starting PostgreSQL $version/$cluster..."
    pg_ctlcluster --skip-systemctl-redirect "$version" "$cluster" start ||
        die "could not start PostgreSQL $version/$cluster: start it by hand."
    for _ in $(seq 20); do pg_isready -q && break; sleep 0.5; done
    pg_isready -q || die "PostgreSQL $version/$cluster started but does not answer."
    ensure_role
}

ensure_role() {
    psql -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 && return
    if [ "$(id -u)" = 0 ]; then
        su postgres -c "createuser -s $(id -un)" >/dev/null 2>&1 || true
    fi
    psql -d postgres -Atc 'SELECT 1' >/dev/null 2>&1 ||
        die "PostgreSQL answers but user $(id -un) has no role: run
    sudo -u postgres createuser -s $(id -un)"
}

free_port() {
    "$ODOO_PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
