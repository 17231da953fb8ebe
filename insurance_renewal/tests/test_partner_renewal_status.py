from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import Form, new_test_user, tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestPartnerRenewalStatus(InsuranceRenewalCommon):
    def test_customer_shows_the_worst_state_of_their_policies(self):
        self.assertFalse(self.holder.renewal_status)
        with freeze_time("2024-02-10"):
            healthy = self._create_policy(name="P-OK")
            troubled = self._create_policy(name="P-LATE", issue_date="2024-02-05")
            (healthy | troubled).action_activate()
        self.assertEqual(self.holder.renewal_status, "ok")
        with freeze_time("2025-02-03"):
            self._run_clock()
        self.assertEqual(healthy.state, "grace")
        self.assertEqual(self.holder.renewal_status, "grace")
        with freeze_time("2025-04-05"):
            self._run_clock()
        self.assertEqual(healthy.state, "lapsed")
        self.assertEqual(troubled.state, "grace")
        self.assertEqual(self.holder.renewal_status, "lapsed")

    def test_smart_button_opens_the_customer_policies(self):
        policy = self._create_policy()
        self._create_policy(
            name="P-OTHER",
            partner_id=self.env["res.partner"].create({"name": "李娜"}).id,
        )
        self.assertEqual(self.holder.insurance_policy_count, 1)
        action = self.holder.action_view_insurance_policies()
        self.assertEqual(self.env["insurance.policy"].search(action["domain"]), policy)

    def test_salesman_sees_the_warning_on_the_customer_form(self):
        with freeze_time("2024-02-10"):
            self._create_policy().action_activate()
        with freeze_time("2025-02-03"):
            self._run_clock()
        form = Form(self.holder.with_user(self.agent))
        self.assertEqual(form.renewal_status_seen, "grace")
        self.assertEqual(form.insurance_policy_count, 1)

    def test_only_those_who_may_see_the_policies_learn_the_customer_s_status(self):
        with freeze_time("2024-02-10"):
            self._create_policy().action_activate()
        with freeze_time("2025-02-03"):
            self._run_clock()
        other_rep = new_test_user(
            self.env, login="test_other_rep", groups="sales_team.group_sale_salesman"
        )
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        outsider = new_test_user(
            self.env,
            login="test_outsider",
            groups="sales_team.group_sale_salesman_all_leads",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        trouble = [("renewal_status_seen", "in", ("grace", "lapsed"))]
        for user, seen in (
            (self.agent, "grace"),
            (self.specialist, "grace"),
            (other_rep, False),
            (outsider, False),
        ):
            with self.subTest(user=user.login):
                partners = self.env["res.partner"].with_user(user)
                holder = partners.browse(self.holder.id)
                self.assertEqual(holder.renewal_status_seen, seen)
                self.assertEqual(bool(partners.search(trouble)), bool(seen))
                with self.assertRaises(AccessError):
                    holder.read(["renewal_status"])
