from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestServicingTour(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.specialist = new_test_user(
            cls.env,
            login="svc_tour_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        cls.holder = cls.env["res.partner"].create({"name": "张伟"})
        cls.product = cls.env["insurance.product"].create(
            {"name": "鑫福", "code": "SVC-TOUR"}
        )
        cls.today = fields.Date.context_today(cls.specialist)

    def _policy(self, name, **vals):
        policy = self.env["insurance.policy"].create(
            {
                "name": name,
                "partner_id": self.holder.id,
                "product_id": self.product.id,
                "specialist_id": self.specialist.id,
                "premium_amount": 12000,
                "premium_years": 10,
                **vals,
            }
        )
        policy.action_activate()
        return policy

    def test_specialist_defers_a_premium_in_grace_from_the_kanban(self):
        policy = self._policy(
            "P-TOUR-1", issue_date=self.today - relativedelta(years=1, days=20)
        )
        self.env["insurance.policy"]._open_due_renewal_cases()
        case = policy.renewal_lead_id
        self.assertEqual(case.stage_id.renewal_step, "grace")
        self.start_tour(
            "/odoo/action-insurance_renewal.crm_lead_renewal_action",
            "insurance_renewal_deferral_tour",
            login="svc_tour_specialist",
        )
        line = case.insurance_premium_line_ids
        self.assertEqual(
            line.due_date,
            self.today - relativedelta(days=20) + relativedelta(days=30),
        )
        self.assertEqual(policy.state, "in_force")
        self.assertNotEqual(case.stage_id.renewal_step, "grace")

    def test_underwriter_approves_a_reinstatement_from_the_queue(self):
        new_test_user(
            self.env,
            login="svc_tour_underwriter",
            groups="insurance_renewal.group_insurance_underwriter",
        )
        policy = self._policy(
            "P-TOUR-2", issue_date=self.today - relativedelta(years=1, days=90)
        )
        self.assertEqual(policy.state, "lapsed")
        request = (
            self.env["insurance.servicing.request"]
            .with_user(self.specialist)
            .create(
                {
                    "policy_id": policy.id,
                    "request_type": "reinstatement",
                    "reason": "客户经济好转",
                    "health_declaration": "无住院史",
                }
            )
        )
        request.action_confirm()
        request.action_confirm_payment()
        self.assertEqual(policy.state, "lapsed")
        self.start_tour(
            "/odoo/action-insurance_renewal.insurance_servicing_request_action_review",
            "insurance_renewal_reinstatement_review_tour",
            login="svc_tour_underwriter",
        )
        self.assertEqual(request.state, "done")
        self.assertEqual(policy.state, "in_force")
