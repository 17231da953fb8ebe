import base64

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common_accounting import PremiumAccountingCommon

RECEIPTS = ("date", "amount", "payer name", "memo")
DEBITS = ("扣款日期", "保单号", "缴费参考号", "扣款金额", "扣款结果", "失败原因")


@tagged("post_install", "-at_install")
class TestHandPaymentThenInvoicing(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.product.premium_product_id = False
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(premium_amount=2360)
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def test_part_paid_by_hand_is_kept_and_the_rest_invoiced(self):
        with freeze_time("2024-12-20"):
            self.env["insurance.premium.payment"].create(
                {"premium_line_id": self.line.id, "amount": 1000}
            ).action_confirm()
        self.product.premium_product_id = self.premium_product
        with freeze_time("2025-01-01"):
            self._issue_invoices()
        invoice = self.line.invoice_id
        self.assertEqual(invoice.amount_total, 1360)
        self.assertRecordValues(
            self.line,
            [{"amount_paid": 1000.0, "amount_residual": 1360.0, "state": "planned"}],
        )
        with freeze_time("2025-01-20"):
            self._register_payment(
                invoice, amount=1360, journal_id=self.bank_journal.id
            )
        self.assertRecordValues(
            self.line,
            [{"amount_paid": 2360.0, "amount_residual": 0.0, "state": "paid"}],
        )
        self.assertEqual(self.policy.state, "in_force")


@tagged("post_install", "-at_install")
class TestReceiptMatchingNormalised(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.p1 = cls._create_policy()
            cls.p2 = cls._create_policy(name="P-0002", premium_amount=8000)
            cls.monthly = cls._create_policy(
                name="M-0009", payment_frequency="monthly", premium_amount=500
            )
        cls._activate_and_invoice(cls.p1 | cls.p2)
        with freeze_time("2024-02-10"):
            cls.monthly.action_activate()
        with freeze_time("2024-04-01"):
            cls.env["insurance.premium.line"]._issue_invoices_batch(
                cls.monthly.premium_line_ids.filtered(
                    lambda line: line.installment_number in (2, 3, 4)
                )
            )

    def _receipts(self, *rows):
        with freeze_time("2025-01-23"):
            return self._import("receipts", self._csv(RECEIPTS, *rows))

    def test_reference_in_lower_case_spaces_and_full_width(self):
        bank_file = self._receipts(
            ("2025-01-20", "12000", "张伟", "p0001002"),
            ("2025-01-20", "8000", "张伟", "Ｐ－０００２－００２"),
        )
        self.assertEqual(
            bank_file.statement_line_ids.mapped("insurance_match_rule"),
            ["reference", "reference"],
        )
        self.assertEqual(self._line(self.p1, 2).state, "paid")
        self.assertEqual(self._line(self.p2, 2).state, "paid")

    def test_policy_number_with_chinese_characters_in_the_memo(self):
        with freeze_time("2024-02-10"):
            policy = self._create_policy(name="鑫福-0007", premium_amount=6000)
        self._activate_and_invoice(policy)
        bank_file = self._receipts(("2025-01-20", "6000", "张伟", "续期 鑫福 0007"))
        self.assertEqual(bank_file.statement_line_ids.insurance_match_rule, "policy")
        self.assertEqual(self._line(policy, 2).state, "paid")

    def test_memo_policy_number_pays_the_oldest_open_invoices_in_turn(self):
        invoices = [self._line(self.monthly, n).invoice_id for n in (2, 3, 4)]
        self.assertTrue(all(inv.state == "posted" for inv in invoices))
        bank_file = self._receipts(
            ("2024-04-10", "500", "张伟", "保费 m 0009"),
            ("2024-04-11", "500", "张伟", "保费 M-0009"),
        )
        self.assertEqual(
            bank_file.statement_line_ids.mapped("insurance_match_state"),
            ["matched", "matched"],
        )
        self.assertEqual(
            [self._line(self.monthly, n).state for n in (2, 3, 4)],
            ["paid", "paid", "planned"],
        )

    def test_over_payment_pays_the_oldest_and_leaves_a_credit(self):
        bank_file = self._receipts(("2024-04-10", "700", "张伟", "M-0009"))
        self.assertEqual(bank_file.statement_line_ids.insurance_match_state, "matched")
        self.assertEqual(self._line(self.monthly, 2).state, "paid")
        self.assertEqual(self._line(self.monthly, 3).amount_paid, 0)
        credit = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.holder.id),
                ("account_type", "=", "asset_receivable"),
                ("reconciled", "=", False),
                ("balance", "<", 0),
            ]
        )
        self.assertEqual(sum(credit.mapped("amount_residual")), -200)


