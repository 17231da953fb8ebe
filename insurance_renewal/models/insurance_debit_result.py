from odoo import api, fields, models
from odoo.exceptions import UserError

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
FINANCE_USER_PARAM = "insurance_renewal.debit_finance_user_id"


class InsuranceDebitResult(models.Model):
    """One attempt of the bank to debit a premium from the payer's account."""

    _name = "insurance.debit.result"
    _description = "Bank Debit Result"
    _order = "date desc, id desc"

    file_id = fields.Many2one(
        "insurance.bank.file", string="Result File", readonly=True, ondelete="cascade"
    )
    file_row = fields.Integer(readonly=True)
    date = fields.Date(required=True, readonly=True, index=True)
    premium_line_id = fields.Many2one(
        "insurance.premium.line",
        string="Instalment",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
    )
    policy_id = fields.Many2one(related="premium_line_id.policy_id", store=True)
    partner_id = fields.Many2one(related="premium_line_id.policy_id.payer_id")
    specialist_id = fields.Many2one(related="premium_line_id.specialist_id", store=True)
    product_id = fields.Many2one(related="premium_line_id.product_id", store=True)
    company_id = fields.Many2one(related="premium_line_id.company_id", store=True)
    currency_id = fields.Many2one(related="premium_line_id.currency_id")
    amount = fields.Monetary(readonly=True)
    result = fields.Selection(
        [("success", "Debited"), ("failure", "Failed")],
        required=True,
        readonly=True,
        index=True,
    )
    reason = fields.Selection(
        REASONS, string="Failure Reason", readonly=True, index=True
    )
    next_debit_date = fields.Date(string="Next Attempt", readonly=True)
    payment_id = fields.Many2one("account.payment", readonly=True)

    @api.model
    def _import_rows(self, bank_file, rows):
        """Record every row of a result file: pay on success, follow up on failure."""
        targets = self._find_instalments(bank_file, rows)
        results = self.create(
            [
                {
                    "file_id": bank_file.id,
                    "file_row": row["row"],
                    "date": row["date"],
                    "premium_line_id": targets[row["row"]].id,
                    "amount": float(row["amount"]),
                    "result": row["result"],
                    "reason": row["reason"] or False,
                }
                for row in rows
            ]
        )
        results.filtered(lambda r: r.result == "success")._pay(bank_file.journal_id)
        results.filtered(lambda r: r.result == "failure")._follow_up_failure()
        return results

    @api.model
    def _find_instalments(self, bank_file, rows):
        """Return {row number: instalment}: by payment reference, else the oldest
        unpaid instalment of the policy. A row with no target refuses the file."""
        Line = self.env["insurance.premium.line"].sudo()
        references = [row["reference"] for row in rows if row["reference"]]
        by_reference = {
            line.invoice_id.payment_reference: line
            for line in Line.search(
                [("invoice_id.payment_reference", "in", references)]
            )
        }
        unpaid = Line.search(
            [
                ("policy_id.name", "in", [row["policy"] for row in rows]),
                ("policy_id.company_id", "=", bank_file.company_id.id),
                ("state", "in", (*schedule.OPEN_STATES, schedule.LAPSED)),
            ],
            order="due_date, id",
        )
        targets, errors = {}, []
        for row in rows:
            line = by_reference.get(row["reference"]) or next(
                (line for line in unpaid if line.policy_id.name == row["policy"]), None
            )
            if line:
                targets[row["row"]] = line
            else:
                field = "reference" if row["reference"] else "policy"
                value = row["reference"] or row["policy"]
                errors.append((row["row"], field, "not_found", value))
        if errors:
            File = self.env["insurance.bank.file"]
            raise UserError(File._format_errors(bank_file.name, errors))
        return targets

    def _pay(self, journal):
        for result in self:
            line = result.premium_line_id.sudo()
            if line.invoice_id.payment_state in ("not_paid", "partial"):
                result.payment_id = result._register_payment(line.invoice_id, journal)
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
        the next attempt, tell the specialist, and ask finance to have the bank
        account fixed when the bank cannot debit it at all."""
        params = self.env["ir.config_parameter"].sudo()
        retry_days = int(params.get_param(RETRY_DAYS_PARAM, DEFAULT_RETRY_DAYS))
        finance_user = (
            self.env["res.users"]
            .browse(int(params.get_param(FINANCE_USER_PARAM, 0) or 0))
            .exists()
        )
        for result in self:
            line = result.premium_line_id.sudo()
            result.next_debit_date = bank_files.next_debit_date(
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
                policy.activity_schedule(
                    "mail.mail_activity_data_todo",
                    summary=self.env._("Have the payer's bank account fixed"),
                    note=note,
                    user_id=(finance_user or specialist).id,
                )

    def _failure_note(self):
        values = {
            "amount": self.amount,
            "line": self.premium_line_id.display_name,
            "date": self.date,
            "reason": dict(self._fields["reason"]._description_selection(self.env))[
                self.reason
            ],
        }
        if self.next_debit_date:
            return self.env._(
                "Bank debit of %(amount)s for %(line)s failed on %(date)s: %(reason)s. "
                "The bank tries again on %(next)s.",
                next=self.next_debit_date,
                **values,
            )
        return self.env._(
            "Bank debit of %(amount)s for %(line)s failed on %(date)s: %(reason)s. "
            "No new attempt until the bank account is fixed or the payer pays.",
            **values,
        )
