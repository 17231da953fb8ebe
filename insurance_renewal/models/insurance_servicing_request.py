from datetime import timedelta

from markupsafe import Markup, escape

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount, format_date

from ..lib import schedule, servicing

RENEWAL_USER = "insurance_renewal.group_insurance_renewal_user"
# What the addon itself records on a request: nobody writes it over RPC.
ADDON_FIELDS = frozenset(
    {
        "name",
        "state",
        "payment_received",
        "effect",
        "date_done",
        "team_activity_ids",
        "back_premium_amount",
        "interest_amount",
        "interest_rate",
        "breakdown",
        "breakdown_date",
        "user_id",
        "payment_id",
        "premium_amount",
        "payout_amount",
        "cash_value_after",
        "interest_invoice_id",
        "late_interest_invoice_ids",
        "refund_move_id",
        "refund_payment_id",
        "refund_amount",
    }
)
UNDERWRITER = "insurance_renewal.group_insurance_underwriter"
# the reinstatements whose late interest is invoiced at the commit
LATE_INTEREST_KEY = "insurance_renewal.late_interest"
FINANCE = "account.group_account_invoice"
# The requests whose money finance pays out to the holder.
PAYOUT_TYPES = ("loan", "withdrawal", "surrender")
REQUEST_TYPES = [
    ("deferral", "Premium Deferral"),
    ("apl", "Automatic Premium Loan"),
    ("loan", "Policy Loan"),
    ("withdrawal", "Partial Withdrawal"),
    ("paid_up", "Reduced Paid-up"),
    ("surrender", "Surrender"),
    ("reinstatement", "Reinstatement"),
]
# The policy states from which each servicing action starts.
ALLOWED_STATES = {
    "deferral": ("in_force", "grace"),
    "apl": ("in_force", "grace"),
    "loan": ("in_force", "grace", "paid_up"),
    "withdrawal": ("in_force", "grace", "paid_up"),
    "paid_up": ("in_force", "grace"),
    "surrender": ("in_force", "grace", "lapsed", "paid_up"),
    "reinstatement": ("lapsed",),
}


