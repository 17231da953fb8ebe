from psycopg2 import IntegrityError

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestPolicyConstraints(InsuranceRenewalCommon):
    def test_premium_must_be_positive(self):
        with self.assertRaisesRegex(ValidationError, "P-NEG.*greater than zero"):
            self._create_policy(name="P-NEG", premium_amount=-100)
        with self.assertRaisesRegex(ValidationError, "greater than zero"):
            self._create_policy(name="P-ZERO", premium_amount=0)

    def test_premium_term_is_at_least_one_year(self):
        with self.assertRaisesRegex(ValidationError, "P-TERM.*between 1 and 100 years"):
            self._create_policy(name="P-TERM", premium_years=0)

    def test_activation_needs_an_issue_date(self):
        policy = self._create_policy(issue_date=False)
        with self.assertRaisesRegex(UserError, "P-0001 has no issue date"):
            policy.action_activate()
        self.assertEqual(policy.state, "draft")
        self.assertFalse(policy.premium_line_ids)

    def test_activation_happens_once(self):
        policy = self._create_policy()
        policy.action_activate()
        with self.assertRaisesRegex(UserError, "already active"):
            policy.action_activate()

    def test_policy_number_is_unique_per_company(self):
        self._create_policy()
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        product = self.product.copy({"company_id": other_company.id})
        elsewhere = self._create_policy(
            company_id=other_company.id, product_id=product.id
        )
        self.assertEqual(elsewhere.name, "P-0001")
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self._create_policy()

    def test_payer_defaults_to_the_holder(self):
        policy = self._create_policy()
        self.assertEqual(policy.payer_id, self.holder)
        spouse = self.env["res.partner"].create({"name": "王芳"})
        policy.payer_id = spouse
        self.assertEqual(policy.payer_id, spouse)
