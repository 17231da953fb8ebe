"""The daily clock moved from insurance.policy to its own service model,
insurance.premium.clock, and the reminder engine from insurance.reminder.log to
insurance.reminder.engine: point the (noupdate) scheduled actions at them."""

from odoo import SUPERUSER_ID, api

MOVED_CRONS = {
    "insurance_renewal.ir_cron_daily_premium_clock": "insurance.premium.clock",
    "insurance_renewal.ir_cron_send_reminders": "insurance.reminder.engine",
}


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    for xmlid, model in MOVED_CRONS.items():
        cron = env.ref(xmlid, False)
        if cron:
            cron.model_id = env["ir.model"]._get(model)
