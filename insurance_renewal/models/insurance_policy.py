import calendar
from collections import defaultdict
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, format_amount, format_date

from ..lib import schedule, servicing
from .insurance_assignment_rule import text_html
from .res_partner import MASKED_DATA_GROUPS

# Policies whose premiums the daily clock moves: the others wait for a person.
CLOCK_STATES = ("in_force", "grace")
HORIZON_PARAM = "insurance_renewal.schedule_horizon_months"
# The specialist's to-do when a suspended policy's premium is paid.
REINSTATEMENT_FOLLOWUP = "insurance_renewal.mail_activity_type_reinstatement_followup"
DEFAULT_HORIZON_MONTHS = 12
# Who does the work a servicing request asks of another team.
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
# Who sees compliance's red flags: the renewal team and compliance, not the sales
# reps or the customer (who must not be tipped off).
RED_FLAG_READERS = (
    "insurance_renewal.group_insurance_renewal_user,"
    "insurance_renewal.group_insurance_compliance"
)
# Requests a policy, or a pay link, takes from the portal in a day.
PORTAL_REQUESTS_PER_DAY = 3
# Requests one client address may post in a day, over all policies and links.
PORTAL_ADDRESS_PARAM = "insurance_renewal.portal_requests_per_address"
PORTAL_REQUESTS_PER_ADDRESS = 10
# Sanity bounds on what a policy may be registered with.
EARLIEST_ISSUE_DATE = date(1980, 1, 1)
MAX_PREMIUM_YEARS = 100
MAX_PREMIUM_AMOUNT = 100_000_000


# What a policy's stored schedule figures are computed from, for many policies at
# once: the first unpaid due date, the last stored instalment, the next premium
# still owed and what is overdue.
SCHEDULE_SUMMARY_SQL = """
SELECT policy_id,
       min(due_date) FILTER (WHERE state <> ALL(%(settled)s)),
       max(installment_number),
       min(due_date) FILTER (WHERE state = ANY(%(unpaid)s)),
       sum(amount_residual) FILTER (WHERE state = ANY(%(overdue)s))
  FROM insurance_premium_line
 WHERE policy_id = ANY(%(ids)s)
 GROUP BY policy_id
"""


