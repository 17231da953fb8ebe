from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError


class InsuranceProduct(models.Model):
    _name = "insurance.product"
    _description = "Insurance Product"
    _order = "name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True)
    grace_period_days = fields.Integer(
        string="Grace Period (days)",
        default=60,
        required=True,
        help="Days after the due date during which an unpaid policy stays in force.",
    )
    reinstatement_period_months = fields.Integer(
        string="Reinstatement Period (months)",
        default=24,
        required=True,
        help="Months after suspension during which the policy can still be reinstated.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    active = fields.Boolean(default=True)
    premium_product_id = fields.Many2one(
        "product.product",
        check_company=True,
        help="Product on the premium invoices of this insurance product. Leave it "
        "empty to record premiums without invoices.",
    )
    invoice_journal_id = fields.Many2one(
        "account.journal",
        string="Premium Invoice Journal",
        domain="[('type', '=', 'sale')]",
        check_company=True,
        help="Sales journal of the premium invoices; the company's first sales "
        "journal when empty.",
    )
    invoice_lead_days = fields.Integer(
        string="Invoice Lead Time (days)",
        default=60,
        help="Days before the due date on which each instalment's invoice is issued: "
        "60 issues it when the first reminder goes out.",
    )
    reminder_plan_id = fields.Many2one(
        "insurance.reminder.plan",
        ondelete="restrict",
        check_company=True,
        default=lambda self: self.env.ref(
            "insurance_renewal.reminder_plan_default", raise_if_not_found=False
        ),
        help="The reminders sent to the payers of this product's policies.",
    )
    reminder_step_ids = fields.One2many(
        related="reminder_plan_id.step_ids", string="Reminder Steps"
    )
    policy_count = fields.Integer(compute="_compute_policy_count")
    # Servicing: what a customer who cannot pay may be offered.
    deferral_max_days = fields.Integer(
        string="Deferral without Approval (days)",
        default=60,
        help="A specialist may defer a premium by up to this many days; longer "
        "deferrals need a renewal manager's approval.",
    )
    deferral_max_per_year = fields.Integer(
        string="Deferrals per Policy Year",
        default=1,
        help="Deferrals a specialist may grant per policy year without approval.",
    )
    deferral_hard_limit_days = fields.Integer(
        string="Longest Deferral (days)",
        default=180,
        help="No premium is deferred by more days than this, even with approval.",
    )
    loan_max_percent = fields.Float(
        string="Policy Loan Limit (% of cash value)",
        default=80.0,
        help="Loans on a policy (automatic premium loans included) may reach this "
        "share of its cash value.",
    )
    partial_withdrawal_allowed = fields.Boolean(
        string="Partial Withdrawal",
        help="Part of the account value can be withdrawn (universal life).",
    )
    reinstatement_interest_rate = fields.Float(
        string="Reinstatement Interest (% a year)",
        default=5.0,
        help="Simple interest charged by days on each back premium of a reinstatement.",
    )
    loan_account_id = fields.Many2one(
        "account.account",
        string="Policy Loan Account",
        check_company=True,
        help="Receivable account on which premiums paid by automatic premium loan "
        "are booked.",
    )
    loan_journal_id = fields.Many2one(
        "account.journal",
        string="Policy Loan Journal",
        domain="[('type', '=', 'general')]",
        check_company=True,
        help="Miscellaneous journal of premium loan entries; the company's first "
        "miscellaneous journal when empty.",
    )
    benefit_account_id = fields.Many2one(
        "account.account",
        string="Cash Value Paid Out Account",
        check_company=True,
        help="Expense account of the cash value paid to the holder: surrender "
        "values and partial withdrawals (also the part of a withdrawal that pays a "
        "premium). The company's default expense account when empty.",
    )
    reinstatement_interest_account_id = fields.Many2one(
        "account.account",
        check_company=True,
        help="Income account of the interest invoiced on a reinstatement's back "
        "premiums. The company's default income account when empty.",
    )
    document_ids = fields.Many2many(
        "ir.attachment",
        "insurance_product_document_rel",
        "product_id",
        "attachment_id",
        string="Product Documents",
        help="The terms and a plain-language summary, which the specialist sends "
        "to a customer from the renewal case in one click.",
    )

    _code_company_unique = models.Constraint(
        "UNIQUE(code, company_id)",
        "A product code must be unique per company.",
    )
    _grace_period_positive = models.Constraint(
        "CHECK(grace_period_days >= 0)",
        "The grace period cannot be negative.",
    )
    _reinstatement_period_positive = models.Constraint(
        "CHECK(reinstatement_period_months >= 0)",
        "The reinstatement period cannot be negative.",
    )

    _invoice_lead_days_positive = models.Constraint(
        "CHECK(invoice_lead_days >= 0)",
        "The invoice lead time cannot be negative.",
    )

    _deferral_limits_positive = models.Constraint(
        "CHECK(deferral_max_days >= 0 AND deferral_max_per_year >= 0 "
        "AND deferral_hard_limit_days >= deferral_max_days)",
        "Deferral limits cannot be negative, and the longest deferral cannot be "
        "shorter than a deferral without approval.",
    )
    _loan_max_percent_range = models.Constraint(
        "CHECK(loan_max_percent >= 0 AND loan_max_percent <= 100)",
        "The policy loan limit is a share of the cash value, between 0 and 100%.",
    )
    _reinstatement_interest_rate_positive = models.Constraint(
        "CHECK(reinstatement_interest_rate >= 0)",
        "The reinstatement interest rate cannot be negative.",
    )

    def _compute_policy_count(self):
        counts = dict(
            self.env["insurance.policy"]._read_group(
                [("product_id", "in", self.ids)], ["product_id"], ["__count"]
            )
        )
        for product in self:
            product.policy_count = counts.get(product, 0)

    @api.depends("code", "name")
    def _compute_display_name(self):
        for product in self:
            product.display_name = (
                f"[{product.code}] {product.name}" if product.code else product.name
            )

    @api.constrains("grace_period_days", "reminder_plan_id")
    def _check_grace_end_steps(self):
        """A reminder step counted from the grace end falls between the due date
        (the grace's first day back) and the grace end: earlier, it would remind
        of a premium not yet due; later, of a policy already suspended."""
        for product in self:
            grace = product.grace_period_days
            for step in product.reminder_plan_id.step_ids.filtered(
                lambda step: step.anchor == "grace_end" and step.active
            ):
                if not -grace <= step.offset_days <= 0:
                    raise ValidationError(
                        self.env._(
                            "Step %(step)s of reminder plan %(plan)s is sent "
                            "%(offset)s days from the grace end, but product "
                            "%(product)s has %(grace)s days of grace: it would be "
                            "sent before the premium is due or after the policy is "
                            "suspended. Choose an offset from -%(grace)s (the due "
                            "date) to 0 (the grace end).",
                            step=step.name,
                            plan=step.plan_id.name,
                            offset=step.offset_days,
                            product=product.name,
                            grace=grace,
                        )
                    )

    def action_view_policies(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_policy_action"
        )
        action["domain"] = [("product_id", "=", self.id)]
        action["context"] = {"default_product_id": self.id}
        return action

    # Servicing in accounting --------------------------------------------------

    def _benefit_account(self, company):
        """Where the cash value paid to the holder is booked."""
        account = self.benefit_account_id or company.expense_account_id
        if not account:
            raise UserError(
                self.env._(
                    "Product %(product)s has no account for cash value paid out, and "
                    "company %(company)s no default expense account: set one on the "
                    "product.",
                    product=self.display_name,
                    company=company.name,
                )
            )
        return account

    def _interest_account(self, company):
        """Where the interest of a reinstatement is booked as income."""
        account = self.reinstatement_interest_account_id or company.income_account_id
        if not account:
            raise UserError(
                self.env._(
                    "Product %(product)s has no reinstatement interest account, and "
                    "company %(company)s no default income account: set one on the "
                    "product.",
                    product=self.display_name,
                    company=company.name,
                )
            )
        return account

    def _servicing_journal(self, company):
        """The miscellaneous journal of loan and cash value entries."""
        return self.loan_journal_id or self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(company),
                ("type", "=", "general"),
            ],
            limit=1,
        )
