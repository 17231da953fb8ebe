import base64
import io

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common_accounting import PremiumAccountingCommon

HEADER = ("扣款日期", "保单号", "扣款金额", "扣款结果", "失败原因")


@tagged("post_install", "-at_install")
class TestDebitResults(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
        cls.other = cls._create_policy(name="P-0002", premium_amount=8000)
        cls._activate_and_invoice(cls.policy | cls.other)
        cls.line = cls._line(cls.policy, 2)

    def _debit(self, *rows):
        with freeze_time("2025-02-01"):
            return self._import("debit_results", self._csv(HEADER, *rows))

    def test_success_becomes_a_payment(self):
        bank_file = self._debit(("2025-01-31", "P-0001", "12000", "成功", ""))
        result = bank_file.debit_result_ids
        self.assertEqual(result.premium_line_id, self.line)
        self.assertEqual(result.payment_id.amount, 12000)
        self.assertEqual(result.payment_id.partner_id, self.holder)
        self.assertRecordValues(self.line, [{"state": "paid", "amount_paid": 12000.0}])
        self.assertEqual(self.line.date_paid.isoformat(), "2025-01-31")

    def test_each_failure_reason(self):
        expected = {
            "余额不足": ("insufficient_funds", "2025-02-03", False),
            "账户冻结": ("account_closed", False, True),
            "户名不符": ("name_mismatch", False, True),
            "卡号错误": ("wrong_card", False, True),
            "其他": ("other", "2025-02-03", False),
        }
        Activity = self.env["insurance.renewal.activity"]
        for bank_reason, (reason, next_date, fix) in expected.items():
            with self.subTest(reason=reason):
                self.policy.activity_ids.unlink()
                bank_file = self._debit(
                    ("2025-01-31", "P-0001", "12000", "失败", bank_reason)
                )
                result = bank_file.debit_result_ids
                self.assertEqual(result.reason, reason)
                self.assertEqual(
                    result.next_debit_date and result.next_debit_date.isoformat(),
                    next_date,
                )
                self.assertEqual(self.line.next_debit_date, result.next_debit_date)
                self.assertEqual(self.line.state, "planned")
                logged = Activity.search(
                    [("policy_id", "=", self.policy.id), ("kind", "=", "debit")],
                    limit=1,
                )
                self.assertEqual(logged.channel, "bank")
                label = dict(result._fields["reason"]._description_selection(self.env))
                self.assertIn(label[reason], logged.note)
                users = self.policy.activity_ids.mapped("user_id")
                self.assertIn(self.specialist, users)
                # The bank account to fix goes to the Finance team's queue.
                finance_work = self.policy.activity_ids.filtered(
                    lambda activity: activity.insurance_event_code == "debit_failed"
                )
                self.assertEqual(bool(finance_work), fix)
                if fix:
                    self.assertEqual(
                        finance_work.team_id,
                        self.env.ref("insurance_renewal.mail_activity_team_finance"),
                    )
                    self.assertIn("12,000.00", finance_work.note)

    def test_a_debit_of_nothing_or_less_refuses_the_file(self):
        """Nothing debited is no premium paid: a success of 0 or of a negative
        amount would mark the debit paid with no money, or pay it backwards."""
        for amount in ("0", "-12000"):
            with self.subTest(amount=amount):
                with self.assertRaises(UserError) as refused:
                    self._debit(("2025-01-31", "P-0001", amount, "成功", ""))
                self.assertIn("Row 2, amount", str(refused.exception))
                self.assertIn("greater than zero", str(refused.exception))
                self.assertRecordValues(
                    self.line, [{"state": "planned", "amount_paid": 0.0}]
                )
                self.assertFalse(self.env["insurance.debit.result"].search([]))

    def test_unknown_policy_refuses_the_file(self):
        with self.assertRaisesRegex(UserError, "Row 3, policy: P-9999"):
            self._debit(
                ("2025-01-31", "P-0001", "12000", "成功", ""),
                ("2025-01-31", "P-9999", "12000", "失败", "余额不足"),
            )
        self.assertEqual(self.line.state, "planned")
        self.assertFalse(self.env["insurance.debit.result"].search([]))


@tagged("post_install", "-at_install")
class TestReconciliationReportAndAccess(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.policy = cls._create_policy()
        cls.other = cls._create_policy(name="P-0002", premium_amount=8000)
        cls._activate_and_invoice(cls.policy | cls.other)
        cls.line = cls._line(cls.policy, 2)

    def _report_rows(self, date_from="2025-01-01", date_to="2025-01-31"):
        wizard = (
            self.env["insurance.reconciliation.report"]
            .with_user(self.finance)
            .create({"date_from": date_from, "date_to": date_to})
        )
        report = self.env.ref(
            "insurance_renewal.action_report_premium_reconciliation_xlsx"
        )
        content, report_type = report.with_user(self.finance)._render(
            report.report_name, wizard.ids
        )
        self.assertEqual(report_type, "xlsx")
        self.assertEqual(
            wizard.file_name, f"premium_reconciliation_{date_from}_{date_to}"
        )
        return openpyxl.load_workbook(io.BytesIO(content))

    def test_xlsx_report_totals(self):
        self.other.payer_id = self.env["res.partner"].create(
            {"name": '=HYPERLINK("http://evil.example","x")'}
        )
        self._import(
            "receipts",
            self._csv(
                ("date", "amount", "payer name", "memo"),
                ("2025-01-20", "12000", "张伟", "P-0001-002"),
                ("2025-01-21", "3000", "张伟", "P-0002-002"),
                ("2025-01-22", "77", "=1+1", '=HYPERLINK("http://evil.example")'),
            ),
        )
        book = self._report_rows()
        sheet = book.worksheets[0]
        rows = list(sheet.iter_rows(values_only=True))
        self.assertIn("2025-01-01 to 2025-01-31", rows[0][0])
        self.assertEqual(
            rows[2][:15],
            (
                "Policy",
                "Instalment",
                "Payer",
                "Currency",
                "Due Date",
                "Invoice",
                "Due",
                "Invoiced",
                "Received",
                "Credited",
                "Waived",
                "Open",
                "Receipt Bank Reference",
                "Receipt Date",
                "Status",
            ),
        )
        body = {row[0]: row for row in rows[3:-1]}
        self.assertEqual(set(body), {"P-0001", "P-0002"})
        self.assertEqual(body["P-0002"][6:12], (8000, 8000, 3000, 0, 0, 5000))
        self.assertEqual(body["P-0002"][12], "P-0002-002")
        self.assertEqual(body["P-0002"][13].date().isoformat(), "2025-01-21")
        self.assertEqual(body["P-0002"][4].date(), self._line(self.other, 2).due_date)
        self.assertEqual(rows[-1][0], "Total")
        self.assertEqual(rows[-1][6:12], (20000, 20000, 15000, 0, 0, 5000))
        payer_cell = next(c for c in sheet["C"] if c.value and "HYPERLINK" in c.value)
        self.assertEqual(payer_cell.data_type, "s")
        unmatched = list(book.worksheets[1].iter_rows(values_only=True))
        self.assertEqual(unmatched[3][1], 77)
        self.assertEqual(unmatched[3][3], "=1+1")
        self.assertEqual(unmatched[3][5], '=HYPERLINK("http://evil.example")')
        for cell in book.worksheets[1][4]:
            if cell.value is not None and not isinstance(cell.value, (int, float)):
                self.assertIn(cell.data_type, ("s", "d"))

    def test_reversed_period_is_refused(self):
        with self.assertRaisesRegex(ValidationError, "swap the two dates"):
            self.env["insurance.reconciliation.report"].with_user(self.finance).create(
                {"date_from": "2025-02-01", "date_to": "2025-01-01"}
            )

    def test_waived_and_ended_policies_in_the_report(self):
        self.env["insurance.premium.correction"].create(
            {
                "premium_line_id": self._line(self.policy, 2).id,
                "correction": "waive",
                "reason": "豁免",
            }
        ).action_confirm()
        # as the clock did before 19.0.1.2.0, which now waives the premiums left
        self.other.sudo().state = "terminated"
        rows = list(self._report_rows().worksheets[0].iter_rows(values_only=True))
        body = {row[0]: row for row in rows[3:-1]}
        # The unpaid invoice of a waived premium is cancelled: waived, not open.
        self.assertEqual(body["P-0001"][6:12], (12000, 0, 0, 0, 12000, 0))
        self.assertEqual(body["P-0002"][6:12], (0, 0, 0, 0, 0, 0))
        self.assertIn("Terminated", body["P-0002"][14])

    def test_specialist_sees_payment_status_but_no_accounting(self):
        self._register_payment(
            self.line.invoice_id, amount=12000, journal_id=self.bank_journal.id
        )
        line = self.line.with_user(self.specialist)
        self.assertEqual(line.amount_paid, 12000)
        self.assertEqual(line.state, "paid")
        self.assertEqual(line.invoice_payment_state, "paid")
        with self.assertRaises(AccessError):
            self.env["account.move"].with_user(self.specialist).search([]).read(
                ["name"]
            )
        with self.assertRaises(AccessError):
            self.env["account.payment"].with_user(self.specialist).create(
                {"amount": 1, "payment_type": "inbound", "partner_type": "customer"}
            )
        with self.assertRaises(AccessError):
            self.env["insurance.bank.file.import"].with_user(self.specialist).create(
                {
                    "kind": "receipts",
                    "journal_id": self.bank_journal.id,
                    "data_file": base64.b64encode(b"x"),
                }
            )

    def test_finance_imports_and_reads_the_schedule(self):
        bank_file = self._import(
            "receipts",
            self._csv(
                ("date", "amount", "memo"), ("2025-01-20", "12000", "P-0001-002")
            ),
        )
        self.assertEqual(bank_file.create_uid, self.finance)
        line = self.line.with_user(self.finance)
        self.assertEqual(line.state, "paid")
        self.assertEqual(
            line.invoice_id.payment_state, self.line.invoice_id.payment_state
        )
