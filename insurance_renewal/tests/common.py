import email
import socket
from email.policy import default as default_policy
from unittest.mock import patch

from aiosmtpd.controller import Controller

from odoo.tests import new_test_user

from odoo.addons.base.models.ir_mail_server import IrMail_Server
from odoo.addons.base.tests.common import BaseCommon
from odoo.addons.sms.tools.sms_api import SmsApi


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


def _sms_provider_accepts(_endpoint, params):
    """The answer of the SMS provider (Odoo's IAP gateway, which this machine
    cannot reach) accepting every number it is given."""
    return [
        {"uuid": number["uuid"], "state": "success", "credit": 1}
        for message in params["messages"]
        for number in message["numbers"]
    ]


class InsuranceRenewalCommon(BaseCommon):
    """A product with the legal 60-day grace and 24-month reinstatement window, a
    customer, and the people who work renewals."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product = cls.env["insurance.product"].create(
            {"name": "鑫福年年终身寿险 (test)", "code": "TEST-XFNN"}
        )
        cls.agent = new_test_user(
            cls.env, login="test_agent", groups="sales_team.group_sale_salesman"
        )
        cls.specialist = new_test_user(
            cls.env,
            login="test_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        cls.holder = cls.env["res.partner"].create(
            {"name": "张伟", "phone": "+86 138 0013 8000", "user_id": cls.agent.id}
        )

    @classmethod
    def _create_policy(cls, **values):
        return cls.env["insurance.policy"].create(
            {
                "name": "P-0001",
                "partner_id": cls.holder.id,
                "product_id": cls.product.id,
                "issue_date": "2024-01-31",
                "payment_frequency": "annual",
                "premium_amount": 12000,
                "premium_years": 10,
                **values,
            }
        )

    def _run_clock(self):
        """Run the daily scheduled action as the cron worker does, in its own cursor."""
        cron = self.env.ref("insurance_renewal.ir_cron_daily_premium_clock")
        with self.enter_registry_test_mode():
            cron.method_direct_trigger()
        self.env.invalidate_all()

    def _end_unit_of_work(self):
        """Flush the transaction as a request or a cron batch does before it
        commits: ``insurance.fact.flow`` then brings the policies whose instalments
        changed, and their cases, up to date (and the chatter tracking is written)."""
        self.env.cr.flush()

    def _call_in_cron_cursor(self, model_name, method_name, *args, **kwargs):
        """Call a batch method that commits its progress, in a cursor of its own."""
        with self.enter_registry_test_mode(), self.registry.cursor() as cr:
            method = getattr(self.env(cr=cr)[model_name], method_name)
            result = method(*args, **kwargs)
        self.env.invalidate_all()
        return result

    @classmethod
    def _loopback_mailbox(cls):
        """A real SMTP server on loopback for this test class, started once."""
        if "_mailbox" not in cls.__dict__:
            cls._mailbox = Mailbox()
            cls._mailbox_port = free_port()
            controller = Controller(
                cls._mailbox, hostname="127.0.0.1", port=cls._mailbox_port
            )
            controller.start()
            cls.addClassCleanup(controller.stop)
        return cls._mailbox

    def _deliver_queues(self):
        """Do what Odoo's mail and SMS queue jobs do after a reminder run: send the
        queued emails through a real SMTP server on loopback, and hand the SMS to
        the provider."""
        self._loopback_mailbox()
        servers = self.env["ir.mail_server"].sudo()
        if not servers.search([("smtp_port", "=", self._mailbox_port)], limit=1):
            servers.create(
                {
                    "name": "Loopback SMTP",
                    "smtp_host": "127.0.0.1",
                    "smtp_port": self._mailbox_port,
                    "smtp_encryption": "none",
                    "sequence": 1,
                }
            )
        with patch.object(IrMail_Server, "_disable_send", return_value=False):
            self.env["mail.mail"].sudo().search([("state", "=", "outgoing")]).send()
        with patch.object(SmsApi, "_contact_iap", side_effect=_sms_provider_accepts):
            self.env["sms.sms"].sudo().search([("state", "=", "outgoing")]).send()
        # The queue jobs commit what delivery changed (a demand's day, a contact).
        self._end_unit_of_work()
        self.env.invalidate_all()

    @staticmethod
    def _line(policy, number):
        return policy.premium_line_ids.filtered(
            lambda line: line.installment_number == number
        )
