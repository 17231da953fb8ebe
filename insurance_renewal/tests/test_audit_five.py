"""Fifth audit (h26a): the bank receipts, the renewal import and the reminder
to-dos written since the fourth, each defect through the call a user or a
script makes."""

import base64

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged

from . import test_data_import
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
class TestAuditFiveBankFileKept(PremiumAccountingCommon):
    """An imported bank file is the evidence of what the bank paid and of what
    was booked from it: a finance user imports it, never rewrites it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy()
        cls._activate_and_invoice(cls.policy)
        cls.content = cls._csv(
            ("交易日期", "交易金额", "对方户名", "对方账号", "附言"),
            ("2025-01-20", "12000.00", "张伟", "", "P-0001-002"),
        )
        cls.second_bank = cls.env["account.journal"].create(
            {"name": "建设银行", "code": "CCB", "type": "bank"}
        )

    def test_an_imported_file_is_not_set_back_to_importing_elsewhere(self):
        """Over RPC a finance user pointed yesterday's file at the second bank
        account and set it back to Importing: the scheduled action booked its
        receipt a second time, in that account's statement."""
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", self.content)
        self.assertEqual(bank_file.state, "done")
        rewrites = {
            "state": "importing",
            "imported_rows": 0,
            "journal_id": self.second_bank.id,
            "statement_id": False,
            "data": base64.b64encode(self.content),
        }
        for fname, value in rewrites.items():
            with self.subTest(field=fname), self.assertRaises(AccessError):
                bank_file.with_user(self.finance).write({fname: value})
        self._call_in_cron_cursor("insurance.bank.file", "_cron_import_bank_files")
        booked = self.env["account.bank.statement.line"].search(
            [("insurance_file_id", "=", bank_file.id)]
        )
        self.assertEqual(booked.journal_id, self.bank_journal)
        self.assertEqual(len(booked), 1)

    def test_a_bank_file_is_not_made_by_hand(self):
        """Created over RPC, a file skipped every check of the import (its bank
        journal, its currencies, whether it came before) and was imported by
        the scheduled action all the same."""
        with self.assertRaises(AccessError):
            self.env["insurance.bank.file"].with_user(self.finance).create(
                {
                    "name": "bank.csv",
                    "kind": "receipts",
                    "checksum": "0" * 64,
                    "journal_id": self.bank_journal.id,
                    "row_count": 1,
                    "state": "importing",
                    "data": base64.b64encode(self.content),
                }
            )


@tagged("post_install", "-at_install")
class TestAuditFiveDebitResultsKept(PremiumAccountingCommon):
    """P-0001 (张伟), paid by auto-debit: the bank's result file says its second
    premium could not be debited, the card closed."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(payment_method="bank_debit")
        cls._activate_and_invoice(cls.policy)
        cls.line = cls._line(cls.policy, 2)

    def test_a_debit_result_is_kept_as_the_bank_gave_it(self):
        """Over RPC a finance user turned the bank's refusal into a success
        without a payment, or typed a result the bank never sent: the debit
        orders and their results then said what no bank file did."""
        with freeze_time("2025-02-01"):
            bank_file = self._import(
                "debit_results",
                self._csv(
                    ("扣款日期", "保单号", "扣款金额", "扣款结果", "失败原因"),
                    ("2025-01-31", "P-0001", "12000", "失败", "账户冻结"),
                ),
            )
        result = bank_file.debit_result_ids
        self.assertEqual(result.outcome, "failed")
        for vals in ({"outcome": "paid", "result": "success"}, {"reason": False}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                result.with_user(self.finance).write(vals)
        self.assertEqual(result.outcome, "failed")
        with self.assertRaises(AccessError):
            self.env["insurance.debit.result"].with_user(self.finance).create(
                {
                    "date": "2025-01-31",
                    "company_id": self.env.company.id,
                    "policy_id": self.policy.id,
                    "premium_line_id": self.line.id,
                    "amount": 12000,
                    "result": "success",
                    "outcome": "paid",
                }
            )


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


@tagged("post_install", "-at_install")
class TestAuditFiveImportedPeople(InsuranceRenewalCommon):
    """The renewal extract names 李娜, who is also the agent test_agent, a user
    of Odoo: she holds a policy herself (自保件)."""

    def test_an_agent_holding_a_policy_does_not_stop_the_import(self):
        """Her contact is a user's: the import wrote the file's email on it,
        which only an administrator may, and the whole file failed with "You
        are not allowed to modify User records". Her policy is imported; her
        contact data stays as her user has it."""
        self.agent.partner_id.write(
            {"name": "李娜", "phone": "+8613900139000", "email": "lina@insurer.example"}
        )
        self.env.user.company_id.country_id = self.env.ref("base.cn")
        content = test_data_import.TestDataImport._csv(
            test_data_import.ZH,
            test_data_import.row(email="lina@example.com", holder_id=""),
        )
        data_import = (
            self.env["insurance.data.import"]
            .with_user(self.specialist)
            .create(
                {
                    "kind": "policies",
                    "name": "extract.csv",
                    "data_file": base64.b64encode(content),
                }
            )
        )
        with freeze_time("2025-01-10"):
            data_import.action_check()
            data_import.action_import()
        self.assertEqual(data_import.state, "done")
        policy = self.env["insurance.policy"].search([("name", "=", "R-0001")])
        self.assertEqual(policy.partner_id, self.agent.partner_id)
        self.assertEqual(self.agent.email, "lina@insurer.example")
