from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestKpiScreens(HttpCase):
    """The manager's KPI screens open in the browser without an error."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        new_test_user(
            cls.env,
            login="kpi_screen_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        # A policy issued 15 months ago whose second premium was paid on time,
        # after a call that reached the customer.
        today = fields.Date.context_today(cls.env.user)
        issued = today - relativedelta(months=15)
        policy = cls.env["insurance.policy"].create(
            {
                "name": "P-SCREEN",
                "partner_id": cls.env["res.partner"].create({"name": "李娜"}).id,
                "product_id": cls.env["insurance.product"]
                .create({"name": "鑫福", "code": "SCREEN"})
                .id,
                "issue_date": issued,
                "premium_amount": 6000,
                "premium_years": 10,
                "state": "in_force",
            }
        )
        due = issued + relativedelta(months=12)
        cls.env["insurance.premium.line"].create(
            {
                "policy_id": policy.id,
                "installment_number": 2,
                "policy_year": 2,
                "due_date": due,
                "grace_end_date": due + relativedelta(days=60),
                "amount": 6000,
                "amount_paid": 6000,
                "date_paid": due,
                "state": "paid",
            }
        )
        cls.env["insurance.renewal.activity"].create(
            {"policy_id": policy.id, "outcome": "reached", "date": due}
        )

    def _tour(self, action, tour):
        self.start_tour(
            f"/odoo/action-insurance_renewal.{action}",
            tour,
            login="kpi_screen_manager",
        )

    def test_kpi_pivots(self):
        for action in (
            "insurance_kpi_collection_action",
            "insurance_kpi_success_action",
            "insurance_kpi_persistency_action",
            "insurance_kpi_contact_action",
            "insurance_kpi_response_action",
        ):
            with self.subTest(action=action):
                self._tour(action, "insurance_renewal_kpi_rate_tour")
        self._tour("insurance_kpi_lapse_action", "insurance_renewal_kpi_lapse_tour")

    def test_dashboard(self):
        self._tour(
            "insurance_renewal_dashboard_action", "insurance_renewal_dashboard_tour"
        )
