from odoo import fields, models

from .mailing_mailing import REACHED_TRACE_STATUSES


class MailingTrace(models.Model):
    _inherit = "mailing.trace"

    failure_type = fields.Selection(
        selection_add=[("renewal_weekly_cap", "Weekly contact cap reached")]
    )

    def write(self, vals):
        """A care message the mail server or SMS provider took is a contact with
        the customer: log it then, not when it was only queued."""
        result = super().write(vals)
        if vals.get("trace_status") in REACHED_TRACE_STATUSES:
            care = self.mass_mailing_id.filtered("renewal_care_kind")
            for mailing in care:
                mailing._log_care_contacts()
        elif vals.get("trace_status") in ("bounce", "error"):
            # taken, then bounced or refused: the history says it never arrived
            care = self.filtered(
                lambda trace: (
                    trace.mass_mailing_id.renewal_care_kind
                    and trace.model == "res.partner"
                )
            )
            for mailing, traces in care.grouped("mass_mailing_id").items():
                mailing._log_care_undelivered(traces.mapped("res_id"))
        return result
