from odoo.tests import HttpCase, tagged
from odoo.tools import convert_file


@tagged("post_install", "-at_install")
class TestDemoInsurer(HttpCase):
    """The demo data, as `make run` loads it: a Chinese life insurer of its own, in
    yuan, whose renewal team sees yuan everywhere."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        convert_file(
            cls.env, "insurance_renewal", "demo/insurance_demo.xml", {}, "init"
        )
        cls.company = cls.env.ref("insurance_renewal.company_xinfu")

    def test_the_insurer_is_a_cny_company_with_the_chinese_chart(self):
        self.assertRecordValues(
            self.company,
            [
                {
                    "currency_id": self.env.ref("base.CNY").id,
                    "chart_template": "cn",
                    "country_id": self.env.ref("base.cn").id,
                }
            ],
        )
        self.assertEqual(self.company.partner_id.tz, "Asia/Shanghai")
        for login in (
            "specialist",
            "manager",
            "agent",
            "finance",
            "underwriter",
            "service",
            "compliance",
            "customer",
            "admin",
        ):
            user = self.env["res.users"].search([("login", "=", login)])
            self.assertEqual(user.company_id, self.company, login)
        policies = self.env["insurance.policy"].search(
            [("company_id", "!=", self.company.id)]
        )
        self.assertFalse(policies & self.env.ref("insurance_renewal.policy_grace_01"))
        cases = self.env["crm.lead"].search(
            [("insurance_policy_id", "!=", False), ("company_id", "=", self.company.id)]
        )
        self.assertTrue(cases)
        self.assertEqual(cases.company_currency, self.env.ref("base.CNY"))

    def test_what_the_demo_team_did_reads_in_chinese(self):
        """The demo's notes and to-dos are written as its Chinese team would see
        them, not in the installer's English."""
        request = self.env.ref("insurance_renewal.servicing_request_reinstatement_01")
        notes = " ".join(
            (request.message_ids | request.policy_id.message_ids).mapped("body")
        )
        self.assertIn("已提交审批", notes)
        self.assertNotIn("submitted for approval", notes)
        self.assertIn("健康告知", " ".join(request.activity_ids.mapped("summary")))
        payer_policy = self.env.ref("insurance_renewal.policy_grace_02")
        notes = " ".join(payer_policy.message_ids.mapped("body"))
        self.assertIn("缴费人既非投保人也非近亲属", notes)
        self.assertNotIn("is open: automatic reminders", notes)
        # the payers' mandates, OCA's: created in Chinese too
        mandate = self.env.ref("insurance_renewal.mandate_zhang_wei")
        notes = " ".join(mandate.message_ids.mapped("body"))
        self.assertIn("通用银行授权", notes)
        self.assertNotIn("A generic banking mandate", notes)

    def test_what_works_shows_contacts_followed_by_a_payment(self):
        """The manager's *What Works* has calls and visits that a payment
        followed, and a promise kept, not only cases still unpaid (it read 0 %
        everywhere)."""
        responses = self.env["insurance.kpi.response"].with_user(
            self.env.ref("insurance_renewal.user_manager")
        )
        groups = responses._read_group(
            [("source", "=", "contact"), ("company_id", "=", self.company.id)],
            ["channel"],
            ["paid_after_count:sum", "promise_kept_count:sum", "days_to_pay:avg"],
        )
        by_channel = {channel: rest for channel, *rest in groups}
        self.assertEqual(by_channel["phone"][:2], [3, 1])
        self.assertEqual(by_channel["visit"][:2], [1, 0])
        self.assertEqual(by_channel["visit"][2], 2.0)

    def test_the_renewals_kanban_shows_yuan(self):
        self.start_tour(
            "/odoo/action-insurance_renewal.crm_lead_renewal_action",
            "insurance_renewal_demo_cny_tour",
            login="specialist",
        )

    def test_the_day_debit_order_takes_the_signed_mandates(self):
        Order = self.env["account.payment.order"].with_user(
            self.env.ref("insurance_renewal.user_finance")
        )
        action = Order.action_build_insurance_debit_order()
        order = Order.browse(action["res_id"])
        self.assertEqual(order.company_id, self.company)
        self.assertEqual(order.journal_id.name, "工商银行 保费收入户")
        payers = order.payment_line_ids.partner_id.mapped("name")
        self.assertIn("张伟", payers)
        self.assertNotIn("宋佳", payers)
        song_jia = self.env.ref("insurance_renewal.partner_song_jia")
        todo = self.env["mail.activity"].search(
            [
                ("res_model", "=", "insurance.policy"),
                ("insurance_event_code", "=", "mandate_missing"),
                (
                    "team_id",
                    "=",
                    self.env.ref("insurance_renewal.mail_activity_team_finance").id,
                ),
            ]
        )
        self.assertIn(song_jia.name, " ".join(todo.mapped("note")))
        self.assertIn(
            self.env.ref("insurance_renewal.user_finance"),
            todo.team_id.member_ids,
            "finance finds it in the Finance team's queue",
        )
