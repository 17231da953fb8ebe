from odoo import models


class PremiumReconciliationXlsx(models.AbstractModel):
    """Every instalment due in the period: what was due, invoiced, received, the
    receipts matched with it and the difference, with totals."""

    _name = "report.insurance_renewal.premium_reconciliation_xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "Premium Reconciliation Report (xlsx)"

    def generate_xlsx_report(self, workbook, data, wizards):
        sheet = workbook.add_worksheet(self.env._("Reconciliation"))
        bold = workbook.add_format({"bold": True})
        money = workbook.add_format({"num_format": "#,##0.00"})
        total_money = workbook.add_format({"num_format": "#,##0.00", "bold": True})
        headers = self._headers()
        sheet.write_row(0, 0, headers, bold)
        sheet.set_column(0, len(headers) - 1, 16)
        totals = [0.0] * 4
        row = 1
        for wizard in wizards:
            for line in wizard._premium_lines():
                values = self._amounts(line)
                sheet.write_row(row, 0, self._texts(line))
                sheet.write_row(row, 5, values, money)
                sheet.write(row, 9, self._receipts(line))
                sheet.write(
                    row,
                    10,
                    dict(line._fields["state"]._description_selection(self.env))[
                        line.state
                    ],
                )
                totals = [
                    total + value for total, value in zip(totals, values, strict=True)
                ]
                row += 1
        sheet.write(row, 0, self.env._("Total"), bold)
        sheet.write_row(row, 5, totals, total_money)

    def _headers(self):
        return [
            self.env._("Policy"),
            self.env._("Instalment"),
            self.env._("Payer"),
            self.env._("Due Date"),
            self.env._("Invoice"),
            self.env._("Due"),
            self.env._("Invoiced"),
            self.env._("Received"),
            self.env._("Difference"),
            self.env._("Matched Receipts"),
            self.env._("Status"),
        ]

    def _texts(self, line):
        return [
            line.policy_id.name,
            line.installment_number,
            line.policy_id.payer_id.name,
            line.due_date.isoformat(),
            line.sudo().invoice_id.name or "",
        ]

    def _amounts(self, line):
        invoice = line.sudo().invoice_id
        invoiced = invoice.amount_total if invoice.state == "posted" else 0.0
        return [line.amount, invoiced, line.amount_paid, line.amount - line.amount_paid]

    def _receipts(self, line):
        invoice = line.sudo().invoice_id
        if not invoice:
            return ""
        partials, _exchange = invoice._get_reconciled_invoices_partials()
        return ", ".join(
            counterpart.move_id.statement_line_id.payment_ref
            or counterpart.move_id.name
            for _partial, _amount, counterpart in partials
        )
