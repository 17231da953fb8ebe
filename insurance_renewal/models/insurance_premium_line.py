from collections import defaultdict
from datetime import timedelta

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain
from odoo.tools import SQL, consteq, hmac

from ..lib import bank_files, schedule, sql_arrays

# What the pay link's signature is for: a token signed for another purpose of the
# database secret never opens a pay page.
PAY_LINK_SCOPE = "insurance_renewal.pay_link"
# Hexadecimal characters of the signature kept in the link: 64 bits, short enough
# for an SMS, far too many to guess.
PAY_TOKEN_LENGTH = 16
# Days a pay link still opens once nothing it names is left to pay (after the
# last payment, or the last due date when nothing was paid): the customer sees
# "Paid" meanwhile; then an old link, forwarded or leaked, shows nothing.
PAY_LINK_DAYS_AFTER_SETTLED = 30
INSTALMENT_STATES = [
    ("planned", "Planned"),
    ("due", "Due"),
    ("grace", "In Grace"),
    ("paid", "Paid"),
    ("lapsed", "Lapsed"),
    ("deferred", "Deferred"),
    ("waived", "Waived"),
]
# How the schedule shows a planned instalment that fell due while its policy was
# suspended: the clock does not move it (nothing is asked for a suspended
# policy), but a reinstatement charges it with its interest (DOMAIN.md, art. 37).
OWED_ON_REINSTATEMENT = "owed_on_reinstatement"
# What ``_insert_schedule`` needs of each new instalment (``insurance.policy``'s
# ``_premium_line_vals``); it adds the defaults, the amounts and the log columns.
SCHEDULE_VALUE_FIELDS = frozenset(
    {
        "policy_id",
        "installment_number",
        "policy_year",
        "due_date",
        "grace_end_date",
        "amount",
        "partner_id",
        "product_id",
        "specialist_id",
        "payment_method",
        "company_id",
        "currency_id",
        "lapse_date",
        "invoice_issue_date",
    }
)
LOG_ACCESS_FIELDS = ("create_uid", "create_date", "write_uid", "write_date")


