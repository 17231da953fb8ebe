"""The daily clock moved from insurance.policy to its own service model,
insurance.premium.clock: point the (noupdate) scheduled action at it."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    cron = env.ref("insurance_renewal.ir_cron_daily_premium_clock", False)
    if cron:
        cron.model_id = env["ir.model"]._get("insurance.premium.clock")
