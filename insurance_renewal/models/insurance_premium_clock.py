from odoo import api, fields, models
from odoo.fields import Domain

from ..lib import schedule
from .insurance_policy import CRON_BATCH_SIZE

# The day the clock last brought every open case's date-driven facts up to date.
CASES_REFRESHED_PARAM = "insurance_renewal.cases_refreshed_on"


class InsurancePremiumClock(models.AbstractModel):
    """The daily premium clock: the dated facts of instalments, policies and cases
    moved to ``today``, in claimed, committed batches (``insurance.batch.runner``).

    Each step finds what is stale today with a domain on its own model and moves
    it; the batch runner then brings the policies' state and their cases up to
    date once per batch (``insurance.fact.flow``)."""

    _name = "insurance.premium.clock"
    _description = "Daily Premium Clock"

    @api.model
    def _cron_daily_premium_clock(self, batch_size=CRON_BATCH_SIZE):
        """Extend schedules, move instalments through due, grace and lapse,
        terminate policies past their reinstatement window, open the renewal cases
        now in their window, flag broken promises, and refresh the open cases
        whose facts change with the calendar since the last run.

        Each step works on what is still stale today, in batches committed one by
        one, so a crash loses nothing and a rerun the same day changes nothing.
        """
        today = self.env["insurance.policy"]._clock_today()
        clock = self.with_context(clock_today=today)
        runner = clock.env["insurance.batch.runner"]
        steps = clock._steps(today)
        self.env["ir.cron"]._commit_progress(
            remaining=sum(model.search_count(domain) for model, domain, _f in steps)
        )
        for model, domain, process in steps:
            if not runner._process_in_batches(model, domain, process, batch_size):
                return
        clock._set_cases_refreshed_on(today)

    def _steps(self, today):
        """``[(model, domain, process)]``: the clock's steps, in order."""
        policies = self.env["insurance.policy"]
        leads = self.env["crm.lead"]
        return [
            (
                policies,
                policies._schedule_to_extend_domain(),
                policies._extend_schedule_batch,
            ),
            (
                policies,
                policies._premium_loan_domain(today),
                policies._premium_loan_batch,
            ),
            (policies, policies._stale_clock_domain(today), self._advance_clock_batch),
            (policies, policies._to_terminate_domain(today), policies._terminate_batch),
            (
                policies,
                leads._open_renewal_cases_domain(today),
                leads._open_renewal_cases,
            ),
            (leads, leads._broken_promises_domain(today), leads._flag_broken_promises),
            (
                leads,
                leads._calendar_cases_domain(self._cases_refreshed_on(), today),
                leads._refresh_cases_batch,
            ),
        ]

    @api.model
    def _advance_clock_batch(self, policies):
        """Move the unpaid instalments of ``policies`` together: a policy
        suspended by one of them never leaves the others behind in a later batch.
        Only those are read, not every instalment of the policies' history."""
        lines = self.env["insurance.premium.line"].search(
            Domain("policy_id", "in", policies.ids)
            & Domain("state", "in", schedule.OPEN_STATES),
            order="id",
        )
        lines._advance_clock(self.env["insurance.policy"]._clock_today())

    @api.model
    def _cases_refreshed_on(self):
        value = self.env["ir.config_parameter"].sudo().get_param(CASES_REFRESHED_PARAM)
        return fields.Date.to_date(value) if value else None

    @api.model
    def _set_cases_refreshed_on(self, today):
        last = self._cases_refreshed_on()
        if not last or last < today:
            self.env["ir.config_parameter"].sudo().set_param(
                CASES_REFRESHED_PARAM, fields.Date.to_string(today)
            )