@tagged("post_install", "-at_install")
class TestDebitRowOutcomes(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.monthly = cls._create_policy(
                name="M-0009", payment_frequency="monthly", premium_amount=500
            )
            cls.monthly.action_activate()
        with freeze_time("2024-03-01"):
            cls.env["insurance.premium.line"]._issue_invoices_batch(
                cls._line(cls.monthly, 2)
            )

    def _debit(self, *rows, day="2024-03-05", sep="\n"):
        content = sep.join(",".join(row) for row in (DEBITS, *rows)).encode()
        with freeze_time(day):
            return self._import("debit_results", content)

    def test_two_successes_pay_two_instalments_with_accounting_payments(self):
        bank_file = self._debit(
            ("2024-03-01", "M-0009", "", "500", "成功", ""),
            ("2024-03-01", "M-0009", "", "500", "成功", ""),
        )
        results = bank_file.debit_result_ids.sorted("file_row")
        self.assertEqual(results.mapped("outcome"), ["paid", "paid"])
        self.assertEqual(
            results.premium_line_id,
            self._line(self.monthly, 2) | self._line(self.monthly, 3),
        )
        self.assertTrue(all(results.mapped("payment_id")))
        line3 = self._line(self.monthly, 3)
        self.assertIn(line3.invoice_id.payment_state, ("in_payment", "paid"))
        self.assertEqual(line3.state, "paid")

    def test_success_for_paid_instalment_and_too_much_are_row_outcomes(self):
        self._debit(("2024-03-01", "", "M-0009-002", "500", "成功", ""))
        bank_file = self._debit(
            ("2024-03-02", "", "m0009002", "500", "成功", ""),
            ("2024-03-02", "M-0009", "", "999999", "成功", ""),
            day="2024-03-06",
        )
        results = bank_file.debit_result_ids.sorted("file_row")
        self.assertEqual(results.mapped("outcome"), ["already_paid", "overpaid"])
        self.assertFalse(results.payment_id)
        self.assertEqual(self._line(self.monthly, 3).amount_paid, 0)

    def test_same_rows_again_with_crlf_pay_nothing(self):
        row = ("2024-03-01", "M-0009", "", "500", "成功", "")
        self._debit(row)
        again = self._debit(row, "", sep="\r\n")
        self.assertEqual(again.debit_result_ids.outcome, "duplicate")
        self.assertFalse(again.debit_result_ids.payment_id)
        self.assertEqual(self._line(self.monthly, 3).amount_paid, 0)

    def test_reference_of_another_company_refuses_the_file(self):
        other = self.setup_other_company()["company"]
        product = self.product.copy(
            {"company_id": other.id, "code": "X", "invoice_journal_id": False}
        )
        holder = self.holder.copy({"company_id": other.id})
        with freeze_time("2024-02-10"):
            foreign = self._create_policy(
                name="X-0001",
                company_id=other.id,
                product_id=product.id,
                partner_id=holder.id,
            )
            foreign.action_activate()
        self.assertTrue(foreign)
        with self.assertRaisesRegex(UserError, "Row 2, reference: X-0001-002"):
            self._debit(("2024-03-01", "", "X-0001-002", "12000", "成功", ""))
        self.assertFalse(self._line(foreign, 2).amount_paid)


class ZhaoPoliciesCommon(PremiumAccountingCommon):
    """Two policies of one payer, 赵磊, with their second premium invoiced."""

    @classmethod
    def _two_invoiced_policies_of_zhao(cls):
        cls.zhao = cls.env["res.partner"].create({"name": "赵磊"})
        with freeze_time("2024-02-10"):
            cls.p4 = cls._create_policy(
                name="P-0004", partner_id=cls.zhao.id, premium_amount=3000
            )
            cls.p5 = cls._create_policy(
                name="P-0005",
                partner_id=cls.zhao.id,
                premium_amount=3000,
                issue_date="2024-01-15",
            )
        cls._activate_and_invoice(cls.p4 | cls.p5)


@tagged("post_install", "-at_install")
class TestSuspenseQueue(ZhaoPoliciesCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._two_invoiced_policies_of_zhao()

    def _receipt(self, amount, memo, payer="赵磊"):
        with freeze_time("2025-01-23"):
            bank_file = self._import(
                "receipts", self._csv(RECEIPTS, ("2025-01-22", amount, payer, memo))
            )
        return bank_file.statement_line_ids

    def _wizard(self, st_line, **values):
        action = st_line.with_user(self.finance).action_open_insurance_reconcile()
        return (
            self.env["insurance.receipt.reconcile"]
            .with_user(self.finance)
            .with_context(**action["context"])
            .create(values)
        )

    def test_money_paid_out_is_not_reconciled_as_a_premium(self):
        """A bank line paying money out, in the suspense queue (a bank file
        refuses one; only a line written there by hand), reconciled with a
        premium invoice, put the amount on the payer's receivable as more owed
        and marked the line a matched premium."""
        invoice = self._line(self.p4, 2).invoice_id
        statement_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": self.bank_journal.id,
                "date": "2025-01-22",
                "amount": -500,
                "payment_ref": "退款 P-0004",
                "insurance_match_state": "unmatched",
            }
        )
        wizard = self._wizard(statement_line, invoice_ids=[(6, 0, invoice.ids)])
        with self.assertRaises(UserError) as refused:
            wizard.action_reconcile()
        self.assertIn("only money received", str(refused.exception))
        self.assertEqual(statement_line.insurance_match_state, "unmatched")
        self.assertEqual(invoice.amount_residual, 3000)
        self.assertEqual(self.zhao.credit, 6000)

    def test_one_candidate_is_not_called_several(self):
        st_line = self._receipt("100", "P-0004")
        self.assertEqual(st_line.insurance_match_state, "one_candidate")
        self.assertEqual(
            st_line.insurance_candidate_ids, self._line(self.p4, 2).invoice_id
        )

    def test_wizard_proposes_the_oldest_and_pays_several(self):
        st_line = self._receipt("6000", "保费")
        self.assertEqual(st_line.insurance_match_state, "ambiguous")
        oldest = self._line(self.p5, 2).invoice_id
        self.assertEqual(oldest.invoice_date_due.isoformat(), "2025-01-15")
        wizard = self._wizard(st_line)
        self.assertEqual(wizard.invoice_ids, oldest)
        wizard.invoice_ids |= self._line(self.p4, 2).invoice_id
        wizard.action_reconcile()
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(self._line(self.p4, 2).state, "paid")
        self.assertEqual(self._line(self.p5, 2).state, "paid")

    def test_not_a_premium_needs_a_reason_and_can_return(self):
        st_line = self._receipt("88", "转错了", payer="陌生人")
        wizard = self._wizard(st_line)
        with self.assertRaisesRegex(UserError, "not a premium"):
            wizard.action_not_premium()
        wizard.not_premium_reason = "误转账，退回"
        wizard.action_not_premium()
        self.assertRecordValues(
            st_line,
            [
                {
                    "insurance_match_state": "not_premium",
                    "insurance_not_premium_reason": "误转账，退回",
                }
            ],
        )
        st_line.with_user(self.finance).action_insurance_return_to_queue()
        self.assertEqual(st_line.insurance_match_state, "unmatched")
        self.assertFalse(st_line.insurance_not_premium_reason)

    def test_finance_cannot_reconcile_another_company(self):
        data = self.setup_other_company()
        other = data["company"]
        product = self.product.copy(
            {
                "company_id": other.id,
                "code": "X",
                "invoice_journal_id": data["default_journal_sale"].id,
            }
        )
        holder = self.zhao.copy({"company_id": other.id})
        with freeze_time("2024-02-10"):
            foreign = self._create_policy(
                name="X-0001",
                company_id=other.id,
                product_id=product.id,
                partner_id=holder.id,
            )
        self._activate_and_invoice(foreign)
        invoice = self._line(foreign, 2).invoice_id
        self.assertEqual(invoice.company_id, other)
        st_line = self.env["account.bank.statement.line"].create(
            {
                "journal_id": data["default_journal_bank"].id,
                "date": "2025-01-22",
                "amount": 12000,
                "payment_ref": "X-0001-002",
                "insurance_match_state": "unmatched",
            }
        )
        Wizard = self.env["insurance.receipt.reconcile"].with_user(self.finance)
        with self.assertRaises(AccessError):
            Wizard.create(
                {"st_line_id": st_line.id, "invoice_ids": [Command.set(invoice.ids)]}
            ).action_reconcile()
        own = self._receipt("100", "保费 ?", payer="陌生人")
        with self.assertRaises(UserError):
            Wizard.create(
                {"st_line_id": own.id, "invoice_ids": [Command.set(invoice.ids)]}
            ).action_reconcile()
        self.assertFalse(st_line.is_reconciled)
        self.assertEqual(invoice.payment_state, "not_paid")


