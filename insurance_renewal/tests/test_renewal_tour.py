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


@tagged("post_install", "-at_install")
class TestSpecialistDayTour(HttpCase):
    """A premium due 55 days ago: its grace period ends in 5 days."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.specialist = new_test_user(
            cls.env,
            login="day_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        cls.rep = new_test_user(
            cls.env, login="day_rep", groups="sales_team.group_sale_salesman"
        )
        holder = cls.env["res.partner"].create(
            {"name": "张伟", "phone": "+86 138 0013 8000", "user_id": cls.rep.id}
        )
        product = cls.env["insurance.product"].create({"name": "鑫福", "code": "DAY"})
        today = fields.Date.context_today(cls.specialist)
        cls.policy = cls.env["insurance.policy"].create(
            {
                "name": "P-TOUR-1",
                "partner_id": holder.id,
                "product_id": product.id,
                "specialist_id": cls.specialist.id,
                "issue_date": today - relativedelta(years=1, days=55),
                "premium_amount": 12000,
                "premium_years": 10,
            }
        )
        cls.policy.action_activate()
        cls.env["insurance.policy"]._open_due_renewal_cases()
        cls.today = today

    def test_a_specialist_works_today_from_login(self):
        case = self.policy.renewal_lead_id
        self.assertEqual(case.renewal_days_left, 5)
        self.start_tour(
            "/odoo", "insurance_renewal_specialist_day_tour", login="day_specialist"
        )
        self.assertEqual(case.renewal_last_outcome, "no_answer")
        call = case.activity_ids.filtered(
            lambda a: a.activity_type_id == self.env.ref("mail.mail_activity_data_call")
        )
        self.assertEqual(call.date_deadline, self.today + relativedelta(days=2))
        self.assertEqual(call.user_id, self.specialist)

    def test_a_sales_rep_reads_the_case_of_a_customer(self):
        case = self.policy.renewal_lead_id
        self.start_tour(
            "/odoo/action-insurance_renewal.crm_lead_renewal_action",
            "insurance_renewal_sales_rep_tour",
            login="day_rep",
        )
        self.assertEqual(case.stage_id.renewal_step, "grace", "Nothing changed.")
