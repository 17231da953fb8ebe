import base64
import io

import openpyxl
from freezegun import freeze_time

from odoo import Command
from odoo.tests import new_test_user

from odoo.addons.account.tests.common import AccountTestInvoicingCommon

from .common import InsuranceRenewalCommon


class PremiumAccountingCommon(InsuranceRenewalCommon, AccountTestInvoicingCommon):
    """A chart of accounts, a premium product invoiced on the sales journal 30 days
    ahead, a finance user, and helpers to build bank files."""

    @classmethod
    def get_default_groups(cls):
        return super().get_default_groups() | cls.quick_ref(
            "insurance_renewal.group_insurance_renewal_manager"
        )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.premium_product = cls.env["product.product"].create(
            {
                "name": "Renewal Premium",
                "type": "service",
                "taxes_id": [Command.clear()],
            }
        )
        cls.sale_journal = cls.company_data["default_journal_sale"]
        cls.bank_journal = cls.company_data["default_journal_bank"]
        cls.product.write(
            {
                "premium_product_id": cls.premium_product.id,
                "invoice_journal_id": cls.sale_journal.id,
                "invoice_lead_days": 30,
            }
        )
        cls.finance = new_test_user(
            cls.env,
            login="test_premium_finance",
            groups="account.group_account_invoice",
            company_id=cls.env.company.id,
        )

    @classmethod
    def _activate_and_invoice(cls, policies):
        """Activate policies issued 10 February 2024 and post the invoice of their
        second premium (due in early 2025) on 1 January 2025."""
        with freeze_time("2024-02-10"):
            policies.action_activate()
        with freeze_time("2025-01-01"):
            cls.env["insurance.premium.line"]._issue_invoices_batch(
                policies.premium_line_ids.filtered(
                    lambda line: line.installment_number == 2
                )
            )

    def _issue_invoices(self):
        self._call_in_cron_cursor(
            "insurance.premium.line", "_cron_issue_premium_invoices"
        )

    @staticmethod
    def _csv(*rows):
        return "\n".join(",".join(str(cell) for cell in row) for row in rows).encode()

    @staticmethod
    def _xlsx(*rows):
        workbook = openpyxl.Workbook()
        for row in rows:
            workbook.active.append(list(row))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def _import(self, kind, content, filename="bank.csv", user=None):
        wizard = (
            self.env["insurance.bank.file.import"]
            .with_user(user or self.finance)
            .create(
                {
                    "kind": kind,
                    "journal_id": self.bank_journal.id,
                    "data_file": base64.b64encode(content),
                    "filename": filename,
                }
            )
        )
        action = wizard.action_import()
        return self.env["insurance.bank.file"].browse(action["res_id"])