@tagged("post_install", "-at_install")
class TestWaivedCaseIsNotCollected(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy()
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def test_waived_premium_closes_the_case_with_its_reason(self):
        with freeze_time("2024-12-02"):
            self._run_clock()
        case = self.policy.renewal_lead_id
        self.assertTrue(case)
        with freeze_time("2024-12-10"):
            self.env["insurance.premium.correction"].create(
                {
                    "premium_line_id": self.line.id,
                    "correction": "waive",
                    "reason": "豁免",
                }
            ).action_confirm()
            self._end_unit_of_work()
        self.assertEqual(case.won_status, "lost")
        self.assertEqual(
            case.lost_reason_id, self.env.ref("insurance_renewal.lost_reason_waived")
        )
        self.assertNotEqual(
            case.stage_id, self.env.ref("insurance_renewal.crm_stage_collected")
        )


@tagged("post_install", "-at_install")
class TestFinanceWorkspace(PremiumAccountingCommon):
    def test_finance_with_invoicing_rights_only_reaches_every_screen(self):
        self.assertFalse(self.finance.has_group("account.group_account_user"))
        self.assertFalse(self.finance.has_group("sales_team.group_sale_salesman"))
        visible = self.env["ir.ui.menu"].with_user(self.finance)._visible_menu_ids()
        for xmlid in (
            "account.menu_finance",
            "insurance_renewal.menu_finance_premiums",
            "insurance_renewal.menu_finance_premium_receivable",
            "insurance_renewal.menu_finance_premium_receipt",
            "insurance_renewal.menu_finance_debit_result",
            "insurance_renewal.menu_finance_bank_file_import",
            "insurance_renewal.menu_finance_bank_file",
            "insurance_renewal.menu_finance_reconciliation_report",
        ):
            menu = self.env.ref(xmlid)
            self.assertIn(menu.id, visible, xmlid)
            if menu.action:
                model = menu.action.res_model
                self.env[model].with_user(self.finance).check_access("read")
        # Nothing of theirs hangs under the CRM, which finance cannot open.
        self.assertNotIn(
            self.env.ref("insurance_renewal.menu_renewal_root").id, visible
        )


@tagged("post_install", "-at_install")
class TestLargeFileInBatches(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy()
        cls._activate_and_invoice(cls.policy)

    def test_large_file_is_imported_by_the_scheduled_action_in_batches(self):
        rows = [("2025-01-20", "12000", "张伟", "P-0001-002")]
        rows += [("2025-01-21", str(100 + n), "陌生人", f"转账 {n}") for n in range(6)]
        content = self._csv(RECEIPTS, *rows)
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.import_batch_rows", 3
        )
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", content)
        self.assertEqual(bank_file.state, "importing")
        self.assertFalse(bank_file.statement_line_ids)
        with freeze_time("2025-01-23"):
            self._call_in_cron_cursor("insurance.bank.file", "_cron_import_bank_files")
        self.assertRecordValues(
            bank_file, [{"state": "done", "imported_rows": 7, "row_count": 7}]
        )
        self.assertEqual(len(bank_file.statement_line_ids), 7)
        self.assertEqual(len(bank_file.statement_line_ids.statement_id), 1)
        self.assertEqual(self._line(self.policy, 2).state, "paid")

    def test_a_file_imported_in_batches_closes_its_statement(self):
        """The statement of a large file ends on the total of all its receipts,
        not of its first batch: finance sees it complete, with no balance to
        explain."""
        rows = [("2025-01-21", str(100 + n), "陌生人", f"转账 {n}") for n in range(7)]
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.import_batch_rows", 3
        )
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", self._csv(RECEIPTS, *rows))
            self._call_in_cron_cursor("insurance.bank.file", "_cron_import_bank_files")
        statement = bank_file.statement_id
        self.assertEqual(len(statement.line_ids), 7)
        self.assertEqual(statement.balance_end, 721)
        self.assertEqual(statement.balance_end_real, 721)
        self.assertTrue(statement.is_complete)
        self.assertFalse(statement.problem_description)

    def test_batches_tell_finance_in_the_language_of_the_upload(self):
        """The scheduled action goes on with a large file as the user who
        uploaded it: the file's to-do for the suspense queue is written in their
        language, as it would have been for a small file imported at the upload,
        and counts the receipts of every batch."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.finance.lang = "zh_CN"
        rows = [("2025-01-21", str(100 + n), "陌生人", f"转账 {n}") for n in range(4)]
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.import_batch_rows", 3
        )
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", self._csv(RECEIPTS, *rows))
            self._call_in_cron_cursor("insurance.bank.file", "_cron_import_bank_files")
        todo = self.env["mail.activity"].search(
            [("res_model", "=", bank_file._name), ("res_id", "=", bank_file.id)]
        )
        self.assertEqual(len(todo), 1)
        self.assertIn("无法唯一匹配保费发票", todo.note)
        self.assertRegex(todo.note, r"4 笔，共 [¥$]&nbsp;406\.00")
        # each receipt as money and a day, in the reader's format (no "100.0",
        # no ISO day)
        self.assertRegex(
            todo.note,
            r"第 2 行：2025/01/21 来自 陌生人 的收款 [¥$]&nbsp;100\.00（转账 0）",
        )
        self.assertIn("第 5 行", todo.note)

    def test_errors_are_capped_at_a_hundred_with_a_count(self):
        rows = [("2025-01-21", "abc", "x", "y")] * 130
        with self.assertRaises(UserError) as caught:
            self._import("receipts", self._csv(RECEIPTS, *rows))
        message = str(caught.exception)
        self.assertIn("Row 101, amount", message)
        self.assertNotIn("Row 102, amount", message)
        self.assertIn("30 more errors", message)

    def test_header_only_and_empty_files_say_so(self):
        with self.assertRaisesRegex(UserError, "header but no rows"):
            self._import("receipts", self._csv(RECEIPTS))
        with self.assertRaisesRegex(UserError, "the file is empty"):
            self._import("receipts", b"")


@tagged("post_install", "-at_install")
class TestPolicyCurrencyOtherThanCompany(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cny = cls.env.ref("base.CNY")
        cls.cny.active = True
        cls.env["res.currency.rate"].create(
            {
                "name": "2024-01-01",
                "currency_id": cls.cny.id,
                "rate": 7.0,
                "company_id": cls.env.company.id,
            }
        )
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(premium_amount=8800, currency_id=cls.cny.id)
        cls._activate_and_invoice(cls.policy)

    def test_cny_receipt_into_usd_journal_settles_the_cny_invoice(self):
        invoice = self._line(self.policy, 2).invoice_id
        self.assertEqual(invoice.currency_id, self.cny)
        self.assertNotEqual(self.env.company.currency_id, self.cny)
        with freeze_time("2025-01-23"):
            bank_file = self._import(
                "receipts",
                self._csv(
                    ("date", "amount", "currency", "memo"),
                    ("2025-01-20", "8800", "CNY", "P-0001-002"),
                ),
            )
        st_line = bank_file.statement_line_ids
        self.assertEqual(st_line.foreign_currency_id, self.cny)
        self.assertAlmostEqual(st_line.amount, 8800 / 7.0, places=2)
        self.assertEqual(st_line.insurance_match_state, "matched")
        self.assertTrue(self.cny.is_zero(invoice.amount_residual))
        self.assertRecordValues(
            self._line(self.policy, 2), [{"state": "paid", "amount_paid": 8800.0}]
        )

    def test_unknown_currency_is_refused_naming_row_and_field(self):
        with self.assertRaisesRegex(UserError, "Row 3, currency: XYZ"):
            self._import(
                "receipts",
                self._csv(
                    ("date", "amount", "currency", "memo"),
                    ("2025-01-20", "8800", "CNY", "P-0001-002"),
                    ("2025-01-20", "8800", "XYZ", "P-0001-002"),
                ),
            )
        self.assertFalse(self._line(self.policy, 2).amount_paid)

    def test_file_without_currency_is_read_in_the_journal_currency(self):
        invoice = self._line(self.policy, 2).invoice_id
        with freeze_time("2025-01-23"):
            bank_file = self._import(
                "receipts",
                self._csv(
                    ("date", "amount", "memo"), ("2025-01-20", "1257.15", "P-0001-002")
                ),
            )
        st_line = bank_file.statement_line_ids
        self.assertFalse(st_line.foreign_currency_id)
        self.assertEqual(st_line.currency_id, self.env.company.currency_id)
        self.assertEqual(st_line.amount, 1257.15)
        self.assertEqual(st_line.insurance_match_state, "matched")
        self.assertTrue(self.cny.is_zero(invoice.amount_residual), "8,800.05 CNY.")
        self.assertEqual(self._line(self.policy, 2).state, "paid")

    def test_currency_of_neither_journal_nor_premiums_is_refused(self):
        self.env.ref("base.EUR").active = True
        with self.assertRaises(UserError) as refused:
            self._import(
                "receipts",
                self._csv(
                    ("date", "amount", "currency", "memo"),
                    ("2025-01-20", "8800", "CNY", "P-0001-002"),
                    ("2025-01-20", "1100", "EUR", "P-0001-002"),
                ),
            )
        message = str(refused.exception)
        self.assertIn("Row 3, currency: EUR is neither the currency of", message)
        self.assertIn("CNY", message)
        self.assertNotIn("Row 2", message)
        self.assertFalse(self._line(self.policy, 2).amount_paid)
        self.assertFalse(
            self.env["account.bank.statement.line"].search(
                [("journal_id", "=", self.bank_journal.id)]
            )
        )


@tagged("post_install", "-at_install")
class TestFinanceTour(ZhaoPoliciesCommon, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._two_invoiced_policies_of_zhao()
        cls.env["account.payment.mode"].create(
            {
                "name": "续期保费自动扣款",
                "company_id": cls.env.company.id,
                "payment_method_id": cls.env.ref(
                    "insurance_renewal.payment_method_premium_debit"
                ).id,
                "bank_account_link": "variable",
                "variable_journal_ids": [cls.bank_journal.id],
                "payment_order_ok": True,
            }
        )
        card = cls.env["res.partner.bank"].create(
            {"partner_id": cls.zhao.id, "acc_number": "6228480012345671"}
        )
        cls.env["account.banking.mandate"].create(
            {
                "partner_bank_id": card.id,
                "signature_date": "2024-01-20",
                "company_id": cls.env.company.id,
            }
        ).validate()

    def test_finance_imports_reconciles_and_reports_through_the_menus(self):
        self.start_tour(
            "/odoo", "insurance_renewal_finance_tour", login=self.finance.login
        )
        st_line = self.env["account.bank.statement.line"].search(
            [("payment_ref", "=", "保费")]
        )
        self.assertEqual(st_line.create_uid, self.finance)
        self.assertTrue(st_line.is_reconciled)
        self.assertEqual(st_line.insurance_match_rule, "manual")
        self.assertEqual(self._line(self.p5, 2).state, "paid")
        self.assertEqual(self._line(self.p4, 2).state, "planned")
        report = self.env["insurance.reconciliation.report"].search(
            [("create_uid", "=", self.finance.id)]
        )
        self.assertEqual(report.date_from.isoformat(), "2024-01-01")
        order = self.env["account.payment.order"].search(
            [("insurance_debit", "=", True)]
        )
        self.assertEqual(order.create_uid, self.finance)
        self.assertEqual(order.state, "generated")
        self.assertIn(
            self._line(self.p4, 2), order.payment_line_ids.insurance_premium_line_id
        )
        self.assertNotIn(
            self._line(self.p5, 2), order.payment_line_ids.insurance_premium_line_id
        )
        self.assertTrue(
            self.env["ir.attachment"].search(
                [("res_model", "=", order._name), ("res_id", "=", order.id)]
            )
        )


@tagged("post_install", "-at_install")
class TestImportIntoOwnCompanyOnly(PremiumAccountingCommon):
    def test_import_into_another_company_journal_is_refused(self):
        other_bank = self.setup_other_company()["default_journal_bank"]
        wizard = (
            self.env["insurance.bank.file.import"]
            .with_user(self.finance)
            .create(
                {
                    "kind": "receipts",
                    "journal_id": other_bank.id,
                    "data_file": base64.b64encode(
                        self._csv(RECEIPTS, ("2025-01-20", "10", "x", "y"))
                    ),
                    "filename": "bank.csv",
                }
            )
        )
        with self.assertRaises(AccessError):
            wizard.action_import()
        self.assertFalse(
            self.env["account.bank.statement.line"].search(
                [("journal_id", "=", other_bank.id)]
            )
        )


@tagged("post_install", "-at_install")
class TestCnyCompany(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.cny = cls.env.ref("base.CNY")
        cls.cny.active = True
        data = cls.setup_other_company(name="鑫福人寿 (test)", currency_id=cls.cny.id)
        cls.cny_company = data["company"]
        cls.cny_bank = data["default_journal_bank"]
        product = cls.product.copy(
            {
                "company_id": cls.cny_company.id,
                "code": "CN",
                "invoice_journal_id": data["default_journal_sale"].id,
            }
        )
        holder = cls.holder.copy({"company_id": cls.cny_company.id})
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(
                company_id=cls.cny_company.id,
                product_id=product.id,
                partner_id=holder.id,
                currency_id=cls.cny.id,
                premium_amount=8800,
            )
        cls._activate_and_invoice(cls.policy)
        cls.cn_finance = new_test_user(
            cls.env,
            login="test_cn_finance",
            groups="account.group_account_invoice",
            company_id=cls.cny_company.id,
        )

    def test_cny_receipt_settles_the_cny_invoice_of_a_cny_company(self):
        invoice = self._line(self.policy, 2).invoice_id
        self.assertEqual(self.cny_company.currency_id, self.cny)
        self.assertEqual(invoice.currency_id, self.cny)
        content = self._csv(RECEIPTS, ("2025-01-20", "8800", "张伟", "p-0001-002"))
        wizard = (
            self.env["insurance.bank.file.import"]
            .with_user(self.cn_finance)
            .with_company(self.cny_company)
            .create(
                {
                    "kind": "receipts",
                    "journal_id": self.cny_bank.id,
                    "data_file": base64.b64encode(content),
                    "filename": "bank.csv",
                }
            )
        )
        with freeze_time("2025-01-23"):
            action = wizard.action_import()
        st_line = (
            self.env["insurance.bank.file"].browse(action["res_id"]).statement_line_ids
        )
        self.assertEqual(st_line.insurance_match_state, "matched")
        self.assertEqual(st_line.amount, 8800)
        self.assertTrue(self.cny.is_zero(invoice.amount_residual))
        self.assertEqual(self._line(self.policy, 2).state, "paid")
