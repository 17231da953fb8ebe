from odoo.tests import new_test_user

from odoo.addons.base.tests.common import BaseCommon


class InsuranceRenewalCommon(BaseCommon):
    """A product with the legal 60-day grace and 24-month reinstatement window, a
    customer, and the people who work renewals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["insurance.product"].create(
            {"name": "鑫福年年终身寿险 (test)", "code": "TEST-XFNN"}
        )
        cls.agent = new_test_user(
            cls.env, login="test_agent", groups="sales_team.group_sale_salesman"
        )
        cls.specialist = new_test_user(
            cls.env,
            login="test_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        cls.holder = cls.env["res.partner"].create(
            {"name": "张伟", "phone": "+86 138 0013 8000", "user_id": cls.agent.id}
        )

    @classmethod
    def _create_policy(cls, **values):
        return cls.env["insurance.policy"].create(
            {
                "name": "P-0001",
                "partner_id": cls.holder.id,
                "product_id": cls.product.id,
                "issue_date": "2024-01-31",
                "payment_frequency": "annual",
                "premium_amount": 12000,
                "premium_years": 10,
                **values,
            }
        )

    def _run_clock(self):
        """Run the daily scheduled action as the cron worker does, in its own cursor."""
        cron = self.env.ref("insurance_renewal.ir_cron_daily_premium_clock")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()

    def _call_in_cron_cursor(self, model_name, method_name, *args, **kwargs):
        """Call a batch method that commits its progress, in a cursor of its own."""
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            method = getattr(self.env(cr=cr)[model_name], method_name)
            result = method(*args, **kwargs)
        self.env.invalidate_all()
        return result

    @staticmethod
    def _line(policy, number):
        return policy.premium_line_ids.filtered(
            lambda line: line.installment_number == number
        )