class InsurancePremiumLine(models.Model):
    _name = "insurance.premium.line"
    _description = "Premium Instalment"
    _order = "due_date, policy_id, installment_number"
    _check_company_auto = True

    policy_id = fields.Many2one(
        "insurance.policy", required=True, ondelete="cascade", index=True
    )
    partner_id = fields.Many2one(
        related="policy_id.partner_id", string="Policyholder", store=True, index=True
    )
    product_id = fields.Many2one(related="policy_id.product_id", store=True)
    specialist_id = fields.Many2one(related="policy_id.specialist_id", store=True)
    payment_method = fields.Selection(related="policy_id.payment_method", store=True)
    company_id = fields.Many2one(related="policy_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="policy_id.currency_id", store=True)
    installment_number = fields.Integer(
        string="Instalment", required=True, help="1 is the first premium."
    )
    policy_year = fields.Integer(required=True)
    due_date = fields.Date(required=True, index=True)
    grace_end_date = fields.Date(required=True, index=True)
    lapse_date = fields.Date(
        string="Suspends On",
        compute="_compute_lapse_date",
        store=True,
        index=True,
        help="The policy is suspended on this day if the instalment is still unpaid.",
    )
    cover_end_date = fields.Date(
        string="Covered Until",
        compute="_compute_cover_end_date",
        help="The last day of cover if the instalment stays unpaid: the grace end, "
        "or the 30th day after a formal demand delivered before it.",
    )
    demand_date = fields.Date(
        string="Demand Delivered On",
        copy=False,
        help="Day the formal payment demand (催告) for this premium was delivered: the "
        "policy is then suspended 30 days later at the latest.",
    )
    amount = fields.Monetary(required=True)
    amount_paid = fields.Monetary(
        compute="_compute_amounts_from_invoice",
        store=True,
        readonly=False,
        help="Paid by the payer. Follows the premium invoice when there is one; "
        "recorded by hand otherwise.",
    )
    amount_paid_by_hand = fields.Monetary(
        readonly=True,
        copy=False,
        help="Paid by hand before the premium invoice was issued: the invoice asks "
        "only for the rest, and this part stays paid.",
    )
    amount_credited = fields.Monetary(
        compute="_compute_amounts_from_invoice",
        store=True,
        help="Settled by credit notes on the premium invoice rather than by payment.",
    )
    amount_residual = fields.Monetary(
        string="Amount Due", compute="_compute_amount_residual", store=True
    )
    invoice_id = fields.Many2one(
        "account.move",
        string="Premium Invoice",
        copy=False,
        check_company=True,
        index="btree_not_null",
        readonly=True,
        groups="account.group_account_invoice",
    )
    invoice_payment_state = fields.Selection(
        related="invoice_id.payment_state", string="Invoice Payment Status"
    )
    invoice_issue_date = fields.Date(
        compute="_compute_invoice_issue_date",
        store=True,
        index=True,
        help="Day the premium invoice of this instalment is issued.",
    )
    debit_result_ids = fields.One2many(
        "insurance.debit.result", "premium_line_id", string="Debit Attempts"
    )
    debit_payment_line_ids = fields.One2many(
        "account.payment.line",
        "insurance_premium_line_id",
        string="Debit Order Lines",
        groups="account.group_account_invoice",
    )
    next_debit_date = fields.Date(
        string="Next Debit Attempt",
        copy=False,
        index="btree_not_null",
        help="Day the bank debits the payer again after a failed attempt; empty when "
        "the bank account must be fixed first.",
    )
    state = fields.Selection(
        INSTALMENT_STATES,
        required=True,
        default="planned",
        index=True,
    )
    schedule_status = fields.Selection(
        INSTALMENT_STATES + [(OWED_ON_REINSTATEMENT, "Owed on Reinstatement")],
        string="Status",
        compute="_compute_schedule_status",
        help="The instalment's state as the schedule shows it: an instalment whose "
        "due date passed while its policy is suspended is not asked for, but must "
        "be paid, with interest, to reinstate the policy.",
    )
    date_paid = fields.Date(
        compute="_compute_amounts_from_invoice", store=True, readonly=False
    )

    _policy_installment_unique = models.Constraint(
        "UNIQUE(policy_id, installment_number)",
        "An instalment can only appear once in a policy's schedule.",
    )

    @api.depends("policy_id.name", "installment_number")
    def _compute_display_name(self):
        for line in self:
            line.display_name = self.env._(
                "%(policy)s / instalment %(number)s",
                policy=line.policy_id.name,
                number=line.installment_number,
            )

    @api.depends("grace_end_date", "demand_date")
    def _compute_lapse_date(self):
        for line in self:
            line.lapse_date = line.grace_end_date and schedule.suspension_date(
                line.grace_end_date, line.demand_date
            )

    @api.depends("lapse_date")
    def _compute_cover_end_date(self):
        for line in self:
            line.cover_end_date = line.lapse_date and line.lapse_date - timedelta(
                days=1
            )

    @api.depends("state", "due_date", "policy_id.state")
    @api.depends_context("tz")
    def _compute_schedule_status(self):
        today = self.policy_id[:1]._clock_today()
        for line in self:
            owed_on_reinstatement = (
                line.state == schedule.PLANNED
                and line.policy_id.state == "lapsed"
                and line.due_date
                and line.due_date <= today
            )
            line.schedule_status = (
                OWED_ON_REINSTATEMENT if owed_on_reinstatement else line.state
            )

    @api.depends("due_date", "product_id.invoice_lead_days")
    def _compute_invoice_issue_date(self):
        for line in self:
            lead_days = line.product_id.invoice_lead_days
            line.invoice_issue_date = line.due_date and line.due_date - timedelta(
                days=lead_days
            )

    @api.depends(
        "invoice_id.amount_residual", "invoice_id.state", "amount_paid_by_hand"
    )
    def _compute_amounts_from_invoice(self):
        """The invoice is the source of truth: split what settled it into payments
        and credit notes, on top of what was paid by hand before it was issued.
        Instalments without an invoice keep what was recorded."""
        # one superuser recordset rather than one environment switch per line
        for line, line_sudo in zip(self, self.sudo(), strict=True):
            invoice = line_sudo.invoice_id
            if not invoice:
                line.amount_credited = 0
                continue
            paid, credited, last_paid = invoice._insurance_settlement()
            line.amount_paid = line.amount_paid_by_hand + paid
            line.amount_credited = credited
            fully_paid = invoice.state == "posted" and invoice.currency_id.is_zero(
                invoice.amount_residual
            )
            line.date_paid = last_paid if fully_paid and paid else False

    @api.depends("amount", "amount_paid", "amount_credited")
    def _compute_amount_residual(self):
        for line in self:
            line.amount_residual = line.amount - line.amount_paid - line.amount_credited

    @api.constrains("amount", "amount_paid")
    def _check_amounts(self):
        for line in self:
            if line.amount <= 0:
                raise ValidationError(
                    self.env._(
                        "%(line)s: the premium due must be greater than zero, "
                        "not %(amount)s.",
                        line=line.display_name,
                        amount=line.amount,
                    )
                )
            if line.amount_paid < 0:
                raise ValidationError(
                    self.env._(
                        "%(line)s: the amount paid cannot be negative (%(amount)s).",
                        line=line.display_name,
                        amount=line.amount_paid,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        lines._on_instalments_created()
        return lines

    def write(self, vals):
        if "amount_paid" in vals and self.sudo().filtered("invoice_id"):
            raise UserError(
                self.env._(
                    "This premium has an invoice: register the payment on the invoice "
                    "(or reconcile the bank receipt with it), the instalment follows."
                )
            )
        old_states = {line: line.state for line in self}
        result = super().write(vals)
        if "amount_paid" in vals:
            self._apply_payments(vals.get("date_paid"))
        if {"state", "amount_paid", "demand_date", "due_date"} & vals.keys():
            self.env["insurance.fact.flow"]._touch_policies(self.policy_id)
        if "state" in vals or "due_date" in vals:
            self._sync_invoices(old_states)
        return result

    def _on_instalments_created(self):
        """What follows the creation of instalments beyond their rows: the one
        place for it, called by ``create`` and by ``_insert_schedule`` alike, so
        that whatever is added here holds for schedules however they are stored.
        The policies' stored figures follow through the ORM's dependencies
        (``modified``); no new instalment is tracked, followed or numbered; the
        fact flow learns of them, so that a premium owed already or falling due
        inside its case window reaches the open case in the same unit of work."""
        self.env["insurance.fact.flow"]._instalments_created(self)

    @api.model
    def _insert_schedule(self, vals_list):
        """Store new unpaid instalments in one statement and return them, the rows
        equal to what ``create`` stores for the same values (``test_premium_schedule``
        compares them column by column).

        ``create`` costs a currency lookup per monetary value, both at the insert
        and when it writes the amounts it computes after it (amount due, credited),
        which made up most of activating thousands of policies. Here each value of
        ``vals_list`` gives ``SCHEDULE_VALUE_FIELDS`` (the policy's
        ``_premium_line_vals``); the defaults, the amounts an unpaid instalment
        without an invoice computes and the log columns are added as ``create``
        would, and the ORM is told what changed: the instalments' dependents
        (the policies' paid-to and next due dates, overdue amount, ...) are
        marked for recomputation and the policies' schedules read again."""
        self.check_access("create")
        if not vals_list:
            return self.browse()
        rows = self._schedule_rows(vals_list)
        columns = sorted(rows[0])
        arrays = SQL(", ").join(
            SQL(
                "%s::%s[]",
                self._schedule_column([row[name] for row in rows]),
                SQL(self._fields[name].column_type[1]),
            )
            for name in columns
        )
        created = self.env.execute_query(
            SQL(
                """
                INSERT INTO %(table)s (%(columns)s)
                SELECT * FROM unnest(%(arrays)s)
                RETURNING id, policy_id, installment_number
                """,
                table=SQL.identifier(self._table),
                columns=SQL(", ").join(map(SQL.identifier, columns)),
                arrays=arrays,
            )
        )
        # Returned in the order of ``vals_list``, whatever order the rows took.
        ids = {(policy, number): line_id for line_id, policy, number in created}
        lines = self.browse(
            [ids[row["policy_id"], row["installment_number"]] for row in rows]
        )
        self._tell_orm_schedule_inserted(lines, columns)
        lines._validate_fields(columns)
        lines.check_access("create")
        lines._on_instalments_created()
        return lines

    @staticmethod
    def _schedule_column(values):
        """One column of the new instalments as a single array literal, which
        PostgreSQL reads at once, rather than as a list, which it parses value
        by value (``lib/sql_arrays``)."""
        literal = sql_arrays.array_literal(values)
        return values if literal is None else literal

    @api.model
    def _schedule_rows(self, vals_list):
        """The full rows of new unpaid instalments: ``create``'s defaults, the
        amounts ``_compute_amounts_from_invoice`` and ``_compute_amount_residual``
        give an instalment without an invoice (nothing credited, nothing paid: the
        amount paid stays empty, as that compute leaves it), rounded in the
        currency, which is looked up once per currency rather than per value."""
        missing = set(vals_list[0]) ^ SCHEDULE_VALUE_FIELDS
        if missing:
            raise ValueError(f"_insert_schedule: missing or unknown {sorted(missing)}")
        defaults = self.default_get(
            [
                name
                for name, field in self._fields.items()
                if field.store
                and field.column_type
                and name not in SCHEDULE_VALUE_FIELDS
                and name not in LOG_ACCESS_FIELDS
            ]
        )
        now = self.env.cr.now()
        log = dict.fromkeys(("create_uid", "write_uid"), self.env.uid) | dict.fromkeys(
            ("create_date", "write_date"), now
        )
        currencies = self.env["res.currency"].browse(
            {vals["currency_id"] for vals in vals_list}
        )
        rounding = {currency.id: currency.round for currency in currencies}
        rows = []
        for vals in vals_list:
            amount = rounding[vals["currency_id"]](vals["amount"])
            rows.append(
                defaults
                # what create stores as NULL: an empty many2one, selection, date
                | {
                    name: None if value is False else value
                    for name, value in vals.items()
                }
                | log
                | {
                    "amount": amount,
                    "amount_paid": None,
                    "amount_credited": 0.0,
                    "amount_residual": amount,
                    "date_paid": None,
                }
            )
        return rows

    @api.model
    def _tell_orm_schedule_inserted(self, lines, columns):
        """Tell the ORM about instalments stored behind it: their dependents
        (on the policy) are marked to recompute as ``create`` marks them; their own
        computed fields are not, their values were stored with them; the
        policies' schedules are read again when next used."""
        lines.modified(self._fields, create=True)
        for name in columns:
            field = self._fields[name]
            if field.compute:
                self.env.remove_to_compute(field, lines)
        lines.policy_id.invalidate_recordset(["premium_line_ids"], flush=False)

    def _apply_payments(self, date_paid=None):
        """Settle the instalments whose premium is fully paid, reopen those whose
        payment was taken back, and bring their policies up to date.

        Called when an amount is recorded by hand, and by the accounting when the
        reconciliation of a premium invoice changes. The policies and their cases
        follow through ``insurance.fact.flow`` (the state writes mark them)."""
        today = fields.Date.context_today(self)
        settled = self.filtered(
            lambda line: (
                line.state not in schedule.SETTLED_STATES
                and line.currency_id.compare_amounts(line.amount_residual, 0) <= 0
            )
        )
        credited = settled.filtered(
            lambda line: line.currency_id.is_zero(line.amount_paid)
        )
        credited.write({"state": schedule.WAIVED})
        paid = settled - credited
        paid.filtered(lambda line: not line.date_paid).write(
            {"date_paid": date_paid or today}
        )
        paid.write({"state": schedule.PAID})
        paid.policy_id._ask_reinstatement_of_paid_suspension(paid)
        reopened = self.filtered(
            lambda line: (
                line.state == schedule.PAID
                and line.currency_id.compare_amounts(line.amount_residual, 0) > 0
            )
        )
        reopened.filtered("date_paid").write({"date_paid": False})
        reopened.write({"state": schedule.PLANNED})
        reopened._advance_clock(today)
        # Amounts computed from the invoice change without a write: mark them too.
        self.env["insurance.fact.flow"]._touch_policies(self.policy_id)

    def action_issue_demand(self):
        """Send the formal payment demand (催告) of these instalments now, by email;
        the policy is then suspended 30 days after the mail server accepts it at
        the latest. One demand stands per instalment, however often this runs."""
        self.check_access("read")
        self._check_renewal_specialist()
        self._check_demandable(self.env["insurance.reminder.engine"]._company_today())
        # The caller is a renewal specialist who may read these instalments
        # (checked above): the demand's log is the addon's record, written as
        # superuser; the message is still posted in the caller's name.
        engine = self.env["insurance.reminder.engine"].sudo()
        logs = self.env["insurance.reminder.log"]
        no_step = self.env["insurance.reminder.step"]
        for payer, lines in self.grouped(lambda line: line.policy_id.payer_id).items():
            claimed = engine._claim(
                payer, [(line, no_step) for line in lines], "demand"
            )
            if claimed.premium_line_id != lines:
                raise UserError(
                    self.env._(
                        "A formal demand was already issued for %(lines)s: an "
                        "instalment gets one demand per due date.",
                        lines=", ".join(
                            (lines - claimed.premium_line_id).mapped("display_name")
                        ),
                    )
                )
            engine.with_context(mail_notify_force_send=False)._deliver_one(claimed)
            if claimed[:1].state == "skipped":
                labels = dict(
                    logs._fields["skip_reason"]._description_selection(self.env)
                )
                raise UserError(
                    self.env._(
                        "The formal demand to %(payer)s could not be sent: %(reason)s.",
                        payer=payer.name,
                        reason=labels.get(claimed[:1].skip_reason),
                    )
                )
        return True

    def _check_demandable(self, day):
        """A formal demand is for a premium still owed and already due on ``day``:
        delivered earlier, its 30 days (art. 36) would run from before the premium
        fell due and the clock would suspend the policy too soon."""
        states = dict(self._fields["state"]._description_selection(self.env))
        for line in self:
            if line.state not in schedule.OPEN_STATES or line.due_date > day:
                raise UserError(
                    self.env._(
                        "No formal demand for %(line)s on %(date)s: a demand is "
                        "for a premium owed and already due, and this one is "
                        "%(state)s, due on %(due)s.",
                        line=line.display_name,
                        date=day,
                        state=states[line.state],
                        due=line.due_date,
                    )
                )

    def _check_renewal_specialist(self):
        if not self.env.user.has_group(
            "insurance_renewal.group_insurance_renewal_user"
        ):
            raise AccessError(
                self.env._("Only renewal specialists issue formal demands.")
            )

    def action_record_payment(self):
        """Open the form in which a specialist records a premium paid outside
        Odoo's accounting (an instalment without an invoice)."""
        self.ensure_one()
        return self._open_wizard(
            "insurance.premium.payment", self.env._("Record a Payment")
        )

    def action_correct(self):
        """Open the form in which a renewal manager corrects an instalment, with the
        reason, recorded on the policy."""
        self.ensure_one()
        return self._open_wizard(
            "insurance.premium.correction", self.env._("Correct the Instalment")
        )

    def action_record_letter_demand(self):
        """Open the form that records a formal demand sent by post."""
        self.ensure_one()
        return self._open_wizard(
            "insurance.letter.demand", self.env._("Record a Demand by Post")
        )

    def _open_wizard(self, model, name):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": model,
            "view_mode": "form",
            "target": "new",
            "context": {"default_premium_line_id": self.id},
        }

    # Auto-debit orders ------------------------------------------------------

    @api.model
    def _debit_due_domain(self, company, today):
        """Instalments of ``company`` the bank is to debit on ``today``: payers by
        auto-debit, still owing, due and never failed, or whose retry day has come
        after a failure (a failure that needs the account fixed sets no retry day),
        and waiting in no debit order already."""
        first_attempt = (
            Domain("due_date", "<=", today)
            & Domain("next_debit_date", "=", False)
            & Domain("debit_result_ids", "not any", [("outcome", "=", "failed")])
        )
        return (
            Domain("company_id", "=", company.id)
            & Domain("payment_method", "=", "bank_debit")
            & Domain("state", "in", schedule.OPEN_STATES)
            & Domain("policy_id.state", "in", ("in_force", "grace"))
            & Domain("amount_residual", ">", 0)
            & (first_attempt | Domain("next_debit_date", "<=", today))
            & Domain(
                "debit_payment_line_ids",
                "not any",
                [("insurance_debit_pending", "=", True)],
            )
        )

    def _ensure_debit_invoices(self):
        """Issue the premium invoice of instalments to debit that have none out yet,
        so that the debit order's line points at the receivable it collects."""
        self.filtered(
            lambda line: (
                line.product_id.premium_product_id and line.invoice_id.state != "posted"
            )
        )._issue_invoices()

    def _debit_payment_line_vals(self, order, mandate):
        self.ensure_one()
        receivable = self.invoice_id.line_ids.filtered(
            lambda aml: (
                aml.account_id.account_type == "asset_receivable" and not aml.reconciled
            )
        )[:1]
        return {
            "order_id": order.id,
            "insurance_premium_line_id": self.id,
            "insurance_debit_pending": True,
            "partner_id": mandate.partner_id.id,
            "partner_bank_id": mandate.partner_bank_id.id,
            "mandate_id": mandate.id,
            "move_line_id": receivable.id,
            "currency_id": self.currency_id.id,
            "amount_currency": self.amount_residual,
            "communication": bank_files.payment_reference(
                self.policy_id.name, self.installment_number
            ),
            "date": order.insurance_debit_date,
        }

    # Premium invoices -------------------------------------------------------

    @api.model
    def _to_invoice_domain(self, today):
        """Open instalments of policies under the clock whose invoice is due out."""
        return (
            Domain("state", "in", schedule.OPEN_STATES)
            & Domain("policy_id.state", "in", ("in_force", "grace"))
            & Domain("product_id.premium_product_id", "!=", False)
            & Domain("invoice_issue_date", "<=", today)
            & (
                Domain("invoice_id", "=", False)
                | Domain("invoice_id.state", "=", "cancel")
            )
        )

    def _issue_invoices(self):
        """Create and post the premium invoice of each instalment, for its payer, for
        what is still owed: a part paid by hand before stays paid.

        As superuser: the nightly job and the debit import (finance, after its
        company checks) issue them; each invoice is for its policy's company."""
        lines = self.sudo()
        moves = (
            self.env["account.move"]
            .sudo()
            .create([line._invoice_vals() for line in lines])
        )
        for line, move in zip(lines, moves, strict=True):
            line.write(
                {
                    "invoice_id": move.id,
                    "amount_paid_by_hand": line.amount_paid
                    if not line.invoice_id
                    else line.amount_paid_by_hand,
                }
            )
        moves.action_post()
        return moves

    def _invoice_vals(self):
        self.ensure_one()
        policy = self.policy_id
        product = policy.product_id
        journal = product.invoice_journal_id or self.env["account.journal"].search(
            [
                *self.env["account.journal"]._check_company_domain(policy.company_id),
                ("type", "=", "sale"),
            ],
            limit=1,
        )
        today = fields.Date.context_today(self)
        return {
            "move_type": "out_invoice",
            "company_id": policy.company_id.id,
            "partner_id": policy.payer_id.id,
            "journal_id": journal.id,
            "currency_id": policy.currency_id.id,
            "invoice_date": min(today, self.due_date),
            "invoice_date_due": self.due_date,
            "invoice_payment_term_id": False,
            "payment_reference": bank_files.payment_reference(
                policy.name, self.installment_number
            ),
            "insurance_policy_id": policy.id,
            "invoice_line_ids": [
                Command.create(
                    {
                        "product_id": product.premium_product_id.id,
                        "name": self.env._(
                            "Renewal premium, policy %(policy)s, instalment "
                            "%(number)s, due %(due)s",
                            policy=policy.name,
                            number=self.installment_number,
                            due=self.due_date,
                        ),
                        "quantity": 1,
                        "price_unit": self._amount_to_invoice(),
                        "tax_ids": [Command.clear()],
                    }
                )
            ],
        }

    def _amount_to_invoice(self):
        """What the new invoice asks for: the premium less what was paid by hand
        (before any invoice) or credited."""
        self.ensure_one()
        if self.invoice_id:
            return self.amount - self.amount_paid_by_hand
        return self.amount - self.amount_paid

    def _sync_invoices(self, old_states):
        """Keep the invoices of deferred and waived instalments from looking owed:
        a deferred premium's invoice follows its new due date, or is withdrawn when
        the deferral has no date yet; a waived premium's invoice is cancelled, or
        credited for what is still open."""
        for line in self.sudo().filtered(
            lambda line: (
                line.invoice_id.state == "posted"
                and not line.currency_id.is_zero(line.invoice_id.amount_residual)
            )
        ):
            invoice = line.invoice_id
            if line.state == schedule.WAIVED and old_states.get(line) != line.state:
                line._withdraw_invoice()
            elif line.state == schedule.DEFERRED and old_states.get(line) != line.state:
                if line.due_date > invoice.invoice_date_due:
                    line._move_invoice_due_date()
                else:
                    line._withdraw_invoice()
            elif line.due_date != invoice.invoice_date_due:
                line._move_invoice_due_date()

    def _move_invoice_due_date(self):
        self.invoice_id.invoice_date_due = self.due_date

    def _withdraw_invoice(self):
        invoice = self.invoice_id
        if (
            invoice.currency_id.compare_amounts(
                invoice.amount_residual, invoice.amount_total
            )
            == 0
        ):
            invoice.button_draft()
            invoice.button_cancel()
            return
        refund = invoice._reverse_moves(
            [{"ref": self.env._("Withdrawn: %(line)s", line=self.display_name)}]
        )
        refund.invoice_line_ids.write({"price_unit": invoice.amount_residual})
        refund.action_post()
        (refund + invoice).line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable" and not aml.reconciled
        ).reconcile()

    # Premiums paid from the cash value -----------------------------------------

    def _pay_by_loan(self, reference):
        """Settle this instalment with a loan on the policy's cash value: on its
        invoice, by an entry on the product's loan receivable account (not a
        customer payment); without an invoice, as paid."""
        self.ensure_one()
        product = self.product_id
        if self.sudo().invoice_id and not product.loan_account_id:
            raise UserError(
                self.env._(
                    "Product %(product)s has no policy loan account: set one on the "
                    "product so that premiums paid by loan can be booked.",
                    product=product.display_name,
                )
            )
        # Paid on the last day of cover, so the policy never counts as suspended.
        day = fields.Date.context_today(self)
        if self.cover_end_date:
            day = min(day, self.cover_end_date)
        label = self.env._(
            "Premium paid by loan: %(line)s (%(reference)s)",
            line=self.display_name,
            reference=reference,
        )
        return self._pay_from_cash_value(product.loan_account_id, label, day)

    def _pay_by_withdrawal(self, reference):
        """Settle this instalment with part of a partial withdrawal: the cash value
        paid out is booked as a benefit and settles the premium invoice."""
        self.ensure_one()
        label = self.env._(
            "Premium paid by partial withdrawal: %(line)s (%(reference)s)",
            line=self.display_name,
            reference=reference,
        )
        account = self.env["account.account"]
        if self.sudo().invoice_id:
            account = self.product_id._benefit_account(self.company_id)
        return self._pay_from_cash_value(
            account, label, fields.Date.context_today(self)
        )

    def _pay_from_cash_value(self, account, label, day):
        """Settle what is still due on this instalment from the policy's cash value:
        on its invoice, by an entry debiting ``account`` (not a customer payment);
        without an invoice, as paid."""
        line = self.sudo()
        if not line.invoice_id:
            line.write(
                {"amount_paid": line.amount - line.amount_credited, "date_paid": day}
            )
            return self.env["account.move"]
        if line.invoice_id.state != "posted":
            raise UserError(
                self.env._(
                    "%(line)s: its premium invoice is not posted; it cannot be "
                    "paid from the cash value.",
                    line=line.display_name,
                )
            )
        return line._book_cash_value_entry(account, label, day)

    def _book_cash_value_entry(self, account, label, day):
        invoice = self.invoice_id
        product = self.product_id
        receivable = invoice.line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable" and not aml.reconciled
        )
        amount = invoice.amount_residual
        move = self.env["account.move"]._insurance_book_entry(
            product._servicing_journal(self.company_id),
            day,
            label,
            invoice.partner_id,
            [(account, amount), (receivable.account_id, -amount)],
        )
        (
            move.line_ids.filtered(lambda aml: aml.account_id == receivable.account_id)
            | receivable
        ).reconcile()
        return move

    # The pay link ------------------------------------------------------------

    def _insurance_pay_ref(self):
        """The instalments a pay link names, as it appears in the link."""
        return "-".join(str(line_id) for line_id in sorted(self.ids))

    def _insurance_pay_token(self):
        # As superuser: the database secret signs the link; nothing is read.
        signature = hmac(self.env(su=True), PAY_LINK_SCOPE, self._insurance_pay_ref())
        return signature[:PAY_TOKEN_LENGTH]

    def _insurance_pay_url(self):
        """The short signed link that opens the pay page of these instalments
        without a login, and of no other."""
        if not self:
            return ""
        base = self[:1].policy_id.get_base_url()
        return f"{base}/pay/{self._insurance_pay_ref()}/{self._insurance_pay_token()}"

    @api.model
    def _insurance_from_pay_link(self, ref, token):
        """The instalments a pay link names, as superuser, or nothing when the link
        was not signed by this database (tampered, truncated, made up)."""
        try:
            ids = [int(part) for part in (ref or "").split("-")]
        except ValueError:
            return self.browse()
        lines = self.browse(ids)
        if not ids or len(set(ids)) != len(ids) or lines._insurance_pay_ref() != ref:
            return self.browse()
        if not consteq(lines._insurance_pay_token(), token or ""):
            return self.browse()
        # The signature shows this database sent the link for exactly these
        # instalments: the page may read them, and only them, for whoever holds it.
        return lines.sudo().exists()

    def _insurance_pay_link_expired(self):
        """Whether a pay link of these instalments no longer opens: nothing it
        names is left to pay (each paid, waived, or lapsed on a policy that can no
        longer be reinstated) since more than ``PAY_LINK_DAYS_AFTER_SETTLED``
        days. A premium still owed keeps its link open, however old."""
        lines = self.sudo()
        still_owed = lines.filtered(
            lambda line: (
                line.state in (*schedule.OPEN_STATES, schedule.DEFERRED)
                or (line.state == schedule.LAPSED and line.policy_id.state == "lapsed")
            )
        )
        if still_owed or not lines:
            return False
        settled_on = max(filter(None, lines.mapped("date_paid")), default=None) or max(
            lines.mapped("due_date")
        )
        last_day = settled_on + timedelta(days=PAY_LINK_DAYS_AFTER_SETTLED)
        return fields.Date.context_today(self) > last_day

    def _insurance_payment_reference(self):
        """The structured reference a bank transfer quotes: the invoice's, else
        the one it will carry."""
        self.ensure_one()
        return self.sudo().invoice_id.payment_reference or (
            bank_files.payment_reference(self.policy_id.name, self.installment_number)
        )

    def _insurance_owed(self):
        """These instalments still to be paid: neither settled nor of a policy
        that has ended (``schedule.ENDED_POLICY_STATES``)."""
        return self.filtered(
            lambda line: (
                line.state not in schedule.SETTLED_STATES
                and line.policy_id.state not in schedule.ENDED_POLICY_STATES
            )
        )

    def _insurance_open_invoices(self):
        """The posted premium invoices of these instalments still to be paid; none
        of a policy that has ended."""
        return (
            self.sudo()
            ._insurance_owed()
            .invoice_id.filtered(
                lambda move: (
                    move.state == "posted"
                    and move.payment_state not in ("paid", "in_payment", "reversed")
                    and not move.currency_id.is_zero(move.amount_residual)
                )
            )
        )

    # The daily clock ------------------------------------------------------

    @api.model
    def _stale_clock_domain(self, today):
        """Unpaid instalments whose state is behind ``today`` (the policy's own
        domain says which policies the clock moves)."""
        behind = Domain.OR(
            [
                Domain("lapse_date", "<=", today),
                Domain("state", "in", (schedule.PLANNED, schedule.DUE))
                & Domain("due_date", "<", today),
                Domain("state", "=", schedule.PLANNED) & Domain("due_date", "=", today),
            ]
        )
        return Domain("state", "in", schedule.OPEN_STATES) & behind

    def _advance_clock(self, today):
        """Move unpaid instalments to the state their dates give on ``today``.

        Premiums falling due once their policy is suspended are not owed until it is
        reinstated: they stay planned. The state writes mark the policies for
        ``insurance.fact.flow``, which derives their state and refreshes their cases.
        """
        targets = {
            line: schedule.state_on(today, line.due_date, line.lapse_date)
            for line in self.filtered(lambda line: line.state in schedule.OPEN_STATES)
        }
        suspended_on = {}
        for line, state in targets.items():
            if state == schedule.LAPSED:
                day = suspended_on.get(line.policy_id, line.lapse_date)
                suspended_on[line.policy_id] = min(day, line.lapse_date)
        by_state = defaultdict(list)
        for line, state in targets.items():
            suspension = suspended_on.get(line.policy_id)
            if suspension and line.due_date >= suspension:
                continue
            if state != line.state:
                by_state[state].append(line.id)
        for state, ids in by_state.items():
            self.browse(ids).write({"state": state})

    @api.model
    def _cron_issue_premium_invoices(self, batch_size=1000):
        """Issue the premium invoices due out today, in committed batches."""
        policies = self.env["insurance.policy"]
        today = policies._clock_today()
        domain = self._to_invoice_domain(today)
        self.env["ir.cron"]._commit_progress(remaining=self.search_count(domain))
        self.env["insurance.batch.runner"]._process_in_batches(
            self, domain, self._issue_invoices_batch, batch_size
        )

    def _issue_invoices_batch(self, lines):
        lines._issue_invoices()
