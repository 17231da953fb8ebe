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
            (
                "group_ids",
                "in",
                self.env.ref("insurance_renewal.group_insurance_renewal_user").id,
            )
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

    def action_assign(self):
        self.ensure_one()
        if not self.lead_ids:
            raise UserError(self.env._("Select the renewal cases to assign first."))
        self.lead_ids.write({"user_id": self.user_id.id})
        if self.move_policies:
            self.lead_ids.insurance_policy_id.write({"specialist_id": self.user_id.id})
        return {"type": "ir.actions.act_window_close"}
