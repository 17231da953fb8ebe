from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    insurance_schedule_horizon_months = fields.Integer(
        string="Premium Schedule Horizon (months)",
        config_parameter="insurance_renewal.schedule_horizon_months",
        default=12,
        help="How far ahead the premium schedule of each policy is stored. The daily "
        "scheduled action extends it as time passes.",
    )
    insurance_case_window_days = fields.Integer(
        string="Open Renewal Cases (days before due)",
        config_parameter="insurance_renewal.case_window_days",
        default=60,
        help="A renewal case opens in the CRM this many days before the next unpaid "
        "premium is due.",
    )
    insurance_debit_retry_days = fields.Integer(
        string="Debit Retry Delay (days)",
        config_parameter="insurance_renewal.debit_retry_days",
        default=3,
        help="A failed auto-debit is tried again this many days later, unless the bank "
        "account must be fixed first; never after the grace period ends.",
    )
    insurance_bundle_window_days = fields.Integer(
        string="One Message for Policies Due Within (days)",
        config_parameter="insurance_renewal.bundle_window_days",
        default=7,
        help="A payer whose policies fall due within this many days of each other "
        "gets one reminder listing them all, on the day of the earliest step.",
    )
    insurance_card_lookups_per_day = fields.Integer(
        string="Card Numbers Looked Up per Day",
        config_parameter="insurance_renewal.card_lookups_per_day",
        default=100,
        help="How many bank card numbers a user who sees them masked may look up "
        "by their full value in a day; further searches are refused and shown to "
        "compliance.",
    )
    renewal_contact_hour_start = fields.Float(
        related="company_id.renewal_contact_hour_start", readonly=False
    )
    renewal_contact_hour_end = fields.Float(
        related="company_id.renewal_contact_hour_end", readonly=False
    )
    renewal_weekly_contact_cap = fields.Integer(
        related="company_id.renewal_weekly_contact_cap", readonly=False
    )
    renewal_collection_target = fields.Float(
        related="company_id.renewal_collection_target", readonly=False
    )
