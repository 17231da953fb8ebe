import io

import openpyxl
from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalDashboard(InsuranceRenewalCommon):
    """The renewal manager's dashboard and its KPI workbook."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="test_dashboard_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        cls.env.company.renewal_collection_target = 90.0
        # On 10 March 2025: one premium due on the 12th, one in grace ending on the
        # 14th, one in grace ending in April; two March premiums paid out of three.
        week = cls._dash_line("D-WEEK", "2025-03-12", "due", 0)
        cls.env["crm.lead"].create(
            {
                "name": "D-WEEK",
                "type": "opportunity",
                "insurance_policy_id": week.id,
                "user_id": cls.specialist.id,
                "renewal_amount_due": 12000,
                "renewal_promise_broken": True,
            }
        )
        cls._dash_line("D-ENDING", "2025-01-13", "grace", 0, grace_end="2025-03-14")
        cls._dash_line("D-GRACE", "2025-02-20", "grace", 0, grace_end="2025-04-21")
        cls._dash_line("D-PAID1", "2025-03-01", "paid", 12000)
        cls._dash_line("D-PAID2", "2025-03-02", "paid", 12000)

    @classmethod
    def _dash_line(cls, name, due, state, paid, grace_end=None):
        policy = cls._create_policy(
            name=name, issue_date="2024-01-01", state="in_force"
        )
        cls.env["insurance.premium.line"].create(
            {
                "policy_id": policy.id,
                "installment_number": 2,
                "policy_year": 2,
                "due_date": due,
                "grace_end_date": grace_end or "2025-05-30",
                "amount": 12000,
                "amount_paid": paid,
                "date_paid": paid and due,
                "state": state,
            }
        )
        return policy

    @freeze_time("2025-03-10")
    def test_todays_work_and_collection_against_target(self):
        dashboard = (
            self.env["insurance.renewal.dashboard"].with_user(self.manager).create({})
        )
        self.assertEqual(
            dashboard.display_name,
            f"Renewal Dashboard: {self.env.company.name}",
            "A title, not the record's technical name.",
        )
        self.assertEqual(dashboard.due_this_week_count, 1)
        self.assertEqual(dashboard.in_grace_count, 2)
        self.assertEqual(dashboard.grace_ending_count, 1)
        # Due in March: D-WEEK, D-PAID1 and D-PAID2; 24,000 of 36,000 received.
        self.assertAlmostEqual(dashboard.collection_rate, 66.67)
        self.assertFalse(dashboard.collection_on_target)
        action = dashboard.with_context(
            dashboard_count="grace_ending_count"
        ).action_open_today()
        lines = self.env["insurance.premium.line"].search(action["domain"])
        self.assertEqual(lines.policy_id.mapped("name"), ["D-ENDING"])
        self.assertEqual(dashboard.broken_promise_count, 1)
        self.assertIn(self.specialist.name, dashboard.workload_html)
        self.assertIn("12,000.00", dashboard.workload_html)

    @freeze_time("2025-03-10")
    def test_kpi_workbook(self):
        dashboard = (
            self.env["insurance.renewal.dashboard"].with_user(self.manager).create({})
        )
        report = self.env.ref("insurance_renewal.action_report_kpi_tables_xlsx")
        content, _type = report.with_user(self.manager)._render(
            report.report_name, dashboard.ids
        )
        book = openpyxl.load_workbook(io.BytesIO(content))
        self.assertEqual(
            book.sheetnames,
            [
                "Collection Rate",
                "Renewal Success Rate",
                "Lapse and Reinstatement",
                "Contact and Promise-kept Rates",
                "Persistency",
            ],
        )
        rows = {
            row[0]: row[1:]
            for row in book["Collection Rate"].iter_rows(min_row=2, values_only=True)
        }
        self.assertEqual(rows["2025-03"], (36000, 24000, 66.67))
        self.assertEqual(rows["2025-01"], (12000, 0, 0))
