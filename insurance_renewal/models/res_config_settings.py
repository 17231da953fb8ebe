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
