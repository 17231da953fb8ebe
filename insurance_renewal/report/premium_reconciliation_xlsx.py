from odoo import models

CLOSED_POLICY_STATES = ("paid_up", "surrendered", "terminated")


class PremiumReconciliationXlsx(models.AbstractModel):
    """Every instalment due in the period: what was due, invoiced, received,
    credited and waived, what is still open and the receipts that paid it, with
    totals; and a sheet of the period's receipts still unmatched.

    Every text cell is written as text: a memo or a name starting with "=" never
    becomes a formula."""

    _name = "report.insurance_renewal.premium_reconciliation_xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "Premium Reconciliation Report (xlsx)"

    def get_workbook_options(self):
        return {"strings_to_formulas": False, "strings_to_urls": False}

    def generate_xlsx_report(self, workbook, data, wizards):
        styles = {
            "bold": workbook.add_format({"bold": True}),
            "money": workbook.add_format({"num_format": "#,##0.00"}),
            "total": workbook.add_format({"num_format": "#,##0.00", "bold": True}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        }
        for wizard in wizards:
            self._write_instalments(workbook, wizard, styles)
            self._write_unmatched(workbook, wizard, styles)

    # Instalments ------------------------------------------------------------

    def _write_instalments(self, workbook, wizard, styles):
        sheet = workbook.add_worksheet(self.env._("Reconciliation"))
        sheet.write_string(0, 0, wizard._report_title(), styles["bold"])
        headers = self._headers()
        for col, title in enumerate(headers):
            sheet.write_string(2, col, title, styles["bold"])
        sheet.set_column(0, len(headers) - 1, 16)
        totals = [0.0] * 6
        row = 3
        for line in wizard._premium_lines():
            self._write_line(sheet, row, line, styles)
            totals = [
                total + value
                for total, value in zip(totals, self._amounts(line), strict=True)
            ]
            row += 1
        sheet.write_string(row, 0, self.env._("Total"), styles["bold"])
        sheet.write_row(row, 6, totals, styles["total"])

    def _headers(self):
        return [
            self.env._("Policy"),
            self.env._("Instalment"),
            self.env._("Payer"),
            self.env._("Currency"),
            self.env._("Due Date"),
            self.env._("Invoice"),
            self.env._("Due"),
            self.env._("Invoiced"),
            self.env._("Received"),
            self.env._("Credited"),
            self.env._("Waived"),
            self.env._("Open"),
            self.env._("Receipt Bank Reference"),
            self.env._("Receipt Date"),
            self.env._("Status"),
        ]

    def _write_line(self, sheet, row, line, styles):
        sheet.write_string(row, 0, line.policy_id.name or "")
        sheet.write_number(row, 1, line.installment_number)
        sheet.write_string(row, 2, line.policy_id.payer_id.name or "")
        sheet.write_string(row, 3, line.currency_id.name or "")
        sheet.write_datetime(row, 4, line.due_date, styles["date"])
        sheet.write_string(row, 5, line.invoice_id.name or "")
        sheet.write_row(row, 6, self._amounts(line), styles["money"])
        references, last_date = self._receipts(line)
        sheet.write_string(row, 12, references)
        if last_date:
            sheet.write_datetime(row, 13, last_date, styles["date"])
        sheet.write_string(row, 14, self._status(line))

    def _amounts(self, line):
        """Due, invoiced, received, credited, waived and open, in the policy's
        currency. Premiums of a policy that ended (paid-up, surrendered,
        terminated) and never fell due are not owed."""
        if self._not_owed(line):
            return [0.0] * 6
        invoice = line.invoice_id
        invoiced = invoice.amount_total if invoice.state == "posted" else 0.0
        waived = line.amount_residual if line.state == "waived" else 0.0
        open_amount = line.amount_residual - waived
        return [
            line.amount,
            invoiced,
            line.amount_paid,
            line.amount_credited,
            waived,
            open_amount,
        ]

    def _not_owed(self, line):
        return (
            line.policy_id.state in CLOSED_POLICY_STATES
            and line.state == "planned"
            and line.currency_id.is_zero(line.amount_paid)
        )

    def _status(self, line):
        if self._not_owed(line):
            return self.env._(
                "Closed: policy %(state)s",
                state=self._label(line.policy_id, "state"),
            )
        return self._label(line, "state")

    def _label(self, record, field):
        selection = dict(record._fields[field]._description_selection(self.env))
        return selection.get(record[field], record[field] or "")

    def _receipts(self, line):
        """The bank references of what paid the invoice, and the last date."""
        invoice = line.invoice_id
        if not invoice:
            return "", line.date_paid
        partials, _exchange = invoice._get_reconciled_invoices_partials()
        references, dates = [], []
        for _partial, _amount, counterpart in partials:
            move = counterpart.move_id
            if move.move_type == "out_refund":
                continue
            st_line = move.statement_line_id
            references.append(st_line.payment_ref or move.ref or move.name or "")
            dates.append(st_line.date or counterpart.date)
        return ", ".join(references), max(dates, default=line.date_paid)

    # Unmatched receipts -----------------------------------------------------

    def _write_unmatched(self, workbook, wizard, styles):
        sheet = workbook.add_worksheet(self.env._("Unmatched Receipts"))
        sheet.write_string(0, 0, wizard._report_title(), styles["bold"])
        headers = [
            self.env._("Receipt Date"),
            self.env._("Amount"),
            self.env._("Currency"),
            self.env._("Payer"),
            self.env._("Payer Account"),
            self.env._("Memo"),
            self.env._("Status"),
            self.env._("Candidates"),
            self.env._("Not a Premium Because"),
        ]
        for col, title in enumerate(headers):
            sheet.write_string(2, col, title, styles["bold"])
        sheet.set_column(0, len(headers) - 1, 18)
        row = 3
        total = 0.0
        for st_line in wizard._unmatched_receipts():
            sheet.write_datetime(row, 0, st_line.date, styles["date"])
            sheet.write_number(row, 1, st_line.amount, styles["money"])
            sheet.write_string(row, 2, st_line.currency_id.name or "")
            sheet.write_string(row, 3, st_line.partner_name or "")
            sheet.write_string(row, 4, st_line.account_number or "")
            sheet.write_string(row, 5, st_line.payment_ref or "")
            sheet.write_string(row, 6, self._label(st_line, "insurance_match_state"))
            sheet.write_string(
                row, 7, ", ".join(st_line.insurance_candidate_ids.mapped("name"))
            )
            sheet.write_string(row, 8, st_line.insurance_not_premium_reason or "")
            total += st_line.amount
            row += 1
        sheet.write_string(row, 0, self.env._("Total"), styles["bold"])
        sheet.write_number(row, 1, total, styles["total"])
