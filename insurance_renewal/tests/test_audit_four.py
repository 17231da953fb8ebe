"""Fourth audit: the defects the third one found and left, each through the call
a user, a script or the web client makes; then the domain's rules checked by
scenario on their boundary days, and whether a screen tells of a delivery that
did not happen."""

import importlib.util
import json
from datetime import date

from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import UserError, ValidationError
from odoo.service.model import call_kw
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import format_date
from odoo.tools.misc import file_path
from odoo.tools.safe_eval import safe_eval

from . import test_renewal_care
from .common import InsuranceRenewalCommon
from .common_accounting import PremiumAccountingCommon
from .test_customer_portal import CustomerPortalCommon
from .test_servicing_requests import ServicingMixin


@tagged("post_install", "-at_install")
class TestAuditFourRights(InsuranceRenewalCommon):
    """P-0001 (张伟), issued 31 January 2024 and paid yearly: its second premium
    fell due on 31 January 2025 and is in grace on 3 February 2025, today."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)
        cls.manager = new_test_user(
            cls.env,
            login="test_audit4_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )

    def setUp(self):
        super().setUp()
        with freeze_time("2025-02-03"):
            self._run_clock()
        self.startPatcher(freeze_time("2025-02-03 06:00:00"))

    # A1: a malformed reminder context through another model -------------------

    def test_a_malformed_reminder_context_through_a_case_is_refused_cleanly(self):
        """The case's form reads its policy's fields in a nested read: with a
        mapping, a text or lists of lists for the reminder engine's instalments
        in the RPC context, the read failed with a server error."""
        case = self.policy.renewal_lead_id.with_user(self.specialist)
        self.assertTrue(case)
        specification = {"insurance_policy_id": {"fields": {"reminder_pay_url": {}}}}
        for key, value in (
            ("reminder_lines_by_policy", [[self.policy.id, [self.line.id]]]),
            ("reminder_lines_by_policy", {str(self.policy.id): [self.line.id]}),
            ("reminder_lines_by_policy", "all"),
            ("reminder_line_ids", {"ids": [self.line.id]}),
        ):
            with self.subTest(key=key, value=value):
                with self.assertRaises(UserError) as refusal:
                    call_kw(
                        case,
                        "web_read",
                        [case.ids],
                        {"specification": specification, "context": {key: value}},
                    )
                self.assertIn("instalment ids", str(refusal.exception))
        [values] = call_kw(
            case,
            "web_read",
            [case.ids],
            {
                "specification": specification,
                "context": {"reminder_line_ids": self.line.ids},
            },
        )
        self.assertIn(
            f"/pay/{self.line.id}/",
            values["insurance_policy_id"]["reminder_pay_url"],
        )

    def test_a_composer_with_a_malformed_reminder_context_is_refused_cleanly(self):
        """A reminder template rendered by the mail composer on the policy."""
        template = self.env.ref("insurance_renewal.mail_template_renewal_reminder")
        composer = self.env["mail.compose.message"].with_user(self.specialist)
        with self.assertRaises(UserError) as refusal:
            call_kw(
                composer,
                "create",
                [
                    {
                        "model": "insurance.policy",
                        "res_ids": self.policy.ids,
                        "template_id": template.id,
                    }
                ],
                {"context": {"reminder_lines_by_policy": {"x": 1}}},
            )
        self.assertIn("instalment ids", str(refusal.exception))

    # A2: a plan's step counted from the grace end ------------------------------

    def _grace_end_step(self, offset, name="宽限期末电话"):
        return (
            self.env["insurance.reminder.step"]
            .with_user(self.manager)
            .create(
                {
                    "plan_id": self.product.reminder_plan_id.id,
                    "name": name,
                    "anchor": "grace_end",
                    "offset_days": offset,
                    "channel": "phone",
                }
            )
        )

    def test_a_step_from_the_grace_end_falls_within_the_product_s_grace(self):
        """With the product's 60 days of grace, a call 61 days before the grace
        end was due before the premium; one a day after it, once the policy was
        suspended."""
        self.assertEqual(self.product.grace_period_days, 60)
        steps = self.env["insurance.reminder.step"]
        for offset in (-61, 1):
            with self.subTest(offset=offset):
                with self.assertRaises(ValidationError) as refusal:
                    self._grace_end_step(offset)
                message = str(refusal.exception)
                self.assertIn("宽限期末电话", message)
                self.assertIn(self.product.name, message)
                self.assertIn("60", message)
                self.assertFalse(steps.search([("name", "=", "宽限期末电话")]))
        for offset in (-60, 0):
            step = self._grace_end_step(offset, name=f"宽限期末 {offset}")
            self.assertEqual(step.offset_days, offset)

    def test_a_product_s_grace_is_not_shortened_below_its_plan_s_steps(self):
        """A step ten days before the grace end is before the due date once the
        product's grace is shortened to five days."""
        self._grace_end_step(-10)
        with self.assertRaises(ValidationError) as refusal:
            self.product.with_user(self.manager).grace_period_days = 5
        self.assertIn("宽限期末电话", str(refusal.exception))
        self.product.invalidate_recordset()
        self.assertEqual(self.product.grace_period_days, 60)
        self.product.with_user(self.manager).grace_period_days = 10
        self.assertEqual(self.product.grace_period_days, 10)

    # A3: the promised amount's upper bound -------------------------------------

    def _promise(self, policy, amount, day="2025-02-20"):
        wizard = (
            self.env["insurance.renewal.log.contact"]
            .with_user(self.specialist)
            .create(
                {
                    "policy_id": policy.id,
                    "outcome": "promised",
                    "promised_date": day,
                    "promised_amount": amount,
                }
            )
        )
        wizard.action_confirm()

    def test_a_promise_above_what_the_policy_owes_is_refused(self):
        """12,000 is owed: a promise of 120,000 (a typo) made the case look
        covered ten times over and filled the promised-amount KPIs."""
        with self.assertRaises(UserError) as refusal:
            self._promise(self.policy, 120000)
        message = str(refusal.exception)
        self.assertIn("120,000.00", message)
        self.assertIn("12,000.00", message)
        self.assertFalse(self.policy.renewal_activity_ids.filtered("promised_date"))
        self._promise(self.policy, 12000)
        self.assertEqual(
            self.policy.renewal_activity_ids.filtered("promised_date").promised_amount,
            12000,
        )

    def test_a_promise_on_a_policy_owing_nothing_yet_is_bounded_by_its_next_premium(
        self,
    ):
        """Nothing is due yet on a policy issued last month: a promise is at most
        its next premium."""
        with freeze_time("2025-01-05"):
            young = self._create_policy(
                name="P-0009", issue_date="2025-01-03", specialist_id=self.specialist.id
            )
            young.action_activate()
        with self.assertRaises(UserError) as refusal:
            self._promise(young, 12000.01)
        self.assertIn("12,000.00", str(refusal.exception))
        self._promise(young, 12000)

    # A5: a Manager rule on a record without a policy ---------------------------

    def test_a_manager_rule_without_a_policy_stays_in_the_record_s_company(self):
        """A rule set to *Manager*, fired on a customer of another company (no
        policy), gave the to-do and what it quotes to the Renewals team's leader
        of this company, who cannot open the customer."""
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        lonely_company = self.env["res.company"].create({"name": "无主管分公司"})
        here = new_test_user(
            self.env,
            login="audit4_manager_here",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        there = new_test_user(
            self.env,
            login="audit4_manager_there",
            groups="insurance_renewal.group_insurance_renewal_manager",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        team = self.env.ref("insurance_renewal.crm_team_renewals")
        team.write({"user_id": here.id})
        rules = self.env["insurance.assignment.rule"]
        rules.search([("event_code", "=", "red_flag")]).active = False
        rules.create(
            {
                "name": "主管复核",
                "event_code": "red_flag",
                "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                "assign_to": "manager",
            }
        )
        partners = self.env["res.partner"]
        customer_there = partners.create(
            {"name": "赵六", "company_id": other_company.id}
        )
        customer_alone = partners.create(
            {"name": "钱七", "company_id": lonely_company.id}
        )
        [todo_there] = rules._fire("red_flag", customer_there, note="身份证号不符")
        self.assertEqual(todo_there.user_id, there)
        [todo_alone] = rules._fire("red_flag", customer_alone, note="身份证号不符")
        self.assertNotIn(todo_alone.user_id, here | there)

    def test_a_company_without_renewal_staff_keeps_its_customers_words(self):
        """A policy of a company where nobody works renewals: a customer's
        request from the portal went to a renewal manager of another company,
        with the customer's words; it goes to that company's administrator, or
        waits unassigned on the policy."""
        alone = self.env["res.company"].create({"name": "无主管分公司"})
        product = self.product.copy({"company_id": alone.id})
        policy = self._create_policy(
            name="P-0077", company_id=alone.id, product_id=product.id
        )
        policy.specialist_id = False
        elsewhere = self.env.ref(
            "insurance_renewal.group_insurance_renewal_manager"
        ).all_user_ids
        policy._insurance_portal_request("question", "我想退保，请联系我")
        self.assertFalse(policy.activity_ids.user_id)
        admin_there = new_test_user(
            self.env,
            login="audit4_admin_alone",
            groups="base.group_system",
            company_id=alone.id,
            company_ids=[alone.id],
        )
        policy.activity_ids.unlink()
        policy._insurance_portal_request("question", "我想退保，请联系我")
        self.assertEqual(policy.activity_ids.user_id, admin_there)
        self.assertFalse(policy.activity_ids.user_id & elsewhere)


@tagged("post_install", "-at_install")
class TestAuditFourRoutes(HttpCase, InsuranceRenewalCommon):
    """A1 through the web client's own routes. Odoo's mail and action routes put
    the caller's context on the request (``request.update_context``), which does
    not go through ``with_context``: the audit feared a malformed reminder
    context would pass there. Each route's work calls ``with_context`` before
    anything is read, so the check of ``models/base.py`` refuses it all the
    same; this keeps it so. The specialist works in Chinese."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"].search(
            [("name", "=", "insurance_renewal")]
        )._update_translations(["zh_CN"])
        cls.specialist.lang = "zh_CN"
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def _call(self, route, params):
        """The route's JSON-RPC answer as the web client gets it."""
        response = self.url_open(
            route,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "params": params}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        return response.json()

    def test_a_malformed_reminder_context_through_a_route_is_refused_cleanly(self):
        self.authenticate(self.specialist.login, self.specialist.login)
        policies = self.env.ref("insurance_renewal.insurance_policy_action")
        activate = self.env.ref("insurance_renewal.insurance_policy_action_activate")
        notice = self.env.ref("insurance_renewal.action_report_premium_notice")
        discuss = self.env.ref("mail.action_discuss")
        thread = {"thread_model": "insurance.policy", "thread_id": self.policy.id}
        for route, params in (
            ("/web/action/load", {"action_id": policies.id}),
            ("/web/action/load", {"action_id": notice.id}),
            ("/web/action/load", {"action_id": discuss.id}),
            ("/web/action/run", {"action_id": activate.id}),
            ("/mail/data", {"fetch_params": [["mail.thread", thread]]}),
            ("/mail/action", {"fetch_params": [["mail.thread", thread]]}),
            ("/mail/message/post", {**thread, "post_data": {"body": "已致电"}}),
        ):
            with self.subTest(route=route, action=params.get("action_id")):
                answer = self._call(
                    route, {**params, "context": {"reminder_line_ids": {"ids": [1]}}}
                )
                error = answer.get("error", {}).get("data", {})
                self.assertEqual(error.get("name"), "odoo.exceptions.UserError")
                self.assertIn("提醒所列的期次须以期次的 ID 给出", error["message"])
        self.assertFalse(self.policy.message_ids.filtered(lambda m: "已致电" in m.body))
        answer = self._call(
            "/web/action/load",
            {"action_id": policies.id, "context": {"reminder_line_ids": self.line.ids}},
        )
        self.assertEqual(answer["result"]["res_model"], "insurance.policy")


@tagged("post_install", "-at_install")
class TestAuditFourPortal(CustomerPortalCommon):
    """A4: a script holding several pay links spreads its requests over them."""

    def _link(self, lines):
        url = lines._insurance_pay_url().removeprefix(self.base_url())
        return url, url.split("/")[2]

    def _portal_contacts(self, policies):
        return self.env["insurance.renewal.activity"].search(
            [("policy_id", "in", policies.ids), ("channel", "=", "portal")]
        )

    def test_requests_from_one_address_are_capped_across_policies(self):
        """Three requests a day per policy, but a script spreading its posts over
        the links of many policies was never stopped: each address has its own
        day's share (four here, a setting)."""
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.portal_requests_per_address", 4
        )
        self.authenticate(None, None)
        for policy in (self.policy, self.other_policy):
            url, _ref = self._link(self._line(policy, 2))
            for words in ("请回电", "什么时候扣款？"):
                sent = self._post_form(f"{url}/contact", kind="callback", message=words)
                self.assertEqual(sent.status_code, 200)
        url, _ref = self._link(self._line(self.paid_for_wife, 2))
        refused = self._post_form(f"{url}/contact", kind="question", message="第五次")
        self.assertEqual(refused.status_code, 429)
        self.assertIn("o_insurance_request_too_many", refused.text)
        self.assertFalse(self._portal_contacts(self.paid_for_wife))
        recorded = self._portal_contacts(self.policy | self.other_policy).sudo()
        self.assertEqual(len(recorded), 4)
        self.assertEqual(set(recorded.mapped("portal_address")), {"127.0.0.1"})

    def test_requests_through_one_link_are_capped_wherever_they_were_recorded(self):
        """A link's requests are counted per link too, not only on the policy
        they were recorded on: here three of its requests went on another of
        the payer's policies."""
        lines = self._line(self.policy, 2) | self._line(self.paid_for_wife, 2)
        url, ref = self._link(lines)
        contacts = self.env["insurance.renewal.activity"].sudo()
        for words in ("一", "二", "三"):
            contacts.create(
                {
                    "policy_id": self.paid_for_wife.id,
                    "channel": "portal",
                    "outcome": "question",
                    "note": words,
                    "portal_link": ref,
                    "portal_address": "10.0.0.9",
                    "user_id": False,
                }
            )
        self.authenticate(None, None)
        refused = self._post_form(f"{url}/contact", kind="question", message="四")
        self.assertEqual(refused.status_code, 429)
        self.assertEqual(len(self._portal_contacts(lines.policy_id)), 3)
        self.assertFalse(self._portal_contacts(self.policy))


# 02:00 UTC is 10:00 in Shanghai, inside the contact hours for SMS.
OFFICE_HOURS = "02:00:00"


@tagged("post_install", "-at_install")
class TestAuditFourDelivery(InsuranceRenewalCommon):
    """C: what the case, the contact history and the KPIs say was delivered.
    P-0001's second premium of 12,000 falls due on 31 January 2025."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        with freeze_time("2024-02-10"):
            cls.holder.write(
                {"email": "zhang.wei@example.com", "phone": "+86 138 0013 8001"}
            )
            cls.policy = cls._create_policy(
                payment_method="counter", specialist_id=cls.specialist.id
            )
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def _run_clock_on(self, day):
        with freeze_time(f"{day} 01:00:00"):
            self._run_clock()

    def _send_on(self, day):
        with freeze_time(f"{day} {OFFICE_HOURS}"):
            self._call_in_cron_cursor(
                "insurance.reminder.engine", "_cron_send_reminders"
            )
            self._deliver_queues()

    def _logs(self):
        return self.env["insurance.reminder.log"].search(
            [("policy_id", "=", self.policy.id)], order="id"
        )

    def test_a_reminder_that_reached_nobody_does_not_make_the_case_reminded(self):
        """No email address: the first step is skipped and the case says the
        customer could not be reached; its stage said *Reminded* all the same."""
        self.holder.email = False
        self._run_clock_on("2024-12-02")
        self._send_on("2024-12-02")
        self.assertEqual(self._logs().skip_reason, "no_email")
        case = self.policy.renewal_lead_id
        self.assertTrue(case.renewal_unreachable)
        self.assertEqual(case.stage_id.renewal_step, "to_remind")

    def _sms_reported(self, provider_error):
        """The SMS provider's delivery report for 张伟's SMS, as its webhook
        gives it to Odoo."""
        trackers = (
            self.env["sms.tracker"]
            .sudo()
            .search([("mail_notification_id.res_partner_id", "=", self.holder.id)])
        )
        self.assertTrue(trackers)
        with freeze_time(f"2025-01-24 {OFFICE_HOURS}"):
            trackers._action_update_from_provider_error(provider_error)
            self._end_unit_of_work()
        self.env.invalidate_all()

    def test_an_sms_reported_undelivered_is_not_a_reminder_that_reached(self):
        """The provider took the SMS (a contact logged as sent), then reported it
        undelivered: the log said failed, the history and the case kept saying
        the customer was reminded."""
        self._run_clock_on("2025-01-24")
        self._send_on("2025-01-24")
        sms_log = self._logs().filtered(lambda log: log.channel == "sms")
        self.assertEqual(sms_log.state, "sent")
        case = self.policy.renewal_lead_id
        self.assertEqual(case.stage_id.renewal_step, "reminded")
        self._sms_reported("not_delivered")
        self.assertEqual(sms_log.state, "failed")
        contacts = self.policy.renewal_activity_ids.filtered(
            lambda contact: contact.channel == "sms"
        )
        self.assertEqual(
            contacts.sorted("id").mapped("outcome"), ["sent", "undeliverable"]
        )
        self.assertEqual(case.renewal_last_activity_id.outcome, "undeliverable")
        self.assertEqual(case.stage_id.renewal_step, "to_remind")

    def test_an_sms_to_a_number_the_network_rejects_is_bounced_and_recorded(self):
        self._run_clock_on("2025-01-24")
        self._send_on("2025-01-24")
        self._sms_reported("invalid_destination")
        sms_log = self._logs().filtered(lambda log: log.channel == "sms")
        self.assertEqual(sms_log.state, "bounced")
        self.assertEqual(
            self.policy.renewal_activity_ids.sorted("id")[-1:].outcome,
            "undeliverable",
        )
        self.assertEqual(self.policy.renewal_lead_id.stage_id.renewal_step, "to_remind")

    def test_a_bounced_sms_refutes_the_phone_not_the_email(self):
        """The network rejects the number: the customer's contactability said
        their email bounced (the phone still valid), so the specialist repaired
        the wrong channel."""
        self._run_clock_on("2025-01-24")
        self._send_on("2025-01-24")
        self.assertEqual(self.holder.contact_status, "unverified")
        self._sms_reported("invalid_destination")
        self.assertEqual(self.holder.contact_status, "wrong_number")

    def _call_to_do(self):
        """The call step three days before the due date: its log, and the
        specialist's to-do on the case."""
        self._run_clock_on("2025-01-28")
        self._send_on("2025-01-28")
        call = self._logs().filtered(lambda log: log.channel == "phone")
        todo = self.policy.renewal_lead_id.activity_ids.filtered(
            lambda activity: (
                activity.activity_type_id
                == self.env.ref("mail.mail_activity_data_call")
            )
        )
        self.assertEqual(len(todo), 1)
        return call, todo

    def _sent_in_the_list(self):
        """What the specialist's reminder log list shows under its *Sent* filter."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.insurance_reminder_log_action"
        )
        search = self.env.ref("insurance_renewal.insurance_reminder_log_view_search")
        [sent] = etree.fromstring(search.arch).xpath("//filter[@name='sent']")
        return (
            self.env[action["res_model"]]
            .with_user(self.specialist)
            .search(
                safe_eval(sent.get("domain")) + [("policy_id", "=", self.policy.id)]
            )
        )

    def test_a_call_step_is_a_to_do_until_the_specialist_makes_the_call(self):
        """The call step hands the specialist a to-do: its log said *Sent* (and
        the list's *Sent* filter showed it) before anyone called; it is done
        when the specialist marks the to-do done."""
        call, todo = self._call_to_do()
        self.assertEqual(call.state, "todo")
        self.assertEqual(call.activity_id, todo)
        self.assertFalse(self._sent_in_the_list())
        self.env.flush_all()
        rows = self.env["insurance.kpi.response"].search(
            [("policy_id", "=", self.policy.id), ("source", "=", "reminder")]
        )
        self.assertNotIn("phone", rows.mapped("channel"))
        with freeze_time(f"2025-01-28 {OFFICE_HOURS}"):
            todo.with_user(self.specialist).action_feedback(
                feedback="Called: she pays on Friday."
            )
        self.assertEqual(call.state, "done")

    def test_a_call_to_do_is_done_once_the_specialist_logs_the_call(self):
        call, _todo = self._call_to_do()
        with freeze_time(f"2025-01-28 {OFFICE_HOURS}"):
            self.env["insurance.renewal.activity"].with_user(self.specialist).create(
                {"policy_id": self.policy.id, "channel": "phone", "outcome": "reached"}
            )
        self.assertEqual(call.state, "done")

    def test_a_cancelled_call_to_do_is_a_reminder_never_made(self):
        call, todo = self._call_to_do()
        todo.with_user(self.specialist).action_cancel()
        self.assertEqual(call.state, "cancelled")
        self.assertEqual(self.policy.renewal_lead_id.stage_id.renewal_step, "to_remind")


@tagged("post_install", "-at_install")
class TestAuditFourDomain(ServicingMixin, InsuranceRenewalCommon):
    """B: the domain's rules on their boundary days, through the clock."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._servicing_users()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def _run_clock_on(self, day):
        with freeze_time(f"{day} 01:00:00"):
            self._run_clock()

    def _letter(self, user, delivered_on):
        self.env["insurance.letter.demand"].with_user(user).create(
            {
                "premium_line_id": self.line.id,
                "tracking_ref": f"EMS{delivered_on}",
                "delivered_on": delivered_on,
            }
        ).action_confirm()

    def test_a_demand_delivered_late_does_not_extend_the_grace(self):
        """Delivered on 20 March, 12 days before the grace ends on 1 April: its
        30 days would end on 19 April; the policy is suspended on 2 April."""
        self._run_clock_on("2025-03-20")
        with freeze_time("2025-03-20 06:00:00"):
            self._letter(self.specialist, "2025-03-20")
        self.assertEqual(self.line.lapse_date, date(2025, 4, 2))
        self._run_clock_on("2025-04-01")
        self.assertEqual(self.policy.state, "grace")
        self._run_clock_on("2025-04-02")
        self.assertEqual(self.policy.state, "lapsed")
        self.assertEqual(self.policy.suspension_date, date(2025, 4, 2))

    def test_a_demand_s_thirtieth_day_is_still_covered(self):
        """Delivered on 3 February: covered through 5 March, the 30th day;
        suspended on 6 March."""
        self._run_clock_on("2025-02-03")
        with freeze_time("2025-02-03 06:00:00"):
            self._letter(self.specialist, "2025-02-03")
        self._run_clock_on("2025-03-05")
        self.assertEqual(self.policy.state, "grace")
        self._run_clock_on("2025-03-06")
        self.assertEqual(self.policy.state, "lapsed")
        self.assertEqual(self.policy.suspension_date, date(2025, 3, 6))

    def test_a_letter_recorded_late_does_not_suspend_a_policy_in_the_past(self):
        """On 25 March a specialist records a letter delivered on 1 February: its
        30 days ran out on 3 March, so the policy everyone saw in grace would be
        suspended from 4 March, three weeks ago (a claim since then unpaid).
        Only a renewal manager records such a letter."""
        self._run_clock_on("2025-03-25")
        with freeze_time("2025-03-25 06:00:00"):
            with self.assertRaises(UserError) as refusal:
                self._letter(self.specialist, "2025-02-01")
            self.assertIn(
                format_date(self.env, date(2025, 3, 4)), str(refusal.exception)
            )
            self.assertFalse(self.line.demand_date)
            self._letter(self.manager, "2025-02-01")
        self.assertEqual(self.line.lapse_date, date(2025, 3, 4))

    def test_a_letter_whose_thirty_days_still_run_is_recorded_by_the_specialist(
        self,
    ):
        self._run_clock_on("2025-03-25")
        with freeze_time("2025-03-25 06:00:00"):
            self._letter(self.specialist, "2025-03-01")
        self.assertEqual(self.line.lapse_date, date(2025, 4, 1))

    def _claim(self, day):
        claim = self.env["insurance.claim"].create(
            {
                "name": f"C-{day}",
                "policy_id": self.policy.id,
                "claim_date": day,
                "claim_type": "medical",
                "amount": 5000,
                "state": "approved",
            }
        )
        claim._apply_rules()
        return claim

    def test_a_claim_after_a_demand_s_suspension_is_not_in_grace(self):
        """A demand delivered on 3 February suspended the policy on 6 March: a
        claim of 10 March, before the plain grace end of 1 April, was noted as
        covered in grace with the premium deducted."""
        self._run_clock_on("2025-02-03")
        with freeze_time("2025-02-03 06:00:00"):
            self._letter(self.specialist, "2025-02-03")
        self._run_clock_on("2025-03-06")
        self.assertEqual(self.policy.suspension_date, date(2025, 3, 6))
        with freeze_time("2025-03-20"):
            in_grace = self._claim("2025-03-05")
            suspended = self._claim("2025-03-10")
        self.assertRecordValues(
            in_grace | suspended,
            [
                {"in_grace": True, "premium_to_deduct": 12000},
                {"in_grace": False, "premium_to_deduct": 0},
            ],
        )

    def test_a_case_counts_its_days_left_to_the_demand_s_suspension(self):
        """After a demand delivered on 3 February the cover ends on 5 March: the
        case said the grace ended on 1 April, 57 days left, and left it out of
        *Grace Ends Within 7 Days* in its last week."""
        self._run_clock_on("2025-02-03")
        with freeze_time("2025-02-03 06:00:00"):
            self._letter(self.specialist, "2025-02-03")
            self._end_unit_of_work()
            case = self.policy.renewal_lead_id
            self.assertEqual(case.renewal_grace_end_date, date(2025, 3, 5))
            self.assertEqual(case.renewal_days_left, 30)

    def test_a_promise_after_the_demand_s_suspension_is_refused(self):
        """The cover ends on 5 March, 30 days after the demand: a specialist
        logged a promise to pay on 20 March, which the suspension comes before."""
        self._run_clock_on("2025-02-03")
        with freeze_time("2025-02-03 06:00:00"):
            self._letter(self.specialist, "2025-02-03")
            wizard = (
                self.env["insurance.renewal.log.contact"]
                .with_user(self.specialist)
                .create(
                    {
                        "policy_id": self.policy.id,
                        "outcome": "promised",
                        "promised_date": "2025-03-20",
                        "promised_amount": 12000,
                    }
                )
            )
            with self.assertRaises(UserError) as refusal:
                wizard.action_confirm()
        self.assertIn(format_date(self.env, date(2025, 3, 5)), str(refusal.exception))
        self.assertFalse(self.policy.renewal_activity_ids.filtered("promised_date"))

    def test_the_customer_is_told_the_cover_ends_with_the_demand_s_30_days(self):
        """The pay page told the customer the policy stayed in force until 1 April
        and, in the same sentence, that its cover stopped from 6 March."""
        self._run_clock_on("2025-02-03")
        with freeze_time("2025-02-03 06:00:00"):
            self._letter(self.specialist, "2025-02-03")
        warning = self.policy._insurance_customer_warning()
        self.assertIn(format_date(self.env, date(2025, 3, 5)), warning)
        self.assertIn(format_date(self.env, date(2025, 3, 6)), warning)
        self.assertNotIn(format_date(self.env, date(2025, 4, 1)), warning)

    def _email_on(self, day):
        """The reminder email 张伟 receives on this day, as its text."""
        mailbox = self._loopback_mailbox()
        received = len(mailbox.messages)
        self._run_clock_on(day)
        with freeze_time(f"{day} {OFFICE_HOURS}"):
            self._call_in_cron_cursor(
                "insurance.reminder.engine", "_cron_send_reminders"
            )
            self._deliver_queues()
        [(_recipients, message)] = mailbox.messages[received:]
        return message["subject"], message.get_body(("html",)).get_content()

    def test_the_reminder_email_gives_the_cover_end_a_demand_brought_forward(self):
        """A letter delivered on 3 February ends the cover on 5 March; the
        insurer's email step 20 days after the due date told 张伟 the policy
        was covered until the plain grace end, 1 April."""
        self._with_plan_email_20_days_after_due()
        self._run_clock_on("2025-02-03")
        with freeze_time("2025-02-03 06:00:00"):
            self._letter(self.specialist, "2025-02-03")
        subject, body = self._email_on("2025-02-20")
        self.assertIn("P-0001", subject)
        self.assertIn("Covered until", body)
        self.assertIn(format_date(self.env, date(2025, 3, 5)), body)
        self.assertNotIn(format_date(self.env, date(2025, 4, 1)), body)

    def _with_plan_email_20_days_after_due(self):
        self.holder.email = "zhang.wei@example.com"
        self.env["insurance.reminder.step"].create(
            {
                "plan_id": self.env.ref("insurance_renewal.reminder_plan_default").id,
                "name": "20 days after due: email",
                "offset_days": 20,
                "channel": "email",
                "mail_template_id": self.env.ref(
                    "insurance_renewal.mail_template_renewal_reminder"
                ).id,
            }
        )

    def test_an_upgrade_renews_the_emails_the_insurer_did_not_edit(self):
        """A database installed before keeps its templates (``noupdate``): the
        upgrade gives the shipped reminder the cover end, in Chinese too, and
        leaves a demand whose wording the insurer changed as it is."""
        path = file_path("insurance_renewal/migrations/19.0.1.3.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("post_migrate", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        reminder = self.env.ref("insurance_renewal.mail_template_renewal_reminder")
        demand = self.env.ref("insurance_renewal.mail_template_renewal_demand")
        before = {
            template: {
                lang: migration.previous_body(body)
                for lang, body in migration.shipped_bodies(xmlid).items()
            }
            for template, xmlid in (
                (reminder, "mail_template_renewal_reminder"),
                (demand, "mail_template_renewal_demand"),
            )
        }
        self.assertIn("line.grace_end_date", before[reminder]["zh_CN"])
        before[demand]["en_US"] = before[demand]["en_US"].replace(
            "Your renewal service team", "Your Fortune Life renewal team"
        )
        for template, bodies in before.items():
            self.env.cr.execute(
                "UPDATE mail_template SET body_html = %s::jsonb WHERE id = %s",
                (json.dumps(bodies), template.id),
            )
        self.env.invalidate_all()
        migration.migrate(self.env.cr, "19.0.1.2.0")
        self.env.invalidate_all()
        self.env["res.lang"]._activate_lang("zh_CN")
        self.assertIn("Fortune Life", demand.body_html)
        self.assertIn("line.grace_end_date", demand.body_html)
        self.assertIn(
            "line.cover_end_date", demand.with_context(lang="zh_CN").body_html
        )
        self.holder.lang = "zh_CN"
        self._with_plan_email_20_days_after_due()
        self._run_clock_on("2025-02-03")
        with freeze_time("2025-02-03 06:00:00"):
            self._letter(self.specialist, "2025-02-03")
        _subject, body = self._email_on("2025-02-20")
        self.assertIn("保障有效至", body)
        chinese = self.env(context={"lang": "zh_CN"})
        self.assertIn(format_date(chinese, date(2025, 3, 5)), body)
        self.assertNotIn(format_date(chinese, date(2025, 4, 1)), body)

    def test_the_dashboard_counts_a_cover_ending_within_a_week_after_a_demand(self):
        """On 1 March the cover ends on 5 March, 30 days after the demand: the
        dashboard's *Grace Ending Within 7 Days* left it out (grace end 1 April)."""
        self._run_clock_on("2025-02-03")
        with freeze_time("2025-02-03 06:00:00"):
            self._letter(self.specialist, "2025-02-03")
        self._run_clock_on("2025-03-01")
        with freeze_time("2025-03-01 06:00:00"):
            dashboard = (
                self.env["insurance.renewal.dashboard"]
                .with_user(self.manager)
                .create({})
            )
            self.assertEqual(dashboard.grace_ending_count, 1)

    def test_a_monthly_policy_issued_on_the_31st_keeps_its_month_ends(self):
        with freeze_time("2024-01-31"):
            monthly = self._create_policy(
                name="P-0031",
                issue_date="2024-01-31",
                payment_frequency="monthly",
                premium_amount=1000,
            )
            monthly.action_activate()
        dues = monthly.premium_line_ids.sorted("installment_number").mapped("due_date")
        # the first premium, paid at issue, is not the renewal team's
        self.assertEqual(
            dues[:4],
            [
                date(2024, 2, 29),
                date(2024, 3, 31),
                date(2024, 4, 30),
                date(2024, 5, 31),
            ],
        )
        self.assertEqual(
            monthly.premium_line_ids.filtered(
                lambda line: line.due_date == date(2024, 2, 29)
            ).grace_end_date,
            date(2024, 4, 29),
        )

    def test_termination_asks_finance_to_refund_the_cash_value(self):
        """Past its reinstatement window the policy ends and its cash value is
        refunded (art. 37): it was terminated and nobody was asked to pay it."""
        self.policy.write({"cash_value": 30000, "loan_balance": 5000})
        self._run_clock_on("2025-04-02")
        self._run_clock_on("2027-04-03")
        self.assertEqual(self.policy.state, "terminated")
        refund = self.env["mail.activity"].search(
            [
                ("res_model", "=", "insurance.policy"),
                ("res_id", "=", self.policy.id),
                ("insurance_event_code", "=", "surrender_payout"),
            ]
        )
        self.assertEqual(len(refund), 1)
        self.assertEqual(
            refund.team_id, self.env.ref("insurance_renewal.mail_activity_team_finance")
        )
        self.assertIn("25,000.00", str(refund.note))
        self._run_clock_on("2027-04-04")
        self.assertEqual(
            self.env["mail.activity"].search_count(
                [
                    ("res_model", "=", "insurance.policy"),
                    ("res_id", "=", self.policy.id),
                    ("insurance_event_code", "=", "surrender_payout"),
                ]
            ),
            1,
        )

    def test_a_reinstatement_paid_after_the_window_does_not_revive_the_policy(self):
        """Approved by underwriting on the window's last day, paid two days after
        the policy was terminated: the policy came back in force, its cash value
        already being refunded and the premiums of its suspended time waived."""
        self._run_clock_on("2025-04-02")
        self.assertEqual(self.policy.reinstatement_deadline, date(2027, 4, 2))
        with freeze_time("2027-04-02 06:00:00"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(request.state, "approved")
        self._run_clock_on("2027-04-03")
        self.assertEqual(self.policy.state, "terminated")
        with (
            freeze_time("2027-04-05 06:00:00"),
            self.assertRaises(UserError) as refusal,
        ):
            request.with_user(self.specialist).action_confirm_payment()
        self.assertIn(self.policy.name, str(refusal.exception))
        self.assertEqual(self.policy.state, "terminated")
        self.assertFalse(request.payment_received)
        self.assertEqual(request.state, "approved")

    def _lapse_kpi(self, month):
        """The manager's lapse KPI for this month: in force at its start,
        suspended in it, reinstated since."""
        [row] = (
            self.env["insurance.kpi.lapse"]
            .with_user(self.manager)
            ._read_group(
                [
                    ("period_type", "=", "month"),
                    ("date_start", "=", month),
                    ("product_id", "=", self.product.id),
                ],
                [],
                ["in_force_count:sum", "suspended_count:sum", "reinstated_count:sum"],
            )
        )
        return row

    def test_the_lapse_kpi_counts_a_reinstatement_once_it_is_completed(self):
        """Suspended on 2 April; the back premium paid on 12 May, underwriting
        approves on 3 June: the KPI counted the policy reinstated, and in force
        from 1 June, on the day it was paid, while underwriting had not decided."""
        self._run_clock_on("2025-04-02")
        with freeze_time("2025-05-10 06:00:00"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
        with freeze_time("2025-05-12 06:00:00"):
            request.with_user(self.specialist).action_confirm_payment()
        self.assertTrue(request.payment_received)
        self.assertEqual(self.policy.state, "lapsed")
        self.env.flush_all()
        self.assertEqual(self._lapse_kpi("2025-04-01"), (1, 1, 0))
        self.assertEqual(self._lapse_kpi("2025-06-01")[0], 0)
        with freeze_time("2025-06-03 06:00:00"):
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(self.policy.state, "in_force")
        self.env.flush_all()
        self.assertEqual(self._lapse_kpi("2025-04-01"), (1, 1, 1))
        self.assertEqual(self._lapse_kpi("2025-06-01")[0], 0)
        self.assertEqual(self._lapse_kpi("2025-07-01")[0], 1)

    def test_the_lapse_kpi_does_not_reinstate_a_premium_paid_by_hand(self):
        """Suspended on 2 April, the lapsed premium taken at the counter on 15
        April without a reinstatement: the policy stays suspended, and the KPI
        counted it reinstated and in force again from May."""
        self._run_clock_on("2025-04-02")
        with freeze_time("2025-04-15 06:00:00"):
            self.env["insurance.premium.payment"].with_user(self.specialist).create(
                {"premium_line_id": self.line.id, "amount": 12000}
            ).action_confirm()
        self.assertEqual(self.line.state, "paid")
        self.assertEqual(self.policy.state, "lapsed")
        self.env.flush_all()
        self.assertEqual(self._lapse_kpi("2025-04-01"), (1, 1, 0))
        self.assertEqual(self._lapse_kpi("2025-05-01")[0], 0)


@tagged("post_install", "-at_install")
class TestAuditFourReinstatementInvoiced(ServicingMixin, PremiumAccountingCommon):
    """The back premium and the interest are invoiced: a payment reaches the
    request through the accounting, where it cannot be refused."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._servicing_users()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(cash_value=30000)
            cls.policy.action_activate()
        with freeze_time("2025-01-01"):
            cls.env["insurance.premium.line"]._issue_invoices_batch(
                cls._line(cls.policy, 2)
            )

    def test_a_reinstatement_paid_in_accounting_after_the_window_is_not_applied(
        self,
    ):
        """The transfer made on the window's last day is reconciled two days
        after the policy was terminated: it is not reinstated (its cash value is
        being refunded); the specialist is told to cancel the request, which
        refunds the payment."""
        with freeze_time("2025-04-02"):
            self._run_clock()
        with freeze_time("2027-04-02 06:00:00"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(request.state, "approved")
        with freeze_time("2027-04-03"):
            self._run_clock()
        self.assertEqual(self.policy.state, "terminated")
        invoices = request.sudo()._reinstatement_invoices()
        with freeze_time("2027-04-05"):
            self.env["account.payment.register"].with_user(self.finance).with_context(
                active_model="account.move", active_ids=invoices.ids
            ).create(
                {
                    "payment_date": "2027-04-02",
                    "journal_id": self.bank_journal.id,
                    "group_payment": True,
                    "amount": sum(invoices.mapped("amount_residual")),
                }
            )._create_payments()
            self._end_unit_of_work()
        self.assertTrue(request.payment_received)
        self.assertEqual(self.policy.state, "terminated")
        self.assertEqual(request.state, "approved")
        self.assertIn(
            "Cancel the request to refund the payment",
            request.message_ids[:1].body,
        )


@tagged("post_install", "-at_install")
class TestAuditFourCareBounce(test_renewal_care.TestRenewalCare):
    """A care message taken by the mail server, then bounced."""

    # the greetings' own tests run in TestRenewalCare
    test_greeting_reaches_the_segment_within_opt_outs_and_the_weekly_cap = None
    test_sms_greeting_waits_for_contact_hours = None
    test_anniversary_review_picks_todays_anniversaries_once = None

    @freeze_time(test_renewal_care.OFFICE_HOURS)
    def test_a_bounced_greeting_is_recorded_as_not_delivered(self):
        """The greeting's contact said *Sent*, and stayed the customer's last
        contact, after the email came back."""
        mailing = self._greeting("mailing_care_spring_festival_email")
        mailing.action_launch()
        self._run_mailing_queue()
        self._deliver_queues()
        trace = self.env["mailing.trace"].search(
            [("mass_mailing_id", "=", mailing.id), ("res_id", "=", self.punctual.id)]
        )
        trace.set_bounced(bounce_message="550 mailbox unavailable")
        self._end_unit_of_work()
        contacts = self._care_contacts(mailing).sorted("id")
        self.assertEqual(contacts.mapped("outcome"), ["sent", "undeliverable"])
        self.assertEqual(contacts.policy_id, self.policies[self.punctual])
        trace.set_bounced(bounce_message="550 again")
        self.assertEqual(len(self._care_contacts(mailing)), 2)
