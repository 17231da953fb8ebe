from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Domain

from ..lib import schedule

PERSISTENCY_COHORTS = 12


class InsuranceRenewalDashboard(models.TransientModel):
    """The renewal manager's dashboard: today's work, this month's collection rate
    against the company's target, the persistency trend and the specialists'
    workload, all counted by the database."""

    _name = "insurance.renewal.dashboard"
    _description = "Renewal Dashboard"

    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company
    )
    due_this_week_count = fields.Integer(
        string="Due This Week", compute="_compute_today_work"
    )
    in_grace_count = fields.Integer(string="In Grace", compute="_compute_today_work")
    grace_ending_count = fields.Integer(
        string="Grace Ending Within 7 Days", compute="_compute_today_work"
    )
    broken_promise_count = fields.Integer(
        string="Broken Promises", compute="_compute_today_work"
    )
    collection_rate = fields.Float(
        string="Collection Rate This Month (%)", compute="_compute_collection"
    )
    collection_target = fields.Float(
        related="company_id.renewal_collection_target", string="Target (%)"
    )
    collection_on_target = fields.Boolean(compute="_compute_collection")
    persistency_html = fields.Html(
        string="Persistency Trend", compute="_compute_tables", sanitize=False
    )
    workload_html = fields.Html(
        string="Specialists' Workload", compute="_compute_tables", sanitize=False
    )

    def _compute_display_name(self):
        for dashboard in self:
            dashboard.display_name = self.env._(
                "Renewal Dashboard: %(company)s", company=dashboard.company_id.name
            )

    @api.depends("company_id")
    def _compute_today_work(self):
        lines = self.env["insurance.premium.line"]
        leads = self.env["crm.lead"]
        for dashboard in self:
            for fname, domain in dashboard._today_domains().items():
                model = leads if fname == "broken_promise_count" else lines
                dashboard[fname] = model.search_count(domain)

    @api.depends("company_id")
    def _compute_collection(self):
        for dashboard in self:
            [(rate,)] = self.env["insurance.kpi.instalment"]._read_group(
                dashboard._this_month_domain(), [], ["collection_rate:avg"]
            )
            dashboard.collection_rate = rate or 0.0
            dashboard.collection_on_target = (
                dashboard.collection_rate >= dashboard.collection_target
            )

    @api.depends("company_id")
    def _compute_tables(self):
        qweb = self.env["ir.qweb"]
        for dashboard in self:
            dashboard.persistency_html = qweb._render(
                "insurance_renewal.renewal_dashboard_persistency",
                {"rows": dashboard._persistency_rows()},
            )
            dashboard.workload_html = qweb._render(
                "insurance_renewal.renewal_dashboard_workload",
                {"rows": dashboard._workload_rows()},
            )

    def _today(self):
        return fields.Date.context_today(self)

    def _today_domains(self):
        """What each count of today's work counts, also used to open the list."""
        today = self._today()
        company = Domain("company_id", "=", self.company_id.id)
        week = today + timedelta(days=7)
        return {
            "due_this_week_count": company
            & Domain("state", "in", schedule.OPEN_STATES)
            & Domain("due_date", ">=", today)
            & Domain("due_date", "<", week),
            "in_grace_count": company & Domain("state", "=", schedule.GRACE),
            # the cover ends within the week: the grace end, or a demand's 30 days
            "grace_ending_count": company
            & Domain("state", "=", schedule.GRACE)
            & Domain("lapse_date", "<=", week),
            "broken_promise_count": company
            & Domain("insurance_policy_id", "!=", False)
            & Domain("renewal_promise_broken", "=", True)
            & Domain("won_status", "=", "pending"),
        }

    def _this_month_domain(self):
        start = self._today().replace(day=1)
        return (
            Domain("company_id", "=", self.company_id.id)
            & Domain("due_date", ">=", start)
            & Domain("due_date", "<", start + relativedelta(months=1))
        )

    def _persistency_rows(self):
        start = self._today().replace(day=1) - relativedelta(months=36)
        rows = self.env["insurance.kpi.persistency"]._cohort_table(
            Domain("company_id", "=", self.company_id.id)
            & Domain("issue_date", ">=", start)
            & Domain("measure_month", "in", ("13", "25"))
        )
        return sorted(
            rows, key=lambda row: (row["cohort"], row["month"]), reverse=True
        )[: PERSISTENCY_COHORTS * 2]

    def _workload_rows(self):
        groups = self.env["crm.lead"]._read_group(
            Domain("company_id", "in", (self.company_id.id, False))
            & Domain("insurance_policy_id", "!=", False)
            & Domain("won_status", "=", "pending"),
            ["user_id"],
            ["__count", "renewal_amount_due:sum"],
        )
        return [
            {"user": user, "cases": count, "amount": amount}
            for user, count, amount in sorted(groups, key=lambda group: -group[1])
        ]

    def action_open_today(self):
        """Open the instalments or cases one of today's counts counts."""
        self.ensure_one()
        fname = self.env.context.get("dashboard_count")
        domains = self._today_domains()
        if fname not in domains:
            raise UserError(
                self.env._("Open one of the dashboard's counts of today's work.")
            )
        domain = domains[fname]
        if fname == "broken_promise_count":
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "insurance_renewal.crm_lead_renewal_action"
            )
        else:
            action = self.env["ir.actions.act_window"]._for_xml_id(
                "insurance_renewal.insurance_premium_line_action"
            )
        action["domain"] = list(domain)
        action["context"] = {}
        return action

    def action_export_kpis(self):
        return self.env.ref(
            "insurance_renewal.action_report_kpi_tables_xlsx"
        ).report_action(self)
