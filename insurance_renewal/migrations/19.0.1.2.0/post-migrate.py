from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Policies terminated by the clock before 19.0.1.2.0 kept the premiums planned
    while they were suspended as if still owed (in the ledger, the receivables and
    the collection rate): waive them, as the clock now does at termination."""
    if not version:
        return
    env = api.Environment(cr, SUPERUSER_ID, {})
    terminated = env["insurance.policy"].search([("state", "=", "terminated")])
    terminated._waive_never_due_instalments()