class InsuranceServicingRequest(models.Model):
    """A servicing request (保全申请) on a policy whose holder cannot pay: what was
    asked, why, by whom, its approval where the insurer needs one, and its effect.

    The request is the record of the change: the policy's own history says what
    changed and links here."""

    _name = "insurance.servicing.request"
    _description = "Policy Servicing Request"
    _inherit = ["mail.thread", "mail.activity.mixin", "tier.validation"]
    _order = "id desc"
    _check_company_auto = True
    # Finance and underwriting read requests only; they note on them and work
    # the activities the assignment rules hand their team on them.
    _mail_post_access = "read"
    _state_from = ["draft"]
    _state_to = ["approved", "done"]
    _cancel_state = "cancel"

    # The tier validation's states, labelled (and translated) for this model.
    validation_status = fields.Selection(
        selection=[
            ("no", "No Approval Needed"),
            ("waiting", "Waiting"),
            ("pending", "Awaiting Approval"),
            ("rejected", "Refused"),
            ("validated", "Approved"),
        ],
        string="Approval",
    )
    name = fields.Char(
        string="Reference", required=True, readonly=True, copy=False, default="/"
    )
    request_type = fields.Selection(
        REQUEST_TYPES, string="Request", required=True, readonly=True, tracking=True
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("approved", "In Progress"),
            ("done", "Done"),
            ("cancel", "Cancelled"),
        ],
        required=True,
        default="draft",
        readonly=True,
        copy=False,
        tracking=True,
        index=True,
    )
    policy_id = fields.Many2one(
        "insurance.policy",
        required=True,
        readonly=True,
        index=True,
        check_company=True,
        ondelete="restrict",
    )
    lead_id = fields.Many2one(
        "crm.lead", string="Renewal Case", readonly=True, check_company=True
    )
    partner_id = fields.Many2one(related="policy_id.partner_id", string="Policyholder")
    product_id = fields.Many2one(related="policy_id.product_id")
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    policy_state = fields.Selection(related="policy_id.state", string="Policy Status")
    user_id = fields.Many2one(
        "res.users",
        string="Requested By",
        default=lambda self: self.env.user,
        readonly=True,
        help="The specialist told when the other teams are done.",
    )
    reason = fields.Text(
        help="Why the customer asks for it, as they said it.",
    )
    premium_line_ids = fields.Many2many(
        "insurance.premium.line",
        string="Instalments",
        check_company=True,
        domain="[('policy_id', '=', policy_id), ('state', 'in', ('due', 'grace', "
        "'planned'))]",
        help="The unpaid instalments the request is about.",
    )
    deferral_days = fields.Integer(string="Defer by (days)")
    policy_year = fields.Integer(compute="_compute_deferral_limits", store=True)
    beyond_limit = fields.Boolean(
        string="Beyond the Product's Limit",
        compute="_compute_beyond_limit",
        help="Longer, or more frequent in the policy year, than a specialist may "
        "grant alone: a renewal manager approves it.",
    )
    amount = fields.Monetary(
        help="The loan or the withdrawal; for a surrender, the value paid out; for "
        "a reinstatement, the back premiums with interest."
    )
    amount_limit = fields.Monetary(string="Available", compute="_compute_amount_limit")
    new_sum_assured = fields.Monetary()
    health_declaration = fields.Text(
        help="The insured's health declaration, for underwriting to accept."
    )
    back_premium_amount = fields.Monetary(readonly=True)
    interest_amount = fields.Monetary(string="Interest", readonly=True)
    interest_rate = fields.Float(string="Interest Rate (% a year)", readonly=True)
    breakdown = fields.Json(
        string="Back Premium Rows",
        readonly=True,
        copy=False,
        help="The back premiums as computed: due date, premium, days, interest.",
    )
    breakdown_date = fields.Date(readonly=True, copy=False)
    breakdown_html = fields.Html(
        string="Interest Breakdown", compute="_compute_breakdown_html", sanitize=False
    )
    loss_html = fields.Html(
        string="What the Customer Loses", compute="_compute_loss_html", sanitize=False
    )
    payment_received = fields.Boolean(readonly=True, copy=False, tracking=True)
    paid_in_accounting = fields.Boolean(
        compute="_compute_paid_in_accounting",
        help="The product invoices its premiums: a reinstatement is paid on its "
        "invoices in accounting, not recorded by hand.",
    )
    effect = fields.Text(readonly=True, copy=False)
    date_done = fields.Date(readonly=True, copy=False)
    premium_amount = fields.Monetary(
        string="Premium Paid",
        readonly=True,
        copy=False,
        help="For a partial withdrawal: the part of it that paid the chosen "
        "instalments, booked on their invoices.",
    )
    payout_amount = fields.Monetary(
        string="Paid Out",
        readonly=True,
        copy=False,
        help="What finance pays to the holder: the loan, the withdrawal less the "
        "premium it paid, or the surrender value net of loans.",
    )
    cash_value_after = fields.Monetary(readonly=True, copy=False)
    payment_id = fields.Many2one(
        "account.payment",
        string="Payout",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
        help="The outbound payment to the holder (loan, withdrawal, surrender value) "
        "prepared in draft for finance to check and post.",
    )
    interest_invoice_id = fields.Many2one(
        "account.move",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
        help="The reinstatement interest invoiced to the payer, paid with the back "
        "premiums' invoices.",
    )
    late_interest_invoice_ids = fields.Many2many(
        "account.move",
        "insurance_servicing_request_late_interest_rel",
        "request_id",
        "move_id",
        string="Interest for Late Payment",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
        help="The back premiums were paid after the day the interest was counted "
        "to: the interest of the days between, invoiced to the payer.",
    )
    refund_move_id = fields.Many2one(
        "account.move",
        string="Interest Credit Note",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
    )
    refund_payment_id = fields.Many2one(
        "account.payment",
        string="Refund",
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
        help="The draft refund to the payer of what they paid for a reinstatement "
        "that was refused or cancelled.",
    )
    refund_amount = fields.Monetary(
        readonly=True,
        copy=False,
        groups="account.group_account_invoice",
        help="What the draft refund gives back: it is posted for this amount.",
    )
    team_activity_ids = fields.Many2many(
        "mail.activity", string="Work Asked of Other Teams", readonly=True, copy=False
    )

    @api.depends("premium_line_ids")
    def _compute_deferral_limits(self):
        for request in self:
            lines = request.premium_line_ids
            request.policy_year = min(lines.mapped("policy_year"), default=0)

    @api.depends("policy_id.product_id.premium_product_id")
    def _compute_paid_in_accounting(self):
        for request in self:
            request.paid_in_accounting = bool(
                request.policy_id.product_id.sudo().premium_product_id
            )

    @api.depends("request_type", "name")
    def _compute_display_name(self):
        for request in self:
            request.display_name = (
                f"{request._type_label()} {request.name}"
                if request.request_type
                else request.name
            )

    @api.depends("request_type", "deferral_days", "policy_year", "policy_id")
    def _compute_beyond_limit(self):
        """Not stored: the deferrals already done in the year count when the
        request is submitted, not when it was drafted."""
        for request in self:
            if request.request_type != "deferral":
                request.beyond_limit = False
                continue
            product = request.policy_id.product_id
            request.beyond_limit = (
                request.deferral_days > product.deferral_max_days
                or request._deferrals_this_year() >= product.deferral_max_per_year
            )

    @api.depends("request_type", "policy_id.cash_value", "policy_id.loan_balance")
    def _compute_amount_limit(self):
        for request in self:
            policy = request.policy_id
            if request.request_type == "loan":
                request.amount_limit = servicing.loan_limit(
                    policy.cash_value,
                    policy.loan_balance,
                    policy.product_id.loan_max_percent,
                )
            else:
                request.amount_limit = servicing.available_cash_value(
                    policy.cash_value, policy.loan_balance
                )

    @api.depends("request_type", "policy_id")
    def _compute_loss_html(self):
        for request in self:
            request.loss_html = (
                request._surrender_loss_html()
                if request.request_type == "surrender"
                else False
            )

    @api.depends("breakdown", "breakdown_date")
    @api.depends_context("lang")
    def _compute_breakdown_html(self):
        """The reinstatement's back premiums line by line, in the reader's
        language."""
        for request in self:
            rows = request._breakdown_rows()
            request.breakdown_html = request._breakdown_html(rows) if rows else False

    def _deferrals_this_year(self):
        self.ensure_one()
        return self.search_count(
            [
                ("policy_id", "=", self.policy_id.id),
                ("request_type", "=", "deferral"),
                ("state", "=", "done"),
                ("policy_year", "=", self.policy_year),
                ("id", "!=", self._origin.id or 0),
            ]
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_addon_fields(vals)
        requests = super().create(vals_list)
        for request in requests.sudo():
            # A reference in no language: the kind is shown in the reader's.
            request.name = f"{request.policy_id.name}-{request.id}"
        return requests

    def write(self, vals):
        self._check_addon_fields(vals)
        # Submitted (reviews exist, even while it stays a draft): what the
        # reviewers approve is what was submitted. base_tier_validation would let
        # the amount, or anything with its skip_validation_check context, change.
        if not self.env.su and self.filtered(
            lambda r: r.state != "draft" or r.review_ids
        ):
            raise UserError(
                self.env._("A submitted servicing request can no longer be changed.")
            )
        return super().write(vals)

    def _check_addon_fields(self, vals):
        if self.env.su or not ADDON_FIELDS & vals.keys():
            return
        raise AccessError(
            self.env._(
                "The status, amounts and effect of a servicing request are "
                "recorded by the addon, never by hand."
            )
        )

    def _get_under_validation_exceptions(self):
        return super()._get_under_validation_exceptions() + [
            "state",
            "payment_received",
            "effect",
            "date_done",
            "team_activity_ids",
            "amount",
            "back_premium_amount",
            "interest_amount",
            "interest_rate",
            "breakdown",
            "breakdown_date",
            "payment_id",
            "premium_amount",
            "payout_amount",
            "cash_value_after",
            "interest_invoice_id",
            "late_interest_invoice_ids",
            "refund_move_id",
            "refund_payment_id",
            "refund_amount",
        ]

    def _get_after_validation_exceptions(self):
        return self._get_under_validation_exceptions()

    # Actions ----------------------------------------------------------------

    def action_confirm(self):
        """Submit the request: it takes effect now, or goes to its reviewers
        first where the insurer needs an approval."""
        self._check_servicing_rights()
        for request in self:
            request._check_request()
            # Checked above: a renewal specialist of this policy's company asks
            # for a change the product allows. What follows writes facts (the
            # schedule, the state) that only the addon writes, hence superuser.
            request = request.sudo()
            if request.request_type == "reinstatement":
                request._prepare_reinstatement()
                request.policy_id._close_reinstatement_followup(request)
            if request.need_validation:
                request._submit_for_review()
            else:
                request._execute()
        return True

    def action_cancel(self):
        self._check_servicing_rights()
        if self.filtered(lambda r: r.state not in ("draft", "approved")):
            raise UserError(self.env._("Only a request not yet done can be cancelled."))
        if self.filtered(
            lambda r: r.state == "approved" and r.request_type != "reinstatement"
        ):
            raise UserError(
                self.env._(
                    "This request already changed the policy: it cannot be cancelled."
                )
            )
        # Checked above; the reviews and the other teams' to-dos go with it, and
        # what the payer paid for a reinstatement goes back to them.
        self.sudo().team_activity_ids.unlink()
        self.sudo().write({"state": "cancel"})
        self.filtered(lambda r: r.request_type == "reinstatement").sudo()._refund()
        return True

    def action_confirm_payment(self):
        """Record that the customer paid the reinstatement amount; the policy is in
        force again once underwriting has approved too."""
        self.check_access("read")
        if not (
            self.env.user.has_group(RENEWAL_USER) or self.env.user.has_group(FINANCE)
        ):
            raise AccessError(
                self.env._(
                    "Only renewal specialists and finance record a reinstatement "
                    "payment."
                )
            )
        for request in self:
            request._check_reinstatement_payable()
            # the window may have closed while it waited: a terminated policy is
            # not reinstated (its cash value is being refunded)
            request._check_still_possible()
            # Checked above: a specialist or finance user records a payment they
            # received; the instalments are facts the addon writes.
            request.sudo()._receive_reinstatement_payment()
        return True

    def _check_servicing_rights(self):
        self.check_access("write")
        self.policy_id.check_access("write")
        if not self.env.user.has_group(RENEWAL_USER):
            raise AccessError(self.env._("Only renewal specialists service policies."))

    # Checks --------------------------------------------------------------------

    def _check_request(self):
        self.ensure_one()
        policy = self.policy_id
        if self.state != "draft" or self.review_ids:
            raise UserError(
                self.env._(
                    "%(request)s was already submitted.", request=self.display_name
                )
            )
        if policy.state not in ALLOWED_STATES[self.request_type]:
            raise UserError(
                self.env._(
                    "%(request)s is not possible for policy %(policy)s in its "
                    "current status, %(state)s.",
                    request=self._type_label(),
                    policy=policy.name,
                    state=self._policy_state_label(),
                )
            )
        if self.request_type in ("surrender", "reinstatement"):
            self._check_none_waiting()
        if not (self.reason or "").strip():
            raise UserError(
                self.env._("Say why the customer asks for it: the reason is required.")
            )
        getattr(self, f"_check_{self.request_type}", lambda: None)()

    def _check_none_waiting(self):
        """One surrender or reinstatement of a policy at a time: a second one
        would pay the cash value out, or invoice the interest, twice."""
        waiting = self.search(
            [
                ("policy_id", "=", self.policy_id.id),
                ("request_type", "=", self.request_type),
                ("id", "!=", self.id),
                "|",
                ("state", "=", "approved"),
                "&",
                "&",
                ("state", "=", "draft"),
                ("review_ids", "!=", False),
                ("validation_status", "!=", "rejected"),
            ],
            limit=1,
        )
        if waiting:
            raise UserError(
                self.env._(
                    "%(request)s already waits for policy %(policy)s: finish or "
                    "cancel it before asking again.",
                    request=waiting.display_name,
                    policy=self.policy_id.name,
                )
            )

    def _check_still_possible(self):
        """Approved, the request takes effect only if the policy still allows
        it: it may have ended (a claim, another request) while it waited."""
        if self.policy_id.state not in ALLOWED_STATES[self.request_type]:
            raise UserError(
                self.env._(
                    "%(request)s can no longer take effect: policy %(policy)s is "
                    "now %(state)s. Refuse the request instead.",
                    request=self.display_name,
                    policy=self.policy_id.name,
                    state=self._policy_state_label(),
                )
            )

    def _policy_state_label(self):
        policy = self.policy_id
        return dict(policy._fields["state"]._description_selection(self.env))[
            policy.state
        ]

    def _check_deferral(self):
        product = self.policy_id.product_id
        if self.premium_line_ids.policy_id - self.policy_id:
            raise UserError(
                self.env._(
                    "Only instalments of policy %(policy)s can be deferred here.",
                    policy=self.policy_id.name,
                )
            )
        if not product.deferral_hard_limit_days:
            raise UserError(
                self.env._(
                    "Product %(product)s does not allow premium deferral.",
                    product=product.display_name,
                )
            )
        if not self.premium_line_ids.filtered(
            lambda line: line.state in schedule.OPEN_STATES
        ) or self.premium_line_ids.filtered(
            lambda line: line.state not in schedule.OPEN_STATES
        ):
            raise UserError(
                self.env._(
                    "Choose the unpaid instalments to defer: paid, deferred or "
                    "lapsed premiums cannot be deferred."
                )
            )
        if not 0 < self.deferral_days <= product.deferral_hard_limit_days:
            raise UserError(
                self.env._(
                    "A premium of product %(product)s can be deferred by 1 to "
                    "%(max)s days, not %(days)s.",
                    product=product.display_name,
                    max=product.deferral_hard_limit_days,
                    days=self.deferral_days,
                )
            )

    def _check_loan(self):
        self._check_amount_within(self.amount_limit)

    def _check_withdrawal(self):
        product = self.policy_id.product_id
        if not product.partial_withdrawal_allowed:
            raise UserError(
                self.env._(
                    "Product %(product)s does not allow partial withdrawals.",
                    product=product.display_name,
                )
            )
        self._check_amount_within(self.amount_limit)
        lines = self.premium_line_ids
        if lines.policy_id - self.policy_id or lines - self._withdrawal_lines():
            raise UserError(
                self.env._(
                    "A partial withdrawal pays only unpaid instalments of policy "
                    "%(policy)s: remove the others.",
                    policy=self.policy_id.name,
                )
            )
        premium = sum(lines.mapped("amount_residual"))
        if self.currency_id.compare_amounts(premium, self.amount) > 0:
            raise UserError(
                self.env._(
                    "The withdrawal of %(amount)s cannot pay the %(premium)s due on "
                    "the instalments chosen: withdraw more or choose fewer.",
                    amount=self._money(self.amount),
                    premium=self._money(premium),
                )
            )

    def _check_amount_within(self, limit):
        if self.currency_id.compare_amounts(self.amount, 0) <= 0:
            raise UserError(self.env._("Enter the amount the customer asks for."))
        if self.currency_id.compare_amounts(self.amount, limit) > 0:
            raise UserError(
                self.env._(
                    "Not enough cash value: policy %(policy)s can give at most "
                    "%(limit)s (cash value %(cash)s, loans %(loan)s), not "
                    "%(amount)s.",
                    policy=self.policy_id.name,
                    limit=self._money(limit),
                    cash=self._money(self.policy_id.cash_value),
                    loan=self._money(self.policy_id.loan_balance),
                    amount=self._money(self.amount),
                )
            )

    def _check_paid_up(self):
        if self.currency_id.compare_amounts(self.new_sum_assured, 0) <= 0:
            raise UserError(
                self.env._(
                    "Enter the reduced sum assured the cash value buys, as the "
                    "policy administration system quotes it."
                )
            )

    def _check_reinstatement(self):
        policy = self.policy_id
        today = policy._clock_today()
        if policy.reinstatement_deadline and today > policy.reinstatement_deadline:
            raise UserError(
                self.env._(
                    "Policy %(policy)s can no longer be reinstated: its "
                    "reinstatement deadline was %(deadline)s.",
                    policy=policy.name,
                    deadline=format_date(self.env, policy.reinstatement_deadline),
                )
            )
        if not (self.health_declaration or "").strip():
            raise UserError(
                self.env._(
                    "A reinstatement needs the insured's health declaration for "
                    "underwriting."
                )
            )

    def _check_reinstatement_payable(self):
        self.ensure_one()
        if (
            self.request_type != "reinstatement"
            or self.state
            not in (
                "draft",
                "approved",
            )
            or not self.back_premium_amount
        ):
            raise UserError(
                self.env._(
                    "%(request)s is not a submitted reinstatement awaiting payment.",
                    request=self.display_name,
                )
            )
        if self.payment_received:
            raise UserError(
                self.env._(
                    "The payment of %(request)s is already recorded.",
                    request=self.display_name,
                )
            )
        unpaid = self._reinstatement_invoices().filtered(
            lambda move: not move.currency_id.is_zero(move.amount_residual)
        )
        if unpaid:
            raise UserError(
                self.env._(
                    "Register the payment of invoices %(invoices)s in accounting: "
                    "the back premiums and the interest follow their invoices.",
                    invoices=", ".join(unpaid.mapped("name")),
                )
            )

    # Submission and approval ------------------------------------------------------

    def _submit_for_review(self):
        self.request_validation()
        # The reviews point here by res_id: the cached (empty) list is stale.
        self.invalidate_recordset(["review_ids"])
        if self.request_type == "reinstatement":
            self._add_team_work(
                "reinstatement_review",
                self.env._(
                    "Review the health declaration of %(request)s",
                    request=self.display_name,
                ),
                self.health_declaration,
            )
        self._log_on_policy(
            self.env._("submitted for approval"),
        )

    def _validate_tier(self, tiers=False):
        result = super()._validate_tier(tiers)
        # the addon's own approval, already under way (a reviewer's context
        # alone would record the approval and leave the request undone)
        if self.env.su and self.env.context.get("servicing_approving"):
            return result
        self.invalidate_recordset(["review_ids", "validation_status"])
        if self.validation_status == "validated" and self.state == "draft":
            # The reviewers approved (each review checks its reviewer): the
            # request now takes effect, as the addon, whoever approved last.
            self.sudo().with_context(servicing_approving=True)._on_approved()
        return result

    # The review's chatter notes, in words of this addon (translated), where
    # base_tier_validation's own have no Chinese.
    def _notify_created_review_body(self):
        return self.env._(
            "%(user)s submitted this request for review.", user=self.env.user.name
        )

    def _notify_requested_review_body(self, tier_reviews=None):
        if not tier_reviews:
            return self.env._(
                "Review requested by %(user)s.", user=self.env.user.display_name
            )
        requester = tier_reviews[:1].requested_by or self.env.user
        return self.env._(
            "Review pending for %(reviewers)s, requested by %(requester)s.",
            reviewers=", ".join(filter(None, tier_reviews.mapped("todo_by")))
            or self.env._("the reviewers"),
            requester=requester.display_name,
        )

    def _notify_rejected_review_body(self):
        comment = next(
            (
                review.comment
                for review in self.review_ids
                if self.env.user in review.reviewer_ids and review.comment
            ),
            None,
        )
        if comment:
            return self.env._(
                "Refused by %(user)s: %(comment)s",
                user=self.env.user.name,
                comment=comment,
            )
        return self.env._("Refused by %(user)s.", user=self.env.user.name)

    def _notify_restarted_review_body(self):
        return self.env._("Review started again by %(user)s.", user=self.env.user.name)

    def _rejected_tier(self, tiers=False):
        result = super()._rejected_tier(tiers)
        if self.validation_status == "rejected":
            self.sudo()._tell_requester(
                self.env._(
                    "%(request)s was refused by %(user)s.",
                    request=self.display_name,
                    user=self.env.user.name,
                )
            )
            self.sudo().team_activity_ids.unlink()
            if self.request_type == "reinstatement":
                self.sudo()._refund()
        return result

    def _on_approved(self):
        """The reviewers approved: the request takes effect."""
        self._check_still_possible()
        if self.request_type == "reinstatement":
            self._on_underwriting_approved()
        else:
            self._execute()

    def _on_underwriting_approved(self):
        """Underwriting accepted the health declaration: the reinstatement proceeds,
        and completes once the customer has paid."""
        self.team_activity_ids.unlink()
        self.state = "approved"
        if self.payment_received and (
            not self._reinstatement_invoices() or self._reinstatement_settled()
        ):
            self._complete_reinstatement()
        else:
            self._tell_requester(
                self.env._(
                    "Underwriting approved %(request)s: collect %(amount)s and record "
                    "the payment to put the policy back in force.",
                    request=self.display_name,
                    amount=self._money(self.amount),
                )
            )

    def _on_team_work_done(self, activities):
        """Another team marked the work asked of it done."""
        self.ensure_one()
        user = self.env.user
        if self.sudo().refund_payment_id:
            if not user.has_group(FINANCE):
                raise AccessError(self.env._("Only finance confirms a refund."))
            refund = self.sudo().refund_payment_id
            if refund.state == "draft":
                # Posted in finance's own name, with their rights on payments.
                refund.with_user(user).action_post()
        elif self.request_type == "reinstatement" and self.state == "draft":
            if not user.has_group(UNDERWRITER):
                raise AccessError(
                    self.env._("Only underwriting accepts a health declaration.")
                )
            self.with_user(user).validate_tier()
        elif self.request_type in PAYOUT_TYPES and self.state == "approved":
            if not user.has_group(FINANCE):
                raise AccessError(self.env._("Only finance confirms a payout."))
            payment = self.sudo().payment_id
            if payment.state == "draft":
                # Posted in finance's own name, with their rights on payments.
                payment.with_user(user).action_post()
            self.sudo()._on_payout_confirmed()

    def _on_payout_confirmed(self):
        """Finance paid the holder: the request is complete."""
        for request in self.filtered(lambda r: r.state == "approved"):
            request.team_activity_ids.filtered("active").unlink()
            request._finish(
                request.env._(
                    "%(amount)s paid out", amount=request._money(request.payout_amount)
                )
            )
            request._tell_requester(
                request.env._(
                    "Finance paid out %(amount)s of %(request)s.",
                    amount=request._money(request.payout_amount),
                    request=request.display_name,
                )
            )

    # Effects ------------------------------------------------------------------

    def _execute(self):
        self.state = "approved"
        getattr(self, f"_execute_{self.request_type}")()

    def _execute_deferral(self):
        policy = self.policy_id
        grace_days = policy.product_id.grace_period_days
        moved = []
        for line in self.premium_line_ids:
            new_due = line.due_date + timedelta(days=self.deferral_days)
            moved.append((line.display_name, line.due_date, new_due))
            line.write(
                {
                    "due_date": new_due,
                    "grace_end_date": schedule.grace_end_date(new_due, grace_days),
                    "demand_date": False,
                }
            )
        self.premium_line_ids._advance_clock(policy._clock_today())
        self._finish(
            "; ".join(
                self.env._(
                    "%(line)s due %(old)s → %(new)s",
                    line=name,
                    old=format_date(self.env, old),
                    new=format_date(self.env, new),
                )
                for name, old, new in moved
            )
        )

    def _execute_apl(self):
        policy = self.policy_id
        for line in self.premium_line_ids:
            line._pay_by_loan(self.name)
        policy.loan_balance += self.amount
        self._add_team_work(
            "loan_payout",
            self.env._(
                "Check the automatic premium loan %(request)s",
                request=self.display_name,
            ),
            self.env._(
                "%(amount)s of premium paid by loan on policy %(policy)s.",
                amount=self._money(self.amount),
                policy=policy.name,
            ),
        )
        self._tell_customer(
            self.env._(
                "Dear customer, the premium of %(amount)s of policy %(policy)s was "
                "paid by an automatic premium loan on its cash value; your policy "
                "stays in force. Loan balance now: %(loan)s.",
                amount=self._money(self.amount),
                policy=policy.name,
                loan=self._money(policy.loan_balance),
            )
        )
        self._finish(
            self.env._(
                "%(amount)s paid by loan, loan balance now %(loan)s",
                amount=self._money(self.amount),
                loan=self._money(policy.loan_balance),
            )
        )

    def _execute_loan(self):
        policy = self.policy_id
        policy.loan_balance += self.amount
        self._pay_out(
            self.amount,
            "loan",
            self.env._("Policy loan, policy %(policy)s", policy=policy.name),
            self.env._(
                "Pay out the policy loan %(request)s", request=self.display_name
            ),
        )
        self._finish(
            self.env._(
                "loan of %(amount)s granted, loan balance now %(loan)s; finance "
                "pays it out",
                amount=self._money(self.amount),
                loan=self._money(policy.loan_balance),
            ),
            done=False,
        )

    def _execute_withdrawal(self):
        """The withdrawal pays the chosen instalments first, on their invoices;
        finance pays the rest out."""
        policy = self.policy_id
        lines = self._withdrawal_lines()
        premium = sum(lines.mapped("amount_residual"))
        for line in lines:
            line._pay_by_withdrawal(self.name)
        policy.cash_value -= self.amount
        payout = self.amount - premium
        self.write(
            {
                "premium_amount": premium,
                "payout_amount": payout,
                "cash_value_after": policy.cash_value,
            }
        )
        policy._sync_state_with_schedule()
        paid_out = not self.currency_id.is_zero(payout)
        if paid_out:
            self._pay_out(
                payout,
                "benefit",
                self.env._("Partial withdrawal, policy %(policy)s", policy=policy.name),
                self.env._(
                    "Pay out the partial withdrawal %(request)s",
                    request=self.display_name,
                ),
            )
        self._finish(
            self.env._(
                "%(amount)s withdrawn (premium paid %(premium)s, to pay out "
                "%(payout)s), cash value now %(cash)s",
                amount=self._money(self.amount),
                premium=self._money(premium),
                payout=self._money(payout),
                cash=self._money(policy.cash_value),
            ),
            done=not paid_out,
        )

    def _withdrawal_lines(self):
        return self.premium_line_ids.filtered(
            lambda line: (
                line.state in schedule.OPEN_STATES
                and line.currency_id.compare_amounts(line.amount_residual, 0) > 0
            )
        )

    def _pay_out(self, amount, account_kind, memo, summary):
        """Prepare the draft outbound payment of ``amount`` to the holder, booked
        against the loan or the benefit account (``account_kind``), and ask
        finance's team to check and post it."""
        policy = self.policy_id
        self.write(
            {
                "payout_amount": amount,
                "payment_id": self._prepare_payout(amount, account_kind, memo).id,
            }
        )
        self._add_team_work(
            "surrender_payout" if self.request_type == "surrender" else "loan_payout",
            summary,
            self.env._(
                "Pay %(amount)s to %(partner)s (policy %(policy)s). Check and post "
                "the draft payment prepared; marking this to-do done posts it.",
                amount=self._money(amount),
                partner=policy.partner_id.name,
                policy=policy.name,
            ),
        )

    def _execute_paid_up(self):
        policy = self.policy_id
        old_sum = policy.sum_assured
        self._close_case("insurance_renewal.lost_reason_paid_up")
        cancelled = policy._cancel_future_instalments()
        policy.write({"state": "paid_up", "sum_assured": self.new_sum_assured})
        self._finish(
            self.env._(
                "policy paid-up, sum assured %(old)s → %(new)s, %(count)s future "
                "instalments cancelled",
                old=self._money(old_sum),
                new=self._money(self.new_sum_assured),
                count=len(cancelled),
            ),
            done=True,
        )

    def _execute_surrender(self):
        """The surrender value net of loans is paid out; the loans are repaid from
        the cash value, both booked as cash value paid out."""
        policy = self.policy_id
        loan = policy.loan_balance
        self.amount = servicing.available_cash_value(policy.cash_value, loan)
        self._close_case("insurance_renewal.lost_reason_surrender")
        cancelled = policy._cancel_future_instalments()
        self._repay_loan(loan)
        self._pay_out(
            self.amount,
            "benefit",
            self.env._("Surrender value, policy %(policy)s", policy=policy.name),
            self.env._(
                "Pay out the surrender value of %(request)s", request=self.display_name
            ),
        )
        policy.write(
            {
                "state": "surrendered",
                "end_reason": "surrender",
                "end_date": policy._clock_today(),
            }
        )
        self.cash_value_after = 0.0
        self._log_on_policy(
            self.env._(
                "policy surrendered, %(count)s future instalments cancelled, loans "
                "of %(loan)s repaid from the cash value, %(amount)s to pay out",
                count=len(cancelled),
                loan=self._money(loan),
                amount=self._money(self.amount),
            )
        )

    def _repay_loan(self, loan):
        """Book the repayment of the policy's loans from its cash value."""
        if self.currency_id.compare_amounts(loan, 0) <= 0 or not self._bank_journal():
            return
        policy = self.policy_id
        product = policy.product_id
        benefit_account = self._payout_account("benefit")
        self.env["account.move"]._insurance_book_entry(
            product._servicing_journal(policy.company_id),
            policy._clock_today(),
            self.env._(
                "Loans repaid from the surrender value: %(request)s",
                request=self.display_name,
            ),
            policy.partner_id,
            [(benefit_account, loan), (self._payout_account("loan"), -loan)],
        )

    # Reinstatement ------------------------------------------------------------

    def _reinstatement_lines(self):
        policy = self.policy_id
        today = policy._clock_today()
        return policy.premium_line_ids.filtered(
            lambda line: (
                line.state not in schedule.SETTLED_STATES and line.due_date <= today
            )
        )

    def _prepare_reinstatement(self):
        """Compute the back premiums and their interest to the day."""
        policy = self.policy_id
        today = policy._clock_today()
        policy._extend_schedule(today)
        lines = self._reinstatement_lines()
        self.write(
            {
                "premium_line_ids": [Command.set(lines.ids)],
                "interest_rate": policy.product_id.reinstatement_interest_rate,
            }
        )
        self._price_to(today, [(line.due_date, line.amount_residual) for line in lines])
        if policy.product_id.premium_product_id:
            self._invoice_reinstatement(lines, self.interest_amount)

    def _price_to(self, day, premiums=None):
        """Count the back premiums' interest to ``day``; return the interest added
        since it was last counted. ``premiums``: (due date, amount) of each back
        premium, by default those counted before."""
        if premiums is None:
            premiums = self._back_premiums()
        rows = servicing.back_premiums(premiums, self.interest_rate, day)
        return self._store_breakdown(rows, day)

    def _store_breakdown(self, rows, day):
        """Store the back premiums ``rows`` counted to ``day``; return the
        interest added since it was last counted."""
        back = sum(row.amount for row in rows)
        interest = self.currency_id.round(sum(row.interest for row in rows))
        added = interest - (self.interest_amount or 0.0)
        self.write(
            {
                "back_premium_amount": back,
                "interest_amount": interest,
                "amount": back + interest,
                "breakdown": [
                    {
                        "due_date": fields.Date.to_string(row.due_date),
                        "amount": row.amount,
                        "days": row.days,
                        "interest": row.interest,
                        "counted_to": fields.Date.to_string(row.counted_to),
                        "parts": [
                            [fields.Date.to_string(part_day), part]
                            for part_day, part in row.parts
                        ],
                    }
                    for row in rows
                ],
                "breakdown_date": day,
            }
        )
        return added

    def _breakdown_rows(self):
        """The back premiums as counted before, one ``BackPremium`` each."""
        return [
            servicing.BackPremium(
                fields.Date.to_date(row["due_date"]),
                row["amount"],
                row["days"],
                row["interest"],
                # counted before each premium had its own day: all to one
                fields.Date.to_date(row.get("counted_to")) or self.breakdown_date,
                tuple(
                    (fields.Date.to_date(day), part)
                    for day, part in row.get("parts") or ()
                ),
            )
            for row in self.breakdown or []
        ]

    def _back_premiums(self):
        """(due date, amount) of each back premium counted before."""
        return [(row.due_date, row.amount) for row in self._breakdown_rows()]

    def _invoice_reinstatement(self, lines, interest):
        """Invoice what a reinstatement costs: the back premiums not invoiced yet,
        and the interest on its income account, so that finance reconciles the
        customer's one payment against all of it."""
        lines.filtered(lambda line: line.invoice_id.state != "posted")._issue_invoices()
        if self.currency_id.is_zero(interest):
            return
        self.interest_invoice_id = self._post_interest_invoice(
            interest,
            self.env._(
                "Reinstatement interest, policy %(policy)s: "
                "%(rate)s%% a year on back premiums of %(back)s "
                "(%(request)s)",
                policy=self.policy_id.name,
                rate=self.interest_rate,
                back=self._money(self.back_premium_amount),
                request=self.name,
            ),
        )

    def _post_interest_invoice(self, interest, label):
        """Invoice ``interest`` to the payer on the product's interest account."""
        policy = self.policy_id
        product = policy.product_id
        journal = product.invoice_journal_id or self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(policy.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )
        today = policy._clock_today()
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "company_id": policy.company_id.id,
                "partner_id": policy.payer_id.id,
                "journal_id": journal.id,
                "currency_id": policy.currency_id.id,
                "invoice_date": today,
                "invoice_date_due": today,
                "invoice_payment_term_id": False,
                "payment_reference": self.name,
                "insurance_policy_id": policy.id,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": label,
                            "account_id": product._interest_account(
                                policy.company_id
                            ).id,
                            "quantity": 1,
                            "price_unit": interest,
                            "tax_ids": [Command.clear()],
                        }
                    )
                ],
            }
        )
        invoice.action_post()
        return invoice

    def _counted_to_text(self, row):
        """The day a back premium's interest is counted to; for one paid in
        parts, each part's day and amount."""
        if not row.parts:
            return format_date(self.env, row.counted_to)
        return "; ".join(
            f"{format_date(self.env, day)} ({self._money(part)})"
            for day, part in row.parts
        )

    def _breakdown_html(self, rows):
        env = self.env
        head = [
            env._("Due Date"),
            env._("Premium"),
            env._("Interest Counted To"),
            env._("Days"),
            env._("Interest"),
        ]
        body = [
            [
                format_date(env, row.due_date),
                self._money(row.amount),
                self._counted_to_text(row),
                ", ".join(
                    str(max((day - row.due_date).days, 0)) for day, _part in row.parts
                )
                or str(row.days),
                self._money(row.interest),
            ]
            for row in rows
        ]
        body.append(
            [
                env._("Total"),
                self._money(sum(row.amount for row in rows)),
                "",
                "",
                self._money(sum(row.interest for row in rows)),
            ]
        )
        return _table(head, body)

    def _receive_reinstatement_payment(self):
        # paid after the day the interest was counted to: counted to today
        today = self.policy_id._clock_today()
        if self.breakdown_date and today > self.breakdown_date:
            self._price_to(today)
        # the quoted back premiums only: one falling due since was not charged
        unpaid = self.premium_line_ids.filtered(
            lambda line: (
                not line.invoice_id and line.state not in schedule.SETTLED_STATES
            )
        )
        for line in unpaid:
            line.write({"amount_paid": line.amount})
        self._mark_reinstatement_paid(
            self.env._(
                "payment of %(amount)s received (back premiums %(back)s, interest "
                "%(interest)s)",
                amount=self._money(self.amount),
                back=self._money(self.back_premium_amount),
                interest=self._money(self.interest_amount),
            )
        )

    def _mark_reinstatement_paid(self, note):
        """The reinstatement is paid: say so on the policy, and reinstate it if
        underwriting already approved."""
        self.payment_received = True
        self._log_on_policy(note)
        if self.state != "approved":
            return
        if self.policy_id.state in ALLOWED_STATES[self.request_type]:
            self._complete_reinstatement()
        else:
            # paid in accounting after the policy ended (its reinstatement window
            # closed): it stays ended; cancelling the request refunds the payment
            self._tell_requester(
                self.env._(
                    "%(request)s was paid after policy %(policy)s ended: it is not "
                    "reinstated. Cancel the request to refund the payment.",
                    request=self.display_name,
                    policy=self.policy_id.name,
                )
            )

    def _reinstatement_invoices(self):
        """The invoices a reinstatement's payment settles."""
        request = self.sudo()
        return (
            request.premium_line_ids.invoice_id
            | request.interest_invoice_id
            | request.late_interest_invoice_ids
        ).filtered(lambda move: move.state == "posted")

    def _reinstatement_settled(self):
        """Everything a reinstatement costs is paid, as the accounting says."""
        invoices = self._reinstatement_invoices()
        return bool(invoices) and all(
            move.currency_id.is_zero(move.amount_residual)
            and move.payment_state != "reversed"
            for move in invoices
        )

    @api.model
    def _sync_reinstatement_payments(self, moves):
        """The payments of these invoices changed: the reinstatements they belong
        to learn whether everything is paid, and proceed when it is."""
        requests = self.sudo().search(
            [
                ("request_type", "=", "reinstatement"),
                ("state", "in", ("draft", "approved")),
                ("validation_status", "!=", "rejected"),
                "|",
                "|",
                ("interest_invoice_id", "in", moves.ids),
                ("late_interest_invoice_ids", "in", moves.ids),
                ("premium_line_ids.invoice_id", "in", moves.ids),
            ]
        )
        for request in requests:
            settled = request._reinstatement_settled()
            if settled and not request.payment_received:
                if request._paid_late():
                    request._invoice_late_interest_at_commit()
                    continue
                request._on_reinstatement_paid()
            elif not settled and request.payment_received:
                request.payment_received = False
                request._log_on_policy(
                    request.env._("payment taken back in accounting")
                )

    def _paid_late(self):
        """When back premiums were paid after the day their interest was counted
        to and more interest is owed: the payments made late, (day, amount) each
        by due date; else None. Each payment owes interest to its own day, so a
        premium paid on time is not charged for another paid late, nor the part
        of a premium paid on time for the rest paid late."""
        late = self._late_payments_each()
        if not late:
            return None
        added = sum(row.interest for row in self._repriced(late)) - self.interest_amount
        return late if self.currency_id.compare_amounts(added, 0) > 0 else None

    def _invoice_late_interest_at_commit(self):
        """Invoice the late interest once the payment's reconciliation is over:
        an invoice created inside it would not get its journal items (Odoo
        suspends their synchronisation until the reconciliation ends)."""
        pending = self.env.cr.precommit.data.setdefault(LATE_INTEREST_KEY, set())
        if not pending:
            self.env.cr.precommit.add(self._invoice_pending_late_interest)
        pending.update(self.ids)

    @api.model
    def _invoice_pending_late_interest(self):
        ids = self.env.cr.precommit.data.pop(LATE_INTEREST_KEY, set())
        # not in the reconciliation's context (it suspends the invoices' sync)
        context = {
            key: value
            for key, value in self.env.context.items()
            if key in ("lang", "tz", "allowed_company_ids")
        }
        requests = self.env(context=context, su=True)[self._name].browse(sorted(ids))
        for request in requests.exists():
            if request.payment_received or not request._reinstatement_settled():
                continue
            if late := request._paid_late():
                request._invoice_late_interest(late)

    def _invoice_late_interest(self, late):
        """Invoice the interest of the payments made after the day their back
        premium's interest was counted to: each from that day to the day it was
        made. ``late``: the (day, amount) of each, by due date."""
        counted_to = self.breakdown_date
        paid_on = max(day for payments in late.values() for day, _amount in payments)
        late_amount = sum(
            amount for payments in late.values() for _day, amount in payments
        )
        added = self._store_breakdown(self._repriced(late), paid_on)
        invoice = self._post_interest_invoice(
            added,
            self.env._(
                "Reinstatement interest, policy %(policy)s: %(rate)s%% a year on "
                "back premiums of %(back)s paid after %(start)s, to the day each "
                "was paid (the last on %(end)s) (%(request)s)",
                policy=self.policy_id.name,
                rate=self.interest_rate,
                back=self._money(late_amount),
                start=format_date(self.env, counted_to),
                end=format_date(self.env, paid_on),
                request=self.name,
            ),
        )
        self.late_interest_invoice_ids |= invoice
        self._log_on_policy(
            self.env._(
                "back premiums paid after the interest was counted to %(counted)s "
                "(the last on %(paid)s): %(interest)s more interest invoiced, each "
                "premium's to the day it was paid (%(invoice)s)",
                paid=format_date(self.env, paid_on),
                counted=format_date(self.env, counted_to),
                interest=self._money(added),
                invoice=invoice.name,
            )
        )
        return invoice

    def _repriced(self, late):
        """The back premiums, those paid late (``late``: the (day, amount) of
        each late payment, by due date) with the interest of each payment to its
        day; the part paid before stays counted to the day it was."""
        rows = []
        for row in self._breakdown_rows():
            payments = late.get(row.due_date)
            if not payments:
                rows.append(row)
                continue
            paid_late = sum(amount for _day, amount in payments)
            on_time = self.currency_id.round(row.amount - paid_late)
            parts = [*row.parts] if row.parts else [(row.counted_to, row.amount)]
            parts = self._parts_before(parts, on_time) + payments
            rows.append(
                servicing.back_premium(
                    row.due_date, row.amount, self.interest_rate, parts
                )
            )
        return rows

    def _parts_before(self, parts, amount):
        """The earliest of ``parts`` (day, amount) up to ``amount`` in all."""
        kept = []
        for day, part in sorted(parts):
            if self.currency_id.compare_amounts(amount, 0) <= 0:
                break
            kept.append((day, min(part, amount)))
            amount = self.currency_id.round(amount - part)
        return kept

    def _late_payments_each(self):
        """The payments of each back premium's invoice made after the day its
        interest was counted to: (day, amount) each, by due date, the earliest
        first and no more than the premium in all."""
        counted = {row.due_date: row for row in self._breakdown_rows()}
        late = {}
        for line in self.sudo().premium_line_ids.filtered(
            lambda line: line.invoice_id.state == "posted" and line.due_date in counted
        ):
            row = counted[line.due_date]
            partials = line.invoice_id._get_reconciled_invoices_partials()[0]
            payments = sorted(
                (counterpart.date, amount)
                for _partial, amount, counterpart in partials
                if counterpart.date > row.counted_to
            )
            if payments:
                late[line.due_date] = self._parts_before(payments, row.amount)
        return late

    def _on_reinstatement_paid(self):
        self._mark_reinstatement_paid(
            self.env._(
                "invoices %(invoices)s paid: %(amount)s (back premiums %(back)s, "
                "interest %(interest)s)",
                invoices=", ".join(self._reinstatement_invoices().mapped("name")),
                amount=self._money(self.amount),
                back=self._money(self.back_premium_amount),
                interest=self._money(self.interest_amount),
            )
        )

    def _refund(self):
        """A reinstatement refused or cancelled: the policy stays suspended, and
        what the payer paid for it goes back to them. Their payments are taken
        off the back premiums' invoices (owed again on a later reinstatement;
        those invoiced for the suspended time are withdrawn), the interest invoice
        is credited (cancelled when unpaid), and a draft refund of it all waits
        for finance. A payment recorded by hand is taken off the back premiums
        too, and finance is asked to refund it."""
        for request in self:
            paid_by_hand = request._take_back_payment_by_hand()
            interest = request.interest_invoice_id
            partials = self.env["account.partial.reconcile"]
            for invoice in request._reinstatement_invoices() - interest:
                for (
                    partial,
                    _amount,
                    counterpart,
                ) in invoice._get_reconciled_invoices_partials()[0]:
                    money = counterpart.move_id
                    if money.origin_payment_id or money.statement_line_id:
                        partials |= partial
            paid = sum(partials.mapped("amount"))
            if interest.state == "posted":
                paid += interest.amount_total - interest.amount_residual
            request.payment_received = False
            partials.unlink()
            request._withdraw_reinstatement_invoices()
            if not request.currency_id.is_zero(paid):
                request._prepare_refund(paid)
            if not request.currency_id.is_zero(paid_by_hand):
                request._ask_refund_by_hand(paid_by_hand)

    def _take_back_payment_by_hand(self):
        """What *Payment Received* recorded on the back premiums without an
        invoice is taken off them (owed again on a later reinstatement); return
        the amount the payer paid by hand, 0 when nothing was."""
        if not self.payment_received or self.paid_in_accounting:
            return 0.0
        recorded = dict(self._back_premiums())
        for line in self.premium_line_ids.filtered(lambda line: not line.invoice_id):
            taken = recorded.get(line.due_date, 0.0)
            line.write({"amount_paid": max(line.amount_paid - taken, 0.0)})
        return self.amount

    def _ask_refund_by_hand(self, amount):
        """Finance refunds a payment recorded by hand; no draft refund is
        prepared, as the payment is not in the accounting either."""
        self._ask_finance_to_refund(
            amount,
            self.env._(
                "The reinstatement was not granted: refund %(amount)s to %(payer)s, "
                "paid by hand for it (recorded with Payment Received, not in the "
                "accounting).",
                amount=self._money(amount),
                payer=self.policy_id.payer_id.name,
            ),
        )

    def _ask_finance_to_refund(self, amount, instruction):
        """The Finance team's refund to-do, and the policy told what is owed
        back."""
        self._add_team_work(
            "loan_payout",
            self.env._("Refund %(request)s", request=self.display_name),
            instruction,
        )
        self._log_on_policy(
            self.env._(
                "not granted: %(amount)s paid for it to refund, the policy stays "
                "suspended",
                amount=self._money(amount),
            )
        )

    def _withdraw_reinstatement_invoices(self):
        suspended_on = self.policy_id.suspension_date
        for late in self.late_interest_invoice_ids.filtered(
            lambda move: move.state == "posted"
        ):
            # its payments were taken off it with the back premiums'
            late.button_draft()
            late.button_cancel()
        interest = self.interest_invoice_id
        if interest.state == "posted" and interest.currency_id.is_zero(
            interest.amount_total - interest.amount_residual
        ):
            interest.button_draft()
            interest.button_cancel()
        elif interest.state == "posted":
            credit_note = interest._reverse_moves(
                [
                    {
                        "ref": self.env._(
                            "Reinstatement not granted: %(request)s",
                            request=self.display_name,
                        )
                    }
                ]
            )
            credit_note.action_post()
            (credit_note + interest).line_ids.filtered(
                lambda aml: (
                    aml.account_type == "asset_receivable" and not aml.reconciled
                )
            ).reconcile()
            self.refund_move_id = credit_note
        for line in self.premium_line_ids.filtered(
            lambda line: (
                suspended_on
                and line.due_date >= suspended_on
                and line.invoice_id.state == "posted"
            )
        ):
            line._withdraw_invoice()

    def _prepare_refund(self, amount):
        policy = self.policy_id
        journal = self._bank_journal()
        self.refund_amount = amount
        self.refund_payment_id = self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "customer",
                "partner_id": policy.payer_id.id,
                "amount": amount,
                "currency_id": policy.currency_id.id,
                "journal_id": journal.id,
                "company_id": policy.company_id.id,
                "memo": self.env._(
                    "Refund of reinstatement %(request)s", request=self.name
                ),
            }
        )
        self._ask_finance_to_refund(
            amount,
            self.env._(
                "The reinstatement was not granted: refund %(amount)s to %(payer)s. "
                "Check and post the draft refund prepared.",
                amount=self._money(amount),
                payer=policy.payer_id.name,
            ),
        )

    def _reconcile_refund(self):
        """The refund posted: it settles the payer's payments taken off the
        reinstatement's invoices."""
        payment = self.refund_payment_id
        debit = payment.move_id.line_ids.filtered(
            lambda aml: (
                aml.account_id == payment.destination_account_id and not aml.reconciled
            )
        )
        if not debit:
            return
        credits = self.env["account.move.line"].search(
            [
                ("partner_id", "=", payment.partner_id.id),
                ("account_id", "=", debit.account_id.id),
                ("company_id", "=", payment.company_id.id),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
                "|",
                "|",
                ("move_id.origin_payment_id", "!=", False),
                ("move_id.statement_line_id", "!=", False),
                ("move_id", "=", self.refund_move_id.id),
            ],
            order="date, id",
        )
        (debit | credits).reconcile()

    def _complete_reinstatement(self):
        policy = self.policy_id
        policy.write(
            {
                "state": "in_force",
                "suspension_date": False,
                "reinstatement_deadline": False,
            }
        )
        today = policy._clock_today()
        policy._extend_schedule(policy._horizon_date())
        policy.premium_line_ids._advance_clock(today)
        policy._sync_state_with_schedule()
        self._finish(
            self.env._(
                "policy back in force, %(amount)s paid (interest %(interest)s at "
                "%(rate)s%% a year)",
                amount=self._money(self.amount),
                interest=self._money(self.interest_amount),
                rate=self.interest_rate,
            )
        )
        self._tell_requester(
            self.env._(
                "%(request)s is complete: the policy is in force again.",
                request=self.display_name,
            )
        )

    # Helpers ------------------------------------------------------------------

    def _add_team_work(self, event_code, summary, note):
        """Ask another team for its part of this request through the assignment
        rules ('loan_payout', 'surrender_payout': finance; 'reinstatement_review',
        'policy_change': underwriting): one activity per request and event, on
        the request, however often it is asked."""
        rules = self.env["insurance.assignment.rule"]
        self.team_activity_ids |= rules._open_team_activities(
            self, event_code
        ) | rules._fire(event_code, self, note=note, summary=summary)

    def _bank_journal(self):
        return self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(
                    self.policy_id.company_id
                ),
                ("type", "=", "bank"),
            ],
            limit=1,
        )

    def _payout_account(self, kind):
        """The account a payout is booked against: the policy loan account for a
        loan, the cash value paid out otherwise."""
        policy = self.policy_id
        product = policy.product_id
        if kind == "benefit":
            return product._benefit_account(policy.company_id)
        if not product.loan_account_id:
            raise UserError(
                self.env._(
                    "Product %(product)s has no policy loan account: set one on the "
                    "product so that policy loans can be booked.",
                    product=product.display_name,
                )
            )
        return product.loan_account_id

    def _prepare_payout(self, amount, account_kind, memo):
        """A draft outbound payment of ``amount`` to the holder, on the company's
        first bank journal, for finance to check and post (none where the company
        keeps no bank journal in Odoo)."""
        policy = self.policy_id
        journal = self._bank_journal()
        if not journal or self.currency_id.is_zero(amount):
            return self.env["account.payment"]
        return self.env["account.payment"].create(
            {
                "payment_type": "outbound",
                "partner_type": "supplier",
                "partner_id": policy.partner_id.id,
                "amount": amount,
                "currency_id": policy.currency_id.id,
                "journal_id": journal.id,
                "company_id": policy.company_id.id,
                "destination_account_id": self._payout_account(account_kind).id,
                "memo": memo,
            }
        )

    def _close_case(self, reason_xmlid):
        case = self.policy_id.renewal_lead_id
        if case:
            case.with_context(renewal_fact_update=True).action_set_lost(
                lost_reason_id=self.env.ref(reason_xmlid).id
            )

    def _finish(self, effect, done=True):
        self.write(
            {
                "effect": effect,
                "state": "done" if done else self.state,
                "date_done": self.policy_id._clock_today(),
            }
        )
        self._log_on_policy(effect)

    def _log_on_policy(self, effect):
        """Who, when, why and the effect, on the policy's history and its case."""
        body = self.env._(
            "%(request)s, asked by %(user)s on %(date)s: %(effect)s. Reason: "
            "%(reason)s",
            request=self.display_name,
            user=self.user_id.name,
            date=format_date(self.env, self.create_date),
            effect=effect,
            reason=self.reason or "",
        )
        for record in (self, self.policy_id, self.lead_id):
            if record:
                record.message_post(body=body, subtype_xmlid="mail.mt_note")

    def _tell_requester(self, body):
        self.message_post(
            body=body,
            partner_ids=self.user_id.partner_id.ids,
            subtype_xmlid="mail.mt_comment",
            message_type="notification",
        )

    def _tell_customer(self, body):
        payer = self.policy_id.payer_id
        self.policy_id.message_post(
            body=body,
            partner_ids=payer.ids if payer.email else [],
            subtype_xmlid="mail.mt_comment",
            message_type="comment",
        )

    def _type_label(self):
        return dict(self._fields["request_type"]._description_selection(self.env))[
            self.request_type
        ]

    def _money(self, amount):
        return format_amount(self.env, amount, self.currency_id)

    def _surrender_loss_html(self):
        policy = self.policy_id
        net = servicing.available_cash_value(policy.cash_value, policy.loan_balance)
        items = [
            self.env._(
                "The cover ends: sum assured %(sum)s is no longer paid on a claim.",
                sum=self._money(policy.sum_assured),
            ),
            self.env._(
                "Premiums already paid are not refunded: only the cash value "
                "%(cash)s, less loans %(loan)s, is paid out: %(net)s.",
                cash=self._money(policy.cash_value),
                loan=self._money(policy.loan_balance),
                net=self._money(net),
            ),
            self.env._(
                "A surrendered policy cannot be reinstated; a new policy would "
                "need new underwriting at the customer's age and health then."
            ),
        ]
        return Markup("<ul>%s</ul>") % Markup("").join(
            Markup("<li>%s</li>") % escape(item) for item in items
        )


def _table(head, body):
    cells = Markup("").join(Markup("<th>%s</th>") % cell for cell in head)
    rows = Markup("").join(
        Markup("<tr>%s</tr>")
        % Markup("").join(Markup("<td>%s</td>") % cell for cell in row)
        for row in body
    )
    return Markup(
        '<table class="table table-sm o_insurance_breakdown"><thead><tr>%s</tr>'
        "</thead><tbody>%s</tbody></table>"
    ) % (cells, rows)
