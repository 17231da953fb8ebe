"""The customer's side: the signed pay link of a reminder, "My policies" in the
portal, an online payment with Odoo's demo provider, and requests to be called."""

import re
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import Command, fields, http
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged
from odoo.tools import SQL

from .common_accounting import PremiumAccountingCommon

# 02:00 UTC is 10:00 in Shanghai, inside the contact hours for SMS.
OFFICE_HOURS = "02:00:00"
PAY_LINK = re.compile(r"https?://[^\s\"<]+/pay/[0-9-]+/[0-9a-f]+")


class CustomerPortalCommon(HttpCase, PremiumAccountingCommon):
    """张伟 holds P-0001 and pays P-0003 held by his wife 王芳; 李娜 holds P-0002.
    The second premiums fell due 10 days ago: in grace, invoiced."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        cls.holder.write({"email": "zhang.wei@example.com"})
        cls.other = cls.env["res.partner"].create(
            {"name": "李娜", "phone": "+86 139 0013 9000", "email": "li.na@example.com"}
        )
        cls.wife = cls.env["res.partner"].create({"name": "王芳"})
        cls.today = fields.Date.context_today(cls.env.user)
        issue = cls.today - relativedelta(years=1, days=10)
        values = {"issue_date": issue, "specialist_id": cls.specialist.id}
        cls.policy = cls._create_policy(**values)
        cls.other_policy = cls._create_policy(
            name="P-0002", partner_id=cls.other.id, **values
        )
        cls.paid_for_wife = cls._create_policy(
            name="P-0003", partner_id=cls.wife.id, payer_id=cls.holder.id, **values
        )
        policies = cls.policy | cls.other_policy | cls.paid_for_wife
        policies.action_activate()
        second = policies.premium_line_ids.filtered(
            lambda line: line.installment_number == 2
        )
        cls.env["insurance.premium.line"]._issue_invoices_batch(second)
        policies.premium_line_ids._advance_clock(cls.today)
        cls.env["insurance.policy"]._open_due_renewal_cases()
        cls.line = cls._line(cls.policy, 2)
        cls.other_line = cls._line(cls.other_policy, 2)
        cls.specialist.partner_id.phone = "+86 21 5555 0101"
        cls.portal_user = cls.env["res.users"].create(
            {
                "name": "张伟",
                "login": "zhangwei_portal",
                "password": "zhangwei_portal",
                "partner_id": cls.holder.id,
                "group_ids": [Command.set(cls.env.ref("base.group_portal").ids)],
                "company_id": cls.env.company.id,
                "company_ids": [Command.set(cls.env.company.ids)],
            }
        )
        cls.providers = cls.env["payment.provider"].sudo().search([])
        cls.providers.write({"state": "disabled"})
        cls.demo = cls.providers.filtered(
            lambda p: p.code == "demo" and p.company_id == cls.env.company
        )

    def _send_reminders(self):
        """The hourly reminder run, as the scheduler runs it: as superuser."""
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            self.env(cr=cr, su=True)["insurance.reminder.engine"]._cron_send_reminders()
        self.env.invalidate_all()

    def _open(self, url):
        return self.url_open(url.removeprefix(self.base_url()))

    def _enable_demo(self):
        self.demo.write({"state": "test", "is_published": True})

    def _post_form(self, url, **data):
        return self.url_open(
            url, data={**data, "csrf_token": http.Request.csrf_token(self)}
        )


@tagged("post_install", "-at_install")
class TestPayLink(CustomerPortalCommon):
    def test_a_reminder_sms_and_email_carry_the_link_of_their_instalments(self):
        with freeze_time(f"{self.line.due_date + timedelta(days=1)} {OFFICE_HOURS}"):
            self._send_reminders()
        sms = self.env["sms.sms"].search([("partner_id", "=", self.holder.id)])
        links = PAY_LINK.findall(sms.body)
        self.assertEqual(len(links), 1, sms.body)
        self.assertLess(len(sms.body), 200, "The SMS stays short.")
        sent = self.env["insurance.reminder.log"].search(
            [("partner_id", "=", self.holder.id), ("channel", "=", "sms")]
        )
        self.assertEqual(
            sent.premium_line_id, self.line | self._line(self.paid_for_wife, 2)
        )
        self.assertIn("P-0003", sms.body, "The SMS lists both policies it bundles.")
        self.assertEqual(links[0], sent.premium_line_id._insurance_pay_url())
        page = self._open(links[0])
        self.assertEqual(page.status_code, 200)
        for policy in sent.policy_id:
            self.assertIn(policy.name, page.text)
        self.assertNotIn("P-0002", page.text)
        self.assertNotIn("李娜", page.text)
        template = self.env.ref("insurance_renewal.mail_template_renewal_reminder")
        body = template.with_context(reminder_line_ids=self.line.ids)._render_field(
            "body_html", self.policy.ids
        )[self.policy.id]
        self.assertIn(self.line._insurance_pay_url(), body)

    def test_the_payment_notice_carries_the_link_and_the_reference(self):
        report = self.env.ref("insurance_renewal.action_report_premium_notice")
        html = str(report._render_qweb_html(report.report_name, self.line.ids)[0])
        self.assertIn(self.line._insurance_pay_url(), html)
        self.assertIn("P-0001-002", html)

    def test_the_link_opens_only_the_instalments_it_names(self):
        url = self.line._insurance_pay_url()
        page = self._open(url)
        self.assertEqual(page.status_code, 200)
        self.assertIn("12,000.00", page.text)
        token = url.rsplit("/", 1)[1]
        changed = "0" if token[-1] != "0" else "1"
        refusals = {
            "another customer's instalment": f"/pay/{self.other_line.id}/{token}",
            "one instalment more": f"/pay/{self.line.id}-{self.other_line.id}/{token}",
            "a changed token": f"/pay/{self.line.id}/{token[:-1]}{changed}",
            "a cut token": f"/pay/{self.line.id}/{token[:8]}",
            "no number": f"/pay/abc/{token}",
        }
        for what, path in refusals.items():
            with self.subTest(what):
                page = self.url_open(path)
                self.assertEqual(page.status_code, 403)
                self.assertIn("o_insurance_pay_refused", page.text)
                self.assertIn("This link is not valid", page.text)
                self.assertNotIn("李娜", page.text)
                self.assertNotIn("12,000.00", page.text)
        other = self._open(self.other_line._insurance_pay_url())
        self.assertIn("P-0002", other.text)
        self.assertNotIn("P-0001", other.text)

    def test_without_provider_the_link_shows_the_bank_transfer_details(self):
        self.env.company.partner_id.bank_ids = [
            Command.create({"acc_number": "6222 0212 3456 7890"})
        ]
        page = self._open(self.line._insurance_pay_url())
        self.assertIn("o_insurance_bank_transfer", page.text)
        self.assertIn("P-0001-002", page.text)
        self.assertIn("6222 0212 3456 7890", page.text)
        self.assertNotIn("o_payment_form", page.text)
        self._enable_demo()
        page = self._open(self.line._insurance_pay_url())
        self.assertIn("o_insurance_pay_online", page.text)
        self.assertNotIn("o_insurance_bank_transfer", page.text)

    def test_a_paid_instalment_shows_paid_and_offers_nothing_to_pay(self):
        self._enable_demo()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.line.invoice_id.ids
        ).create({"journal_id": self.bank_journal.id})._create_payments()
        self.assertEqual(self.line.state, "paid")
        page = self._open(self.line._insurance_pay_url())
        self.assertEqual(page.status_code, 200)
        self.assertIn("o_insurance_all_paid", page.text)
        self.assertNotIn("o_insurance_pay_online", page.text)
        self.assertNotIn("o_insurance_bank_transfer", page.text)

    def _set_line(self, line, **values):
        """Move an instalment in time or state as months of the clock would."""
        line.flush_recordset()
        assignments = SQL(", ").join(
            SQL("%s = %s", SQL.identifier(name), value)
            for name, value in values.items()
        )
        self.env.cr.execute(
            SQL(
                "UPDATE insurance_premium_line SET %s WHERE id = %s",
                assignments,
                line.id,
            )
        )
        self.env.invalidate_all()

    def test_an_old_link_of_settled_premiums_shows_nothing(self):
        """A link keeps showing "Paid" for 30 days after the payment; after
        that, forwarded or leaked, it shows nothing of the policy and takes no
        request or payment."""
        self.authenticate(None, None)
        self._enable_demo()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=self.line.invoice_id.ids
        ).create({"journal_id": self.bank_journal.id})._create_payments()
        self.assertEqual(self.line.state, "paid")
        url = self.line._insurance_pay_url().removeprefix(self.base_url())
        self._set_line(self.line, date_paid=self.today - timedelta(days=30))
        self.assertIn("o_insurance_all_paid", self.url_open(url).text)
        self._set_line(self.line, date_paid=self.today - timedelta(days=31))
        page = self.url_open(url)
        self.assertEqual(page.status_code, 410)
        self.assertIn("o_insurance_pay_expired", page.text)
        for shown in ("P-0001", "张伟", "12,000.00"):
            self.assertNotIn(shown, page.text)
        request = self._post_form(f"{url}/contact", kind="callback", message="")
        self.assertEqual(request.status_code, 410)
        self.assertFalse(
            self.env["insurance.renewal.activity"].search(
                [("policy_id", "=", self.policy.id), ("channel", "=", "portal")]
            )
        )
        answer = self.opener.post(
            f"{self.base_url()}{url}/transaction",
            json={"jsonrpc": "2.0", "method": "call", "params": {}},
        ).json()
        self.assertIn("has expired", answer["error"]["data"]["message"])

    def test_a_premium_still_owed_keeps_its_link_however_old(self):
        """A suspended policy's back premium is still owed: its link opens long
        after its grace; once the policy can no longer be reinstated it does not."""
        url = self.line._insurance_pay_url().removeprefix(self.base_url())
        self._set_line(
            self.line, state="lapsed", due_date=self.today - timedelta(days=400)
        )
        self.policy.sudo().state = "lapsed"
        self.assertEqual(self.url_open(url).status_code, 200)
        self.policy.sudo().state = "terminated"
        self.assertEqual(self.url_open(url).status_code, 410)


@tagged("post_install", "-at_install")
class TestOnlinePayment(CustomerPortalCommon):
    def _pay_online(self, lines, amount):
        """What the payment form does: create the transaction through the link,
        then the demo provider reports it done."""
        url = lines._insurance_pay_url().removeprefix(self.base_url())
        ref, token = url.split("/")[2:4]
        values = self.make_jsonrpc_request(
            f"{url}/transaction",
            {
                "provider_id": self.demo.id,
                "payment_method_id": self.env.ref(
                    "payment_demo.payment_method_demo"
                ).id,
                "token_id": None,
                "amount": amount,
                "flow": "direct",
                "tokenization_requested": False,
                "landing_route": f"/pay/{ref}/{token}",
                "is_validation": False,
                "access_token": token,
            },
        )
        self.make_jsonrpc_request(
            "/payment/demo/simulate_payment",
            {
                "reference": values["reference"],
                "payment_details": "4242",
                "simulated_state": "done",
            },
        )
        tx = self.env["payment.transaction"].search(
            [("reference", "=", values["reference"])]
        )
        tx._post_process()
        # As Odoo's post-processing job or status poll commits it.
        self._end_unit_of_work()
        self.env.invalidate_all()
        return tx

    def test_an_online_payment_settles_like_a_bank_receipt(self):
        self._enable_demo()
        self.assertEqual(self.policy.state, "grace")
        case = self.policy.renewal_lead_id
        self.assertTrue(case)
        tx = self._pay_online(self.line, amount=1)
        self.assertEqual(tx.state, "done")
        self.assertEqual(tx.amount, 12000, "The browser's amount is not trusted.")
        self.assertEqual(
            self.line.invoice_id.payment_state in ("paid", "in_payment"), True
        )
        self.assertEqual(self.line.state, "paid")
        self.assertEqual(self.line.date_paid, self.today)
        self.assertEqual(self.policy.state, "in_force")
        self.assertEqual(case.won_status, "won")
        note = self.policy.message_ids.filtered(
            lambda m: self.specialist.partner_id in m.partner_ids
        )
        self.assertEqual(len(note), 1)
        self.assertIn("P-0001 / instalment 2", note.body)
        self.assertEqual(self.other_line.state, "grace", "Nobody else's is paid.")
        page = self._open(self.line._insurance_pay_url())
        self.assertIn("o_insurance_all_paid", page.text)

    def test_the_next_reminder_steps_stop_once_paid_online(self):
        self._enable_demo()
        self._pay_online(self.line | self._line(self.paid_for_wife, 2), amount=24000)
        self.assertEqual(self.paid_for_wife.state, "in_force")
        with freeze_time(f"{self.line.due_date + timedelta(days=15)} {OFFICE_HOURS}"):
            self._send_reminders()
        logs = self.env["insurance.reminder.log"].search([])
        self.assertFalse(logs.filtered(lambda log: log.partner_id == self.holder))
        self.assertTrue(
            logs.filtered(lambda log: log.premium_line_id == self.other_line),
            "The unpaid customer still gets the step of that day.",
        )

    def test_a_paid_link_refuses_a_new_transaction(self):
        self._enable_demo()
        self._pay_online(self.line, amount=12000)
        url = self.line._insurance_pay_url().removeprefix(self.base_url())
        answer = self.opener.post(
            f"{self.base_url()}{url}/transaction",
            json={"jsonrpc": "2.0", "method": "call", "params": {}},
        ).json()
        self.assertIn("nothing left to pay", answer["error"]["data"]["message"])
        self.assertEqual(
            self.env["payment.transaction"].search_count([]), 1, "No second payment."
        )


@tagged("post_install", "-at_install")
class TestMyPolicies(CustomerPortalCommon):
    def test_a_customer_sees_the_policies_they_hold_or_pay_and_no_other(self):
        portal_env = self.env(user=self.portal_user)
        self.assertEqual(
            portal_env["insurance.policy"].search([]),
            self.policy | self.paid_for_wife,
        )
        with self.assertRaises(AccessError):
            self.other_policy.with_user(self.portal_user).read(["name"])
        with self.assertRaises(AccessError):
            self.other_line.with_user(self.portal_user).read(["amount"])
        self.authenticate("zhangwei_portal", "zhangwei_portal")
        page = self.url_open("/my/policies")
        self.assertIn("P-0001", page.text)
        self.assertIn("P-0003", page.text)
        self.assertNotIn("P-0002", page.text)
        refused = self.url_open(f"/my/policies/{self.other_policy.id}")
        self.assertEqual(refused.status_code, 403)
        self.assertNotIn("李娜", refused.text)
        refused = self._post_form(
            f"/my/policies/{self.other_policy.id}/contact", kind="question"
        )
        self.assertEqual(refused.status_code, 403)
        self.assertFalse(self.other_policy.renewal_activity_ids)

    def test_a_customer_cannot_have_a_pay_link_signed_for_another_s_premium(self):
        """A reminder names the instalments its link pays in the context; read
        by a customer over RPC with another customer's instalment added, the
        pay link of their own policy must not be signed for it."""
        as_portal = self.policy.with_user(self.portal_user)
        self.assertTrue(as_portal.read(["reminder_pay_url"])[0]["reminder_pay_url"])
        forged = as_portal.with_context(
            reminder_line_ids=(self.line | self.other_line).ids
        )
        url = forged.read(["reminder_pay_url"])[0]["reminder_pay_url"]
        self.assertNotIn(f"-{self.other_line.id}/", url or "")
        self.assertNotIn(f"/{self.other_line.id}-", url or "")

    def test_the_policy_page_says_what_is_due_and_whom_to_call(self):
        self.authenticate("zhangwei_portal", "zhangwei_portal")
        page = self.url_open(f"/my/policies/{self.policy.id}")
        self.assertEqual(page.status_code, 200)
        text = page.text
        self.assertIn("In Grace Period", text)
        self.assertIn("12,000.00", text)
        self.assertIn("o_insurance_warning", text)
        self.assertIn("grace period", text)
        self.assertIn(self.specialist.name, text)
        self.assertIn(self.specialist.partner_id.phone, text)
        self.assertIn(self._line(self.policy, 2)._insurance_pay_url(), text)
        self.assertIn("Premiums received", text)
        self.assertIn(self.policy.premium_line_ids[:1].display_name, text)

    def _terminate(self, policy):
        """Suspended on its unpaid premium and, its reinstatement window over,
        terminated, by the clock's own steps run for a day years ahead."""
        later = self.today + relativedelta(years=3)
        policy = policy.sudo()  # as the scheduled action runs
        policy.premium_line_ids._advance_clock(later)
        self._end_unit_of_work()
        self.assertEqual(policy.state, "lapsed")
        policy._terminate_batch(policy)
        self._end_unit_of_work()
        self.assertEqual(policy.state, "terminated")

    def test_an_ended_policy_takes_no_payment_on_its_page_or_link(self):
        """The premium a policy lapsed on stays unpaid after it is terminated,
        but no payment can bring it back: neither its page nor an old reminder's
        link offers to pay it, and both say why."""
        url = self.line._insurance_pay_url()
        self._terminate(self.policy)
        self.authenticate("zhangwei_portal", "zhangwei_portal")
        page = self.url_open(f"/my/policies/{self.policy.id}").text
        self.assertIn("Your policy has ended", page)
        self.assertNotIn("o_insurance_payable", page)
        self.authenticate(None, None)
        link = self._open(url).text
        self.assertIn("Your policy has ended", link)
        self.assertNotIn("o_insurance_bank_transfer", link)
        self.assertNotIn("o_insurance_pay_online", link)

    def test_a_call_back_request_lands_on_the_case_for_the_specialist(self):
        self.authenticate("zhangwei_portal", "zhangwei_portal")
        answer = self._post_form(
            f"/my/policies/{self.policy.id}/contact",
            kind="hardship",
            message="最近失业，想分期缴",
        )
        self.assertEqual(answer.status_code, 200)
        self.assertIn("o_insurance_request_sent", answer.text)
        contact = self.policy.renewal_activity_ids
        self.assertEqual(
            (contact.channel, contact.outcome, contact.note, contact.lead_id),
            ("portal", "hardship", "最近失业，想分期缴", self.policy.renewal_lead_id),
        )
        self.assertEqual(
            contact.reason_id, self.env.ref("insurance_renewal.lost_reason_hardship")
        )
        activity = self.policy.renewal_lead_id.activity_ids.filtered(
            lambda a: "最近失业" in (a.note or "")
        )
        self.assertEqual(activity.user_id, self.specialist)

    def test_a_question_is_also_a_ticket_for_customer_service(self):
        self.authenticate("zhangwei_portal", "zhangwei_portal")
        self._post_form(
            f"/my/policies/{self.policy.id}/contact",
            kind="question",
            message="减额交清后保额是多少？",
        )
        ticket = self.env["helpdesk.ticket"].search(
            [("insurance_policy_id", "=", self.policy.id)]
        )
        self.assertRecordValues(
            ticket,
            [
                {
                    "insurance_kind": "question",
                    "insurance_lead_id": self.policy.renewal_lead_id.id,
                    "partner_id": self.policy.partner_id.id,
                }
            ],
        )
        self.assertIn("减额交清后保额是多少", str(ticket.description))
        self.assertFalse(
            self.policy.reminder_hold_until, "A question holds no reminder."
        )

    def test_a_request_through_the_pay_link_and_a_bad_one(self):
        self.authenticate(None, None)
        url = self.line._insurance_pay_url().removeprefix(self.base_url())
        answer = self._post_form(f"{url}/contact", kind="callback")
        self.assertIn("o_insurance_request_sent", answer.text)
        self.assertEqual(self.policy.renewal_activity_ids.outcome, "callback")
        bad = self._post_form(f"{url}/contact", kind="surrender_now")
        self.assertEqual(bad.status_code, 400)
        tampered = self._post_form(
            f"/pay/{self.other_line.id}/{url[-16:]}/contact", kind="callback"
        )
        self.assertEqual(tampered.status_code, 403)
        self.assertEqual(
            len(
                self.env["insurance.renewal.activity"].search(
                    [("channel", "=", "portal")]
                )
            ),
            1,
        )


@tagged("post_install", "-at_install")
class TestCustomerPayTour(CustomerPortalCommon):
    """On a phone-sized screen, without logging in."""

    browser_size = "390x844"

    def test_pay_from_the_reminder_link_then_a_tampered_link(self):
        self._enable_demo()
        template = self.env.ref("insurance_renewal.mail_template_renewal_reminder")
        email = template.with_context(reminder_line_ids=self.line.ids)._render_field(
            "body_html", self.policy.ids
        )[self.policy.id]
        url = PAY_LINK.search(email).group(0).removeprefix(self.base_url())
        self.start_tour(url, "insurance_renewal_customer_pay_tour", login=None)
        self.env.invalidate_all()
        self.assertEqual(self.line.state, "paid")
        self.assertEqual(self.policy.state, "in_force")
        self.assertEqual(self.policy.renewal_lead_ids.won_status, "won")
        other_url = self.other_line._insurance_pay_url().removeprefix(self.base_url())
        token = other_url.rsplit("/", 1)[1]
        tampered = f"/pay/{self.line.id}/{token}"
        self.start_tour(tampered, "insurance_renewal_tampered_link_tour", login=None)
