import csv
import io
import logging

import xlsxwriter

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import format_amount

_logger = logging.getLogger(__name__)

DEBIT_METHOD_CODE = "insurance_premium_debit"
# The bank's request file, one row per instalment to debit (readme/USAGE.md).
REQUEST_COLUMNS = (
    "reference",
    "policy",
    "payer name",
    "account",
    "bank",
    "amount",
    "currency",
    "debit date",
    "mandate",
)


class AccountPaymentOrder(models.Model):
    """Premium auto-debit orders: OCA payment orders of the payment method
    *Premium Auto-debit*, one per company and day, built from the instalments due
    and settled line by line by the bank's result file (insurance.debit.result),
    never by OCA's confirm and upload buttons, which would book every line as paid."""

    _inherit = "account.payment.order"

    insurance_debit = fields.Boolean(
        string="Premium Auto-debit",
        compute="_compute_insurance_debit",
        store=True,
        index=True,
    )
    insurance_debit_date = fields.Date(string="Debit Date", readonly=True, index=True)
    insurance_pending_count = fields.Integer(
        string="Waiting for the Bank", compute="_compute_insurance_pending_count"
    )

    @api.depends("payment_method_id.code")
    def _compute_insurance_debit(self):
        for order in self:
            order.insurance_debit = order.payment_method_id.code == DEBIT_METHOD_CODE

    @api.depends("payment_line_ids.insurance_debit_pending")
    def _compute_insurance_pending_count(self):
        for order in self:
            order.insurance_pending_count = len(
                order.payment_line_ids.filtered("insurance_debit_pending")
            )

    def draft2open(self):
        self._check_not_insurance_debit()
        return super().draft2open()

    def generated2uploaded(self):
        self._check_not_insurance_debit()
        return super().generated2uploaded()

    def action_cancel(self):
        """A cancelled premium order frees its instalments for a later order."""
        self.filtered("insurance_debit").payment_line_ids.filtered(
            "insurance_debit_pending"
        ).insurance_debit_pending = False
        return super().action_cancel()

    def _check_not_insurance_debit(self):
        if self.filtered("insurance_debit"):
            raise UserError(
                self.env._(
                    "A premium auto-debit order is settled by importing the bank's "
                    "result file (Renewal Premiums ‣ Import Bank File), line by line: "
                    "confirming it here would book every debit as paid."
                )
            )

    def action_build_insurance_debit_order(self):
        """Build today's premium auto-debit order of the current company from the
        instalments due, as the calling finance user, and open it. Called from the
        orders' list (on no record) as well as by RPC."""
        self.check_access("create")
        self.env["insurance.premium.line"].check_access("read")
        order = self._build_insurance_debit_order(
            self.env.company, fields.Date.context_today(self)
        )
        if not order:
            return {
                "type": "ir.actions.client",
                "tag": "display_notification",
                "params": {
                    "type": "info",
                    "message": self.env._("No premium is due for auto-debit today."),
                    "next": {"type": "ir.actions.act_window_close"},
                },
            }
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": order.id,
            "views": [
                (
                    self.env.ref("insurance_renewal.insurance_debit_order_form").id,
                    "form",
                )
            ],
        }

    def action_export_insurance_debit_csv(self):
        self._export_insurance_debit("csv")
        return True

    def action_export_insurance_debit_xlsx(self):
        self._export_insurance_debit("xlsx")
        return True

    # Building ----------------------------------------------------------------

    @api.model
    def _build_insurance_debit_order(self, company, today):
        """Add the instalments of ``company`` to debit on ``today`` to its draft
        order of the day (created when needed) and return the day's order, or
        nothing when there is none. Rerun the same day, it adds nothing twice."""
        mode = self._insurance_debit_mode(company)
        lines = self.env["insurance.premium.line"].search(
            self.env["insurance.premium.line"]._debit_due_domain(company, today),
            order="due_date, id",
        )
        mandates = self.env["account.banking.mandate"]._insurance_valid_mandates(
            company, lines.policy_id.payer_id
        )
        without = lines.filtered(lambda line: line.policy_id.payer_id not in mandates)
        without.policy_id._schedule_missing_mandate_todo()
        lines -= without
        if not lines:
            return self.search(
                [
                    ("payment_mode_id", "=", mode.id),
                    ("insurance_debit_date", "=", today),
                    ("state", "!=", "cancel"),
                ],
                limit=1,
            )
        lines._ensure_debit_invoices()
        order = self._insurance_debit_order_of_day(mode, company, today)
        self.env["account.payment.line"].create(
            [
                line._debit_payment_line_vals(order, mandates[line.policy_id.payer_id])
                for line in lines
            ]
        )
        return order

    @api.model
    def _insurance_debit_mode(self, company):
        mode = self.env["account.payment.mode"].search(
            [
                ("payment_method_id.code", "=", DEBIT_METHOD_CODE),
                ("company_id", "=", company.id),
            ],
            limit=1,
        )
        if not mode:
            raise UserError(
                self.env._(
                    "%(company)s has no payment mode for premium auto-debits: an "
                    "accountant creates one with the payment method Premium "
                    "Auto-debit (Invoicing ‣ Configuration ‣ Payment Modes).",
                    company=company.name,
                )
            )
        return mode

    @api.model
    def _insurance_debit_order_of_day(self, mode, company, today):
        order = self.search(
            [
                ("payment_mode_id", "=", mode.id),
                ("insurance_debit_date", "=", today),
                ("state", "=", "draft"),
            ],
            limit=1,
        )
        if order:
            return order
        journal = mode.variable_journal_ids[:1] or self.env["account.journal"].search(
            [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1
        )
        if not journal:
            raise UserError(
                self.env._(
                    "%(company)s has no bank journal to receive premium debits.",
                    company=company.name,
                )
            )
        return self.create(
            {
                "payment_mode_id": mode.id,
                "journal_id": journal.id,
                "insurance_debit_date": today,
                "date_prefered": "fixed",
                "description": self.env._(
                    "Premium auto-debits of %(date)s", date=fields.Date.to_string(today)
                ),
            }
        )

    @api.model
    def _cron_build_insurance_debit_orders(self):
        """Build the day's order of every company with a premium debit mode. A
        company that fails is logged and retried by the next run; a rerun the same
        day adds nothing twice."""
        modes = self.env["account.payment.mode"].search(
            [("payment_method_id.code", "=", DEBIT_METHOD_CODE)]
        )
        for company in modes.company_id:
            as_company = self.with_company(company)
            try:
                with self.env.cr.savepoint():
                    as_company._build_insurance_debit_order(
                        company, fields.Date.context_today(as_company)
                    )
            except UserError as error:
                _logger.warning(
                    "Premium debit order of %s not built: %s", company.name, error
                )
            self.env["ir.cron"]._commit_progress(1)

    # The bank's request file ----------------------------------------------------

    def _export_insurance_debit(self, file_format):
        """Write the bank's request file of the lines still waiting for the bank
        and attach it to the order, in its chatter; return the attachment."""
        self.ensure_one()
        self.check_access("write")
        if not self.insurance_debit:
            raise UserError(
                self.env._("Only premium auto-debit orders export a request file.")
            )
        lines = self.payment_line_ids.filtered("insurance_debit_pending")
        if not lines:
            raise UserError(
                self.env._(
                    "%(order)s has no debit waiting for the bank: nothing to export.",
                    order=self.name,
                )
            )
        rows = [line._insurance_request_row() for line in lines]
        if file_format == "xlsx":
            content = _xlsx(rows)
        else:
            content = _csv(rows)
        attachment = self.env["ir.attachment"].create(
            {
                "name": f"{self.name}.{file_format}",
                "res_model": self._name,
                "res_id": self.id,
                "raw": content,
            }
        )
        if self.state == "draft":
            self.write(
                {
                    "state": "generated",
                    "date_generated": fields.Date.context_today(self),
                    "generated_user_id": self.env.uid,
                }
            )
        # In the chatter, one click downloads it; the form shows the new state.
        self.message_post(
            body=self.env._(
                "Bank request file of %(count)s debits, %(total)s.",
                count=len(lines),
                total=format_amount(
                    self.env,
                    sum(lines.mapped("amount_currency")),
                    lines[:1].currency_id,
                ),
            ),
            attachment_ids=attachment.ids,
        )
        return attachment

    def _settle_insurance_debits(self):
        """Orders whose every line has its result are done."""
        done = self.filtered(
            lambda order: (
                order.insurance_debit
                and order.state == "generated"
                and not order.payment_line_ids.filtered("insurance_debit_pending")
            )
        )
        done.write(
            {"state": "uploaded", "date_uploaded": fields.Date.context_today(self)}
        )


def _csv(rows):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(REQUEST_COLUMNS)
    writer.writerows(rows)
    # With a byte order mark, so that Excel reads the Chinese names.
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx(rows):
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("debits")
    amount_format = workbook.add_format({"num_format": "0.00"})
    sheet.write_row(0, 0, REQUEST_COLUMNS)
    amount_column = REQUEST_COLUMNS.index("amount")
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row):
            if column == amount_column:
                sheet.write_number(number, column, float(value), amount_format)
            else:
                sheet.write_string(number, column, str(value))
    workbook.close()
    return buffer.getvalue()
