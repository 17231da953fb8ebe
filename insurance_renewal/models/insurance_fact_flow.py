from collections import defaultdict

from odoo import api, models
from odoo.tools import SQL

from ..lib import schedule

# Where the records whose facts changed wait, in the transaction, for the flush.
PENDING_KEY = "insurance_renewal.fact_flow"
# A propagation never feeds itself for long: a policy's state refreshes its cases,
# a case's refresh changes no policy. Stop and say so rather than loop.
MAX_ROUNDS = 5


class InsuranceFactFlow(models.AbstractModel):
    """The one place where facts flow one way: instalments -> policy state -> case.

    Whatever changes a fact (an instalment's state, amount paid or demand, a
    policy's state or payment method, a contact) only marks the records it
    touched (``_touch_policies``, ``_touch_cases``; new instalments through
    ``_instalments_created``). ``_propagate`` then, once per
    unit of work and set-based, derives the marked policies' state from their
    instalments and refreshes the open cases of those policies and the marked
    cases. It runs at the end of each batch of a scheduled action (the batch
    runner calls it), and otherwise when the transaction is flushed before its
    commit (``cr.precommit``), so a payment entered by hand, a reconciliation or a
    servicing request all leave their cases up to date when they commit."""

    _name = "insurance.fact.flow"
    _description = "Renewal Fact Flow"

    @api.model
    def _pending(self):
        """The ids waiting in this transaction, registering the flush on first use."""
        data = self.env.cr.precommit.data
        pending = data.get(PENDING_KEY)
        if pending is None:
            pending = data[PENDING_KEY] = {"policies": set(), "cases": set()}
            # Registered with the toucher's context (e.g. the clock's day).
            self.env.cr.precommit.add(self._propagate)
        return pending

    @api.model
    def _touch_policies(self, policies):
        """The instalments of ``policies`` changed: their state and cases follow."""
        if policies:
            self._pending()["policies"].update(policies.ids)

    @api.model
    def _instalments_created(self, lines):
        """New instalments were stored (a schedule extended, however late): a
        change of their policy's facts, so that a premium owed already or falling
        due inside the case window is on the policy's open case in the same unit
        of work, not at the next change of its other facts. One planned beyond
        the window changes neither the policy's state nor a case until the
        calendar brings it in (``crm.lead._calendar_cases_domain``): its policy is
        not marked, so a nightly extension refreshes no case for nothing.

        Whatever stores instalments calls this once for all it stored: the
        premium line's ``create`` does, and so must an INSERT that bypasses it."""
        if not lines:
            return
        today = self.env["insurance.policy"]._clock_today()
        window_end = self.env["crm.lead"]._renewal_window_end(today)
        self._touch_policies(
            lines.filtered(
                lambda line: (
                    line.state != schedule.PLANNED or line.due_date <= window_end
                )
            ).policy_id
        )

    @api.model
    def _touch_cases(self, cases):
        """The facts of ``cases`` changed (a contact, their policy's state)."""
        if cases:
            self._pending()["cases"].update(cases.ids)

    @api.model
    def _discard(self):
        """Forget what was marked: the work that marked it was rolled back."""
        self.env.cr.precommit.data.pop(PENDING_KEY, None)

    @api.model
    def _propagate(self):
        """Bring the marked policies' state and their cases up to date, set-based.

        As superuser: the records were marked by writes the caller was allowed to
        make; the policy state and the cases derived from them are the addon's."""
        flow = self.sudo()
        policy_model = flow.env["insurance.policy"].with_context(active_test=False)
        case_model = flow.env["crm.lead"].with_context(active_test=False)
        for _round in range(MAX_ROUNDS):
            pending = flow.env.cr.precommit.data.get(PENDING_KEY)
            if not pending or not (pending["policies"] or pending["cases"]):
                # Run as a pre-commit hook, this comes after the transaction's
                # flush: write what it changed before the commit.
                flow._flush_holding_locks()
                return
            policies = policy_model.browse(sorted(pending["policies"])).exists()
            pending["policies"] = set()
            policies._sync_state_with_schedule()
            cases = case_model.browse(sorted(pending["cases"])).exists()
            pending["cases"] = set()
            cases |= policies.renewal_lead_ids
            cases._insurance_refresh_from_facts()
        raise RecursionError(
            "insurance.fact.flow: the propagation keeps marking new records"
        )

    @api.model
    def _flush_holding_locks(self):
        """Write the pending changes after locking their rows, quietly.

        Another worker may have changed one of these rows (a payer's renewal
        status, a case shared by two batches) since this transaction began. Locking
        the rows first makes that show as a serialization failure of the lock,
        which the batch runner rolls back and retries on a fresh snapshot, instead
        of a failed UPDATE that Odoo's cursor logs as a bad query. The rows are
        locked before the stored computes run too: some read what they derive
        from in SQL (a policy's schedule figures), writing it first."""
        env = self.env
        self._lock_dirty_rows()
        env._recompute_all()
        self._lock_dirty_rows()
        env.flush_all()

    @api.model
    def _lock_dirty_rows(self):
        env = self.env
        rows = defaultdict(set)
        for field, ids in env._field_dirty.items():
            rows[env[field.model_name]._table].update(filter(None, ids))
        for table, ids in sorted(rows.items()):
            env.cr.execute(
                SQL(
                    "SELECT 1 FROM %s WHERE id = ANY(%s) ORDER BY id FOR NO KEY UPDATE",
                    SQL.identifier(table),
                    sorted(ids),
                ),
                log_exceptions=False,
            )
