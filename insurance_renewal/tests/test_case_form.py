from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestCaseForm(InsuranceRenewalCommon):
    """What the case form shows to a specialist and a sales rep, and the customer
    overview. Today is 20 February 2025: the premium due 31 January is in grace,
    the spouse's quarterly premium that the holder pays is due today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env.ref("insurance_renewal.crm_team_renewals")
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.policy.action_activate()
            cls.spouse = cls.env["res.partner"].create({"name": "曾琳"})
            cls.paid_by_holder = cls._create_policy(
                name="P-0002",
                partner_id=cls.spouse.id,
                payer_id=cls.holder.id,
                issue_date="2024-11-20",
                payment_frequency="quarterly",
                premium_amount=1500,
            )
            cls.paid_by_holder.action_activate()

    def setUp(self):
        super().setUp()
        self.startPatcher(freeze_time("2025-02-20"))
        self._run_clock()
        self.case = self.policy.renewal_lead_id

    def _form_arch(self, user):
        view = self.env["crm.lead"].with_user(user).get_view(view_type="form")
        return etree.fromstring(view["arch"])

    def test_the_renewal_comes_first_with_the_specialist(self):
        arch = self._form_arch(self.specialist)
        first_page = arch.xpath("//notebook/page")[0]
        self.assertEqual(first_page.get("name"), "renewal")
        self.assertEqual(
            [sep.get("string") for sep in first_page.xpath("separator")],
            ["Instalments Due", "Claims and Policy Changes", "Contacts"],
        )
        summary = arch.xpath("//group[@name='renewal_summary']")[0]
        self.assertEqual(
            [field.get("name") for field in summary.xpath(".//field")][:5],
            [
                "insurance_policy_id",
                "renewal_product_id",
                "renewal_payer_id",
                "renewal_payment_method",
                "user_id",
            ],
        )
        self.assertEqual(
            summary.xpath(".//field[@name='user_id']")[0].get("string"),
            "Renewal Specialist",
        )
        sales_only = arch.xpath("//div[hasclass('oe_title')]/h2")[0]
        self.assertEqual(sales_only.get("invisible"), "is_renewal_case")
        duplicates = arch.xpath("//button[@name='action_show_potential_duplicates']")
        self.assertIn("is_renewal_case", duplicates[0].get("invisible"))
        won = arch.xpath("//button[@name='action_set_won_rainbowman']")[0]
        self.assertIn("is_renewal_case", won.get("invisible"))
        log = arch.xpath("//button[@name='action_log_renewal_contact']")[0]
        self.assertNotIn("is_renewal_case", log.get("invisible"))

    def test_the_case_shows_its_facts(self):
        case = self.case.with_user(self.specialist)
        self.assertTrue(case.is_renewal_case)
        self.assertEqual(case.renewal_product_id, self.product)
        self.assertEqual(case.renewal_payer_id, self.holder)
        self.assertEqual(case.renewal_days_left, 40)
        self.assertFalse(case.renewal_demand_date)
        self.case.insurance_premium_line_ids.demand_date = "2025-02-02"
        self.assertEqual(case.renewal_demand_date, date(2025, 2, 2))
        self.assertTrue(case.iap_enrich_done, "No enrichment button on a case.")
        self.case.write({"email_from": "zhang.wei@qq.com", "iap_enrich_done": False})
        messages = self.case.message_ids
        self.case.iap_enrich()
        self.assertEqual(self.case.message_ids, messages, "The bot says nothing.")
        sale = self.env["crm.lead"].create({"name": "加保", "type": "opportunity"})
        self.assertFalse(sale.is_renewal_case)

    def test_a_sales_rep_gets_a_read_only_form_without_buttons(self):
        arch = self._form_arch(self.agent)
        for button in arch.xpath("//header//button"):
            self.assertIn("is_renewal_case", button.get("invisible", ""))
        for name in ("partner_id", "stage_id", "name", "user_id"):
            for field in arch.xpath(f"//field[@name='{name}'][not(ancestor::field)]"):
                self.assertIn("is_renewal_case", field.get("readonly"), name)
        overview = arch.xpath("//button[@name='action_open_renewal_overview']")[0]
        self.assertNotIn("is_renewal_case or", overview.get("invisible"))
        specialist_arch = self._form_arch(self.specialist)
        stage = specialist_arch.xpath("//header/field[@name='stage_id']")[0]
        self.assertNotIn("is_renewal_case", stage.get("readonly", ""))

    def test_the_lost_dialog_offers_renewal_reasons_on_a_case(self):
        lost = self.env["crm.lead.lost"].create({"lead_ids": self.case.ids})
        self.assertTrue(lost.is_renewal)
        sale = self.env["crm.lead"].create({"name": "加保", "type": "opportunity"})
        lost = self.env["crm.lead.lost"].create({"lead_ids": sale.ids})
        self.assertFalse(lost.is_renewal)

    def test_a_case_by_hand_needs_its_policy(self):
        context = {"default_team_id": self.team.id, "default_type": "opportunity"}
        Lead = self.env["crm.lead"].with_user(self.specialist).with_context(**context)
        with self.assertRaisesRegex(UserError, "needs its policy"):
            Lead.create({"name": "没有保单"})
        with self.assertRaisesRegex(UserError, "already has an open renewal case"):
            Lead.create(
                {"name": "P-0002", "insurance_policy_id": self.paid_by_holder.id}
            )
        later = self._create_policy(name="P-0003", issue_date="2024-06-01")
        later.action_activate()
        self.assertFalse(later.renewal_lead_ids, "Due in June: no case yet.")
        with Form(Lead) as form:
            self.assertTrue(form.is_renewal_case)
            form.name = "P-0003 提前催收"
            form.insurance_policy_id = later
        self.assertEqual(later.renewal_lead_ids.name, "P-0003 提前催收")

    def test_the_customer_overview_sums_what_the_customer_owes(self):
        overview = self.holder.with_user(self.specialist)
        self.assertEqual(
            overview.overview_policy_ids, self.policy | self.paid_by_holder
        )
        # the next quarterly premium, due 20 May, is beyond the 60-day window
        self.assertEqual(overview.overview_amount_overdue, 12000)
        self.assertEqual(overview.overview_amount_due, 1500)
        self.assertEqual(
            overview.overview_line_ids.mapped("due_date"),
            [date(2025, 1, 31), date(2025, 2, 20)],
        )
        self.assertEqual(
            overview.overview_case_ids, self.case | self.paid_by_holder.renewal_lead_id
        )
        action = self.case.action_open_renewal_overview()
        self.assertEqual(
            (action["res_model"], action["res_id"]), ("res.partner", self.holder.id)
        )
        self.assertEqual(
            self.paid_by_holder.action_open_renewal_overview()["res_id"], self.spouse.id
        )
        with freeze_time("2025-03-25"):
            self._run_clock()
            overview.invalidate_recordset()
            # the quarterly premium of 20 February is now in grace; the one of
            # 20 May comes due within the 60-day window
            self.assertEqual(overview.overview_amount_overdue, 12000 + 1500)
            self.assertEqual(overview.overview_amount_due, 1500)
