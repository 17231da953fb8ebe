from odoo import models
from odoo.fields import Domain


class KpiTablesXlsx(models.AbstractModel):
    """The KPI tables of the renewal dashboard in one workbook: a sheet per KPI by
    month, and the persistency cohorts."""

    _name = "report.insurance_renewal.kpi_tables_xlsx"
    _inherit = "report.report_xlsx.abstract"
    _description = "Renewal KPI Tables (xlsx)"

    def get_workbook_options(self):
        return {"constant_memory": True, "strings_to_formulas": False}

    def _kpi_sheets(self):
        """Sheet title, KPI view, period grouping and measures of each sheet."""
        _ = self.env._
        return [
            (
                _("Collection Rate"),
                "insurance.kpi.instalment",
                "due_date:month",
                ["amount_due:sum", "amount_received:sum", "collection_rate:avg"],
            ),
            (
                _("Renewal Success Rate"),
                "insurance.kpi.instalment",
                "grace_end_date:month",
                [
                    "grace_ended_count:sum",
                    "paid_in_grace_count:sum",
                    "success_rate:avg",
                ],
            ),
            (
                _("Lapse and Reinstatement"),
                "insurance.kpi.lapse",
                "date_start:month",
                [
                    "in_force_count:sum",
                    "suspended_count:sum",
                    "lapse_rate:avg",
                    "reinstated_count:sum",
                    "reinstatement_rate:avg",
                ],
            ),
            (
                _("Contact and Promise-kept Rates"),
                "insurance.kpi.response",
                "date:month",
                [
                    "attempt_count:sum",
                    "contact_rate:avg",
                    "promise_due_count:sum",
                    "promise_kept_count:sum",
                    "promise_kept_rate:avg",
                ],
            ),
        ]

    def generate_xlsx_report(self, workbook, data, dashboards):
        bold = workbook.add_format({"bold": True})
        company = Domain("company_id", "=", dashboards[:1].company_id.id)
        for title, model, groupby, aggregates in self._kpi_sheets():
            domain = company
            if model == "insurance.kpi.lapse":
                domain &= Domain("period_type", "=", "month")
            if model == "insurance.kpi.response":
                domain &= Domain("source", "=", "contact")
            sheet = workbook.add_worksheet(title)
            kpi = self.env[model]
            headers = [self.env._("Month")] + [
                kpi._fields[spec.split(":")[0]]._description_string(self.env)
                for spec in aggregates
            ]
            sheet.write_row(0, 0, headers, bold)
            sheet.freeze_panes(1, 0)
            groups = kpi._read_group(domain, [groupby], aggregates, order=groupby)
            for row, (month, *values) in enumerate(groups, start=1):
                sheet.write_string(row, 0, month.strftime("%Y-%m"))
                sheet.write_row(row, 1, [value or 0 for value in values])
        self._write_persistency(workbook, bold, company)

    def _write_persistency(self, workbook, bold, domain):
        _ = self.env._
        sheet = workbook.add_worksheet(_("Persistency"))
        sheet.write_row(
            0,
            0,
            [
                _("Cohort"),
                _("Month"),
                _("Cohort Policies"),
                _("Persisting Policies"),
                _("Persistency by Count (%)"),
                _("Cohort Annualised Premium"),
                _("Persisting Annualised Premium"),
                _("Persistency by Premium (%)"),
                _("Status"),
            ],
            bold,
        )
        sheet.freeze_panes(1, 0)
        rows = self.env["insurance.kpi.persistency"]._cohort_table(domain)
        for index, row in enumerate(rows, start=1):
            sheet.write_string(index, 0, row["cohort"].strftime("%Y-%m"))
            sheet.write_row(
                index,
                1,
                [
                    row["month"],
                    row["policies"],
                    row["persisting"],
                    row["count_rate"],
                    row["premium"],
                    row["premium_persisting"],
                    row["premium_rate"],
                ],
            )
            sheet.write_string(
                index, 8, _("Final") if row["final"] else _("Provisional")
            )
