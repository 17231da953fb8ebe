from odoo import api, fields, models

from ..lib import schedule

# Claims that end the policy, and why, for persistency (DOMAIN.md).
ENDING_CLAIMS = {"death": "death", "full_benefit": "claim"}
SETTLED_CLAIM_STATES = ("approved", "paid")


class InsuranceClaim(models.Model):
    """A claim as the policy administration system reported it. The renewal rules
    follow it once it is approved or paid: a waiver of premium waives the
    instalments it covers, a death or full-benefit claim ends the policy, and a
    claim inside a grace period notes the unpaid premium to deduct."""

    _name = "insurance.claim"
    _description = "Insurance Claim"
    _order = "claim_date desc, id desc"
    _check_company_auto = True

    name = fields.Char(string="Claim Number", required=True, readonly=True)
    policy_id = fields.Many2one(
        "insurance.policy",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    claim_date = fields.Date(required=True, readonly=True)
    claim_type = fields.Selection(
        [
            ("death", "Death"),
            ("full_benefit", "Full Benefit (total disability, maturity)"),
            ("critical_illness", "Critical Illness"),
            ("medical", "Medical"),
            ("other", "Other"),
        ],
        required=True,
        readonly=True,
    )
    amount = fields.Monetary(readonly=True)
    state = fields.Selection(
        [
            ("reported", "Reported"),
            ("approved", "Approved"),
            ("paid", "Paid"),
            ("rejected", "Rejected"),
        ],
        string="Status",
        required=True,
        readonly=True,
    )
    waiver_of_premium = fields.Boolean(
        readonly=True, help="The claim waives the premiums due from its date on."
    )
    in_grace = fields.Boolean(
        string="In Grace Period",
        readonly=True,
        help="The claim happened while a premium was unpaid in its grace period: "
        "the benefit is paid less that premium.",
    )
    premium_to_deduct = fields.Monetary(
        readonly=True, help="Unpaid premium to deduct from the benefit."
    )
    rules_applied = fields.Boolean(
        readonly=True, help="The renewal rules of this claim have been applied."
    )

    _name_company_unique = models.Constraint(
        "UNIQUE(name, company_id)", "A claim number must be unique per company."
    )

    @api.model_create_multi
    def create(self, vals_list):
        claims = super().create(vals_list)
        claims.filtered(lambda claim: claim._holds_reminders())._log_reminder_hold(
            held=True
        )
        return claims

    def write(self, vals):
        before = self.filtered(lambda claim: claim._holds_reminders())
        result = super().write(vals)
        after = self.filtered(lambda claim: claim._holds_reminders())
        (after - before)._log_reminder_hold(held=True)
        # approved, the claim ends the policy: _apply_rules says so
        (before - after).filtered(
            lambda claim: claim.state == "rejected"
        )._log_reminder_hold(held=False)
        return result

    def _holds_reminders(self):
        """A death reported but not yet decided: reminding the family of the
        premium would be wrong, and the claim may end the policy."""
        self.ensure_one()
        return self.claim_type == "death" and self.state == "reported"

    def _log_reminder_hold(self, held):
        """Say on the policy why its reminders stop, or that they resume, in the
        language of the policy's company (a large file is imported by the
        scheduled action, whose language is not the specialist's)."""
        for claim in self:
            lang = claim.company_id.partner_id.lang or self.env.lang
            env = claim.with_context(lang=lang).env
            if held:
                body = env._(
                    "Death claim %(claim)s of %(date)s is reported: automatic "
                    "reminders for this policy are held until it is decided.",
                    claim=claim.name,
                    date=claim.claim_date,
                )
            else:
                body = env._(
                    "Death claim %(claim)s is rejected: automatic reminders for "
                    "this policy resume.",
                    claim=claim.name,
                )
            claim.policy_id.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _apply_rules(self):
        """Apply the renewal rules of the claims now approved or paid, once."""
        for claim in self.filtered(
            lambda c: c.state in SETTLED_CLAIM_STATES and not c.rules_applied
        ):
            claim._note_grace_deduction()
            if claim.claim_type in ENDING_CLAIMS:
                claim._end_policy()
            elif claim.waiver_of_premium:
                claim._waive_premiums()
            claim.rules_applied = True

    def _unpaid_lines(self):
        return self.policy_id.premium_line_ids.filtered(
            lambda line: line.state not in schedule.SETTLED_STATES
        )

    def _note_grace_deduction(self):
        """DOMAIN.md: a claim in the grace period is covered, the unpaid premium
        is deducted from the benefit. The grace ends on the suspension day, which
        a formal demand may bring before the grace end date (art. 36)."""
        in_grace = self._unpaid_lines().filtered(
            lambda line: line.due_date < self.claim_date < line.lapse_date
        )
        if not in_grace:
            return
        self.write(
            {
                "in_grace": True,
                "premium_to_deduct": sum(in_grace.mapped("amount_residual")),
            }
        )
        self.policy_id.message_post(
            body=self.env._(
                "Claim %(claim)s of %(date)s happened in the grace period of "
                "%(lines)s: deduct the unpaid premium %(amount)s from the benefit.",
                claim=self.name,
                date=self.claim_date,
                lines=", ".join(in_grace.mapped("display_name")),
                amount=self.currency_id.format(self.premium_to_deduct),
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _waive_premiums(self):
        """Waive the premiums due from the claim's date on: no reminder, no
        invoice; the policy is paid up and its case closed with that reason."""
        covered = self._unpaid_lines().filtered(
            lambda line: line.due_date >= self.claim_date
        )
        self._close_cases(covered, "insurance_renewal.lost_reason_claim_waiver")
        covered.write({"state": schedule.WAIVED})
        policy = self.policy_id
        if policy.state in ("in_force", "grace") and not self._unpaid_lines():
            policy.write({"state": "paid_up"})
        policy.message_post(
            body=self.env._(
                "Premiums waived from %(date)s by claim %(claim)s: %(count)s "
                "instalments.",
                date=self.claim_date,
                claim=self.name,
                count=len(covered),
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _end_policy(self):
        """A death or full-benefit claim ends the policy on the claim's date: the
        premiums due after it are not owed, its open case is closed."""
        after = self._unpaid_lines().filtered(
            lambda line: line.due_date > self.claim_date
        )
        self._close_cases(self._unpaid_lines(), "insurance_renewal.lost_reason_ended")
        after.write({"state": schedule.WAIVED})
        self.policy_id.write(
            {
                "state": "terminated",
                "end_reason": ENDING_CLAIMS[self.claim_type],
                "end_date": self.claim_date,
            }
        )

    def _close_cases(self, lines, reason_xmlid):
        """Close the open cases whose unpaid instalments are all in ``lines``."""
        cases = self.policy_id.renewal_lead_ids.filtered(
            lambda lead: (
                lead.active
                and lead.won_status == "pending"
                and not (lead._renewal_unpaid_lines() - lines)
            )
        )
        if cases:
            cases.action_set_lost(lost_reason_id=self.env.ref(reason_xmlid).id)
