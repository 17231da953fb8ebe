import logging
from collections import defaultdict
from datetime import date

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain

from ..lib import schedule

_logger = logging.getLogger(__name__)

# Policies whose premiums the daily clock moves: the others wait for a person.
CLOCK_STATES = ("in_force", "grace")
HORIZON_PARAM = "insurance_renewal.schedule_horizon_months"
DEFAULT_HORIZON_MONTHS = 12
CRON_BATCH_SIZE = 1000
# Facts the addon's own actions keep (activation, the clock, payments, servicing):
# nobody writes them directly, from a form or an RPC call.
FACT_FIELDS = frozenset({"state", "suspension_date", "reinstatement_deadline"})
# What the premium schedule is computed from: fixed once a policy is active.
SCHEDULE_BASIS_FIELDS = frozenset(
    {
        "name",
        "company_id",
        "currency_id",
        "product_id",
        "issue_date",
        "payment_frequency",
        "premium_amount",
        "premium_years",
        "paid_to_date",
    }
)
# Who reads the claims and policy changes the administration system reports
# (health and family facts: not the sales reps).
REPORTED_DATA_GROUPS = (
    "insurance_renewal.group_insurance_renewal_user,account.group_account_invoice,"
    "insurance_renewal.group_insurance_underwriter,"
    "insurance_renewal.group_insurance_customer_service,"
    "insurance_renewal.group_insurance_compliance"
)
# Sanity bounds on what a policy may be registered with.
EARLIEST_ISSUE_DATE = date(1980, 1, 1)
MAX_PREMIUM_YEARS = 100
MAX_PREMIUM_AMOUNT = 100_000_000


