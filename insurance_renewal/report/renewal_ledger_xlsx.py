from odoo import models
from odoo.tools import SQL, split_every

from ..lib.identity import mask

CHUNK_SIZE = 2000


class RenewalLedgerXlsx(models.AbstractModel):
    """The renewal ledger (续期台账) in Excel, written in xlsxwriter's constant-memory
    mode: the instalments are sorted by the database, then read and written 2,000 at
    a time, so that a ledger of 100,000 rows never sits in memory at once. Every text
    cell is written as text, so that a name starting with "=" stays a name."""

    _name = "report.insurance_renewal.renewal_ledger_xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "Renewal Ledger (xlsx)"

    def get_workbook_options(self):
        return {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        }

    def generate_xlsx_report(self, workbook, data, wizards):
        formats = {
            "bold": workbook.add_format({"bold": True}),
            "money": workbook.add_format({"num_format": "#,##0.00"}),
            "date": workbook.add_format({"num_format": "yyyy-mm-dd"}),
        }
        for wizard in wizards:
            sheet = workbook.add_worksheet(self.env._("Renewal Ledger"))
            headers = self._headers()
            sheet.write_row(0, 0, headers, formats["bold"])
            sheet.set_column(0, len(headers) - 1, 14)
            sheet.freeze_panes(1, 0)
            rows = self._write_rows(sheet, wizard, formats)
            sheet.autofilter(0, 0, max(rows, 1), len(headers) - 1)

    def _headers(self):
        _ = self.env._
        return [
            _("Priority"),
            _("Lapse Risk"),
            _("Due Date"),
            _("Grace Ends"),
            _("Policyholder"),
            _("Identity Number"),
            _("Phone"),
            _("Policy"),
            _("Product"),
            _("Payment Frequency"),
            _("Instalment"),
            _("Amount Due"),
            _("Status"),
            _("Renewal Specialist"),
            _("Last Contact"),
            _("Last Contact Outcome"),
            _("Promised Date"),
        ]

    def _write_rows(self, sheet, wizard, formats):
        """Write the ledger's rows under the header; return how many."""
        labels = self._labels()
        row = 0
        for ids in split_every(CHUNK_SIZE, self._ledger_line_ids(wizard)):
            for values in self._fetch_chunk(list(ids)):
                row += 1
                self._write_row(sheet, row, values, labels, formats)
        return row

    def _ledger_line_ids(self, wizard):
        """The ids of the ledger's instalments that the user may read (the record
        rules apply through ``_search``), by priority, then due date."""
        lines = self.env["insurance.premium.line"]
        query = lines._search(wizard._ledger_domain())
        self.env.cr.execute(
            SQL(
                """
            SELECT l.id
              FROM insurance_premium_line l
              LEFT JOIN crm_lead c
                ON c.insurance_policy_id = l.policy_id AND c.active
               AND c.won_status = 'pending'
             WHERE l.id IN %s
             ORDER BY COALESCE(c.priority, '0') DESC, l.due_date,
                      c.renewal_risk_score DESC NULLS LAST, l.id
                """,
                query.subselect(),
            )
        )
        return [line_id for (line_id,) in self.env.cr.fetchall()]

    def _fetch_chunk(self, ids):
        self.env.cr.execute(
            SQL(
                """
            SELECT l.id, COALESCE(c.priority, '0') AS priority,
                   c.renewal_risk_score AS risk, l.due_date, l.grace_end_date,
                   h.name AS holder, h.identity_number, h.phone, p.name AS policy,
                   COALESCE(prod.name->>%(lang)s, prod.name->>'en_US') AS product,
                   p.payment_frequency, l.installment_number, l.amount_residual,
                   l.state, s.name AS specialist, a.date AS contact_date,
                   a.outcome, c.renewal_promised_date
              FROM insurance_premium_line l
              JOIN insurance_policy p ON p.id = l.policy_id
              JOIN res_partner h ON h.id = p.partner_id
              JOIN insurance_product prod ON prod.id = p.product_id
              LEFT JOIN res_users u ON u.id = p.specialist_id
              LEFT JOIN res_partner s ON s.id = u.partner_id
              LEFT JOIN crm_lead c
                ON c.insurance_policy_id = l.policy_id AND c.active
               AND c.won_status = 'pending'
              LEFT JOIN insurance_renewal_activity a
                ON a.id = c.renewal_last_activity_id
             WHERE l.id = ANY(%(ids)s)
                """,
                lang=self.env.lang or "en_US",
                ids=ids,
            )
        )
        by_id = {values["id"]: values for values in self.env.cr.dictfetchall()}
        return [by_id[line_id] for line_id in ids]

    def _labels(self):
        def selection(model, fname):
            field = self.env[model]._fields[fname]
            return dict(field._description_selection(self.env))

        return {
            "priority": selection("crm.lead", "priority"),
            "frequency": selection("insurance.policy", "payment_frequency"),
            "state": selection("insurance.premium.line", "state"),
            "outcome": selection("insurance.renewal.activity", "outcome"),
        }

    def _write_row(self, sheet, row, values, labels, formats):
        texts = {
            0: labels["priority"].get(values["priority"], values["priority"]),
            4: values["holder"],
            5: mask(values["identity_number"]),
            6: values["phone"],
            7: values["policy"],
            8: values["product"],
            9: labels["frequency"].get(values["payment_frequency"]),
            12: labels["state"].get(values["state"]),
            13: values["specialist"],
            15: labels["outcome"].get(values["outcome"]),
        }
        for col, text in texts.items():
            if text:
                sheet.write_string(row, col, text)
        if values["risk"] is not None:
            sheet.write_number(row, 1, values["risk"])
        sheet.write_datetime(row, 2, values["due_date"], formats["date"])
        sheet.write_datetime(row, 3, values["grace_end_date"], formats["date"])
        sheet.write_number(row, 10, values["installment_number"])
        sheet.write_number(row, 11, values["amount_residual"] or 0, formats["money"])
        for col, day in (
            (14, values["contact_date"]),
            (16, values["renewal_promised_date"]),
        ):
            if day:
                sheet.write_datetime(row, col, day, formats["date"])
