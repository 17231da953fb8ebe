from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestRenewalTour(HttpCase):
    def test_specialist_logs_a_promise_from_the_kanban(self):
        specialist = new_test_user(
            self.env,
            login="tour_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        holder = self.env["res.partner"].create({"name": "张伟"})
        product = self.env["insurance.product"].create({"name": "鑫福", "code": "TOUR"})
        today = fields.Date.context_today(specialist)
        policy = self.env["insurance.policy"].create(
            {
                "name": "P-TOUR-1",
                "partner_id": holder.id,
                "product_id": product.id,
                "specialist_id": specialist.id,
                "issue_date": today + relativedelta(days=20, years=-1),
                "premium_amount": 12000,
                "premium_years": 10,
            }
        )
        policy.action_activate()
        self.env["insurance.policy"]._open_due_renewal_cases()
        self.assertEqual(policy.renewal_lead_id.user_id, specialist)
        self.start_tour(
            "/odoo/action-insurance_renewal.crm_lead_renewal_action",
            "insurance_renewal_case_tour",
            login="tour_specialist",
        )
        case = policy.renewal_lead_id
        self.assertEqual(case.stage_id.renewal_step, "promised")
        self.assertEqual(case.renewal_promised_date, today + relativedelta(days=10))
        self.assertEqual(case.renewal_last_activity_id.note, "客户承诺通过手机银行缴费")
