from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..lib import schedule

MANAGER_GROUP = "insurance_renewal.group_insurance_renewal_manager"


class InsuranceRenewalLedger(models.TransientModel):
    """The renewal ledger (续期台账): every instalment to collect in a date range, for
    one specialist, one team or the whole company, exported to Excel."""

    _name = "insurance.renewal.ledger"
    _description = "Renewal Ledger"

    scope = fields.Selection(
        [
            ("specialist", "One Specialist"),
            ("team", "One Team"),
            ("company", "Company"),
        ],
        required=True,
        default="specialist",
    )
    specialist_id = fields.Many2one(
        "res.users", string="Renewal Specialist", default=lambda self: self.env.user
    )
    team_id = fields.Many2one("crm.team")
    date_from = fields.Date(required=True, default=fields.Date.context_today)
    date_to = fields.Date(required=True)
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    is_manager = fields.Boolean(compute="_compute_is_manager")

    @api.depends_context("uid")
    def _compute_is_manager(self):
        self.is_manager = self.env.user.has_group(MANAGER_GROUP)

    def action_export(self):
        self.ensure_one()
        self._check_dates()
        return self.env.ref(
            "insurance_renewal.action_report_renewal_ledger_xlsx"
        ).report_action(self)

    def _check_dates(self):
        if self.date_to < self.date_from:
            raise UserError(
                self.env._("The ledger's end date must not be before its start date.")
            )

    def _ledger_domain(self):
        """The instalments of this ledger. A specialist who is not a manager only
        ever gets their own, whatever the wizard says."""
        self.ensure_one()
        domain = (
            Domain("state", "in", schedule.OPEN_STATES)
            & Domain("due_date", ">=", self.date_from)
            & Domain("due_date", "<=", self.date_to)
            & Domain("company_id", "=", self.company_id.id)
        )
        if not self.env.user.has_group(MANAGER_GROUP):
            return domain & Domain("specialist_id", "=", self.env.uid)
        if self.scope == "specialist":
            return domain & Domain("specialist_id", "=", self.specialist_id.id)
        if self.scope == "team":
            return domain & Domain("specialist_id", "in", self.team_id.member_ids.ids)
        return domain
