from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    renewal_contact_hour_start = fields.Float(
        string="Contact Hours From",
        default=9.0,
        help="No SMS or call reminder goes out before this hour (company time zone).",
    )
    renewal_contact_hour_end = fields.Float(
        string="Contact Hours Until",
        default=20.0,
        help="No SMS or call reminder goes out from this hour on.",
    )
    renewal_weekly_contact_cap = fields.Integer(
        string="Reminders per Customer per Week",
        default=3,
        help="At most this many reminder messages reach one customer in seven days; "
        "0 for no limit.",
    )
    renewal_collection_target = fields.Float(
        string="Collection Rate Target (%)",
        default=95.0,
        help="The month's collection rate the renewal team aims at, shown against the "
        "actual rate on the renewal dashboard.",
    )
