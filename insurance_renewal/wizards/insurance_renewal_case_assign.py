from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain


class InsuranceRenewalCaseAssign(models.TransientModel):
    _name = "insurance.renewal.case.assign"
    _description = "Assign Selected Renewal Cases"

    lead_ids = fields.Many2many(
        "crm.lead",
        string="Renewal Cases",
        default=lambda self: self._default_lead_ids(),
    )
    user_id = fields.Many2one(
        "res.users",
        string="Renewal Specialist",
        required=True,
        domain=lambda self: [
            ("share", "=", False),
            (
                "all_group_ids",
                "in",
                self.env.ref("insurance_renewal.group_insurance_renewal_user").id,
            ),
        ],
    )
    move_policies = fields.Boolean(
        string="Also Their Policies",
        default=True,
        help="The policies' next cases go to the same specialist.",
    )
    case_count = fields.Integer(compute="_compute_case_count")

    @api.model
    def _default_lead_ids(self):
        ids = self.env.context.get("active_ids") or []
        domain = Domain("id", "in", ids) & Domain("insurance_policy_id", "!=", False)
        return self.env["crm.lead"].search(domain)

    @api.depends("lead_ids")
    def _compute_case_count(self):
        for wizard in self:
            wizard.case_count = len(wizard.lead_ids)

    def _check_assignee(self):
        """Cases go only to a renewal specialist who works for their companies."""
        user = self.user_id
        missing = self.lead_ids.company_id - user.company_ids
        if (
            user.share
            or missing
            or not user.has_group("insurance_renewal.group_insurance_renewal_user")
        ):
            raise UserError(
                self.env._(
                    "%(user)s cannot take these cases: they must be a renewal "
                    "specialist of %(companies)s.",
                    user=user.name,
                    companies=", ".join(self.lead_ids.company_id.mapped("name")),
                )
            )

    def action_assign(self):
        self.ensure_one()
        if not self.lead_ids:
            raise UserError(self.env._("Select the renewal cases to assign first."))
        self._check_assignee()
        self.lead_ids.write({"user_id": self.user_id.id})
        if self.move_policies:
            self.lead_ids.insurance_policy_id.write({"specialist_id": self.user_id.id})
        return {"type": "ir.actions.act_window_close"}
