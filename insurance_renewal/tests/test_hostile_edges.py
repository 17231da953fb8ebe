"""Third hostile audit: what a specialist or a renewal manager can do through
the wizards, the dashboard and the context of an RPC call that the first two
audits did not try. Each test is the hostile (or mistaken) call itself."""

from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.service.model import call_kw
from odoo.tests import new_test_user, tagged

from .common import InsuranceRenewalCommon
from .common_accounting import PremiumAccountingCommon
from .test_customer_portal import CustomerPortalCommon


@tagged("post_install", "-at_install")
class TestHostileEdges(InsuranceRenewalCommon):
    """P-0001 (张伟) and P-0002 (李娜), issued 31 January 2024: their second
    premiums fell due on 31 January 2025 and are in grace on 3 February 2025,
    today. Their third premiums fall due on 31 January 2026."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = cls.env["res.partner"].create({"name": "李娜"})
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.other_policy = cls._create_policy(
                name="P-0002", partner_id=cls.other.id, specialist_id=cls.specialist.id
            )
            (cls.policy | cls.other_policy).action_activate()
        cls.line = cls._line(cls.policy, 2)
        cls.manager = new_test_user(
            cls.env,
            login="test_hostile_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )

    def setUp(self):
        super().setUp()
        with freeze_time("2025-02-03"):
            self._run_clock()
        self.startPatcher(freeze_time("2025-02-03 06:00:00"))

    def _demands(self, line):
        return self.env["insurance.reminder.log"].search(
            [("premium_line_id", "=", line.id), ("channel", "=", "demand")]
        )

    # Formal demands -----------------------------------------------------------

    def test_a_letter_demand_dated_before_the_premium_fell_due_is_refused(self):
        """Dated 1 March 2024, eleven months before the premium fell due, the
        demand's 30 days had run out long ago: the policy, in grace, would have
        been suspended by the next night's clock."""
        wizard = (
            self.env["insurance.letter.demand"]
            .with_user(self.specialist)
            .create(
                {
                    "premium_line_id": self.line.id,
                    "tracking_ref": "EMS1",
                    "delivered_on": "2024-03-01",
                }
            )
        )
        with self.assertRaises(UserError) as refusal:
            wizard.action_confirm()
        self.assertIn("2025-01-31", str(refusal.exception))
        self.assertFalse(self.line.demand_date)
        self.assertFalse(self._demands(self.line))
        with freeze_time("2025-02-04"):
            self._run_clock()
        self.assertEqual(self.policy.state, "grace")

    def test_no_formal_demand_for_a_premium_not_yet_due(self):
        """The third premium falls due in a year: demanded by email today, the
        policy would be suspended 30 days after the email left, eleven months
        before the premium was even owed."""
        third = self._line(self.policy, 3)
        with self.assertRaises(UserError) as refusal:
            third.with_user(self.specialist).action_issue_demand()
        self.assertIn("2026-01-31", str(refusal.exception))
        self.assertFalse(self._demands(third))

    def test_a_letter_demand_for_a_premium_due_is_still_recorded(self):
        self.env["insurance.letter.demand"].with_user(self.specialist).create(
            {
                "premium_line_id": self.line.id,
                "tracking_ref": "EMS2",
                "delivered_on": "2025-02-01",
            }
        ).action_confirm()
        self.assertEqual(self.line.demand_date, date(2025, 2, 1))
        self.assertEqual(self.line.lapse_date, date(2025, 3, 4))

    def test_a_plan_cannot_send_its_formal_demand_before_the_due_date(self):
        """A demand step 30 days before the due date would have suspended every
        policy of the plan the day after its premium fell due."""
        plan = self.env.ref("insurance_renewal.reminder_plan_default")
        with self.assertRaises(ValidationError) as refusal:
            self.env["insurance.reminder.step"].with_user(self.manager).create(
                {
                    "plan_id": plan.id,
                    "name": "提前催告",
                    "channel": "demand",
                    "anchor": "due_date",
                    "offset_days": -30,
                }
            )
        self.assertIn("提前催告", str(refusal.exception))
        self.assertFalse(plan.step_ids.filtered(lambda step: step.name == "提前催告"))

    # Contacts -----------------------------------------------------------------

    def test_a_contact_is_with_someone_of_its_policy(self):
        """A wrong number logged about P-0001 but on 李娜 would mark her unreachable."""
        contacts = self.env["insurance.renewal.activity"].with_user(self.specialist)
        with freeze_time("2025-02-03"), self.assertRaises(ValidationError) as refusal:
            contacts.create(
                {
                    "policy_id": self.policy.id,
                    "partner_id": self.other.id,
                    "channel": "phone",
                    "outcome": "wrong_number",
                }
            )
        self.assertIn("李娜", str(refusal.exception))
        self.assertFalse(contacts.search([("partner_id", "=", self.other.id)]))
        with freeze_time("2025-02-03"):
            contact = contacts.create(
                {
                    "policy_id": self.policy.id,
                    "partner_id": self.holder.id,
                    "channel": "phone",
                    "outcome": "no_answer",
                }
            )
        self.assertEqual(contact.partner_id, self.holder)

    def test_a_contact_goes_on_its_own_policy_s_case_only(self):
        """A promise of 张伟 logged on 李娜's case would show her case as promised,
        and stop its chase, on a word she never gave."""
        her_case = self.other_policy.renewal_lead_id
        self.assertTrue(her_case)
        wizard = (
            self.env["insurance.renewal.log.contact"]
            .with_user(self.specialist)
            .create(
                {
                    "policy_id": self.policy.id,
                    "lead_id": her_case.id,
                    "outcome": "promised",
                    "promised_date": "2025-02-20",
                    "promised_amount": 12000,
                }
            )
        )
        with self.assertRaises(ValidationError) as refusal:
            wizard.action_confirm()
        self.assertIn("P-0001", str(refusal.exception))
        self.assertFalse(
            self.env["insurance.renewal.activity"].search(
                [("lead_id", "=", her_case.id), ("kind", "=", "contact")]
            )
        )
        self.assertFalse(her_case.renewal_promised_date)

    def test_a_contact_dated_before_the_policy_was_issued_is_refused(self):
        """Logged over RPC as of 1990, the contact counted in the contact-rate
        KPIs of a month nobody worked."""
        with self.assertRaises(UserError) as refusal:
            self.env["insurance.renewal.activity"].with_user(self.specialist).create(
                {
                    "policy_id": self.policy.id,
                    "outcome": "reached",
                    "date": "1990-01-01 08:00:00",
                }
            )
        self.assertIn("P-0001", str(refusal.exception))
        self.assertFalse(
            self.policy.renewal_activity_ids.filtered(
                lambda contact: contact.date.year == 1990
            )
        )

    def test_a_promise_of_a_negative_amount_is_refused(self):
        wizard = (
            self.env["insurance.renewal.log.contact"]
            .with_user(self.specialist)
            .create(
                {
                    "policy_id": self.policy.id,
                    "outcome": "promised",
                    "promised_date": "2025-02-20",
                    "promised_amount": -12000,
                }
            )
        )
        with self.assertRaises(UserError) as refusal:
            wizard.action_confirm()
        self.assertIn("negative", str(refusal.exception))
        self.assertFalse(self.policy.renewal_activity_ids.filtered("promised_date"))

    def test_a_sales_rep_is_not_told_of_compliance_s_red_flags(self):
        """The case and the policy told the customer's agent, over RPC and on the
        case's form, that compliance had flagged the policy: an agent who tells
        the customer tips off a review."""
        rule = self.env["insurance.red.flag.rule"].search([], limit=1)
        self.env["insurance.red.flag"].sudo().create(
            {"rule_id": rule.id, "policy_id": self.policy.id, "key": "identity"}
        )
        case = self.policy.renewal_lead_id
        for record, fname in (
            (self.policy, "red_flag_count"),
            (case, "renewal_red_flag_count"),
        ):
            mine = record.with_user(self.agent)
            self.assertTrue(call_kw(mine, "read", [mine.ids, ["display_name"]], {}))
            with self.subTest(fname), self.assertRaises(AccessError):
                call_kw(mine, "read", [mine.ids, [fname]], {})
            self.assertEqual(record.with_user(self.specialist)[fname], 1)
        form = case.with_user(self.agent).get_views([(False, "form")])
        self.assertNotIn("renewal_red_flag_count", str(form))

    # Hand payments ------------------------------------------------------------

    def test_a_hand_payment_dated_before_the_policy_was_issued_is_refused(self):
        """Typed as 1990, the payment would count as paid on time in every KPI."""
        wizard = (
            self.env["insurance.premium.payment"]
            .with_user(self.specialist)
            .create(
                {"premium_line_id": self.line.id, "amount": 100, "date": "1990-01-31"}
            )
        )
        with self.assertRaises(UserError) as refusal:
            wizard.action_confirm()
        self.assertIn("2024-01-31", str(refusal.exception))
        self.assertFalse(self.line.amount_paid)
        self.assertFalse(self.line.date_paid)

    # Reports ------------------------------------------------------------------

    def test_kpis_and_dashboard_count_only_the_reader_s_companies(self):
        """The KPI reports are database views: a renewal manager of another
        company, even naming this company on the dashboard, counts none of its
        premiums; a sales rep reads no KPI (guard: no leak found)."""
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        foreign = new_test_user(
            self.env,
            login="test_hostile_foreign_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        kpi = self.env["insurance.kpi.instalment"]
        self.assertTrue(kpi.with_user(self.manager).search_count([]))
        self.assertFalse(kpi.with_user(foreign).search_count([]))
        self.assertFalse(
            kpi.with_user(foreign)._read_group([], [], ["amount_due:sum"])[0][0]
        )
        with self.assertRaises(AccessError):
            kpi.with_user(self.agent).search_count([])
        dashboard = (
            self.env["insurance.renewal.dashboard"]
            .with_user(foreign)
            .create({"company_id": self.env.company.id})
        )
        self.assertEqual(dashboard.in_grace_count, 0)
        mine = (
            self.env["insurance.renewal.dashboard"].with_user(self.manager).create({})
        )
        self.assertEqual(mine.in_grace_count, 2)

    # Contexts sent over RPC ---------------------------------------------------

    def test_a_pay_link_read_with_a_malformed_context_is_refused_cleanly(self):
        """The web client's RPC call puts its context on the policies: lists of
        lists where the reminder engine passes tuples failed the read with a
        server error (an unhashable cache key)."""
        policy = self.policy.with_user(self.specialist)
        for key, value in (
            ("reminder_lines_by_policy", [[self.policy.id, [self.line.id]]]),
            ("reminder_line_ids", [[self.line.id]]),
            ("reminder_line_ids", "all"),
        ):
            with self.subTest(key=key, value=value):
                with self.assertRaises(UserError) as refusal:
                    call_kw(
                        policy,
                        "read",
                        [policy.ids, ["reminder_pay_url"]],
                        {"context": {key: value}},
                    )
                self.assertIn("instalment ids", str(refusal.exception))
        [values] = call_kw(
            policy,
            "read",
            [policy.ids, ["reminder_pay_url"]],
            {"context": {"reminder_line_ids": self.line.ids}},
        )
        self.assertIn(f"/pay/{self.line.id}/", values["reminder_pay_url"])

    def test_the_dashboard_opens_only_its_own_counts(self):
        dashboard = (
            self.env["insurance.renewal.dashboard"].with_user(self.manager).create({})
        )
        for context in ({}, {"dashboard_count": "workload_html"}):
            with self.subTest(context=context), self.assertRaises(UserError):
                dashboard.with_context(**context).action_open_today()
        action = dashboard.with_context(
            dashboard_count="in_grace_count"
        ).action_open_today()
        self.assertEqual(action["res_model"], "insurance.premium.line")


@tagged("post_install", "-at_install")
class TestHostilePayLink(CustomerPortalCommon):
    """Whoever holds 张伟's pay link posts the payment form's call by hand."""

    def _transaction(self, **overrides):
        url = self.line._insurance_pay_url().removeprefix(self.base_url())
        ref, token = url.split("/")[2:4]
        params = {
            "provider_id": self.demo.id,
            "payment_method_id": self.env.ref("payment_demo.payment_method_demo").id,
            "token_id": None,
            "amount": 12000,
            "flow": "direct",
            "tokenization_requested": False,
            "landing_route": f"/pay/{ref}/{token}",
            "is_validation": False,
            "access_token": token,
            **overrides,
        }
        return self.opener.post(
            f"{self.base_url()}{url}/transaction",
            json={"jsonrpc": "2.0", "method": "call", "params": params},
        ).json()

    def test_the_payment_goes_only_to_a_provider_the_page_offers(self):
        """A provider of another company, or a disabled one, named by the browser
        took the transaction: the customer would pay where the insurer's
        company never receives the premium, which stays unpaid."""
        self._enable_demo()
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        foreign = self.demo.copy(
            {"company_id": other_company.id, "state": "test", "is_published": True}
        )
        disabled = self.demo.copy({"state": "disabled"})
        for label, overrides in (
            ("another company's provider", {"provider_id": foreign.id}),
            ("a disabled provider", {"provider_id": disabled.id}),
            ("a validation", {"is_validation": True}),
        ):
            with self.subTest(label):
                answer = self._transaction(**overrides)
                self.assertIn("not offered", answer["error"]["data"]["message"])
        self.assertFalse(self.env["payment.transaction"].search([]))
        answer = self._transaction()
        self.assertNotIn("error", answer)
        tx = self.env["payment.transaction"].search([])
        self.assertEqual((tx.provider_id, tx.amount), (self.demo, 12000))

    def test_a_customer_s_words_reach_the_specialist_as_text(self):
        """A question sent from the pay link with HTML in it became a live link
        and a remote image (a tracking pixel) in the specialist's to-do, its
        email and customer service's ticket."""
        url = self.line._insurance_pay_url().removeprefix(self.base_url())
        self.authenticate(None, None)
        words = (
            '<a href="https://evil.example/x">核对账户</a>'
            '<img src="https://evil.example/p.png">'
        )
        response = self._post_form(f"{url}/contact", kind="question", message=words)
        self.assertEqual(response.status_code, 200)
        todo = self.env["mail.activity"].search(
            [("res_model", "=", "crm.lead"), ("note", "ilike", "evil.example")]
        )
        ticket = self.env["helpdesk.ticket"].search(
            [("insurance_policy_id", "=", self.policy.id)]
        )
        self.assertEqual(len(todo), 1)
        self.assertEqual(len(ticket), 1)
        for html in (todo.note, ticket.description):
            self.assertNotIn("<a", html)
            self.assertNotIn("<img", html)
            self.assertIn("&lt;img", html)

    def test_a_request_posted_again_is_not_recorded_twice(self):
        """The link stays valid for good: posted again (a double click, or a
        script replaying it), each request made a contact, a to-do for the
        specialist and a ticket for customer service."""
        url = self.line._insurance_pay_url().removeprefix(self.base_url())
        self.authenticate(None, None)
        contacts = self.env["insurance.renewal.activity"]
        tickets = self.env["helpdesk.ticket"]
        for _attempt in range(2):
            sent = self._post_form(
                f"{url}/contact", kind="question", message="保额是多少？"
            )
            self.assertEqual(sent.status_code, 200)
        self.assertEqual(
            contacts.search_count(
                [("policy_id", "=", self.policy.id), ("channel", "=", "portal")]
            ),
            1,
        )
        self.assertEqual(
            tickets.search_count([("insurance_policy_id", "=", self.policy.id)]), 1
        )
        for words in ("请回电", "什么时候扣款？"):
            self._post_form(f"{url}/contact", kind="callback", message=words)
        refused = self._post_form(f"{url}/contact", kind="question", message="第四次")
        self.assertEqual(refused.status_code, 429)
        self.assertIn("o_insurance_request_too_many", refused.text)
        self.assertEqual(
            contacts.search_count(
                [("policy_id", "=", self.policy.id), ("channel", "=", "portal")]
            ),
            3,
        )

    def test_premiums_in_two_currencies_are_not_summed_into_one_payment(self):
        """A reminder bundles a payer's premiums due together, whatever their
        currency: the link summed 12,000 and 1,000 of another currency into one
        payment of 13,000 in the first one's."""
        self._enable_demo()
        cny = self.env.ref("base.CNY")
        cny.active = True
        self.env["res.currency.rate"].create(
            {"name": "2020-01-01", "currency_id": cny.id, "rate": 7.0}
        )
        other = self._create_policy(
            name="P-0008",
            issue_date=self.policy.issue_date,
            premium_amount=1000,
            currency_id=cny.id,
        )
        other.action_activate()
        second = self._line(other, 2)
        self.env["insurance.premium.line"]._issue_invoices_batch(second)
        lines = self.line | second
        self.assertEqual(len(lines._insurance_open_invoices().currency_id), 2)
        url = lines._insurance_pay_url().removeprefix(self.base_url())
        page = self.url_open(url)
        self.assertNotIn("o_insurance_pay_online", page.text)
        self.assertEqual(page.text.count("o_insurance_payment_reference"), 2)
        ref, token = url.split("/")[2:4]
        answer = self.opener.post(
            f"{self.base_url()}{url}/transaction",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "provider_id": self.demo.id,
                    "payment_method_id": self.env.ref(
                        "payment_demo.payment_method_demo"
                    ).id,
                    "token_id": None,
                    "amount": 13000,
                    "flow": "direct",
                    "tokenization_requested": False,
                    "landing_route": f"/pay/{ref}/{token}",
                    "is_validation": False,
                    "access_token": token,
                },
            },
        ).json()
        self.assertIn("several currencies", answer["error"]["data"]["message"])
        self.assertFalse(self.env["payment.transaction"].search([]))

    def test_a_customer_reads_neither_compliance_flags_nor_the_team_s_notes(self):
        """Over RPC, a customer read on their own policy that compliance had
        flagged it (the count and the flags' ids: tipping off) and why the team
        held its reminders."""
        rule = self.env["insurance.red.flag.rule"].search([], limit=1)
        self.env["insurance.red.flag"].sudo().create(
            {
                "rule_id": rule.id,
                "policy_id": self.policy.id,
                "key": "identity",
                "evidence": "身份证号码校验不通过",
            }
        )
        self.policy.write(
            {
                "reminder_hold_until": self.today,
                "reminder_hold_reason": "疑似欺诈，合规调查中",
            }
        )
        policy = self.policy.with_user(self.portal_user)
        self.assertEqual(
            call_kw(policy, "read", [policy.ids, ["name"]], {})[0]["name"], "P-0001"
        )
        for fname in (
            "red_flag_count",
            "red_flag_ids",
            "reminder_hold_reason",
            "reminder_hold_until",
        ):
            with self.subTest(fname), self.assertRaises(AccessError):
                call_kw(policy, "read", [policy.ids, [fname]], {})
        self.assertEqual(self.policy.with_user(self.specialist).red_flag_count, 1)

    def test_the_payment_notice_opens_only_for_who_may_read_the_premium(self):
        """The notice carries the customer's address and a signed pay link:
        called by URL for 李娜's premium, it is refused to 张伟 (portal), to his
        agent and to a specialist of another company (guard: no leak found)."""
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        new_test_user(
            self.env,
            login="foreign_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        notice = "/report/html/insurance_renewal.report_premium_notice/%s"
        for login in ("zhangwei_portal", "test_agent", "foreign_specialist"):
            self.authenticate(login, login)
            with self.subTest(login):
                refused = self.url_open(notice % self.other_line.id)
                self.assertEqual(refused.status_code, 403)
                self.assertNotIn("P-0002", refused.text)
        self.authenticate("test_specialist", "test_specialist")
        shown = self.url_open(notice % self.other_line.id)
        self.assertEqual(shown.status_code, 200)
        self.assertIn("P-0002", shown.text)


@tagged("post_install", "-at_install")
class TestHostileBankMemo(PremiumAccountingCommon):
    def test_a_transfer_memo_reaches_finance_as_text(self):
        """Whoever transfers money writes the memo: the Finance team's to-do
        naming an unmatched receipt (and its email) showed it as HTML, a link and
        a remote image included."""
        memo = "<a href=https://evil.example/x>核对</a><img src=https://evil.example/p>"
        with freeze_time("2025-01-23"):
            bank_file = self._import(
                "receipts",
                self._csv(
                    ("交易日期", "交易金额", "对方户名", "对方账号", "附言"),
                    ("2025-01-22", "999", "陌生人", "", memo),
                ),
            )
        todo = self.env["mail.activity"].search(
            [("res_model", "=", bank_file._name), ("res_id", "=", bank_file.id)]
        )
        self.assertEqual(len(todo), 1)
        self.assertIn("evil.example", todo.note)
        self.assertNotIn("<a", todo.note)
        self.assertNotIn("<img", todo.note)


@tagged("post_install", "-at_install")
class TestHostileTickets(InsuranceRenewalCommon):
    """An open complaint holds its policy's automatic reminders."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy()
            cls.policy.action_activate()
        cls.other_company = cls.env["res.company"].create({"name": "太平洋分公司"})

    def _complain(self, user, **values):
        return (
            self.env["helpdesk.ticket"]
            .with_user(user)
            .create(
                {
                    "name": "投诉",
                    "description": "投诉",
                    "insurance_kind": "complaint",
                    "insurance_policy_id": self.policy.id,
                    **values,
                }
            )
        )

    def test_a_complaint_holds_only_a_policy_its_author_may_read(self):
        """A helpdesk user who may not read policies, or customer service of
        another company filing the ticket in theirs, held the reminders of any
        policy named by its id."""
        helpdesk_only = new_test_user(
            self.env, login="helpdesk_only", groups="helpdesk_mgmt.group_helpdesk_user"
        )
        foreign_service = new_test_user(
            self.env,
            login="foreign_service",
            groups="insurance_renewal.group_insurance_customer_service",
            company_id=self.other_company.id,
            company_ids=[self.other_company.id],
        )
        for user, values in (
            (helpdesk_only, {}),
            (foreign_service, {"company_id": self.other_company.id}),
        ):
            with (
                self.subTest(user=user.login),
                self.assertRaises(AccessError),
                self.env.cr.savepoint(),
            ):
                self._complain(user, **values)
        self.assertFalse(self.policy.reminder_complaint_hold)
        service = new_test_user(
            self.env,
            login="own_service",
            groups="insurance_renewal.group_insurance_customer_service",
        )
        self._complain(service)
        self.policy.invalidate_recordset(["reminder_complaint_hold"])
        self.assertTrue(self.policy.reminder_complaint_hold)


@tagged("post_install", "-at_install")
class TestHostileOwnership(InsuranceRenewalCommon):
    def test_a_case_nobody_takes_goes_to_a_manager_of_its_company(self):
        """With no specialist and no team member, the case (and the customer's
        requests on it) went to the first renewal manager of any company, who
        could not even open it."""
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        here = new_test_user(
            self.env,
            login="manager_here",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        there = new_test_user(
            self.env,
            login="manager_there",
            groups="insurance_renewal.group_insurance_renewal_manager",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        self.assertLess(here.id, there.id)
        team = self.env.ref("insurance_renewal.crm_team_renewals")
        team.write({"member_ids": [(5, 0, 0)], "user_id": here.id})
        product = self.product.copy({"company_id": other_company.id})
        with freeze_time("2024-02-10"):
            policy = self._create_policy(
                name="P-9001",
                company_id=other_company.id,
                product_id=product.id,
                specialist_id=False,
            )
            policy.action_activate()
        case = (
            self.env["insurance.policy"]
            .with_context(clock_today=policy.premium_line_ids[:1].due_date)
            ._open_due_renewal_cases()
            .filtered(lambda lead: lead.insurance_policy_id == policy)
        )
        self.assertEqual(case.user_id, there)
        self.assertTrue(
            self.env["crm.lead"].with_user(there).search([("id", "=", case.id)])
        )
