from odoo import fields, models


class InsuranceReminderPlan(models.Model):
    _name = "insurance.reminder.plan"
    _description = "Renewal Reminder Plan"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    step_ids = fields.One2many("insurance.reminder.step", "plan_id", string="Steps")
    product_ids = fields.One2many("insurance.product", "reminder_plan_id")
