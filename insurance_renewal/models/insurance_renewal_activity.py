from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import format_date

from ..lib import schedule

RENEWAL_MANAGER = "insurance_renewal.group_insurance_renewal_manager"

CHANNELS = [
    ("phone", "Phone Call"),
    ("sms", "SMS"),
    ("email", "Email"),
    ("wechat", "WeChat"),
    ("visit", "Visit"),
    ("letter", "Letter"),
    ("bank", "Bank"),
    ("portal", "Customer Portal"),
]
OUTCOMES = [
    ("reached", "Reached"),
    ("no_answer", "No Answer"),
    ("wrong_number", "Wrong Number"),
    ("promised", "Promised to Pay"),
    ("refused", "Refused to Pay"),
    ("paid", "Already Paid"),
    ("callback", "Call Back Later"),
    ("sent", "Sent"),
    ("undeliverable", "Could Not Be Delivered"),
    ("question", "Has a Question"),
    ("hardship", "Payment Difficulties"),
]


# what a person may still change on a contact logged by hand
CORRECTABLE_FIELDS = frozenset({"note", "reason_id"})


class InsuranceRenewalActivity(models.Model):
    """One contact attempt about a renewal premium, whoever or whatever made it:
    a call by a specialist, a visit by an agent, an automatic SMS reminder."""

    _name = "insurance.renewal.activity"
    _description = "Renewal Contact"
    _order = "date desc, id desc"
    # A case's facts are read from the contacts naming it: a contact goes on a
    # case of its policy's company only.
    _check_company_auto = True

    policy_id = fields.Many2one(
        "insurance.policy",
        required=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    lead_id = fields.Many2one(
        "crm.lead",
        string="Renewal Case",
        index=True,
        ondelete="set null",
        check_company=True,
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Customer",
        compute="_compute_partner_id",
        store=True,
        readonly=False,
        index=True,
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    kind = fields.Selection(
        [
            ("contact", "Contact Attempt"),
            ("reminder", "Automatic Reminder"),
            ("demand", "Formal Demand"),
            ("debit", "Bank Debit Attempt"),
            ("care", "Customer Care"),
        ],
        required=True,
        default="contact",
    )
    channel = fields.Selection(CHANNELS, required=True, default="phone")
    outcome = fields.Selection(OUTCOMES, index=True)
    promised_date = fields.Date(index="btree_not_null")
    promised_amount = fields.Monetary()
    reason_id = fields.Many2one(
        "crm.lost.reason",
        string="Reason for Not Paying",
        help="What the customer gave as the reason for not paying yet.",
    )
    note = fields.Text()
    reminder_step_ids = fields.Many2many(
        "insurance.reminder.step",
        string="Reminder Steps",
        readonly=True,
        help="The steps of the reminder plan this automatic reminder carried out.",
    )
    mailing_id = fields.Many2one(
        "mailing.mailing",
        string="Care Mailing",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        help="The policy review or greeting mailing this contact was.",
    )
    # Where a request from the portal or a pay link came from: its day's share
    # is counted per client address and per link too, not only per policy.
    portal_address = fields.Char(
        string="Client Address", readonly=True, groups="base.group_system"
    )
    portal_link = fields.Char(
        string="Pay Link",
        readonly=True,
        groups="base.group_system",
        help="The instalments of the pay link the request was posted from.",
    )
    user_id = fields.Many2one(
        "res.users", string="Contacted By", default=lambda self: self.env.user
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)

    @api.depends("policy_id")
    def _compute_partner_id(self):
        for activity in self:
            activity.partner_id = activity.partner_id or activity.policy_id.partner_id

    @api.depends("date", "channel", "outcome")
    @api.depends_context("tz", "lang")
    def _compute_display_name(self):
        """The day of the contact in the reader's time zone and language."""
        channels = dict(self._fields["channel"]._description_selection(self.env))
        outcomes = dict(self._fields["outcome"]._description_selection(self.env))
        for activity in self:
            local = activity.date and fields.Datetime.context_timestamp(
                activity, activity.date
            )
            parts = [
                local and format_date(self.env, local.date()),
                channels.get(activity.channel),
                outcomes.get(activity.outcome),
            ]
            activity.display_name = " · ".join(part for part in parts if part)

    @api.constrains("lead_id", "policy_id")
    def _check_lead_of_policy(self):
        """A contact goes on its own policy's case: on another policy's case it
        would give that customer's case a promise, an outcome and a last contact
        that were never theirs."""
        for activity in self.filtered("lead_id"):
            if activity.lead_id.insurance_policy_id != activity.policy_id:
                raise ValidationError(
                    self.env._(
                        "The contact about policy %(policy)s cannot go on the "
                        "renewal case %(case)s, which is about another policy.",
                        policy=activity.policy_id.name,
                        case=activity.lead_id.name,
                    )
                )

    @api.constrains("partner_id", "policy_id")
    def _check_partner_of_policy(self):
        """A contact is with someone of the policy (its holder, payer or insured
        person, or a contact of theirs): logged on another customer, a "wrong
        number" would mark that customer unreachable and a promise would be
        theirs."""
        for activity in self.filtered("partner_id"):
            policy = activity.policy_id
            people = (policy.partner_id | policy.payer_id | policy.insured_id).sudo()
            if (
                activity.partner_id.sudo().commercial_partner_id
                not in people.commercial_partner_id
            ):
                raise ValidationError(
                    self.env._(
                        "The contact about policy %(policy)s cannot be with "
                        "%(partner)s, who is neither its policyholder, its payer "
                        "nor its insured person.",
                        policy=policy.name,
                        partner=activity.partner_id.sudo().display_name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        activities = super().create(vals_list)
        # the addon links each contact to its policy's case (the caller's create
        # passed its rights; a later change of a contact is closed to callers)
        for activity in activities.filtered(lambda a: not a.lead_id).sudo():
            activity.lead_id = activity.policy_id.renewal_lead_id
        if not self.env.su:
            # logged by a person, through the Log Contact form or over RPC alike
            activities._check_contact_date()
            activities.filtered(lambda a: a.outcome == "promised")._check_promise()
        self.env["insurance.fact.flow"]._touch_cases(activities.lead_id)
        self.env["insurance.reminder.log"]._on_contacts_logged(activities)
        activities._schedule_promise_checks()
        activities.partner_id._schedule_contact_repair()
        return activities

    def write(self, vals):
        self._check_kept_as_it_happened(vals)
        return super().write(vals)

    def _check_kept_as_it_happened(self, vals):
        """The history is kept as it happened: a person may add to the note of a
        contact logged by hand, and give the reason for not paying; an outcome,
        a promise, a day or a channel is corrected by logging a new contact (a
        promise changed afterwards would skip its checks and stop the chase), and
        the addon's own entries (reminders, demands, debits, care) are not
        changed by hand at all."""
        if self.env.su:
            return
        if self.filtered(lambda activity: activity.kind != "contact"):
            raise UserError(
                self.env._(
                    "Automatic reminders, formal demands, bank debit attempts and "
                    "care contacts are recorded as they happened and cannot be "
                    "changed."
                )
            )
        if vals.keys() - CORRECTABLE_FIELDS:
            raise UserError(
                self.env._(
                    "A logged contact is kept as it happened: to correct its "
                    "outcome, promise, day or channel, log a new contact."
                )
            )

    def _check_contact_date(self):
        """A contact logged by a person happened between the policy's issue and
        now: one dated years back or ahead would count in the KPIs of a period
        nobody worked."""
        now = fields.Datetime.now()
        for activity in self:
            issued = activity.policy_id.issue_date
            if activity.date > now or (issued and activity.date.date() < issued):
                raise UserError(
                    self.env._(
                        "A contact about policy %(policy)s cannot be dated "
                        "%(date)s: it happened between the policy's issue on "
                        "%(issued)s and now.",
                        policy=activity.policy_id.name,
                        date=format_date(self.env, activity.date.date()),
                        issued=format_date(self.env, issued),
                    )
                )

    def _check_promise(self):
        """A promise is dated today or later, within the grace period, unless a
        renewal manager logs it: a later one would let the policy lapse."""
        today = fields.Date.context_today(self)
        is_manager = self.env.user.has_group(RENEWAL_MANAGER)
        for activity in self:
            promised = activity.promised_date
            if not promised:
                raise UserError(
                    self.env._(
                        "A promise to pay needs the date the customer promised to "
                        "pay by."
                    )
                )
            if activity.currency_id.compare_amounts(activity.promised_amount, 0) < 0:
                raise UserError(
                    self.env._(
                        "The promised amount %(amount)s is negative: enter what the "
                        "customer promised to pay, or leave it at zero.",
                        amount=activity.currency_id.format(activity.promised_amount),
                    )
                )
            owed = activity._promise_bound()
            currency = activity.currency_id
            if currency.compare_amounts(activity.promised_amount, owed) > 0:
                raise UserError(
                    self.env._(
                        "The promised amount %(amount)s is more than policy "
                        "%(policy)s owes: %(owed)s. Enter what the customer "
                        "promised to pay of it.",
                        amount=currency.format(activity.promised_amount),
                        policy=activity.policy_id.name,
                        owed=currency.format(owed),
                    )
                )
            if promised < today:
                raise UserError(
                    self.env._(
                        "The promised date %(date)s is already past: a customer can "
                        "only promise to pay today or later.",
                        date=format_date(self.env, promised),
                    )
                )
            grace_end = activity._grace_end_date()
            if grace_end and promised > grace_end and not is_manager:
                raise UserError(
                    self.env._(
                        "The grace period ends on %(grace_end)s: a promise after "
                        "that date would let the policy lapse. Ask a renewal "
                        "manager to log it if it was agreed.",
                        grace_end=format_date(self.env, grace_end),
                    )
                )

    def _promise_bound(self):
        """The most a customer can promise to pay on this contact's policy: what
        it owes today (its premiums due, in grace or lapsed, and the interest of
        an open reinstatement), else its next premium. As superuser: whoever may
        log the contact knows what the policy owes, without reading each
        reinstatement request."""
        self.ensure_one()
        policy = self.policy_id.sudo()
        today = fields.Date.context_today(self)
        unpaid = policy.premium_line_ids.filtered(
            lambda line: line.state not in schedule.SETTLED_STATES
        ).sorted("due_date")
        owed = unpaid.filtered(lambda line: line.due_date <= today)
        if not owed:
            return unpaid[:1].amount_residual or policy.premium_amount
        reinstatements = policy.servicing_request_ids.filtered(
            lambda request: (
                request.request_type == "reinstatement"
                and request.state in ("draft", "approved")
            )
        )
        return sum(owed.mapped("amount_residual")) + max(
            reinstatements.mapped("interest_amount"), default=0.0
        )

    def _grace_end_date(self):
        """The last day of cover of the earliest unpaid premium: its grace end,
        or the 30th day after a formal demand delivered earlier."""
        lines = (
            self.lead_id.insurance_premium_line_ids or self.policy_id.premium_line_ids
        )
        unpaid = lines.filtered(lambda line: line.state not in schedule.SETTLED_STATES)
        suspension = min(unpaid.mapped("lapse_date"), default=False)
        return suspension and suspension - timedelta(days=1)

    def _schedule_promise_checks(self):
        """Remind the case's specialist to check a promised payment on its date."""
        for activity in self.filtered(
            lambda a: a.outcome == "promised" and a.promised_date and a.lead_id
        ):
            reader = activity.lead_id._renewal_in_reader_lang()
            activity.lead_id.activity_schedule(
                "mail.mail_activity_data_todo",
                date_deadline=activity.promised_date,
                user_id=activity.lead_id.user_id.id or self.env.uid,
                summary=reader.env._("Check the promised premium payment"),
            )
