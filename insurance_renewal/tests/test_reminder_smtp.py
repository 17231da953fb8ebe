"""End to end: reminder emails leave Odoo through a real SMTP server on loopback."""

import socket
import threading
from contextlib import contextmanager
from datetime import date
from unittest.mock import patch

from aiosmtpd.controller import Controller
from freezegun import freeze_time

from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.base.models.ir_mail_server import IrMail_Server
from odoo.addons.insurance_renewal.models.insurance_reminder_engine import (
    InsuranceReminderEngine,
)

from .common import InsuranceRenewalCommon, Mailbox, free_port


class Refuser(Mailbox):
    """An SMTP server that takes the connection but refuses every message."""

    async def handle_DATA(self, server, session, envelope):
        return "554 5.7.1 Message refused by policy"


@contextmanager
def raw_server(behaviour):
    """A TCP server on loopback that either closes every connection at once
    ("close") or accepts it and never says a word ("silent")."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()
    held = []

    def serve():
        while not stop.is_set():
            try:
                connection, _address = listener.accept()
            except TimeoutError:
                continue
            if behaviour == "close":
                connection.close()
            else:
                held.append(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        stop.set()
        thread.join(2)
        for connection in held:
            connection.close()
        listener.close()


@tagged("post_install", "-at_install")
class TestReminderSmtp(InsuranceRenewalCommon):
    """Reminders through real SMTP servers on loopback: one that accepts, one that
    refuses, one that hangs up, one that never answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        cls.holder.email = "zhang.wei@example.com"
        cls.mail_server = cls.env["ir.mail_server"].create(
            {
                "name": "Loopback SMTP",
                "smtp_host": "127.0.0.1",
                "smtp_port": 25,
                "smtp_encryption": "none",
            }
        )

    def _serve(self, handler):
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        self.addCleanup(controller.stop)
        self.mail_server.smtp_port = port
        return handler

    @contextmanager
    def _smtp_for_real(self, moment):
        """Lift the test-mode guard so that mail really crosses SMTP, with a short
        timeout so that a silent server fails fast."""
        with (
            patch.object(IrMail_Server, "_disable_send", return_value=False),
            patch("odoo.addons.base.models.ir_mail_server.SMTP_TIMEOUT", 2),
            mute_logger("odoo.addons.mail.models.mail_mail"),
            freeze_time(moment),
        ):
            yield

    def _remind_and_send(self, moment, **kwargs):
        with self._smtp_for_real(moment):
            self._call_in_cron_cursor(
                "insurance.reminder.engine", "_cron_send_reminders", **kwargs
            )
            self.env["mail.mail"].search([("state", "=", "outgoing")]).send()
        self.env.invalidate_all()

    def _logs(self, policy):
        return self.env["insurance.reminder.log"].search(
            [("policy_id", "=", policy.id)], order="id"
        )

    def _activated(self, **values):
        with freeze_time("2024-02-10"):
            policy = self._create_policy(payment_method="counter", **values)
            policy.action_activate()
        return policy

    def test_refused_reminders_are_failed_retried_then_handed_to_a_call(self):
        policy = self._activated()
        self._serve(Refuser())
        self._remind_and_send("2024-12-02 02:00:00")
        log = self._logs(policy)
        self.assertEqual((log.state, log.attempt_count), ("failed", 1))
        self.assertTrue(log.failure_reason, "The reason the server gave is kept.")
        self.assertFalse(
            policy.renewal_activity_ids.filtered(lambda a: a.outcome == "sent"),
            "A refused email is no contact.",
        )
        self._remind_and_send("2024-12-02 03:00:00")
        self._remind_and_send("2024-12-02 04:00:00")
        self.assertEqual((log.state, log.attempt_count), ("failed", 3))
        self.assertFalse(log.fallback_done)
        self._remind_and_send("2024-12-02 05:00:00")
        self.assertEqual(log.attempt_count, 3, "Three attempts, then a person.")
        self.assertTrue(log.fallback_done)
        todo = policy.activity_ids | policy.renewal_lead_id.activity_ids
        self.assertIn("could not be delivered", " ".join(todo.mapped("summary")))

    def test_a_retry_through_a_working_server_delivers_once(self):
        policy = self._activated()
        with raw_server("close") as port:
            self.mail_server.smtp_port = port
            self._remind_and_send("2024-12-02 02:00:00")
        log = self._logs(policy)
        self.assertEqual(log.state, "failed")
        mailbox = self._serve(Mailbox())
        self._remind_and_send("2024-12-02 03:00:00")
        self.assertEqual((log.state, log.attempt_count), ("sent", 2))
        self.assertEqual(len(mailbox.messages), 1)
        self._remind_and_send("2024-12-02 04:00:00")
        self.assertEqual(len(mailbox.messages), 1, "Sent is sent: never again.")

    def test_a_silent_server_fails_the_demand_and_sets_no_demand_date(self):
        policy = self._activated()
        self._run_clock_for("2025-02-05")
        line = self._line(policy, 2)
        with raw_server("silent") as port:
            self.mail_server.smtp_port = port
            with self._smtp_for_real("2025-02-05 02:00:00"):
                line.action_issue_demand()
                self.env["mail.mail"].search([("state", "=", "outgoing")]).send()
        demand = self._logs(policy).filtered(lambda g: g.channel == "demand")
        self.assertEqual(demand.state, "failed")
        self.assertFalse(
            line.demand_date, "A demand that never left counts for nothing."
        )
        self.assertEqual(line.lapse_date, date(2025, 4, 2))
        mailbox = self._serve(Mailbox())
        with self._smtp_for_real("2025-02-06 02:00:00"):
            line.action_issue_demand()
            self.env["mail.mail"].search([("state", "=", "outgoing")]).send()
        self.assertEqual(line.demand_date, date(2025, 2, 6))
        self.assertEqual(len(mailbox.messages), 1)

    def test_a_run_killed_mid_way_then_rerun_mails_each_payer_once(self):
        payers = [self.holder] + [
            self.env["res.partner"].create(
                {"name": f"客户{n}", "email": f"customer{n}@example.com"}
            )
            for n in range(3)
        ]
        for number, payer in enumerate(payers):
            self._activated(name=f"P-K{number}", partner_id=payer.id)
        mailbox = self._serve(Mailbox())
        original = InsuranceReminderEngine._remind_payer
        calls = []

        def killed_at_third_payer(self, payer, pairs, contact_time, **kwargs):
            calls.append(payer)
            if len(calls) == 3:
                raise RuntimeError("worker killed")
            return original(self, payer, pairs, contact_time, **kwargs)

        with (
            patch.object(
                InsuranceReminderEngine, "_remind_payer", killed_at_third_payer
            ),
            self.assertRaises(RuntimeError),
        ):
            self._remind_and_send("2024-12-02 02:00:00", batch_payers=1)
        self._remind_and_send("2024-12-02 02:30:00", batch_payers=1)
        self._remind_and_send("2024-12-02 03:00:00", batch_payers=1)
        received = sorted(
            rcpt for rcpts, _message in mailbox.messages for rcpt in rcpts
        )
        self.assertEqual(received, sorted(payer.email for payer in payers))

    def _run_clock_for(self, day):
        with freeze_time(f"{day} 01:00:00"):
            self._run_clock()

    def test_email_reminder_arrives_at_the_customer_mailbox(self):
        mailbox = self._serve(Mailbox())
        policy = self._activated()
        self._remind_and_send("2024-12-02 02:00:00")
        self.assertEqual(self._logs(policy).state, "sent")
        self.assertEqual(
            policy.renewal_activity_ids.filtered(
                lambda a: a.kind == "reminder"
            ).outcome,
            "sent",
        )
        delivered = [
            message
            for recipients, message in mailbox.messages
            if "zhang.wei@example.com" in recipients
        ]
        self.assertEqual(len(delivered), 1)
        message = delivered[0]
        self.assertIn("P-0001", message["Subject"])
        body = message.get_body(("html", "plain")).get_content()
        self.assertIn("张伟", body)
        self.assertIn("12,000.00", body)
        self.assertIn("How to pay", body)
