from odoo import fields, models


class CrmStage(models.Model):
    _inherit = "crm.stage"

    renewal_step = fields.Selection(
        [
            ("to_remind", "To Remind"),
            ("reminded", "Reminded"),
            ("promised", "Promised to Pay"),
            ("grace", "Grace Collection"),
            ("demand", "Demand Sent"),
            ("collected", "Collected"),
        ],
        help="The fact of a renewal case this stage stands for: cases move here by "
        "themselves when the fact becomes true, and cannot be dragged here against "
        "the facts.",
    )
