from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestAccessRights(InsuranceRenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_agent = new_test_user(
            cls.env, login="test_other_agent", groups="sales_team.group_sale_salesman"
        )
        cls.finance = new_test_user(
            cls.env, login="test_finance", groups="account.group_account_invoice"
        )
        cls.stranger = cls.env["res.partner"].create(
            {"name": "刘洋", "user_id": cls.other_agent.id}
        )
        with freeze_time("2024-02-10"):
            cls.own_policy = cls._create_policy()
            cls.other_policy = cls._create_policy(
                name="P-0002", partner_id=cls.stranger.id
            )
            (cls.own_policy | cls.other_policy).action_activate()

    def test_specialist_registers_and_activates_a_policy(self):
        Policy = self.env["insurance.policy"].with_user(self.specialist)
        self.assertEqual(Policy.search_count([("product_id", "=", self.product.id)]), 2)
        with freeze_time("2024-03-01"):
            policy = Policy.create(
                {
                    "name": "P-0003",
                    "partner_id": self.holder.id,
                    "product_id": self.product.id,
                    "issue_date": "2024-02-29",
                    "premium_amount": 5000,
                    "premium_years": 5,
                }
            )
            policy.action_activate()
        self.assertEqual(policy.state, "in_force")
        self.assertEqual(policy.specialist_id, self.specialist)
        with self.assertRaises(AccessError):
            policy.unlink()
        with self.assertRaises(AccessError):
            self.env["insurance.product"].with_user(self.specialist).create(
                {"name": "X", "code": "X"}
            )

    def test_salesman_reads_only_their_customers_policies(self):
        Policy = self.env["insurance.policy"].with_user(self.agent)
        self.assertEqual(Policy.search([]), self.own_policy)
        Lines = self.env["insurance.premium.line"].with_user(self.agent)
        self.assertEqual(Lines.search([]).policy_id, self.own_policy)
        with self.assertRaises(AccessError):
            self.own_policy.with_user(self.agent).write({"premium_amount": 1})
        with self.assertRaises(AccessError):
            self.other_policy.with_user(self.agent).read(["name"])

    def test_sold_by_the_agent_is_visible_even_for_another_holder(self):
        self.other_policy.user_id = self.agent
        Policy = self.env["insurance.policy"].with_user(self.agent)
        self.assertEqual(Policy.search([]), self.own_policy | self.other_policy)

    def test_invoicing_user_reads_every_schedule_but_changes_none(self):
        Lines = self.env["insurance.premium.line"].with_user(self.finance)
        self.assertEqual(
            Lines.search([]).policy_id, self.own_policy | self.other_policy
        )
        with self.assertRaises(AccessError):
            Lines.search([], limit=1).write({"amount": 1})

    def test_other_company_policies_are_hidden(self):
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        product = self.product.copy({"company_id": other_company.id})
        hidden = self._create_policy(
            name="P-0009", company_id=other_company.id, product_id=product.id
        )
        Policy = self.env["insurance.policy"].with_user(self.specialist)
        self.assertNotIn(hidden, Policy.search([]))
