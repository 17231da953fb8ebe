from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

REMINDER_CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("phone", "Phone Call"),
    ("letter", "Letter"),
    ("demand", "Formal Demand"),
]


class InsuranceReminderStep(models.Model):
    _name = "insurance.reminder.step"
    _description = "Renewal Reminder Step"
    _order = "plan_id, anchor desc, offset_days, sequence, id"

    plan_id = fields.Many2one(
        "insurance.reminder.plan", required=True, ondelete="cascade", index=True
    )
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    anchor = fields.Selection(
        [("due_date", "Due Date"), ("grace_end", "Grace End Date")],
        required=True,
        default="due_date",
    )
    offset_days = fields.Integer(
        string="Offset (days)",
        required=True,
        help="Days after the anchor date; negative for days before it.",
    )
    channel = fields.Selection(REMINDER_CHANNELS, required=True, default="email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "insurance.policy")],
    )
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "insurance.policy")],
    )
    activity_type_id = fields.Many2one(
        "mail.activity.type",
        string="Specialist's To-do",
        help="For calls and letters: the to-do given to the renewal specialist.",
    )
    applies_to_auto_debit = fields.Boolean(
        string="Also for Auto-debit Payers",
        default=True,
        help="Untick for steps that only make sense for customers who pay by hand, "
        "such as a call a few days before the bank debits the premium.",
    )

    @api.constrains("channel", "anchor", "offset_days")
    def _check_demand_after_due(self):
        """A formal demand is sent once the premium is due: sent before, its 30
        days (art. 36) would end the cover from the day after the due date, with
        no grace period at all."""
        for step in self:
            if (
                step.channel == "demand"
                and step.anchor == "due_date"
                and step.offset_days < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Step %(step)s is a formal demand %(days)s days before the "
                        "due date: a demand is sent on the due date or after it.",
                        step=step.name,
                        days=-step.offset_days,
                    )
                )

    @api.constrains("anchor", "offset_days", "plan_id", "active")
    def _check_within_grace(self):
        """A step counted from the grace end falls within the grace of every
        product following its plan (``insurance.product._check_grace_end_steps``).
        As superuser: the products of another company follow the same plan."""
        steps = self.filtered(lambda step: step.anchor == "grace_end" and step.active)
        steps.sudo().plan_id.product_ids._check_grace_end_steps()

    @api.constrains("channel", "mail_template_id", "sms_template_id")
    def _check_template(self):
        for step in self:
            if step.channel == "email" and not step.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s sends an email: choose its template.",
                        step=step.name,
                    )
                )
            if step.channel == "sms" and not step.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s sends an SMS: choose its template.",
                        step=step.name,
                    )
                )

    def _has_reminders(self):
        return bool(
            self.ids
            and self.env["insurance.reminder.log"]
            .sudo()
            .search_count([("step_id", "in", self.ids)], limit=1)
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_used(self):
        if self._has_reminders():
            raise UserError(
                self.env._(
                    "A reminder step that customers were reminded by cannot be "
                    "deleted: archive it instead."
                )
            )
