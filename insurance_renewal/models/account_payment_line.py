from odoo import fields, models
from odoo.tools import float_repr


class AccountPaymentLine(models.Model):
    """A line of a premium auto-debit order asks the bank to debit one instalment;
    it waits for its result until the bank's result file is imported."""

    _inherit = "account.payment.line"

    insurance_premium_line_id = fields.Many2one(
        "insurance.premium.line",
        string="Instalment",
        readonly=True,
        index="btree_not_null",
        ondelete="restrict",
        check_company=True,
    )
    insurance_policy_id = fields.Many2one(
        related="insurance_premium_line_id.policy_id", string="Policy"
    )
    insurance_debit_pending = fields.Boolean(
        string="Waiting for the Bank",
        readonly=True,
        copy=False,
        help="Sent to the bank, its result not imported yet: the instalment goes "
        "into no other debit order meanwhile.",
    )
    insurance_debit_result_id = fields.Many2one(
        "insurance.debit.result",
        string="Debit Result",
        readonly=True,
        copy=False,
        check_company=True,
    )
    insurance_debit_outcome = fields.Selection(
        related="insurance_debit_result_id.outcome", string="Debit Outcome"
    )

    # One instalment waits in one debit order at most, whoever builds the orders
    # and on however many workers: the database refuses the second line.
    _insurance_one_pending_debit = models.UniqueIndex(
        "(insurance_premium_line_id) WHERE insurance_debit_pending"
    )

    def _insurance_request_row(self):
        """The row of the bank's request file. The card number is written in full:
        the bank cannot debit a masked one."""
        self.ensure_one()
        return (
            self.communication,
            self.insurance_policy_id.name,
            self.partner_id.name,
            self.partner_bank_id.acc_number,
            self.partner_bank_id.bank_id.name or "",
            float_repr(self.amount_currency, self.currency_id.decimal_places),
            self.currency_id.name,
            fields.Date.to_string(self.date),
            self.mandate_id.unique_mandate_reference,
        )
