from odoo import api, fields, models
from odoo.exceptions import UserError

from ..models.insurance_renewal_activity import CHANNELS, OUTCOMES


class InsuranceRenewalLogContact(models.TransientModel):
    _name = "insurance.renewal.log.contact"
    _description = "Log a Renewal Contact"

    policy_id = fields.Many2one("insurance.policy", required=True)
    lead_id = fields.Many2one("crm.lead", string="Renewal Case")
    currency_id = fields.Many2one(related="policy_id.currency_id")
    channel = fields.Selection(CHANNELS, required=True, default="phone")
    outcome = fields.Selection(OUTCOMES, required=True, default="reached")
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

    @api.onchange("outcome")
    def _onchange_outcome(self):
        if self.outcome == "promised" and not self.promised_amount:
            self.promised_amount = self.lead_id.renewal_amount_due

    def action_confirm(self):
        self.ensure_one()
        if self.outcome == "promised" and not self.promised_date:
            raise UserError(
                self.env._(
                    "A promise to pay needs the date the customer promised to pay by."
                )
            )
        self.env["insurance.renewal.activity"].create(
            {
                "policy_id": self.policy_id.id,
                "lead_id": self.lead_id.id,
                "channel": self.channel,
                "outcome": self.outcome,
                "promised_date": self.promised_date,
                "promised_amount": self.promised_amount,
                "reason_id": self.reason_id.id,
                "note": self.note,
            }
        )
        return {"type": "ir.actions.act_window_close"}
