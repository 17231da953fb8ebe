from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import AccessError

COMPLIANCE_GROUP = "insurance_renewal.group_insurance_compliance"


class InsuranceRedFlag(models.Model):
    """A hit of a red flag rule on a policy, with its evidence, shown on the
    policy and its case until compliance clears it."""

    _name = "insurance.red.flag"
    _description = "Red Flag"
    _order = "create_date desc, id desc"
    _rec_name = "rule_id"

    rule_id = fields.Many2one(
        "insurance.red.flag.rule", required=True, readonly=True, ondelete="restrict"
    )
    policy_id = fields.Many2one(
        "insurance.policy", required=True, readonly=True, index=True, ondelete="cascade"
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    key = fields.Char(
        required=True,
        readonly=True,
        help="What the hit is about: the same evidence is never flagged twice.",
    )
    evidence = fields.Text(readonly=True)
    state = fields.Selection(
        [("open", "To Review"), ("cleared", "Cleared")],
        required=True,
        default="open",
        readonly=True,
        index=True,
    )
    activity_id = fields.Many2one(
        "mail.activity", string="Compliance Activity", readonly=True
    )
    cleared_by_id = fields.Many2one("res.users", readonly=True)
    cleared_date = fields.Datetime(string="Cleared On", readonly=True)
    clear_note = fields.Text(string="Compliance Note", readonly=True)

    _key_unique = models.Constraint(
        "UNIQUE(rule_id, policy_id, key)",
        "This red flag was already raised for this policy.",
    )

    @api.model
    def _raise_flags(self, hits):
        """Create the flags of ``hits`` not raised before, and hand them to the
        Compliance team; return the new flags."""
        if not hits:
            return self.browse()
        known = {
            (flag.rule_id.id, flag.policy_id.id, flag.key)
            for flag in self.sudo().search(
                [("policy_id", "in", list({hit["policy_id"] for hit in hits}))]
            )
        }
        new = [
            hit
            for hit in hits
            if (hit["rule_id"], hit["policy_id"], hit["key"]) not in known
        ]
        flags = self.sudo().create(new)
        flags._hand_to_compliance()
        return flags

    def _hand_to_compliance(self):
        notes = {
            policy.id: Markup("<br/>").join(
                flags.mapped(lambda flag: f"{flag.rule_id.name}: {flag.evidence}")
            )
            for policy, flags in self.grouped("policy_id").items()
        }
        rules = self.env["insurance.assignment.rule"]
        rules._fire("red_flag", self.policy_id, note=notes)
        activities = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "insurance.policy"),
                    ("res_id", "in", self.policy_id.ids),
                    ("insurance_event_code", "=", "red_flag"),
                ]
            )
        )
        for flag in self:
            flag.activity_id = activities.filtered(
                lambda activity, flag=flag: activity.res_id == flag.policy_id.id
            )[:1]
        for policy in self.policy_id:
            policy.message_post(body=notes[policy.id], subtype_xmlid="mail.mt_note")

    def action_clear(self):
        """Compliance reviewed the flags and found nothing wrong."""
        if not self.env.user.has_group(COMPLIANCE_GROUP):
            raise AccessError(self.env._("Only compliance officers clear red flags."))
        self.check_access("read")
        self._clear()
        return True

    def _clear(self, note=False):
        flags = self.filtered(lambda flag: flag.state == "open")
        # The caller is compliance and reads these flags (checked by the caller):
        # flags are written by the addon only, hence superuser.
        flags.sudo().write(
            {
                "state": "cleared",
                "cleared_by_id": self.env.uid,
                "cleared_date": fields.Datetime.now(),
                "clear_note": note,
            }
        )
        for policy, cleared in flags.grouped("policy_id").items():
            policy.sudo().message_post(
                body=self.env._(
                    "%(who)s cleared the red flags: %(flags)s",
                    who=self.env.user.name,
                    flags=", ".join(cleared.rule_id.mapped("name")),
                ),
                author_id=self.env.user.partner_id.id,
                subtype_xmlid="mail.mt_note",
            )
        flags._close_reviewed_activities()

    def _close_reviewed_activities(self):
        """Once no open flag is left on a compliance activity, it is done."""
        activities = self.activity_id.filtered("active")
        still_open = (
            self.sudo()
            .search([("activity_id", "in", activities.ids), ("state", "=", "open")])
            .activity_id
        )
        (activities - still_open).sudo().action_archive()
