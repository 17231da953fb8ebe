from odoo import fields, models
from odoo.exceptions import UserError
from odoo.tools import format_date

from ..lib import schedule

RENEWAL_MANAGER = "insurance_renewal.group_insurance_renewal_manager"


class InsuranceLetterDemand(models.TransientModel):
    """A formal demand (催告) sent by post: recorded with its tracking number and the
    day it was delivered, from which the 30 days before suspension run."""

    _name = "insurance.letter.demand"
    _description = "Record a Formal Demand Sent by Post"

    premium_line_id = fields.Many2one(
        "insurance.premium.line", string="Instalment", required=True, readonly=True
    )
    tracking_ref = fields.Char(string="Letter Tracking Number", required=True)
    delivered_on = fields.Date(required=True)

    def action_confirm(self):
        self.ensure_one()
        line = self.premium_line_id
        line.check_access("read")
        line._check_demandable(self.delivered_on)
        self._check_not_retroactive()
        # Only renewal specialists reach this wizard (its access rights) and the
        # caller may read the instalment: the demand is the addon's record.
        engine = self.env["insurance.reminder.engine"].sudo()
        payer = line.policy_id.payer_id
        demand = engine._claim(
            payer, [(line, self.env["insurance.reminder.step"])], "demand"
        )
        if not demand:
            raise UserError(
                self.env._(
                    "A formal demand was already issued for %(line)s: an instalment "
                    "gets one demand per due date.",
                    line=line.display_name,
                )
            )
        demand.write(
            {
                "state": "sent",
                "delivery_state": "delivered",
                "delivered_on": self.delivered_on,
                "tracking_ref": self.tracking_ref,
            }
        )
        self.env["insurance.renewal.activity"].create(
            {
                "policy_id": line.policy_id.id,
                "partner_id": payer.id,
                "kind": "demand",
                "channel": "letter",
                "outcome": "sent",
                "note": self.tracking_ref,
            }
        )
        return {"type": "ir.actions.act_window_close"}

    def _check_not_retroactive(self):
        """A letter recorded once its 30 days are over would suspend the policy
        from a day already past: the policy everyone saw in grace would have had
        no cover since (a claim in between refused). Only a renewal manager,
        who checks the post's proof of delivery, records such a letter."""
        line = self.premium_line_id
        suspension = schedule.suspension_date(line.grace_end_date, self.delivered_on)
        today = self.env["insurance.reminder.engine"]._company_today()
        if (
            suspension <= today
            and suspension < line.lapse_date
            and not self.env.user.has_group(RENEWAL_MANAGER)
        ):
            raise UserError(
                self.env._(
                    "A demand delivered on %(delivered)s would have suspended "
                    "policy %(policy)s on %(suspension)s, a day already past: ask "
                    "a renewal manager to record it, with the post's proof of "
                    "delivery.",
                    delivered=format_date(self.env, self.delivered_on),
                    policy=line.policy_id.name,
                    suspension=format_date(self.env, suspension),
                )
            )