class InsurancePolicy(models.Model):
    _name = "insurance.policy"
    _description = "Insurance Policy"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name"
    _check_company_auto = True

    name = fields.Char(
        string="Policy Number", required=True, copy=False, tracking=True, index=True
    )
    partner_id = fields.Many2one(
        "res.partner",
        string="Policyholder",
        required=True,
        tracking=True,
        index=True,
        check_company=True,
    )
    insured_id = fields.Many2one(
        "res.partner", string="Insured Person", tracking=True, check_company=True
    )
    payer_id = fields.Many2one(
        "res.partner",
        compute="_compute_payer_id",
        store=True,
        readonly=False,
        tracking=True,
        check_company=True,
        help="Who pays the premiums; the policyholder unless another payer is set.",
    )
    product_id = fields.Many2one(
        "insurance.product", required=True, tracking=True, check_company=True
    )
    user_id = fields.Many2one(
        "res.users",
        string="Sales Rep",
        tracking=True,
        index=True,
        help="The agent or sales representative who sold the policy.",
    )
    specialist_id = fields.Many2one(
        "res.users",
        string="Renewal Specialist",
        tracking=True,
        index=True,
        default=lambda self: self.env.user,
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(
        default=True,
        tracking=True,
        help="A policy with a history (instalments, invoices, contacts) is archived, "
        "never deleted.",
    )
    currency_id = fields.Many2one(
        "res.currency",
        required=True,
        default=lambda self: self.env.company.currency_id,
    )
    issue_date = fields.Date(tracking=True)
    payment_frequency = fields.Selection(
        [
            ("annual", "Annual"),
            ("semiannual", "Semi-annual"),
            ("quarterly", "Quarterly"),
            ("monthly", "Monthly"),
            ("single", "Single Premium"),
        ],
        required=True,
        default="annual",
        tracking=True,
    )
    premium_amount = fields.Monetary(
        string="Premium per Instalment", required=True, tracking=True
    )
    premium_years = fields.Integer(
        string="Premium Term (years)", required=True, default=1, tracking=True
    )
    annualized_premium = fields.Monetary(
        compute="_compute_annualized_premium", store=True
    )
    payment_method = fields.Selection(
        [
            ("bank_debit", "Bank Auto-debit"),
            ("online", "Online Payment"),
            ("counter", "Counter"),
            ("other", "Other"),
        ],
        required=True,
        default="bank_debit",
        tracking=True,
    )
    paid_to_date = fields.Date(
        compute="_compute_paid_to_date",
        store=True,
        readonly=False,
        tracking=True,
        help="Premiums are paid up to this date: the due date of the first unpaid "
        "instalment. Set it when you register a policy already paid beyond its first "
        "premium.",
    )
    premium_line_ids = fields.One2many(
        "insurance.premium.line", "policy_id", string="Premium Schedule"
    )
    renewal_activity_ids = fields.One2many(
        "insurance.renewal.activity", "policy_id", string="Contacts"
    )
    renewal_lead_ids = fields.One2many(
        "crm.lead", "insurance_policy_id", string="Renewal Cases"
    )
    renewal_lead_id = fields.Many2one(
        "crm.lead", string="Open Renewal Case", compute="_compute_renewal_lead_id"
    )
    next_due_date = fields.Date(
        compute="_compute_schedule_summary", store=True, index="btree_not_null"
    )
    amount_overdue = fields.Monetary(compute="_compute_schedule_summary", store=True)
    schedule_next_date = fields.Date(
        compute="_compute_schedule_next_date",
        store=True,
        index=True,
        help="Due date of the next instalment not yet in the schedule; empty once the "
        "premium term is fully scheduled.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("in_force", "In Force"),
            ("grace", "In Grace Period"),
            ("lapsed", "Suspended"),
            ("paid_up", "Paid-up"),
            ("surrendered", "Surrendered"),
            ("terminated", "Terminated"),
        ],
        required=True,
        default="draft",
        copy=False,
        tracking=True,
        index=True,
    )
    reminder_hold_until = fields.Date(
        string="Hold Reminders Until",
        tracking=True,
        copy=False,
        help="No automatic reminder is sent for this policy up to this day included.",
    )
    reminder_hold_reason = fields.Char(tracking=True, copy=False)
    reminder_line_ids = fields.Many2many(
        "insurance.premium.line",
        string="Instalments to Remind",
        compute="_compute_reminder_line_ids",
        help="What a reminder about this policy lists: the instalments the reminder "
        "engine passes (several policies of one payer), or the first unpaid one.",
    )
    reminder_log_ids = fields.One2many(
        "insurance.reminder.log", "policy_id", string="Reminders"
    )
    suspension_date = fields.Date(copy=False, tracking=True, readonly=True)
    reinstatement_deadline = fields.Date(
        copy=False, tracking=True, readonly=True, index="btree_not_null"
    )
    end_reason = fields.Selection(
        [
            ("free_look", "Cancelled in the Free-look Period"),
            ("death", "Death of the Insured"),
            ("claim", "Ended by a Claim"),
            ("surrender", "Surrendered"),
            ("other", "Other"),
        ],
        copy=False,
        tracking=True,
        help="Why the policy ended before its term. Persistency leaves out policies "
        "cancelled in the free-look period, and those ended by death or a claim "
        "before the measured premium fell due.",
    )
    end_date = fields.Date(copy=False, tracking=True, help="Day the policy ended.")
    # Values as the policy administration system last reported them: the addon
    # does not compute cash values, it keeps the latest figure and its date.
    apl_opt_in = fields.Boolean(
        string="Automatic Premium Loan",
        tracking=True,
        help="The holder agreed that an unpaid premium is paid by a loan on the "
        "policy's cash value at the end of the grace period.",
    )
    cash_value = fields.Monetary(tracking=True, help="Cash value as last reported.")
    loan_balance = fields.Monetary(
        tracking=True, help="Outstanding policy loan as last reported."
    )
    cash_value_date = fields.Date(
        string="Values Reported On",
        tracking=True,
        help="Day the cash value and loan balance were reported.",
    )

    claim_ids = fields.One2many(
        "insurance.claim", "policy_id", string="Claims", groups=REPORTED_DATA_GROUPS
    )
    event_ids = fields.One2many(
        "insurance.policy.event",
        "policy_id",
        string="Policy Changes",
        groups=REPORTED_DATA_GROUPS,
    )

    _name_company_unique = models.Constraint(
        "UNIQUE(name, company_id)",
        "A policy number must be unique per company.",
    )

    payer_bank_masked = fields.Char(
        string="Debit Card",
        compute="_compute_payer_bank_masked",
        groups="insurance_renewal.group_insurance_renewal_user,"
        "account.group_account_invoice",
        help="The payer's bank card numbers, masked.",
    )

    @api.depends("payer_id.bank_ids.acc_number_masked")
    def _compute_payer_bank_masked(self):
        for policy in self:
            policy.payer_bank_masked = ", ".join(
                policy.payer_id.sudo().bank_ids.mapped("acc_number_masked")
            )

    @api.depends("partner_id")
    def _compute_payer_id(self):
        for policy in self:
            policy.payer_id = policy.payer_id or policy.partner_id

    @api.depends("renewal_lead_ids.active", "renewal_lead_ids.won_status")
    def _compute_renewal_lead_id(self):
        for policy in self:
            policy.renewal_lead_id = policy.renewal_lead_ids.filtered(
                lambda lead: lead.active and lead.won_status == "pending"
            )[:1]

    @api.depends_context("reminder_line_ids")
    @api.depends("premium_line_ids.state")
    def _compute_reminder_line_ids(self):
        given = self.env["insurance.premium.line"].browse(
            self.env.context.get("reminder_line_ids") or []
        )
        for policy in self:
            policy.reminder_line_ids = (
                given
                or policy.premium_line_ids.filtered(
                    lambda line: line.state in schedule.OPEN_STATES + (schedule.LAPSED,)
                ).sorted("due_date")[:1]
            )

    @api.depends("premium_amount", "payment_frequency")
    def _compute_annualized_premium(self):
        for policy in self:
            per_year = schedule.instalments_per_year(policy.payment_frequency) or 1
            policy.annualized_premium = policy.premium_amount * per_year

    @api.depends("premium_line_ids.state", "premium_line_ids.due_date")
    def _compute_paid_to_date(self):
        for policy in self:
            lines = policy.premium_line_ids
            unpaid = lines.filtered(
                lambda line: line.state not in schedule.SETTLED_STATES
            )
            if unpaid:
                policy.paid_to_date = min(unpaid.mapped("due_date"))
            elif lines:
                last = max(lines.mapped("installment_number"))
                policy.paid_to_date = policy._instalment_due_date(last + 1)
            else:
                policy.paid_to_date = policy.paid_to_date

    @api.depends(
        "premium_line_ids.state",
        "premium_line_ids.due_date",
        "premium_line_ids.amount_residual",
    )
    def _compute_schedule_summary(self):
        for policy in self:
            unpaid = policy.premium_line_ids.filtered(
                lambda line: line.state in schedule.OPEN_STATES + (schedule.LAPSED,)
            )
            overdue = unpaid.filtered(
                lambda line: line.state in (schedule.GRACE, schedule.LAPSED)
            )
            policy.next_due_date = min(unpaid.mapped("due_date"), default=False)
            policy.amount_overdue = sum(overdue.mapped("amount_residual"))

    @api.depends(
        "premium_line_ids.installment_number",
        "issue_date",
        "payment_frequency",
        "premium_years",
    )
    def _compute_schedule_next_date(self):
        for policy in self:
            number = policy._next_unscheduled_number()
            policy.schedule_next_date = (
                policy._instalment_due_date(number) if number else False
            )

    @api.constrains("reminder_hold_until", "reminder_hold_reason")
    def _check_reminder_hold_reason(self):
        for policy in self.filtered(
            lambda p: p.reminder_hold_until and not p.reminder_hold_reason
        ):
            raise ValidationError(
                self.env._(
                    "Policy %(policy)s: say why its reminders are on hold.",
                    policy=policy.name,
                )
            )

    @api.constrains("premium_amount")
    def _check_premium_amount(self):
        for policy in self.filtered(lambda p: p.premium_amount <= 0):
            raise ValidationError(
                self.env._(
                    "Policy %(policy)s: the premium per instalment must be greater "
                    "than zero, not %(amount)s.",
                    policy=policy.name,
                    amount=policy.premium_amount,
                )
            )

    @api.constrains("premium_amount")
    def _check_premium_amount_bound(self):
        for policy in self.filtered(lambda p: p.premium_amount > MAX_PREMIUM_AMOUNT):
            raise ValidationError(
                self.env._(
                    "Policy %(policy)s: a premium of %(amount)s per instalment is "
                    "beyond %(limit)s: check the amount.",
                    policy=policy.name,
                    amount=policy.premium_amount,
                    limit=MAX_PREMIUM_AMOUNT,
                )
            )

    @api.constrains("payment_method", "payer_id")
    def _check_payer_debit_card(self):
        """A payer who starts paying by auto-debit needs valid bank cards."""
        debit = self.filtered(lambda p: p.payment_method == "bank_debit")
        debit.payer_id.sudo().bank_ids._check_premium_debit_card()

    @api.constrains("premium_years")
    def _check_premium_years(self):
        for policy in self.filtered(
            lambda p: not 1 <= p.premium_years <= MAX_PREMIUM_YEARS
        ):
            raise ValidationError(
                self.env._(
                    "Policy %(policy)s: the premium term must be between 1 and "
                    "%(max)s years, not %(years)s.",
                    policy=policy.name,
                    max=MAX_PREMIUM_YEARS,
                    years=policy.premium_years,
                )
            )

    @api.constrains("cash_value", "loan_balance")
    def _check_reported_values(self):
        for policy in self.filtered(lambda p: p.cash_value < 0 or p.loan_balance < 0):
            raise ValidationError(
                self.env._(
                    "Policy %(policy)s: the cash value and the loan balance cannot "
                    "be negative.",
                    policy=policy.name,
                )
            )

    @api.constrains("name")
    def _check_name(self):
        for _policy in self.filtered(lambda p: not (p.name or "").strip()):
            raise ValidationError(
                self.env._("A policy needs a policy number; it cannot be blank.")
            )

    @api.constrains("issue_date", "paid_to_date")
    def _check_dates(self):
        latest = fields.Date.context_today(self) + relativedelta(years=1)
        for policy in self.filtered("issue_date"):
            if not EARLIEST_ISSUE_DATE <= policy.issue_date <= latest:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: the issue date %(date)s is not plausible; "
                        "it must lie between %(earliest)s and %(latest)s.",
                        policy=policy.name,
                        date=policy.issue_date,
                        earliest=EARLIEST_ISSUE_DATE,
                        latest=latest,
                    )
                )
            if policy.paid_to_date and policy.paid_to_date < policy.issue_date:
                raise ValidationError(
                    self.env._(
                        "Policy %(policy)s: premiums cannot be paid to %(paid_to)s, "
                        "before the policy was issued on %(issued)s.",
                        policy=policy.name,
                        paid_to=policy.paid_to_date,
                        issued=policy.issue_date,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name"):
                vals["name"] = vals["name"].strip()
            self._check_direct_facts(
                {key for key, value in vals.items() if value and key in FACT_FIELDS}
                - ({"state"} if vals.get("state") == "draft" else set())
            )
        return super().create(vals_list)

    def write(self, vals):
        locked = FACT_FIELDS & vals.keys()
        if self.filtered(lambda policy: policy.state != "draft"):
            locked |= SCHEDULE_BASIS_FIELDS & vals.keys()
        self._check_direct_facts(locked)
        if {"end_reason", "end_date"} & vals.keys():
            self._check_can_set_end()
        result = super().write(vals)
        if {"state", "payment_method"} & vals.keys():
            # both are facts of the case's stage and lapse-risk score
            self.renewal_lead_ids._insurance_refresh_from_facts()
        return result

    def _check_direct_facts(self, field_names):
        """Refuse a direct change of what only the addon's actions may change.

        The actions themselves (activation, the clock, payments) check the caller's
        rights, then write these facts as superuser."""
        if not field_names or self.env.su:
            return
        labels = ", ".join(
            sorted(
                self._fields[name]._description_string(self.env) for name in field_names
            )
        )
        raise AccessError(
            self.env._(
                "%(fields)s of a policy change only through the renewal actions "
                "(activation, payments, the daily clock, servicing), never by hand. "
                "Ask a renewal manager to correct them with a note of why.",
                fields=labels,
            )
        )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_with_history(self):
        """Only a draft with nothing attached may be deleted; anything else is
        archived, so its accounting and contact history stays whole."""
        for policy in self:
            holders = policy._history_holders()
            if policy.state != "draft" or holders:
                raise UserError(
                    self.env._(
                        "Policy %(policy)s cannot be deleted: %(holders)s. Archive it "
                        "instead.",
                        policy=policy.name,
                        holders="; ".join(holders)
                        or self.env._("it is no longer a draft"),
                    )
                )

    def _history_holders(self):
        """Return what keeps this policy from being deleted, in words."""
        self.ensure_one()
        policy = self.sudo().with_context(active_test=False)
        counts = [
            (len(policy.premium_line_ids), self.env._("%(count)s instalments")),
            (
                len(
                    self.env["account.move"]
                    .sudo()
                    .search([("insurance_policy_id", "=", policy.id)])
                ),
                self.env._("%(count)s premium invoices"),
            ),
            (len(policy.renewal_activity_ids), self.env._("%(count)s contacts")),
            (len(policy.reminder_log_ids), self.env._("%(count)s reminders")),
            (len(policy.renewal_lead_ids), self.env._("%(count)s renewal cases")),
        ]
        return [label % {"count": count} for count, label in counts if count]

    def _check_can_set_end(self):
        if not self.env.su and not self.env.user.has_group(
            "insurance_renewal.group_insurance_renewal_manager"
        ):
            raise AccessError(
                self.env._(
                    "Only a renewal manager can record why and when a policy ended."
                )
            )

    def _creation_message(self):
        """Written once for every reader: in the company's language, not in the
        language of whoever (or whichever job) created the policy."""
        self.ensure_one()
        lang = self.company_id.partner_id.lang or self.env.lang
        return self.with_context(lang=lang).env._("Policy created")

    def action_activate(self):
        """Put draft policies in force and build their premium schedule."""
        self.check_access("write")
        for policy in self:
            policy._check_can_activate()
        # The caller may write these policies (checked above): the schedule and
        # the state are facts only the addon writes, hence superuser from here.
        policies = self.sudo()
        policies.write({"state": "in_force"})
        regular = policies.filtered(lambda p: p.payment_frequency != "single")
        (policies - regular).write({"state": "paid_up"})
        regular._extend_schedule(self._horizon_date())
        regular.premium_line_ids._advance_clock(self._clock_today())
        regular._sync_state_with_schedule()
        (policies.partner_id | policies.payer_id)._schedule_contact_repair()
        return True

    def action_open_renewal_overview(self):
        self.ensure_one()
        return self.partner_id.action_open_renewal_overview()

    def action_log_renewal_contact(self):
        """Open the quick entry of a contact with the customer about this policy."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Log a Contact"),
            "res_model": "insurance.renewal.log.contact",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_policy_id": self.id,
                "default_lead_id": self.env.context.get("default_lead_id")
                or self.renewal_lead_id.id,
            },
        }

    def action_view_renewal_cases(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.crm_lead_renewal_action"
        )
        action["domain"] = [("insurance_policy_id", "=", self.id)]
        action["context"] = {"active_test": False}
        return action

    def _schedule_contact_repair(self, reason):
        """Ask the specialist to repair the customer's phone or email, once: every
        reminder step that finds no way through must not add another to-do."""
        summary = self.env._("Repair the contact data: %(reason)s", reason=reason)
        for policy in self:
            record = policy.renewal_lead_id or policy
            if summary in record.activity_ids.mapped("summary"):
                continue
            record.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=summary,
                user_id=(policy.renewal_lead_id.user_id or policy.specialist_id).id
                or self.env.uid,
            )

    def _message_receive_bounce(self, email, partner):
        """A reminder or demand email bounced: the customer is unreachable by email,
        and a demand that never arrived does not shorten the grace period."""
        result = super()._message_receive_bounce(email, partner)
        for policy in self:
            self.env["insurance.renewal.activity"].create(
                {
                    "policy_id": policy.id,
                    "partner_id": (partner or policy.payer_id).id,
                    "kind": "reminder",
                    "channel": "email",
                    "outcome": "undeliverable",
                    "note": self.env._("Email to %(email)s bounced.", email=email),
                }
            )
            demands = policy.reminder_log_ids.filtered(
                lambda log: log.channel == "demand" and log.state in ("queued", "sent")
            )
            demands.write({"state": "bounced"})
            demands._on_bounced()
            policy._schedule_contact_repair(self.env._("email bounced"))
        return result

    def action_view_premium_lines(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_premium_line_action"
        )
        action["domain"] = [("policy_id", "=", self.id)]
        action["context"] = {"default_policy_id": self.id}
        return action

    def _check_can_activate(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(
                self.env._(
                    "Policy %(policy)s is already active: only a draft policy can be "
                    "activated.",
                    policy=self.name,
                )
            )
        if not self.issue_date:
            raise UserError(
                self.env._(
                    "Policy %(policy)s has no issue date: set the issue date before "
                    "activating it, the premium schedule is computed from it.",
                    policy=self.name,
                )
            )

    # Schedule ---------------------------------------------------------------

    def _instalment_due_date(self, number):
        self.ensure_one()
        return schedule.due_date(self.issue_date, self.payment_frequency, number)

    def _total_instalments(self):
        self.ensure_one()
        return schedule.total_instalments(self.payment_frequency, self.premium_years)

    def _next_unscheduled_number(self):
        """Return the number of the next instalment to store, or 0 when none is left."""
        self.ensure_one()
        if self.state == "draft" or not self.issue_date:
            return 0
        lines = self.premium_line_ids
        if lines:
            number = max(lines.mapped("installment_number")) + 1
        else:
            number = schedule.first_unpaid_number(
                self.issue_date, self.payment_frequency, self.paid_to_date
            )
        return number if number <= self._total_instalments() else 0

    @api.model
    def _clock_today(self):
        """Return the day the premium clock runs for: today, unless a run says
        otherwise (benchmarks and catch-up runs pass ``clock_today``)."""
        return self.env.context.get("clock_today") or fields.Date.context_today(self)

    @api.model
    def _horizon_date(self):
        months = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(HORIZON_PARAM, DEFAULT_HORIZON_MONTHS)
        )
        return self._clock_today() + relativedelta(months=months)

    def _extend_schedule(self, horizon_date):
        """Store the instalments due up to ``horizon_date``.

        A policy with nothing left to pay still gets its next instalment, so that
        every open policy has a next due date.
        """
        vals_list = []
        for policy in self:
            start = policy._next_unscheduled_number()
            if not start:
                continue
            horizon = horizon_date
            if not policy.premium_line_ids.filtered(
                lambda line: line.state not in schedule.SETTLED_STATES
            ):
                horizon = max(horizon, policy._instalment_due_date(start))
            numbers = schedule.numbers_until(
                policy.issue_date,
                policy.payment_frequency,
                start,
                policy._total_instalments(),
                horizon,
            )
            vals_list += [policy._premium_line_vals(number) for number in numbers]
        return self.env["insurance.premium.line"].create(vals_list)

    def _premium_line_vals(self, number):
        self.ensure_one()
        due = self._instalment_due_date(number)
        return {
            "policy_id": self.id,
            "installment_number": number,
            "policy_year": schedule.policy_year(self.payment_frequency, number),
            "due_date": due,
            "grace_end_date": schedule.grace_end_date(
                due, self.product_id.grace_period_days
            ),
            "amount": self.premium_amount,
        }

    def _sync_state_with_schedule(self):
        """Derive the state of policies under the clock from their instalments."""
        groups = defaultdict(lambda: self.browse())
        for policy in self.filtered(lambda p: p.state in CLOCK_STATES):
            vals = policy._state_vals_from_schedule()
            if vals["state"] != policy.state:
                groups[tuple(sorted(vals.items()))] |= policy
        for vals, policies in groups.items():
            policies.write(dict(vals))

    def _state_vals_from_schedule(self):
        self.ensure_one()
        lines = self.premium_line_ids
        lapsed = lines.filtered(lambda line: line.state == schedule.LAPSED)
        if lapsed:
            suspended_on = min(lapsed.mapped("lapse_date"))
            months = self.product_id.reinstatement_period_months
            return {
                "state": "lapsed",
                "suspension_date": suspended_on,
                "reinstatement_deadline": suspended_on + relativedelta(months=months),
            }
        if lines.filtered(lambda line: line.state == schedule.GRACE):
            return {"state": "grace"}
        fully_paid = all(line.state in schedule.SETTLED_STATES for line in lines)
        if fully_paid and not self._next_unscheduled_number():
            return {"state": "paid_up"}
        return {"state": "in_force"}

    # Scheduled action ---------------------------------------------------------

    @api.model
    def _cron_daily_premium_clock(self, batch_size=CRON_BATCH_SIZE):
        """Extend schedules, move instalments through due, grace and lapse,
        terminate policies past their reinstatement window, open the renewal cases
        now in their window, flag broken promises, and refresh every open case.

        Each step works on what is still stale today, in batches committed one by
        one, so a crash loses nothing and a rerun the same day changes nothing.
        """
        today = self._clock_today()
        policies = self.with_context(clock_today=today)
        leads = policies.env["crm.lead"]
        steps = [
            (
                policies,
                policies._schedule_to_extend_domain(),
                policies._extend_schedule_batch,
            ),
            (
                policies,
                policies._stale_clock_domain(today),
                policies._advance_clock_batch,
            ),
            (policies, policies._to_terminate_domain(today), policies._terminate_batch),
            (
                policies,
                leads._open_renewal_cases_domain(today),
                leads._open_renewal_cases,
            ),
            (leads, leads._broken_promises_domain(today), leads._flag_broken_promises),
            (leads, leads._open_cases_domain(), leads._refresh_cases_batch),
        ]
        self.env["ir.cron"]._commit_progress(
            remaining=sum(model.search_count(domain) for model, domain, _f in steps)
        )
        for model, domain, process in steps:
            if not self._process_in_batches(model, domain, process, batch_size):
                return

    @api.model
    def _open_due_renewal_cases(self):
        """Open the renewal cases due now, in one go (demo data, manual runs)."""
        leads = self.env["crm.lead"]
        today = self._clock_today()
        return leads._open_renewal_cases(
            self.search(leads._open_renewal_cases_domain(today))
        )

    @api.model
    def _process_in_batches(self, model, domain, process, batch_size):
        """Run ``process`` on every record matching ``domain``, once, in id order and
        in batches committed one by one; return False when the cron's time is up
        (it is then run again soon and goes on)."""
        last_id = 0
        while records := model.search(
            Domain(domain) & Domain("id", ">", last_id), limit=batch_size, order="id"
        ):
            self._process_isolating_failures(records, process)
            last_id = records[-1].id
            if not self.env["ir.cron"]._commit_progress(len(records)):
                return False
        return True

    @api.model
    def _process_isolating_failures(self, records, process):
        """Run ``process`` on the batch; should it fail, run it record by record so
        that one bad record never stops the others, and leave each failure on its
        record for a person to see. A later run tries the failed ones again."""
        try:
            with self.env.cr.savepoint():
                process(records)
            return
        except Exception:  # noqa: BLE001 - any failure: narrow it down below
            _logger.info(
                "Batch of %s %s failed; retrying one by one",
                len(records),
                records._name,
            )
        for record in records.exists():
            try:
                with self.env.cr.savepoint():
                    process(record)
            except Exception as error:
                _logger.exception("Renewal batch: %s failed", record.display_name)
                self._report_batch_failure(record, error)

    @api.model
    def _report_batch_failure(self, record, error):
        target = record if "message_ids" in record._fields else record.policy_id
        # Written by a scheduled run for everyone: in the company's language.
        lang = target.company_id.partner_id.lang or self.env.lang
        target.sudo().message_post(
            body=self.with_context(lang=lang).env._(
                "The scheduled renewal work failed on %(record)s and will be tried "
                "again: %(error)s",
                record=record.display_name,
                error=str(error),
            ),
            subtype_xmlid="mail.mt_note",
        )

    def _schedule_to_extend_domain(self):
        return Domain("state", "in", CLOCK_STATES) & Domain(
            "schedule_next_date", "<=", self._horizon_date()
        )

    def _extend_schedule_batch(self, policies):
        policies._extend_schedule(self._horizon_date())

    @api.model
    def _stale_clock_domain(self, today):
        """Policies under the clock with an instalment whose state is behind
        ``today``. The clock moves a policy's instalments together: a policy
        suspended by one of them must not leave the others behind."""
        lines = self.env["insurance.premium.line"]
        return Domain("state", "in", CLOCK_STATES) & Domain(
            "premium_line_ids", "any", lines._stale_clock_domain(today)
        )

    def _advance_clock_batch(self, policies):
        policies.premium_line_ids._advance_clock(self._clock_today())

    @api.model
    def _to_terminate_domain(self, today):
        return Domain("state", "=", "lapsed") & Domain(
            "reinstatement_deadline", "<", today
        )

    def _terminate_batch(self, policies):
        policies.write({"state": "terminated"})
