import csv
import io

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common_accounting import PremiumAccountingCommon

CARD = "6222021001123459"
OTHER_CARD = "6217000000000006"
RESULT_HEADER = ("date", "reference", "amount", "result", "reason")


@tagged("post_install", "-at_install")
class TestPremiumDebitOrders(PremiumAccountingCommon):
    """张伟 pays P-0001 by auto-debit under a signed mandate; 李娜 pays P-0002 by
    auto-debit too but her mandate was never signed. Both second premiums fall due
    on 31 January 2025 and are not invoiced yet."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.mode = cls.env["account.payment.mode"].create(
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
        bank = cls.env["res.bank"].create({"name": "中国工商银行"})
        cls.card = cls.env["res.partner.bank"].create(
            {"partner_id": cls.holder.id, "acc_number": CARD, "bank_id": bank.id}
        )
        cls.mandate = cls.env["account.banking.mandate"].create(
            {
                "partner_bank_id": cls.card.id,
                "signature_date": "2024-01-20",
                "company_id": cls.env.company.id,
            }
        )
        cls.mandate.validate()
        cls.li_na = cls.env["res.partner"].create({"name": "李娜"})
        cls.env["res.partner.bank"].create(
            {"partner_id": cls.li_na.id, "acc_number": OTHER_CARD}
        )
        cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
        cls.unsigned = cls._create_policy(
            name="P-0002", partner_id=cls.li_na.id, premium_amount=8000
        )
        with freeze_time("2024-02-10"):
            (cls.policy | cls.unsigned).action_activate()
        cls.line = cls._line(cls.policy, 2)

    def _build(self, day):
        Order = self.env["account.payment.order"].with_user(self.finance)
        with freeze_time(day):
            action = Order.action_build_insurance_debit_order()
        return self.env["account.payment.order"].browse(action.get("res_id"))

    def _export(self, order, file_format):
        order = order.with_user(self.finance)
        with freeze_time("2025-01-31"):
            getattr(order, f"action_export_insurance_debit_{file_format}")()
        message = order.message_ids.filtered("attachment_ids")[:1]
        self.assertIn("1 debits", str(message.body))
        return message.attachment_ids

    def _results(self, *rows, day="2025-02-01"):
        content = self._csv(RESULT_HEADER, *rows)
        with freeze_time(day):
            return self._import("debit_results", content, filename=f"result-{day}.csv")

    def test_order_of_the_day_exported_and_settled_by_the_result_file(self):
        order = self._build("2025-01-31")
        self.assertEqual(order.create_uid, self.finance)
        self.assertRecordValues(
            order.payment_line_ids,
            [
                {
                    "insurance_premium_line_id": self.line.id,
                    "communication": "P-0001-002",
                    "amount_currency": 12000.0,
                    "partner_bank_id": self.card.id,
                    "mandate_id": self.mandate.id,
                    "insurance_debit_pending": True,
                }
            ],
        )
        invoice = self.line.invoice_id
        self.assertEqual(invoice.state, "posted", "Issued for the debit.")
        self.assertEqual(order.payment_line_ids.move_line_id.move_id, invoice)

        csv_file = self._export(order, "csv")
        self.assertEqual(csv_file.name, f"{order.name}.csv")
        rows = list(csv.reader(io.StringIO(csv_file.raw.decode("utf-8-sig"))))
        currency = self.env.company.currency_id.name
        self.assertEqual(
            rows,
            [
                [
                    "reference",
                    "policy",
                    "payer name",
                    "account",
                    "bank",
                    "amount",
                    "currency",
                    "debit date",
                    "mandate",
                ],
                [
                    "P-0001-002",
                    "P-0001",
                    "张伟",
                    CARD,
                    "中国工商银行",
                    "12000.00",
                    currency,
                    "2025-01-31",
                    self.mandate.unique_mandate_reference,
                ],
            ],
        )
        sheet = openpyxl.load_workbook(
            io.BytesIO(self._export(order, "xlsx").raw)
        ).active
        self.assertEqual(
            [cell.value for cell in sheet[2]],
            [
                "P-0001-002",
                "P-0001",
                "张伟",
                CARD,
                "中国工商银行",
                12000,
                currency,
                "2025-01-31",
                self.mandate.unique_mandate_reference,
            ],
        )
        self.assertEqual(order.state, "generated")

        bank_file = self._results(
            ("2025-01-31", "P-0001-002", "12000.00", "success", "")
        )
        result = bank_file.debit_result_ids
        self.assertRecordValues(self.line, [{"state": "paid", "amount_paid": 12000.0}])
        self.assertEqual(invoice.payment_state in ("paid", "in_payment"), True)
        self.assertRecordValues(
            order.payment_line_ids,
            [
                {
                    "insurance_debit_pending": False,
                    "insurance_debit_result_id": result.id,
                }
            ],
        )
        self.assertEqual(order.payment_line_ids.payment_ids, result.payment_id)
        self.assertEqual(order.state, "uploaded", "Every line has its result.")
        self.assertEqual(self.mandate.last_debit_date.isoformat(), "2025-01-31")

    def test_payer_without_mandate_is_a_finance_todo(self):
        order = self._build("2025-01-31")
        self.assertNotIn(
            self.unsigned, order.payment_line_ids.insurance_premium_line_id.policy_id
        )
        todo = self.unsigned.activity_ids
        self.assertEqual(
            todo.activity_type_id,
            self.env.ref("insurance_renewal.mail_activity_type_debit_mandate"),
        )
        self.assertEqual(
            todo.team_id,
            self.env.ref("insurance_renewal.mail_activity_team_finance"),
            "In the Finance team's queue, for any of its members to pick up.",
        )
        self.assertIn("李娜", str(todo.note))
        self.assertFalse(self._line(self.unsigned, 2).invoice_id)

    def test_rerun_the_same_day_adds_nothing_twice(self):
        order = self._build("2025-01-31")
        self.assertEqual(self._build("2025-01-31"), order)
        self.assertEqual(len(order.payment_line_ids), 1)
        self.assertEqual(len(self.unsigned.activity_ids), 1)
        self._export(order, "csv")
        self.assertEqual(self._build("2025-01-31"), order, "Waiting for the bank.")
        self.assertEqual(len(order.payment_line_ids), 1)
        self.assertEqual(
            self.env["account.payment.order"].search_count(
                [("insurance_debit", "=", True)]
            ),
            1,
        )

    def test_failure_goes_into_a_later_order_per_the_retry_rule(self):
        first = self._build("2025-01-31")
        self._export(first, "csv")
        self._results(("2025-01-31", "P-0001-002", "12000", "失败", "余额不足"))
        self.assertEqual(self.line.next_debit_date.isoformat(), "2025-02-03")
        self.assertEqual(first.state, "uploaded")
        self.assertEqual(
            self._build("2025-02-01"), first.browse(), "Not before the retry day."
        )
        second = self._build("2025-02-03")
        self.assertNotEqual(second, first)
        self.assertEqual(second.payment_line_ids.insurance_premium_line_id, self.line)

    def test_account_to_fix_is_not_debited_again(self):
        first = self._build("2025-01-31")
        self._export(first, "csv")
        self._results(("2025-01-31", "P-0001-002", "12000", "失败", "卡号错误"))
        self.assertFalse(self.line.next_debit_date)
        self.assertFalse(self._build("2025-02-10"))

    def test_a_new_mandate_puts_the_premium_back_into_the_next_order(self):
        first = self._build("2025-01-31")
        self._export(first, "csv")
        self._results(("2025-01-31", "P-0001-002", "12000", "失败", "卡号错误"))
        self.assertFalse(self.line.next_debit_date)
        new_card = self.env["res.partner.bank"].create(
            {"partner_id": self.holder.id, "acc_number": "6222020200112233446"}
        )
        with freeze_time("2025-02-05"):
            mandate = (
                self.env["account.banking.mandate"]
                .with_user(self.finance)
                .create(
                    {
                        "partner_bank_id": new_card.id,
                        "signature_date": "2025-02-04",
                        "company_id": self.env.company.id,
                    }
                )
            )
            self.assertFalse(self.line.next_debit_date, "Not before it is signed.")
            mandate.validate()
        self.assertEqual(self.line.next_debit_date.isoformat(), "2025-02-05")
        self.assertIn("P-0001", self.policy.message_ids[:1].body)
        order = self._build("2025-02-05")
        self.assertRecordValues(
            order.payment_line_ids,
            [
                {
                    "insurance_premium_line_id": self.line.id,
                    "partner_bank_id": new_card.id,
                    "mandate_id": mandate.id,
                }
            ],
        )

    def test_oca_confirm_would_book_every_line_and_is_refused(self):
        order = self._build("2025-01-31")
        with self.assertRaisesRegex(UserError, "result file"):
            order.draft2open()

    def test_another_companys_instalments_stay_out(self):
        other = self.setup_other_company()
        other_product = self.product.copy(
            {
                "company_id": other["company"].id,
                "code": "B",
                "invoice_journal_id": other["default_journal_sale"].id,
            }
        )
        foreign = self._create_policy(
            company_id=other["company"].id,
            product_id=other_product.id,
            partner_id=self.holder.copy({"company_id": other["company"].id}).id,
        )
        with freeze_time("2024-02-10"):
            foreign.action_activate()
        order = self._build("2025-01-31")
        self.assertEqual(order.payment_line_ids.insurance_premium_line_id, self.line)
        self.assertFalse(foreign.activity_ids)

    def test_company_without_debit_mode_is_told_what_to_do(self):
        self.mode.active = False
        with self.assertRaisesRegex(UserError, "no payment mode for premium"):
            self._build("2025-01-31")

    def test_finance_cannot_touch_other_payment_orders(self):
        supplier_mode = self.env["account.payment.mode"].create(
            {
                "name": "Supplier transfers",
                "company_id": self.env.company.id,
                "payment_method_id": self.env.ref(
                    "account.account_payment_method_manual_out"
                ).id,
                "bank_account_link": "variable",
                "payment_order_ok": True,
            }
        )
        supplier_order = (
            self.env["account.payment.order"]
            .sudo()
            .create({"payment_mode_id": supplier_mode.id})
        )
        Order = self.env["account.payment.order"].with_user(self.finance)
        self.assertFalse(Order.search([("id", "=", supplier_order.id)]))

    def test_scheduled_action_builds_the_order(self):
        with freeze_time("2025-01-31"):
            self._call_in_cron_cursor(
                "account.payment.order", "_cron_build_insurance_debit_orders"
            )
        order = self.env["account.payment.order"].search(
            [("insurance_debit", "=", True)]
        )
        self.assertEqual(order.payment_line_ids.insurance_premium_line_id, self.line)
        self.assertEqual(order.insurance_debit_date.isoformat(), "2025-01-31")
