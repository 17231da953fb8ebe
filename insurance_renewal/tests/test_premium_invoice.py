from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import Form, tagged

from .common_accounting import PremiumAccountingCommon


@tagged("post_install", "-at_install")
class TestPremiumInvoice(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.payer = cls.env["res.partner"].create({"name": "张建国"})
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(payer_id=cls.payer.id)
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def _invoice(self, day="2024-12-31"):
        with freeze_time(day):
            self._issue_invoices()
        return self.line.invoice_id

    def _register(self, invoice, amount, day="2025-01-20"):
        with freeze_time(day):
            return self._register_payment(
                invoice,
                amount=amount,
                payment_date=day,
                journal_id=self.bank_journal.id,
            )

    def test_no_invoice_before_the_lead_time(self):
        self.assertFalse(self._invoice("2024-12-31"))
        self.assertEqual(self.line.invoice_issue_date.isoformat(), "2025-01-01")

    def test_invoice_for_the_payer_with_due_date_and_reference(self):
        invoice = self._invoice("2025-01-01")
        self.assertRecordValues(
            invoice,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "partner_id": self.payer.id,
                    "journal_id": self.sale_journal.id,
                    "amount_total": 12000.0,
                    "payment_reference": "P-0001-002",
                    "insurance_policy_id": self.policy.id,
                }
            ],
        )
        self.assertEqual(invoice.invoice_date_due.isoformat(), "2025-01-31")
        self.assertEqual(invoice.invoice_line_ids.product_id, self.premium_product)
        # A second run issues nothing twice.
        with freeze_time("2025-01-02"):
            self._issue_invoices()
        self.assertEqual(
            self.env["account.move"].search_count(
                [("insurance_policy_id", "=", self.policy.id)]
            ),
            1,
        )

    def test_full_payment_settles_the_instalment(self):
        invoice = self._invoice("2025-01-01")
        self._register(invoice, 12000)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertRecordValues(
            self.line,
            [{"state": "paid", "amount_paid": 12000.0, "amount_residual": 0.0}],
        )
        self.assertEqual(self.line.date_paid.isoformat(), "2025-01-20")
        self.assertEqual(self.policy.paid_to_date.isoformat(), "2026-01-31")

    def test_partial_payments_then_full(self):
        invoice = self._invoice("2025-01-01")
        with freeze_time("2025-02-05"):
            self._register(invoice, 5000, "2025-02-05")
            self.assertRecordValues(
                self.line,
                [
                    {
                        "state": "planned",
                        "amount_paid": 5000.0,
                        "amount_residual": 7000.0,
                    }
                ],
            )
            self.assertFalse(self.line.date_paid)
            self._register(invoice, 7000, "2025-02-06")
        self.assertRecordValues(self.line, [{"state": "paid", "amount_paid": 12000.0}])
        self.assertEqual(self.line.date_paid.isoformat(), "2025-02-06")

    def test_reversed_payment_reopens_the_instalment(self):
        invoice = self._invoice("2025-01-01")
        payment = self._register(invoice, 12000)
        self.assertEqual(self.line.state, "paid")
        with freeze_time("2025-02-05"):
            payment.move_id._reverse_moves(cancel=True)
            self._end_unit_of_work()
        self.assertEqual(invoice.payment_state, "not_paid")
        self.assertRecordValues(
            self.line,
            [{"state": "grace", "amount_paid": 0.0, "amount_residual": 12000.0}],
        )
        self.assertFalse(self.line.date_paid)
        self.assertEqual(self.policy.state, "grace")

    def test_credit_note_settles_without_payment(self):
        invoice = self._invoice("2025-01-01")
        with freeze_time("2025-01-10"):
            invoice._reverse_moves(cancel=True)
        self.assertEqual(invoice.payment_state, "reversed")
        self.assertRecordValues(
            self.line,
            [
                {
                    "state": "waived",
                    "amount_paid": 0.0,
                    "amount_credited": 12000.0,
                    "amount_residual": 0.0,
                }
            ],
        )

    def test_partial_credit_note_and_payment(self):
        invoice = self._invoice("2025-01-01")
        with freeze_time("2025-01-10"):
            refund = invoice._reverse_moves()
            with Form(refund) as form, form.invoice_line_ids.edit(0) as line_form:
                line_form.price_unit = 2000
            refund.action_post()
            (refund + invoice).line_ids.filtered(
                lambda aml: aml.account_type == "asset_receivable"
            ).reconcile()
        self.assertEqual(self.line.amount_residual, 10000)
        self._register(invoice, 10000)
        self.assertRecordValues(
            self.line,
            [{"state": "paid", "amount_paid": 10000.0, "amount_credited": 2000.0}],
        )

    def test_amount_paid_cannot_be_typed_over_an_invoice(self):
        self._invoice("2025-01-01")
        with self.assertRaises(UserError):
            self.line.amount_paid = 12000

    def test_manual_payment_without_invoicing(self):
        self.product.premium_product_id = False
        self.assertFalse(self._invoice("2025-01-01"))
        with freeze_time("2025-01-20"):
            self.env["insurance.premium.payment"].create(
                {"premium_line_id": self.line.id, "amount": 12000}
            ).action_confirm()
        self.assertEqual(self.line.state, "paid")
        self.assertEqual(self.line.date_paid.isoformat(), "2025-01-20")

    def test_waived_instalment_cancels_its_unpaid_invoice(self):
        invoice = self._invoice("2025-01-01")
        self.line.sudo().state = "waived"
        self.assertEqual(invoice.state, "cancel")

    def test_waived_after_partial_payment_credits_the_rest(self):
        invoice = self._invoice("2025-01-01")
        self._register(invoice, 5000)
        self.line.sudo().state = "waived"
        self.assertTrue(invoice.currency_id.is_zero(invoice.amount_residual))
        self.assertRecordValues(
            self.line,
            [{"state": "waived", "amount_paid": 5000.0, "amount_credited": 7000.0}],
        )

    def test_deferred_instalment_moves_the_invoice_due_date(self):
        invoice = self._invoice("2025-01-01")
        self.line.sudo().write({"state": "deferred", "due_date": "2025-04-30"})
        self.assertEqual(invoice.state, "posted")
        self.assertEqual(
            invoice.line_ids.filtered("date_maturity").mapped("date_maturity"),
            [self.line.due_date],
        )
        self.assertEqual(invoice.invoice_date_due.isoformat(), "2025-04-30")

    def test_deferred_without_date_withdraws_the_invoice(self):
        invoice = self._invoice("2025-01-01")
        self.line.sudo().state = "deferred"
        self.assertEqual(invoice.state, "cancel")
