from odoo import api, fields, models
from odoo.exceptions import UserError


class InsuranceReminderPlan(models.Model):
    _name = "insurance.reminder.plan"
    _description = "Renewal Reminder Plan"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    step_ids = fields.One2many("insurance.reminder.step", "plan_id", string="Steps")
    product_ids = fields.One2many("insurance.product", "reminder_plan_id")

    @api.ondelete(at_uninstall=False)
    def _unlink_except_in_use(self):
        """A plan that products follow or that has reminded customers is part of
        the history: archive it instead."""
        for plan in self.with_context(active_test=False):
            if plan.product_ids or plan.step_ids._has_reminders():
                raise UserError(
                    self.env._(
                        "Reminder plan %(plan)s cannot be deleted: products follow "
                        "it or customers were reminded by it. Archive it instead.",
                        plan=plan.name,
                    )
                )
