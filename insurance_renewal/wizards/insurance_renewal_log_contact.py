from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..models.insurance_renewal_activity import CHANNELS, OUTCOMES


class InsuranceRenewalLogContact(models.TransientModel):
    _name = "insurance.renewal.log.contact"
    _description = "Log a Renewal Contact"

    policy_id = fields.Many2one("insurance.policy", required=True)
    lead_id = fields.Many2one("crm.lead", string="Renewal Case")
    partner_id = fields.Many2one(related="policy_id.partner_id", string="Customer")
    phone = fields.Char(related="policy_id.partner_id.phone")
    email = fields.Char(related="policy_id.partner_id.email")
    currency_id = fields.Many2one(related="policy_id.currency_id")
    channel = fields.Selection(CHANNELS, required=True, default="phone")
    outcome = fields.Selection(OUTCOMES, required=True, default="reached")
    date = fields.Datetime(
        string="Contacted On", required=True, default=fields.Datetime.now
    )
    promised_date = fields.Date()
    promised_amount = fields.Monetary()
    reason_id = fields.Many2one(
        "crm.lost.reason",
        string="Reason for Not Paying",
        domain=[("is_renewal_reason", "=", True)],
    )
    note = fields.Text()
    talk_track_ids = fields.Many2many(
        "insurance.talk.track",
        string="Talk Tracks",
        compute="_compute_talk_track_ids",
        help="What to say to a customer who gives this reason, with how often it "
        "was followed by a payment.",
    )

    @api.depends("reason_id")
    def _compute_talk_track_ids(self):
        tracks = self.env["insurance.talk.track"]
        for wizard in self:
            wizard.talk_track_ids = (
                tracks.search([("reason_id", "=", wizard.reason_id.id)])
                if wizard.reason_id
                else tracks
            )

    next_call_date = fields.Date(
        string="Next Call On",
        default=lambda self: fields.Date.context_today(self) + timedelta(days=2),
        help="Used by Log and Schedule Next Call: the day of the follow-up call.",
    )

    @api.onchange("outcome")
    def _onchange_outcome(self):
        """Clear what the new outcome hides, so it is never saved unseen."""
        if self.outcome != "promised":
            self.promised_date = False
            self.promised_amount = 0.0
        elif not self.promised_amount:
            self.promised_amount = self.lead_id.renewal_amount_due

    @api.constrains("date")
    def _check_date(self):
        now = fields.Datetime.now()
        if any(wizard.date > now for wizard in self):
            raise ValidationError(
                self.env._("A contact cannot be logged in the future: check its time.")
            )

    def _activity_values(self):
        is_promise = self.outcome == "promised"
        return {
            "policy_id": self.policy_id.id,
            "lead_id": self.lead_id.id,
            "channel": self.channel,
            "outcome": self.outcome,
            "date": self.date,
            "promised_date": self.promised_date if is_promise else False,
            "promised_amount": self.promised_amount if is_promise else 0.0,
            "reason_id": self.reason_id.id,
            "note": self.note,
        }

    def action_confirm(self):
        self.ensure_one()
        # the contact checks its promise (date, grace end) as it is created
        self.env["insurance.renewal.activity"].create(self._activity_values())
        return {"type": "ir.actions.act_window_close"}

    def action_confirm_and_schedule(self):
        """Log the contact and give the case's specialist the next call."""
        self.ensure_one()
        if not self.next_call_date:
            raise UserError(self.env._("Choose the day of the next call."))
        result = self.action_confirm()
        record = self.lead_id or self.policy_id
        user = self.lead_id.user_id or self.policy_id.specialist_id or self.env.user
        record.activity_schedule(
            "mail.mail_activity_data_call",
            date_deadline=self.next_call_date,
            user_id=user.id,
            summary=self.with_context(lang=user.lang).env._("Call the customer again"),
        )
        return result
