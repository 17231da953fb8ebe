from odoo import fields, models


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    failure_type = fields.Selection(
        selection_add=[("renewal_weekly_cap", "Weekly contact cap reached")]
    )
