from odoo import fields, models


class CrmLostReason(models.Model):
    _inherit = "crm.lost.reason"

    is_renewal_reason = fields.Boolean(
        string="Renewal Reason",
        help="Offered as the reason a customer gives for not paying a renewal premium, "
        "and as the lost reason of a suspended policy's case.",
    )