class InsurancePolicy(models.Model):
    _name = "insurance.policy"
    _description = "Insurance Policy"
    _inherit = ["insurance.tracking.batch.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "name"
    _check_company_auto = True
    # Whoever may read a policy (an underwriter, a compliance officer, finance)
    # may note on it and work the activities handed to their team on it.
    _mail_post_access = "read"

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
    # The team's own notes and compliance's flags: not for the customer, who
    # reads their policy from the portal (and over RPC).
    reminder_hold_until = fields.Date(
        string="Hold Reminders Until",
        tracking=True,
        copy=False,
        groups="base.group_user",
        help="No automatic reminder is sent for this policy up to this day included.",
    )
    reminder_hold_reason = fields.Char(
        tracking=True, copy=False, groups="base.group_user"
    )
    reminder_line_ids = fields.Many2many(
        "insurance.premium.line",
        string="Instalments to Remind",
        compute="_compute_reminder_line_ids",
        help="What a reminder about this policy lists: the instalments the reminder "
        "engine passes (several policies of one payer), or the first unpaid one.",
    )
    reminder_pay_url = fields.Char(
        string="Pay Link",
        compute="_compute_reminder_pay_url",
        help="The signed link a reminder about this policy gives the customer to pay "
        "the instalments it lists online, without logging in.",
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
    sum_assured = fields.Monetary(
        tracking=True, help="What the policy pays on a claim, as last reported."
    )
    paid_up_sum_assured = fields.Monetary(
        string="Reduced Paid-up Sum Assured",
        tracking=True,
        help="The sum assured the cash value would buy if the policy became "
        "paid-up, as last reported.",
    )
    servicing_request_ids = fields.One2many(
        "insurance.servicing.request",
        "policy_id",
        string="Servicing Requests",
        groups="insurance_renewal.group_insurance_renewal_user,"
        "insurance_renewal.group_insurance_underwriter,account.group_account_invoice",
    )
    cash_value_date = fields.Date(
        string="Values Reported On",
        tracking=True,
        help="Day the cash value and loan balance were reported.",
    )

    payer_relation = fields.Selection(
        [
            ("self", "The Policyholder"),
            ("spouse", "Spouse"),
            ("parent", "Parent"),
            ("child", "Child"),
            ("other_family", "Other Relative"),
            ("employer", "Employer"),
            ("other", "Other"),
        ],
        string="Payer's Relation to Holder",
        tracking=True,
        help="How the payer is related to the policyholder, as declared. A payer "
        "who is neither the holder nor a close relation is a red flag for "
        "compliance.",
    )
    red_flag_ids = fields.One2many(
        "insurance.red.flag", "policy_id", string="Red Flags", groups=RED_FLAG_READERS
    )
    red_flag_count = fields.Integer(
        string="Open Red Flags",
        groups=RED_FLAG_READERS,
        compute="_compute_red_flag_count",
        store=True,
        help="Red flags compliance has not cleared yet.",
    )
    complaint_ticket_ids = fields.One2many(
        "helpdesk.ticket",
        "insurance_policy_id",
        string="Complaints",
        domain=[("insurance_kind", "=", "complaint")],
    )
    reminder_complaint_hold = fields.Boolean(
        string="Held by a Complaint",
        compute="_compute_reminder_complaint_hold",
        store=True,
        help="An open complaint about this policy holds its automatic reminders "
        "until it is resolved.",
    )
    reminder_complaint_hold_reason = fields.Char(
        string="Reminders Held Because",
        compute="_compute_reminder_complaint_hold_reason",
    )
    reminder_claim_hold = fields.Boolean(
        string="Held by a Death Claim",
        compute="_compute_reminder_claim_hold",
        store=True,
        help="A reported death claim holds this policy's automatic reminders until "
        "it is decided: rejected, they resume; approved, the claim ends the policy.",
    )
    reminder_claim_hold_reason = fields.Char(
        string="Reminders Held for a Claim",
        compute="_compute_reminder_claim_hold_reason",
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
        groups=MASKED_DATA_GROUPS,
        help="The payer's bank card numbers, masked.",
    )

    @api.depends("payer_id.bank_ids.acc_number_masked")
    def _compute_payer_bank_masked(self):
        for policy in self:
            policy.payer_bank_masked = ", ".join(
                policy.payer_id.sudo().bank_ids.mapped("acc_number_masked")
            )

    @api.depends("red_flag_ids.state")
    def _compute_red_flag_count(self):
        for policy in self:
            policy.red_flag_count = len(
                policy.red_flag_ids.filtered(lambda flag: flag.state == "open")
            )

    @api.depends(
        "complaint_ticket_ids.stage_id.closed", "complaint_ticket_ids.insurance_kind"
    )
    def _compute_reminder_complaint_hold(self):
        for policy in self:
            policy.reminder_complaint_hold = bool(policy._open_complaints())

    @api.depends("reminder_complaint_hold")
    def _compute_reminder_complaint_hold_reason(self):
        for policy in self:
            tickets = policy._open_complaints()
            policy.reminder_complaint_hold_reason = (
                self.env._(
                    "Open complaint %(tickets)s: no automatic reminder until it is "
                    "resolved.",
                    tickets=", ".join(tickets.mapped("number")),
                )
                if tickets
                else False
            )

    @api.depends("claim_ids.state", "claim_ids.claim_type")
    def _compute_reminder_claim_hold(self):
        for policy in self:
            policy.reminder_claim_hold = bool(policy._reported_death_claims())

    @api.depends("reminder_claim_hold")
    def _compute_reminder_claim_hold_reason(self):
        for policy in self:
            claims = policy._reported_death_claims()
            policy.reminder_claim_hold_reason = (
                self.env._(
                    "Death claim %(claims)s reported: no automatic reminder until "
                    "the claim is decided.",
                    claims=", ".join(claims.mapped("name")),
                )
                if claims
                else False
            )

    def _reported_death_claims(self):
        # Whoever reads the policy learns why its reminders stop, without
        # necessarily reading its claims.
        return self.sudo().claim_ids.filtered(lambda claim: claim._holds_reminders())

    def _open_complaints(self):
        # Whoever reads the policy learns why its reminders stop, without
        # necessarily reading customer service's tickets.
        return self.sudo().complaint_ticket_ids.filtered(
            lambda ticket: not ticket.closed
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

    @api.depends_context("reminder_line_ids", "reminder_lines_by_policy")
    @api.depends("premium_line_ids.state")
    def _compute_reminder_line_ids(self):
        """The instalments a reminder lists: given by the reminder engine (for all
        its messages at once, per policy) or by the caller, else the next due."""
        lines = self.env["insurance.premium.line"]
        given = lines.browse(self.env.context.get("reminder_line_ids") or [])
        by_policy = dict(self.env.context.get("reminder_lines_by_policy") or ())
        for policy in self:
            policy.reminder_line_ids = (
                lines.browse(by_policy.get(policy.id, ()))
                or given
                or policy.premium_line_ids.filtered(
                    lambda line: line.state in schedule.OPEN_STATES + (schedule.LAPSED,)
                ).sorted("due_date")[:1]
            )

    @api.depends_context("reminder_line_ids", "reminder_lines_by_policy")
    @api.depends("reminder_line_ids")
    def _compute_reminder_pay_url(self):
        for policy in self:
            policy.reminder_pay_url = policy.reminder_line_ids._insurance_pay_url()

    @api.depends("premium_amount", "payment_frequency")
    def _compute_annualized_premium(self):
        for policy in self:
            per_year = schedule.instalments_per_year(policy.payment_frequency) or 1
            policy.annualized_premium = policy.premium_amount * per_year

    @api.depends("premium_line_ids.state", "premium_line_ids.due_date")
    def _compute_paid_to_date(self):
        summaries = self._schedule_summaries()
        for policy in self:
            summary = summaries[policy.id]
            if summary.first_unpaid:
                policy.paid_to_date = summary.first_unpaid
            elif summary.last_number:
                policy.paid_to_date = policy._instalment_due_date(
                    summary.last_number + 1
                )
            else:
                policy.paid_to_date = policy.paid_to_date

    @api.depends(
        "premium_line_ids.state",
        "premium_line_ids.due_date",
        "premium_line_ids.amount_residual",
    )
    def _compute_schedule_summary(self):
        summaries = self._schedule_summaries()
        for policy in self:
            policy.next_due_date = summaries[policy.id].next_due
            policy.amount_overdue = summaries[policy.id].overdue

    def _schedule_summaries(self):
        """``{policy id: ScheduleSummary}`` of these policies' instalments: for
        stored policies one grouped query, not every instalment of every policy
        read into memory (the clock and activation change thousands at once);
        for new records (a form being edited), from the instalments in memory."""
        stored = [policy_id for policy_id in self.ids if isinstance(policy_id, int)]
        result = defaultdict(lambda: schedule.ScheduleSummary())
        if stored:
            self.env["insurance.premium.line"].flush_model(
                ["policy_id", "state", "due_date", "installment_number"]
                + ["amount_residual"]
            )
            rows = self.env.execute_query(
                SQL(
                    SCHEDULE_SUMMARY_SQL,
                    settled=list(schedule.SETTLED_STATES),
                    unpaid=[*schedule.OPEN_STATES, schedule.LAPSED],
                    overdue=[schedule.GRACE, schedule.LAPSED],
                    ids=stored,
                )
            )
            result.update(
                (row[0], schedule.ScheduleSummary(*row[1:4], row[4] or 0.0))
                for row in rows
            )
        for policy in self.filtered(lambda policy: not isinstance(policy.id, int)):
            result[policy.id] = schedule.summarize(
                (
                    line.state,
                    line.due_date,
                    line.installment_number,
                    line.amount_residual,
                )
                for line in policy.premium_line_ids
            )
        return result

    @api.depends(
        "premium_line_ids.installment_number",
        "issue_date",
        "payment_frequency",
        "premium_years",
    )
    def _compute_schedule_next_date(self):
        summaries = self._schedule_summaries()
        for policy in self:
            number = policy._next_unscheduled_number(summaries[policy.id].last_number)
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
            self.env["insurance.fact.flow"]._touch_cases(self.renewal_lead_ids)
        return result

    def _message_create(self, values_list):
        """Logs of many policies at once (the "Policy created" of each policy an
        import registers) stored in one INSERT with the columns Odoo's create
        stores (``mail.message._insurance_insert_logs``); anything else, and a
        message not logged as the superuser, through Odoo's create."""
        if self.env.su and len(values_list) > 1:
            messages = self.env["mail.message"]._insurance_insert_logs(values_list)
            if messages is not None:
                return messages
        return super()._message_create(values_list)

    def _check_company(self, fnames=None):
        """Odoo's company check, on the policies that could fail it: those whose
        holder, insured person, payer or product belongs to a company other than
        the policy's. One linked to no company or to the policy's own passes
        Odoo's check (their models keep its default company domain), so a batch
        of thousands registered together is not checked field by field and policy
        by policy."""
        suspects = self.browse(self._company_check_suspects())
        return super(InsurancePolicy, suspects)._check_company(fnames)

    def _company_check_suspects(self):
        names = [
            name
            for name, field in self._fields.items()
            if field.type == "many2one" and field.check_company
        ]
        # Read as Odoo's check reads them: the caller may not read every company.
        return [
            policy.id
            for policy in self.sudo()
            if any(policy._links_another_company(policy[name]) for name in names)
        ]

    def _links_another_company(self, linked):
        if "company_id" not in linked._fields:
            return True
        return bool(linked.company_id) and linked.company_id != self.company_id

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
        regular._rank_payers_as_customers()
        # The repair to-dos' notification emails wait in the mail queue rather
        # than being sent one by one inside the activation.
        (policies.partner_id | policies.payer_id).with_context(
            mail_notify_force_send=False
        )._schedule_contact_repair()
        return True

    def _rank_payers_as_customers(self):
        """A payer is a customer from the day their policy is in force. Odoo writes
        a partner's first customer rank inside the transaction that posts their
        first invoice, later ones after commit: ranked here, two invoicing
        workers never write the same payer at once (a serialization failure)."""
        payers = self.payer_id | self.payer_id.commercial_partner_id
        # What account's _increase_rank does to partners not ranked yet (rank 1,
        # in this transaction), in one write rather than one per partner.
        payers.filtered(lambda p: not p.customer_rank).sudo().write(
            {"customer_rank": 1}
        )

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

    # Work handed to other teams -------------------------------------------------

    def _on_team_activity_done(self, activity, event_code):
        """A team finished the work an assignment rule handed it: let the policy
        and its case move on (``_on_team_done_<event>``, where one exists), and
        tell the specialist. Add a method of that name for a new event."""
        self.ensure_one()
        handler = getattr(self, f"_on_team_done_{event_code}", None)
        if handler:
            handler(activity)
        self._tell_specialist_team_done(activity)

    def _tell_specialist_team_done(self, activity):
        specialist = self.renewal_lead_id.user_id or self.specialist_id
        record = self.renewal_lead_id or self
        body = self.env._(
            "%(who)s finished %(work)s.",
            who=self.env.user.name,
            work=activity.summary or activity.activity_type_id.name,
        )
        if activity.feedback:
            body = self.env._(
                "%(body)s Feedback: %(feedback)s", body=body, feedback=activity.feedback
            )
        record.message_post(
            body=body,
            author_id=self.env.user.partner_id.id,
            partner_ids=specialist.partner_id.ids,
            subtype_xmlid="mail.mt_note",
        )

    def _on_team_done_grace_entered(self, activity):
        """The sales rep's retention visit is a contact with the customer."""
        self.env["insurance.renewal.activity"].create(
            {
                "policy_id": self.id,
                "lead_id": self.renewal_lead_id.id,
                "channel": "visit",
                "outcome": "reached",
                "user_id": self.env.user.id,
                "note": activity.feedback or activity.summary,
            }
        )

    def _on_team_done_visit_request(self, activity):
        self._on_team_done_grace_entered(activity)

    def _on_team_done_red_flag(self, activity):
        """Compliance marking its review done clears the flags it reviewed."""
        if self.env.user.has_group("insurance_renewal.group_insurance_compliance"):
            flags = self.red_flag_ids.filtered(
                lambda flag: flag.state == "open" and flag.activity_id == activity
            )
            flags._clear(activity.feedback)

    @api.model
    def _cron_hand_orphan_policies(self, batch_size=CRON_BATCH_SIZE):
        """Hand the policies of a departed sales rep (an archived user) to the
        renewal manager for reassignment, once per policy while the work is open,
        in committed batches."""
        domain = self._orphan_domain()
        self.env["ir.cron"]._commit_progress(remaining=self.search_count(domain))
        self.env["insurance.batch.runner"]._process_in_batches(
            self, domain, self._hand_orphans_batch, batch_size
        )

    def _hand_orphans_batch(self, policies):
        # Written by a scheduled run for the manager: in the company's language.
        env = self.with_context(
            lang=self.env.company.partner_id.lang or self.env.lang
        ).env
        self.env["insurance.assignment.rule"]._fire(
            "orphan_policy",
            policies,
            note={
                policy.id: env._(
                    "The sales rep %(rep)s has left: reassign the policy.",
                    rep=policy.user_id.sudo().name,
                )
                for policy in policies
            },
        )

    @api.model
    def _orphan_domain(self):
        return Domain("state", "in", (*CLOCK_STATES, "lapsed")) & Domain(
            "user_id", "any", Domain("active", "=", False)
        )

    def _red_flag_exit_dates(self):
        """Return ``{policy: date}``: the day each policy was surrendered or ended
        by a claim, which a contact or bank change just before is a red flag
        for. Claims imported from the administration system add their dates
        here."""
        return {
            policy: policy.end_date
            for policy in self
            if policy.end_date
            and (
                policy.state == "surrendered"
                or policy.end_reason in ("surrender", "claim", "death")
            )
        }

    def action_view_red_flags(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_red_flag_action"
        )
        action["domain"] = [("policy_id", "=", self.id)]
        action["context"] = {"search_default_open": 1}
        return action

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

    def action_new_servicing_request(self):
        """Open a new servicing request of the kind the button names (deferral,
        loan, withdrawal, reduced paid-up, surrender, reinstatement)."""
        self.ensure_one()
        kind = self.env.context.get("servicing_type")
        lead = self.env["crm.lead"].browse(self.env.context.get("servicing_lead_id"))
        lead = lead or self.renewal_lead_id
        unpaid = self.premium_line_ids.filtered(
            lambda line: line.state in (schedule.DUE, schedule.GRACE)
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Servicing Request"),
            "res_model": "insurance.servicing.request",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_policy_id": self.id,
                "default_lead_id": lead.id,
                "default_request_type": kind,
                "default_premium_line_ids": unpaid.ids if kind == "deferral" else [],
                "default_deferral_days": self.product_id.deferral_max_days,
                "default_new_sum_assured": self.paid_up_sum_assured,
            },
        }

    def action_view_servicing_requests(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_servicing_request_action"
        )
        action["domain"] = [("policy_id", "=", self.id)]
        action["context"] = {}
        return action

    def _cancel_future_instalments(self):
        """Cancel what the policy will no longer be asked to pay, with its
        invoices: every instalment not settled."""
        lines = self.premium_line_ids.filtered(
            lambda line: line.state not in schedule.SETTLED_STATES
        )
        lines.write({"state": schedule.WAIVED})
        return lines

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

    def _next_unscheduled_number(self, last_number=None):
        """Return the number of the next instalment to store, or 0 when none is left.

        ``last_number``: the highest stored instalment number, when the caller
        already knows it (``_schedule_positions``); else it is read here."""
        self.ensure_one()
        if self.state == "draft" or not self.issue_date:
            return 0
        if last_number is None:
            last_number = max(
                self.premium_line_ids.mapped("installment_number"), default=0
            )
        if last_number:
            number = last_number + 1
        else:
            number = schedule.first_unpaid_number(
                self.issue_date, self.payment_frequency, self.paid_to_date
            )
        return number if number <= self._total_instalments() else 0

    def _schedule_positions(self):
        """``{policy id: (highest stored instalment number, whether one is still
        unsettled)}`` for these policies, in one grouped query rather than by
        reading every instalment of every policy."""
        if not self:
            return {}
        rows = self.env["insurance.premium.line"]._read_group(
            Domain("policy_id", "in", self.ids),
            ["policy_id"],
            ["installment_number:max", "state:array_agg_distinct"],
        )
        return {
            policy.id: (
                last_number or 0,
                any(state not in schedule.SETTLED_STATES for state in states),
            )
            for policy, last_number, states in rows
        }

    @api.model
    def _clock_today(self):
        """Return the day the premium clock runs for: today, unless a run says
        otherwise (benchmarks and catch-up runs pass ``clock_today``). Only the
        superuser's own runs (the scheduled action's user) may: any other caller
        would choose over RPC the day a reinstatement's interest is counted to,
        or a day before its deadline (``sudo()`` keeps the caller's context)."""
        if self.env.user._is_superuser() and self.env.context.get("clock_today"):
            return self.env.context["clock_today"]
        return fields.Date.context_today(self)

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
        positions = self._schedule_positions()
        for policy in self:
            last_number, has_unsettled = positions.get(policy.id, (0, False))
            start = policy._next_unscheduled_number(last_number)
            if not start:
                continue
            horizon = horizon_date
            if not has_unsettled:
                horizon = max(horizon, policy._instalment_due_date(start))
            dues = schedule.due_dates_until(
                policy.issue_date,
                policy.payment_frequency,
                start,
                policy._total_instalments(),
                horizon,
            )
            vals_list += policy._premium_line_vals(dues)
        # One statement for the whole schedule rather than ``create``: the same
        # rows (see ``insurance.premium.line._insert_schedule``).
        return self.env["insurance.premium.line"]._insert_schedule(vals_list)

    def _premium_line_vals(self, dues):
        """The values of this policy's new instalments, ``dues`` giving their
        ``(number, due date)``, for ``insurance.premium.line._insert_schedule``:
        with what an instalment derives from its policy and dates (related
        fields, suspension and invoice days) as their computes would give them
        (``test_premium_schedule`` recomputes them and finds them unchanged)."""
        self.ensure_one()
        product = self.product_id
        common = {
            "policy_id": self.id,
            "amount": self.premium_amount,
            "partner_id": self.partner_id.id,
            "product_id": product.id,
            "specialist_id": self.specialist_id.id,
            "payment_method": self.payment_method,
            "company_id": self.company_id.id,
            "currency_id": self.currency_id.id,
        }
        frequency = self.payment_frequency
        grace_days = product.grace_period_days
        lead_days = timedelta(days=product.invoice_lead_days)
        vals_list = []
        for number, due in dues:
            grace_end = schedule.grace_end_date(due, grace_days)
            vals_list.append(
                common
                | {
                    "installment_number": number,
                    "policy_year": schedule.policy_year(frequency, number),
                    "due_date": due,
                    "grace_end_date": grace_end,
                    "lapse_date": schedule.suspension_date(grace_end),
                    "invoice_issue_date": due - lead_days,
                }
            )
        return vals_list

    def _sync_state_with_schedule(self):
        """Derive the state of policies under the clock from their instalments.

        Called by ``insurance.fact.flow`` for the policies whose instalments
        changed. Written in one group per state (chatter tracking as for any
        write); the suspension day and reinstatement deadline, which differ from
        policy to policy, in one statement inside that tracked write, so their
        tracking is written too."""
        policies = self.filtered(lambda p: p.state in CLOCK_STATES)
        if not policies:
            return
        by_state = defaultdict(lambda: self.browse())
        suspensions = {}
        for policy, vals in policies._states_from_schedule().items():
            if vals["state"] == policy.state:
                continue
            by_state[vals["state"]] |= policy
            if vals["state"] == "lapsed":
                suspensions[policy.id] = (
                    vals["suspension_date"],
                    vals["reinstatement_deadline"],
                )
        for state, changed in by_state.items():
            changed.write({"state": state})
        self._write_suspensions(suspensions)
        self.env["insurance.assignment.rule"]._fire(
            "grace_entered", by_state.get("grace", self.browse())
        )

    def _states_from_schedule(self):
        """``{policy: state values}``: what the instalments of these policies
        give, read in one grouped query rather than instalment by instalment.
        Lapsed from the earliest suspension day of a lapsed instalment, in grace
        with one in grace, paid up once all are settled and none is left to
        store, in force otherwise."""
        # Read from the database: what this unit of work changed is written first.
        self.env["insurance.fact.flow"]._flush_holding_locks()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT policy_id,
                       min(lapse_date) FILTER (WHERE state = %(lapsed)s),
                       bool_or(state = %(grace)s),
                       bool_and(state = ANY(%(settled)s)),
                       max(installment_number)
                  FROM insurance_premium_line
                 WHERE policy_id = ANY(%(ids)s)
                 GROUP BY policy_id
                """,
                lapsed=schedule.LAPSED,
                grace=schedule.GRACE,
                settled=list(schedule.SETTLED_STATES),
                ids=self.ids,
            )
        )
        positions = {row[0]: row[1:] for row in rows}
        result = {}
        for policy in self:
            suspended_on, in_grace, settled, last_number = positions.get(
                policy.id, (None, False, True, 0)
            )
            if suspended_on:
                months = policy.product_id.reinstatement_period_months
                result[policy] = {
                    "state": "lapsed",
                    "suspension_date": suspended_on,
                    "reinstatement_deadline": suspended_on
                    + relativedelta(months=months),
                }
            elif in_grace:
                result[policy] = {"state": "grace"}
            elif settled and not policy._next_unscheduled_number(last_number):
                result[policy] = {"state": "paid_up"}
            else:
                result[policy] = {"state": "in_force"}
        return result

    def _write_suspensions(self, suspensions):
        """Store ``{policy_id: (suspension day, reinstatement deadline)}`` in one
        statement. The state write just before prepared the chatter tracking of
        every tracked field of these policies: the new days are tracked when the
        transaction is flushed, as an ORM write would be."""
        if not suspensions:
            return
        rows = SQL(", ").join(
            SQL("(%s, %s::date, %s::date)", policy_id, day, deadline)
            for policy_id, (day, deadline) in suspensions.items()
        )
        self.flush_model(["suspension_date", "reinstatement_deadline"])
        self.env.execute_query(
            SQL(
                """
                UPDATE insurance_policy p
                   SET suspension_date = v.day, reinstatement_deadline = v.deadline,
                       write_date = now() AT TIME ZONE 'UTC', write_uid = %s
                  FROM (VALUES %s) AS v(id, day, deadline)
                 WHERE p.id = v.id
                """,
                self.env.uid,
                rows,
            )
        )
        self.browse(list(suspensions)).invalidate_recordset(
            ["suspension_date", "reinstatement_deadline", "write_date", "write_uid"]
        )

    # The customer portal ----------------------------------------------------

    def _insurance_contact_person(self):
        """Whom the customer should call about this policy: the specialist of its
        open case, else its specialist, else its agent."""
        self.ensure_one()
        return (
            self.renewal_lead_id.user_id or self.specialist_id or self.user_id
        ).sudo()

    def _insurance_customer_warning(self):
        """What the customer must know, in plain words: when the cover stops if
        the premium stays unpaid, or since when it has stopped; empty when all is
        well. In the language of ``self.env``."""
        self.ensure_one()
        unpaid = self.premium_line_ids.filtered(
            lambda line: line.state in (schedule.GRACE, schedule.LAPSED)
        ).sorted("due_date")[:1]
        if self.state == "grace" and unpaid:
            return self.env._(
                "The premium of %(amount)s due on %(due)s has not been paid yet. Your "
                "policy stays in force during the grace period, until %(grace_end)s; "
                "if the premium is still unpaid then, its cover is suspended from "
                "%(suspension)s and a claim from that day is not paid.",
                amount=format_amount(
                    self.env, unpaid.amount_residual, unpaid.currency_id
                ),
                due=format_date(self.env, unpaid.due_date),
                # the last day of cover: a formal demand may bring it forward
                grace_end=format_date(self.env, unpaid.cover_end_date),
                suspension=format_date(self.env, unpaid.lapse_date),
            )
        if self.state == "lapsed":
            return self.env._(
                "The cover of your policy has been suspended since %(suspension)s "
                "because a premium was not paid. You can ask to reinstate it until "
                "%(deadline)s: pay the premiums due and send us a health declaration. "
                "After that day the policy ends and only its cash value is refunded.",
                suspension=format_date(self.env, self.suspension_date),
                deadline=format_date(self.env, self.reinstatement_deadline),
            )
        if self.state in schedule.ENDED_POLICY_STATES:
            return self.env._(
                "Your policy has ended: no premium is owed on it any more and no "
                "payment is taken for it. Its cash value, if any, is paid to you; "
                "a transfer made for it since is refunded."
            )
        return ""

    def _insurance_portal_request_repeat(self, kind, message, address=None, link=None):
        """Whether a request from the portal or a pay link repeats what this
        policy received in the last day: ``"same"`` for the very same request,
        ``"too_many"`` once the day's share is used, of this policy, of the
        client ``address`` or of the pay ``link`` (a script spreading its
        requests over many policies' links), else False."""
        self.ensure_one()
        since = fields.Datetime.now() - timedelta(days=1)
        # as superuser: the caller's right to the policy was checked
        contacts = self.env["insurance.renewal.activity"].sudo()
        recent = contacts.search(
            [
                ("policy_id", "=", self.id),
                ("channel", "=", "portal"),
                ("date", ">=", since),
            ]
        )
        if recent.filtered(
            lambda contact: contact.outcome == kind and (contact.note or "") == message
        ):
            return "same"
        per_address = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(PORTAL_ADDRESS_PARAM, PORTAL_REQUESTS_PER_ADDRESS)
        )
        shares = [(recent, PORTAL_REQUESTS_PER_DAY)]
        for field, value, share in (
            ("portal_address", address, per_address),
            ("portal_link", link, PORTAL_REQUESTS_PER_DAY),
        ):
            if value:
                domain = [
                    (field, "=", value),
                    ("channel", "=", "portal"),
                    ("date", ">=", since),
                ]
                shares.append((contacts.search(domain, limit=share), share))
        if any(len(found) >= share for found, share in shares):
            return "too_many"
        return False

    def _insurance_portal_request(self, kind, message, address=None, link=None):
        """Record what the customer asked from the portal or a pay link: a
        contact on the renewal case with that outcome, and an activity for the
        specialist. The caller has checked that the customer may see the policy."""
        self.ensure_one()
        policy = self.sudo()
        contact = (
            self.env["insurance.renewal.activity"]
            .sudo()
            .create(
                {
                    "policy_id": policy.id,
                    "kind": "contact",
                    "channel": "portal",
                    "outcome": kind,
                    "note": message,
                    "reason_id": kind == "hardship"
                    and self.env.ref("insurance_renewal.lost_reason_hardship").id,
                    "user_id": False,
                    "portal_address": address,
                    "portal_link": link,
                }
            )
        )
        assignee = policy._insurance_contact_person()
        assignee = assignee or self.env["crm.lead"]._renewal_fallback_owner(
            self.env["crm.team"], policy.company_id
        )
        record = policy.renewal_lead_id or policy
        reader = record.with_context(lang=assignee.lang or self.env.lang)
        labels = dict(contact._fields["outcome"]._description_selection(reader.env))
        record.activity_schedule(
            "mail.mail_activity_data_call"
            if kind == "callback"
            else "mail.mail_activity_data_todo",
            user_id=assignee.id,
            summary=reader.env._(
                "Customer asks online: %(request)s", request=labels[kind]
            ),
            # the customer's words, shown as text: never read as HTML
            note=text_html(message),
        )
        policy._insurance_open_service_ticket(contact)
        return contact

    def _ask_reinstatement_of_paid_suspension(self, paid_lines):
        """A premium paid while its policy is suspended does not bring the cover
        back: a reinstatement also needs underwriting's approval and every back
        premium with its interest (DOMAIN.md, art. 37). Unless one is under way,
        the policy's contact person (its specialist) is asked to arrange it,
        once: an open to-do is not doubled by later payments. As superuser: the
        payment may come from finance or the bank import, who do not schedule
        the specialist's work; the to-do is the addon's."""
        suspended = self.filtered(lambda policy: policy.state == "lapsed")
        if not suspended:
            return
        Request = self.env["insurance.servicing.request"].sudo()
        under_way = Request.search(
            [
                ("policy_id", "in", suspended.ids),
                ("request_type", "=", "reinstatement"),
                ("state", "in", ("draft", "approved")),
            ]
        ).policy_id
        to_ask = suspended.sudo() - under_way
        if not to_ask:
            return
        # a second worker paying the same policy at once fails to serialize and
        # retries, then finds this to-do (as for the assignment rules' work)
        self.env["insurance.assignment.rule"]._mark_fired_for_other_workers(to_ask)
        todo_type = self.env.ref(REINSTATEMENT_FOLLOWUP)
        asked = (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", self._name),
                    ("res_id", "in", to_ask.ids),
                    ("activity_type_id", "=", todo_type.id),
                ]
            )
            .mapped("res_id")
        )
        paid_by_policy = paid_lines.grouped("policy_id")
        for policy in to_ask:
            if policy.id in asked:
                continue
            person = policy._insurance_contact_person()
            reader = policy.with_context(lang=person.lang or self.env.lang)
            lines = paid_by_policy[policy]
            reader.activity_schedule(
                activity_type_id=todo_type.id,
                user_id=person.id or self.env.uid,
                # the instalments' names come from imported files: text only
                note=text_html(
                    reader.env._(
                        "%(lines)s paid while the policy is suspended: the cover "
                        "comes back only with a reinstatement (health declaration "
                        "approved by underwriting, every back premium and its "
                        "interest paid). Call the customer to apply before "
                        "%(deadline)s.",
                        lines=", ".join(lines.mapped("display_name")),
                        deadline=format_date(reader.env, policy.reinstatement_deadline),
                    )
                ),
            )

    def _close_reinstatement_followup(self, request):
        """The reinstatement is asked for: the *Arrange Reinstatement* to-do
        (``_ask_reinstatement_of_paid_suspension``) is done, whoever it was
        given to. Called by the request's submission, as superuser after its
        checks."""
        todo_type = self.env.ref(REINSTATEMENT_FOLLOWUP)
        todos = self.activity_ids.filtered(
            lambda activity: activity.activity_type_id == todo_type
        )
        if todos:
            todos.action_feedback(
                feedback=self.env._(
                    "Reinstatement %(request)s asked for.", request=request.display_name
                )
            )

    def _insurance_tell_online_payment(self, lines, transactions):
        """Tell the specialist on the policy's chatter that the customer paid
        these instalments online, in the specialist's language."""
        self.ensure_one()
        person = self._insurance_contact_person()
        reader = self.with_context(lang=person.lang or self.env.lang)
        reader.message_post(
            body=reader.env._(
                "Paid online by the customer: %(lines)s (%(amount)s, payment "
                "%(reference)s).",
                lines=", ".join(lines.mapped("display_name")),
                amount=format_amount(
                    self.env, sum(transactions.mapped("amount")), self.currency_id
                ),
                reference=", ".join(transactions.mapped("reference")),
            ),
            subtype_xmlid="mail.mt_note",
            partner_ids=person.partner_id.ids,
        )

    def _insurance_open_service_ticket(self, contact):
        """A question asked from the portal is also a ticket for customer service,
        linked to the case, the policy and the customer. As superuser: the
        customer's request was checked by the portal; the ticket is the addon's."""
        self.ensure_one()
        if contact.outcome != "question":
            return self.env["helpdesk.ticket"]
        return (
            self.env["helpdesk.ticket"]
            .sudo()
            .create(
                {
                    "name": self.env._(
                        "Question about policy %(policy)s", policy=self.name
                    ),
                    "description": text_html(contact.note or ""),
                    "insurance_kind": "question",
                    "insurance_lead_id": self.renewal_lead_id.id,
                    "insurance_policy_id": self.id,
                    "partner_id": contact.partner_id.id or self.partner_id.id,
                    "company_id": self.company_id.id,
                }
            )
        )

    @api.model
    def _anniversary_policy_ids(self, day):
        """Return the ids of the policies in force whose anniversary falls on
        ``day`` (a policy issued on 29 February has it on 28 February in other
        years), for the anniversary review (保单检视)."""
        leap_day_policies = (
            day.month == 2 and day.day == 28 and not calendar.isleap(day.year)
        )
        self.flush_model(["issue_date", "state", "active"])
        rows = self.env.execute_query(
            SQL(
                """
                SELECT id FROM insurance_policy
                 WHERE active AND state IN ('in_force', 'grace')
                   AND issue_date < %(day)s
                   AND extract(month FROM issue_date) = %(month)s
                   AND (extract(day FROM issue_date) = %(mday)s
                        OR (%(leap)s AND extract(day FROM issue_date) = 29))
                 ORDER BY id
                """,
                day=day,
                month=day.month,
                mday=day.day,
                leap=leap_day_policies,
            )
        )
        return [row[0] for row in rows]

    # The daily clock's steps (run by insurance.premium.clock) ----------------

    @api.model
    def _open_due_renewal_cases(self):
        """Open the renewal cases due now, in one go (demo data, manual runs)."""
        leads = self.env["crm.lead"]
        today = self._clock_today()
        cases = leads._open_renewal_cases(
            self.search(leads._open_renewal_cases_domain(today))
        )
        self.env["insurance.fact.flow"]._propagate()
        return cases

    def _mark_changed_for_other_workers(self):
        """Rewrite these policies' rows as they are, before a renewal case of theirs
        opens or reopens. The case's row is not the policy's: without this, a
        worker whose snapshot predates this transaction's commit would still lock
        the policy, see no open case and open another one. With it, that worker's
        claim or write of the policy fails to serialize and is retried on a fresh
        snapshot (and one waiting for this transaction does the same once it
        commits)."""
        if not self:
            return
        self.env.cr.execute(
            SQL(
                "UPDATE insurance_policy SET write_date = write_date WHERE id IN %s",
                tuple(self.ids),
            ),
            log_exceptions=False,
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

    @api.model
    def _premium_loan_domain(self, today):
        """Opted-in policies whose unpaid premium reaches its grace end today: the
        automatic premium loan is tried before the clock suspends them."""
        return (
            Domain("state", "in", CLOCK_STATES)
            & Domain("apl_opt_in", "=", True)
            & Domain(
                "premium_line_ids",
                "any",
                Domain("state", "in", schedule.OPEN_STATES)
                & Domain("lapse_date", "<=", today),
            )
        )

    def _premium_loan_batch(self, policies):
        """Pay by loan the premiums whose grace ends unpaid, where the cash value
        net of loans covers them; the others are suspended by the clock."""
        today = self._clock_today()
        requests = self.env["insurance.servicing.request"].sudo()
        for policy in policies:
            lines = policy.premium_line_ids.filtered(
                lambda line: (
                    line.state in schedule.OPEN_STATES and line.lapse_date <= today
                )
            )
            amount = sum(lines.mapped("amount_residual"))
            available = servicing.available_cash_value(
                policy.cash_value, policy.loan_balance
            )
            lang = policy.company_id.partner_id.lang or self.env.lang
            env = self.with_context(lang=lang).env
            if policy.currency_id.compare_amounts(available, amount) < 0:
                policy.message_post(
                    body=env._(
                        "Automatic premium loan not possible: the cash value net of "
                        "loans, %(available)s, does not cover %(amount)s.",
                        available=format_amount(env, available, policy.currency_id),
                        amount=format_amount(env, amount, policy.currency_id),
                    ),
                    subtype_xmlid="mail.mt_note",
                )
                continue
            request = requests.with_context(lang=lang).create(
                {
                    "policy_id": policy.id,
                    "lead_id": policy.renewal_lead_id.id,
                    "request_type": "apl",
                    "premium_line_ids": [Command.set(lines.ids)],
                    "amount": amount,
                    "user_id": policy.specialist_id.id,
                    "reason": env._("Grace period ended unpaid; the holder opted in."),
                }
            )
            request._execute()

    @api.model
    def _to_terminate_domain(self, today):
        return Domain("state", "=", "lapsed") & Domain(
            "reinstatement_deadline", "<", today
        )

    def _terminate_batch(self, policies):
        """Terminate the policies past their reinstatement window. The premiums
        planned for while they were suspended, and after, were never asked for and
        are no longer owed: waived, as a surrender waives them, so that no
        ledger, receivable or collection rate counts them as due. The premium left
        unpaid when the policy lapsed stays lapsed: it was due and not collected."""
        policies.write({"state": "terminated"})
        policies._waive_never_due_instalments()
        policies._ask_cash_value_refund()

    def _ask_cash_value_refund(self):
        """A policy terminated past its reinstatement window is owed its cash
        value (art. 37): finance's team is asked to refund it, net of the policy
        loans, to the holder; one to-do per policy, however often this runs."""
        notes = {}
        for policy in self.sudo():
            amount = servicing.available_cash_value(
                policy.cash_value, policy.loan_balance
            )
            if policy.currency_id.compare_amounts(amount, 0) <= 0:
                continue
            lang = policy.company_id.partner_id.lang or self.env.lang
            notes[policy.id] = policy.with_context(lang=lang).env._(
                "Policy %(policy)s was terminated on %(date)s, its reinstatement "
                "window over: refund its cash value of %(amount)s (net of its "
                "loans) to %(holder)s.",
                policy=policy.name,
                date=format_date(self.env, policy._clock_today()),
                amount=format_amount(self.env, amount, policy.currency_id),
                holder=policy.partner_id.name,
            )
        if notes:
            self.env["insurance.assignment.rule"]._fire(
                "surrender_payout", self.browse(list(notes)), note=notes
            )

    def _waive_never_due_instalments(self):
        planned = self.env["insurance.premium.line"].search(
            Domain("policy_id", "in", self.ids) & Domain("state", "=", schedule.PLANNED)
        )
        planned.filtered(lambda line: line.currency_id.is_zero(line.amount_paid)).write(
            {"state": schedule.WAIVED}
        )

    def _schedule_missing_mandate_todo(self):
        """One finance to-do per policy whose payer pays by auto-debit but holds no
        valid mandate, rather than a premium silently not debited: in the Finance
        team's queue through the assignment rules, once per policy."""
        notes = {
            policy.id: self.env._(
                "%(payer)s pays the premiums of %(policy)s by bank auto-debit but "
                "holds no valid debit mandate: the premium due is not debited "
                "until the signed mandate is registered on the payer's bank "
                "account and validated.",
                payer=policy.payer_id.name,
                policy=policy.name,
            )
            for policy in self.sudo()
        }
        self.env["insurance.assignment.rule"]._fire("mandate_missing", self, note=notes)
