"""Fifth audit (h26a): the bank receipts, the renewal import and the reminder
to-dos written since the fourth, each defect through the call a user or a
script makes."""

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import InsuranceRenewalCommon
from .common_accounting import PremiumAccountingCommon


@tagged("post_install", "-at_install")
class TestAuditFiveSuspenseQueue(PremiumAccountingCommon):
    """P-0001 (张伟), its second premium of 12,000 invoiced; a finance user with
    invoicing rights only, who may not reconcile the accountants' bank lines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy()
        cls._activate_and_invoice(cls.policy)
        cls.invoice = cls._line(cls.policy, 2).invoice_id
        # The accountants' own line of the bank statement: a loan drawn down,
        # never imported as a premium receipt nor put in the suspense queue.
        cls.loan = cls.env["account.bank.statement.line"].create(
            {
                "journal_id": cls.bank_journal.id,
                "date": "2025-01-22",
                "amount": 12000,
                "payment_ref": "流动资金贷款放款",
            }
        )

    def test_a_bank_line_outside_the_queue_is_not_reconciled_as_a_premium(self):
        """Any bank line of the company opened the suspense queue's form over
        RPC: a finance user reconciled the accountants' loan with 张伟's
        premium, which read paid."""
        Wizard = self.env["insurance.receipt.reconcile"].with_user(self.finance)
        with self.assertRaises(AccessError):
            Wizard.create(
                {
                    "st_line_id": self.loan.id,
                    "invoice_ids": [Command.set(self.invoice.ids)],
                }
            ).action_reconcile()
        self.assertFalse(self.loan.is_reconciled)
        self.assertEqual(self.invoice.payment_state, "not_paid")

    def test_a_bank_line_outside_the_queue_is_not_put_in_it(self):
        """Nor does *Back to the Queue* put such a line in the suspense queue,
        where its form would then open."""
        with self.assertRaises(AccessError):
            self.loan.with_user(self.finance).action_insurance_return_to_queue()
        self.assertFalse(self.loan.insurance_match_state)


@tagged("post_install", "-at_install")
class TestAuditFiveCallToDos(InsuranceRenewalCommon):
    """P-0001's second premium of 12,000 falls due on 31 January 2025; the plan's
    call step, three days before, hands the specialist a to-do."""

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

    def _call_step_on(self, day):
        # 02:00 UTC is 10:00 in Shanghai, inside the contact hours.
        with freeze_time(f"{day} 01:00:00"):
            self._run_clock()
        with freeze_time(f"{day} 02:00:00"):
            self._call_in_cron_cursor(
                "insurance.reminder.engine", "_cron_send_reminders"
            )
            self._deliver_queues()
        return self.env["insurance.reminder.log"].search(
            [("policy_id", "=", self.policy.id), ("channel", "=", "phone")]
        )

    def test_a_call_logged_from_before_the_step_does_not_carry_it_out(self):
        """On 28 January the specialist logs the call she made on 20 January,
        before the plan asked for one: the call step of the 28th read *Done*,
        its to-do still open, and nobody called."""
        call = self._call_step_on("2025-01-28")
        self.assertEqual(call.state, "todo")
        with freeze_time("2025-01-28 03:00:00"):
            self.env["insurance.renewal.activity"].with_user(self.specialist).create(
                {
                    "policy_id": self.policy.id,
                    "channel": "phone",
                    "outcome": "reached",
                    "date": "2025-01-20 02:00:00",
                }
            )
        self.assertEqual(call.state, "todo")
        with freeze_time("2025-01-28 03:00:00"):
            self.env["insurance.renewal.activity"].with_user(self.specialist).create(
                {"policy_id": self.policy.id, "channel": "phone", "outcome": "reached"}
            )
        self.assertEqual(call.state, "done")
