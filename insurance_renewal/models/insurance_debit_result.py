from collections import defaultdict

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import format_amount, format_date

from ..lib import bank_files, schedule

REASONS = [
    (bank_files.INSUFFICIENT_FUNDS, "Insufficient Funds"),
    (bank_files.ACCOUNT_CLOSED, "Account Closed or Frozen"),
    (bank_files.NAME_MISMATCH, "Name Mismatch"),
    (bank_files.WRONG_CARD, "Wrong Card Number"),
    (bank_files.OTHER, "Other"),
]
RETRY_DAYS_PARAM = "insurance_renewal.debit_retry_days"
DEFAULT_RETRY_DAYS = 3


OUTCOMES = [
    ("paid", "Paid"),
    ("failed", "Failed"),
    ("duplicate", "Already Imported"),
    ("already_paid", "Instalment Already Paid"),
    ("overpaid", "More Than Owed"),
    ("nothing_owed", "Nothing Owed"),
]


class InsuranceDebitResult(models.Model):
    """One attempt of the bank to debit a premium from the payer's account."""

    _name = "insurance.debit.result"
    _description = "Bank Debit Result"
    _order = "date desc, id desc"
    _check_company_auto = True

    file_id = fields.Many2one(
        "insurance.bank.file",
        string="Result File",
        readonly=True,
        ondelete="cascade",
        check_company=True,
    )
    file_row = fields.Integer(readonly=True)
    import_key = fields.Char(readonly=True, copy=False, index="btree_not_null")
    date = fields.Date(required=True, readonly=True, index=True)
    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True
    )
    policy_id = fields.Many2one(
        "insurance.policy",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    premium_line_id = fields.Many2one(
        "insurance.premium.line",
        string="Instalment",
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    partner_id = fields.Many2one(related="policy_id.payer_id")
    specialist_id = fields.Many2one(related="policy_id.specialist_id", store=True)
    product_id = fields.Many2one(related="policy_id.product_id", store=True)
    currency_id = fields.Many2one(related="policy_id.currency_id")
    amount = fields.Monetary(readonly=True)
    result = fields.Selection(
        [("success", "Debited"), ("failure", "Failed")],
        required=True,
        readonly=True,
        index=True,
    )
    outcome = fields.Selection(
        OUTCOMES,
        string="Debit Outcome",
        required=True,
        readonly=True,
        index=True,
        help="What the import did with the row. Rows already imported, for an "
        "instalment already paid, for more than is owed or for nothing owed pay "
        "nothing: finance decides.",
    )
    reason = fields.Selection(
        REASONS, string="Failure Reason", readonly=True, index=True
    )
    next_debit_date = fields.Date(string="Next Attempt", readonly=True)
    payment_id = fields.Many2one("account.payment", readonly=True, check_company=True)
    payment_order_line_ids = fields.One2many(
        "account.payment.line",
        "insurance_debit_result_id",
        string="Debit Order Line",
        readonly=True,
    )

    _import_key_unique = models.Constraint(
        "UNIQUE(company_id, import_key)",
        "This debit result has already been imported.",
    )

    @api.model_create_multi
    def create(self, vals_list):
        self._check_written_by_import()
        return super().create(vals_list)

    def write(self, vals):
        self._check_written_by_import()
        return super().write(vals)

    def _check_written_by_import(self):
        """A debit result says what the bank's file said and what the import did
        with it: the import alone writes it (as superuser, after its checks)."""
        if not self.env.su:
            raise AccessError(
                self.env._(
                    "A debit result is recorded from the bank's result file and "
                    "kept as it came: import the bank's file instead."
                )
            )

    @api.model
    def _import_rows(self, bank_file, rows, keys):
        """Record every row of a result file: pay on success, follow up on failure,
        and leave rows that must not pay (repeats, nothing owed, too much) to
        finance. A row naming no policy of the file's company refuses the file."""
        resolver = _DebitResolver(bank_file, rows)
        known = set(
            self.search(
                [
                    ("company_id", "=", bank_file.company_id.id),
                    ("import_key", "in", keys),
                ]
            ).mapped("import_key")
        )
        vals_list = [
            resolver.resolve(row, duplicate=key in known)
            | {"file_id": bank_file.id, "import_key": False if key in known else key}
            for row, key in zip(rows, keys, strict=True)
        ]
        if resolver.errors:
            File = self.env["insurance.bank.file"]
            raise UserError(File._format_errors(bank_file.name, resolver.errors))
        # As superuser: the caller was checked by the bank file's import.
        results = self.sudo().create(vals_list).with_env(self.env)
        results.filtered(lambda r: r.outcome == "paid")._pay(bank_file.journal_id)
        results.filtered(lambda r: r.outcome == "failed")._follow_up_failure()
        results._settle_debit_order_lines()
        return results

    def _settle_debit_order_lines(self):
        """Each result naming an instalment that waits in a premium debit order
        settles that order's line; an order whose every line is settled is done.
        A success also dates the mandate's last debit."""
        waiting = self.env["account.payment.line"].search(
            [
                ("insurance_premium_line_id", "in", self.premium_line_id.ids),
                ("insurance_debit_pending", "=", True),
            ]
        )
        by_line = {pl.insurance_premium_line_id: pl for pl in waiting}
        settled = self.env["account.payment.line"]
        for result in self.filtered(lambda r: r.outcome != "duplicate"):
            payment_line = by_line.pop(result.premium_line_id, None)
            if not payment_line:
                continue
            vals = {
                "insurance_debit_pending": False,
                "insurance_debit_result_id": result.id,
            }
            if result.payment_id:
                vals["payment_ids"] = [Command.link(result.payment_id.id)]
                payment_line.mandate_id.last_debit_date = result.date
            payment_line.write(vals)
            settled |= payment_line
        settled.order_id._settle_insurance_debits()

    def _pay(self, journal):
        """Pay each instalment's invoice, issuing it first when it is not out yet.
        Products without premium invoicing keep a payment recorded on the
        instalment, as before accounting was configured."""
        for result in self:
            # Finance may read but not write instalments: the payment itself is
            # registered as the finance user; only the addon's own bookkeeping
            # (invoice link, next attempt) is written as superuser.
            line = result.premium_line_id.sudo()
            if line.product_id.premium_product_id and line.invoice_id.state != "posted":
                line._issue_invoices()
            if line.invoice_id.state == "posted":
                payment = result._register_payment(line.invoice_id, journal)
                result.sudo().payment_id = payment
            else:
                line.write(
                    {
                        "amount_paid": line.amount_paid + result.amount,
                        "date_paid": result.date,
                    }
                )
            line.next_debit_date = False

    def _register_payment(self, invoice, journal):
        register = (
            self.env["account.payment.register"]
            .with_context(active_model="account.move", active_ids=invoice.ids)
            .create(
                {
                    "amount": self.amount,
                    "payment_date": self.date,
                    "journal_id": journal.id,
                    "communication": invoice.payment_reference,
                }
            )
        )
        return register._create_payments()

    def _follow_up_failure(self):
        """Log the failure on the instalment and the policy's contact history, set
        the next attempt, tell the specialist, and hand the Finance team the
        bank account to fix when the bank cannot debit it at all."""
        params = self.env["ir.config_parameter"].sudo()
        retry_days = int(params.get_param(RETRY_DAYS_PARAM, DEFAULT_RETRY_DAYS))
        to_fix = {}
        for result in self:
            line = result.premium_line_id.sudo()
            result.sudo().next_debit_date = bank_files.next_debit_date(
                result.date, result.reason, retry_days, line.grace_end_date
            )
            line.next_debit_date = result.next_debit_date
            note = result._failure_note()
            self.env["insurance.renewal.activity"].sudo().create(
                {
                    "policy_id": line.policy_id.id,
                    "kind": "debit",
                    "channel": "bank",
                    "note": note,
                    "date": fields.Datetime.now(),
                }
            )
            policy = line.policy_id
            policy.message_post(body=note)
            specialist = policy.specialist_id or self.env.user
            policy.activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Bank debit failed"),
                note=note,
                user_id=specialist.id,
            )
            if result.reason in bank_files.ACCOUNT_FIX_REASONS:
                to_fix[policy] = note
        self.env["insurance.assignment.rule"]._fire(
            "debit_failed",
            self.env["insurance.policy"].union(*to_fix),
            note={policy.id: note for policy, note in to_fix.items()},
        )

    def _failure_note(self):
        values = {
            "amount": format_amount(self.env, self.amount, self.currency_id),
            "line": self.premium_line_id.display_name,
            "date": format_date(self.env, self.date),
            "reason": dict(self._fields["reason"]._description_selection(self.env))[
                self.reason
            ],
        }
        if self.next_debit_date:
            return self.env._(
                "Bank debit of %(amount)s for %(line)s failed on %(date)s: %(reason)s. "
                "The bank tries again on %(next)s.",
                next=format_date(self.env, self.next_debit_date),
                **values,
            )
        return self.env._(
            "Bank debit of %(amount)s for %(line)s failed on %(date)s: %(reason)s. "
            "No new attempt until the bank account is fixed or the payer pays.",
            **values,
        )


class _DebitResolver:
    """The instalments a result file may name, read once, scoped to the file's
    company: by payment reference (policy number and instalment) or, for a
    policy number alone, its open instalments oldest first, each taken once."""

    def __init__(self, bank_file, rows):
        self.env = bank_file.env
        self.errors = []
        references = {
            row["row"]: bank_files.split_reference(
                bank_files.normalize_reference(row["reference"])
            )
            for row in rows
            if row["reference"]
        }
        keys = {bank_files.normalize_reference(row["policy"]) for row in rows}
        keys |= {policy_key for policy_key, _number in references.values()}
        self.references = references
        self.policies = bank_file.env["insurance.receipt.matcher"]._policies_by_key(
            bank_file.company_id, keys - {""}
        )
        lines = self.env["insurance.premium.line"].search(
            [
                ("policy_id", "in", [p.id for p in self.policies.values()]),
                ("company_id", "=", bank_file.company_id.id),
            ],
            order="due_date, installment_number, id",
        )
        self.by_number = {
            (line.policy_id, line.installment_number): line for line in lines
        }
        self.open_lines = defaultdict(list)
        for line in lines:
            if line.state in (*schedule.OPEN_STATES, schedule.LAPSED):
                self.open_lines[line.policy_id].append(line)
        self.taken = set()

    def resolve(self, row, duplicate=False):
        """Return the values of the debit result of ``row``."""
        policy, line = self._target(row)
        vals = {
            "file_row": row["row"],
            "date": row["date"],
            "amount": float(row["amount"]),
            "result": row["result"],
            "reason": row["reason"] or False,
            "policy_id": policy.id if policy else False,
            "company_id": policy.company_id.id if policy else False,
            "premium_line_id": line.id if line else False,
        }
        vals["outcome"] = "duplicate" if duplicate else self._outcome(row, line)
        if vals["outcome"] in ("paid", "failed"):
            self.taken.add(line)
        return vals

    def _target(self, row):
        if row["reference"]:
            policy_key, number = self.references[row["row"]]
            policy = self.policies.get(policy_key)
            line = policy and self.by_number.get((policy, number))
            if not line:
                self.errors.append(
                    (row["row"], "reference", "not_found", row["reference"])
                )
            return policy, line
        policy = self.policies.get(bank_files.normalize_reference(row["policy"]))
        if not policy:
            self.errors.append((row["row"], "policy", "not_found", row["policy"]))
            return policy, None
        line = next(
            (line for line in self.open_lines[policy] if line not in self.taken), None
        )
        return policy, line

    def _outcome(self, row, line):
        if not line:
            return "nothing_owed"
        if line.state in schedule.SETTLED_STATES or line in self.taken:
            return "already_paid"
        if row["result"] == bank_files.FAILURE:
            return "failed"
        owed = line.amount_residual
        if line.currency_id.compare_amounts(float(row["amount"]), owed) > 0:
            return "overpaid"
        return "paid"
