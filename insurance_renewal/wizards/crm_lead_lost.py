from odoo import api, fields, models


class CrmLeadLost(models.TransientModel):
    _inherit = "crm.lead.lost"

    is_renewal = fields.Boolean(
        compute="_compute_is_renewal",
        help="Renewal cases offer the renewal reasons, other opportunities the "
        "sales reasons.",
    )

    @api.depends("lead_ids")
    def _compute_is_renewal(self):
        for wizard in self:
            wizard.is_renewal = any(wizard.lead_ids.mapped("insurance_policy_id"))
