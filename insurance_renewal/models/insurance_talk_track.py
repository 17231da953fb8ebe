from odoo import api, fields, models
from odoo.fields import Domain


class InsuranceTalkTrack(models.Model):
    """A talk track (话术): what a specialist can say to a customer who gives a
    reason for not paying, with how often contacts about that reason were followed
    by a payment."""

    _name = "insurance.talk.track"
    _description = "Talk Track"
    _order = "reason_id, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    reason_id = fields.Many2one(
        "crm.lost.reason",
        string="Reason for Not Paying",
        required=True,
        index=True,
        domain=[("is_renewal_reason", "=", True)],
    )
    body = fields.Text(string="What to Say", required=True, translate=True)
    company_id = fields.Many2one(
        "res.company", help="Leave empty to offer the talk track in every company."
    )
    success_rate = fields.Float(
        string="Paid Afterwards (%)",
        compute="_compute_success_rate",
        help="Share of the contacts that gave this reason that were followed by a "
        "payment within 60 days.",
    )
    contact_count = fields.Integer(
        string="Contacts with this Reason", compute="_compute_success_rate"
    )

    @api.depends("reason_id")
    def _compute_success_rate(self):
        groups = {
            reason: (count, rate)
            for reason, count, rate in self.env["insurance.kpi.response"]
            .sudo()
            ._read_group(
                Domain("reason_id", "in", self.reason_id.ids)
                & Domain("company_id", "in", self.env.companies.ids),
                ["reason_id"],
                ["attempt_count:sum", "paid_after_rate:avg"],
            )
        }
        for track in self:
            count, rate = groups.get(track.reason_id, (0, 0.0))
            track.contact_count = count
            track.success_rate = rate or 0.0
