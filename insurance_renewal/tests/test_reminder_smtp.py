"""End to end: reminder emails leave Odoo through a real SMTP server on loopback."""

import email
import socket
from email.policy import default as default_policy
from unittest.mock import patch

from aiosmtpd.controller import Controller
from freezegun import freeze_time

from odoo.tests import tagged

from odoo.addons.base.models.ir_mail_server import IrMail_Server

from .common import InsuranceRenewalCommon


class Mailbox:
    """An SMTP handler that keeps every message it receives."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((envelope.rcpt_tos, message))
        return "250 Message accepted"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@tagged("post_install", "-at_install")
class TestReminderSmtp(InsuranceRenewalCommon):
    def test_email_reminder_arrives_at_the_customer_mailbox(self):
        mailbox = Mailbox()
        port = free_port()
        controller = Controller(mailbox, hostname="127.0.0.1", port=port)
        controller.start()
        self.addCleanup(controller.stop)
        self.env["ir.mail_server"].create(
            {
                "name": "Loopback SMTP",
                "smtp_host": "127.0.0.1",
                "smtp_port": port,
                "smtp_encryption": "none",
            }
        )
        self.holder.email = "zhang.wei@example.com"
        with freeze_time("2024-02-10"):
            policy = self._create_policy()
            policy.action_activate()
        # Odoo never sends mail while tests run: lift that guard for this test only,
        # so that the message really crosses SMTP.
        with (
            patch.object(IrMail_Server, "_disable_send", return_value=False),
            freeze_time("2024-12-02 02:00:00"),
        ):
            self._call_in_cron_cursor("insurance.reminder.log", "_cron_send_reminders")
            self.env["mail.mail"].search([("state", "=", "outgoing")]).send()
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
