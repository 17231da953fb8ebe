from freezegun import freeze_time

from odoo.tests import Form, new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestBulkActions(InsuranceRenewalCommon):
    """Two cases of the specialist, opened on 2 December 2024."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.successor = new_test_user(
            cls.env,
            login="test_successor",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="test_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        with freeze_time("2024-02-10"):
            cls.policies = cls._create_policy(
                specialist_id=cls.specialist.id
            ) | cls._create_policy(
                name="P-0002", specialist_id=cls.specialist.id, premium_amount=7200
            )
            cls.policies.action_activate()

    def setUp(self):
        super().setUp()
        self.startPatcher(freeze_time("2024-12-02"))
        self._run_clock()
        self.cases = self.policies.renewal_lead_ids

    def test_the_reassignment_counts_follow_the_choices(self):
        wizard = Form(self.env["insurance.renewal.reassign"].with_user(self.manager))
        self.assertEqual((wizard.policy_count, wizard.case_count), (0, 0))
        wizard.from_user_id = self.specialist
        self.assertEqual((wizard.policy_count, wizard.case_count), (2, 2))
        wizard.mode = "orphan"
        self.assertEqual((wizard.policy_count, wizard.case_count), (0, 0))

    def test_assign_the_selected_cases(self):
        action = self.env.ref("insurance_renewal.insurance_renewal_case_assign_action")
        self.assertIn("kanban", action.binding_view_types)
        one = self.cases[:1]
        wizard = Form(
            self.env["insurance.renewal.case.assign"]
            .with_user(self.manager)
            .with_context(active_model="crm.lead", active_ids=one.ids)
        )
        self.assertEqual(wizard.case_count, 1)
        wizard.user_id = self.successor
        wizard.save().action_assign()
        self.assertEqual(one.user_id, self.successor)
        self.assertEqual(one.insurance_policy_id.specialist_id, self.successor)
        self.assertEqual((self.cases - one).user_id, self.specialist)

    def test_schedule_a_call_on_the_selected_cases(self):
        action = self.env.ref("insurance_renewal.crm_lead_action_schedule_call")
        context = safe_eval(action.context)
        schedule = Form(
            self.env[action.res_model]
            .with_user(self.specialist)
            .with_context(**context, active_model="crm.lead", active_ids=self.cases.ids)
        )
        schedule.save().action_schedule_activities()
        call = self.env.ref("mail.mail_activity_data_call")
        for case in self.cases:
            self.assertEqual(case.activity_ids.activity_type_id, call)

    def test_the_case_templates_quote_the_premium_due(self):
        case = self.cases.filtered(lambda c: c.renewal_amount_due == 7200)
        mail = self.env.ref("insurance_renewal.mail_template_renewal_case")
        body = mail._render_field("body_html", case.ids)[case.id]
        self.assertIn("P-0002", body)
        self.assertIn("7,200.00", body)
        sms = self.env.ref("insurance_renewal.sms_template_renewal_case")
        text = sms._render_field("body", case.ids)[case.id]
        self.assertIn("7,200.00", text)

    def test_the_product_shows_its_reminder_plan(self):
        plan = self.env.ref("insurance_renewal.reminder_plan_default")
        self.assertEqual(self.product.reminder_plan_id, plan)
        self.assertEqual(self.product.reminder_step_ids, plan.step_ids)
        arch = self.env["insurance.product"].get_view(view_type="form")["arch"]
        self.assertIn('name="reminder_plan_id"', arch)
        self.assertIn('name="reminder_step_ids"', arch)
