import contextlib
import threading
from unittest.mock import patch

from freezegun import freeze_time

from odoo.tests import tagged

from ..models import insurance_receipt_matcher
from .common_accounting import PremiumAccountingCommon

HEADER = ("交易日期", "交易金额", "对方户名", "对方账号", "附言")
# Out of date order, over two days of January and the last day of 2024 (another
# year: another prefix of the journal's sequence), matched by reference, by
# policy number, by payer and amount, from a third party, and left in suspense.
ROWS = (
    ("2025-01-21", "8000", "李娜", "", "P-0002-002"),
    ("2024-12-31", "999", "陌生人", "", "转账"),
    ("2025-01-20", "12000", "张伟", "", "P-0001-002"),
    ("2025-01-21", "5000", "王芳", "", "保费"),
    ("2025-01-20", "77", "路人", "", "转账"),
    ("2025-01-21", "3000", "钱七", "6222000011113333", "续期 P-0004"),
    ("2024-12-31", "66", "陌生人", "", "转账"),
)

# Odoo's numbers of one create of the 7 rows: by date, then in file order.
NAMES = (
    "BNK1/2025/00004",
    "BNK1/2024/00001",
    "BNK1/2025/00002",
    "BNK1/2025/00005",
    "BNK1/2025/00003",
    "BNK1/2025/00006",
    "BNK1/2024/00002",
)


@tagged("post_install", "-at_install")
class TestReceiptBatchCreate(PremiumAccountingCommon):
    """The import creates a bank file's statement lines in batch, with shortcuts
    through Odoo's statement line ``create``: the result must be what Odoo's plain
    ``create`` of the same lines, reconciled with the same invoices one by one,
    makes, field by field."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.li = Partner.create({"name": "李娜"})
        cls.wang = Partner.create({"name": "王芳"})
        cls.zhao = Partner.create({"name": "赵磊"})
        with freeze_time("2024-02-10"):
            cls.policies = (
                cls._create_policy()
                | cls._create_policy(
                    name="P-0002", partner_id=cls.li.id, premium_amount=8000
                )
                | cls._create_policy(
                    name="P-0003", partner_id=cls.wang.id, premium_amount=5000
                )
                | cls._create_policy(
                    name="P-0004", partner_id=cls.zhao.id, premium_amount=3000
                )
            )
        cls._activate_and_invoice(cls.policies)
        cls.invoices = cls.policies.premium_line_ids.filtered(
            lambda line: line.installment_number == 2
        ).invoice_id
        plan = cls.env["account.analytic.plan"].create({"name": "续期渠道"})
        cls.channel = cls.env["account.analytic.account"].create(
            {"name": "银行转账", "plan_id": plan.id}
        )
        # An entry numbered before: the January numbers go on from it.
        cls.env["account.bank.statement.line"].create(
            {
                "journal_id": cls.bank_journal.id,
                "date": "2025-01-05",
                "amount": 10,
                "payment_ref": "利息",
            }
        )

    def _imported(self):
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", self._csv(HEADER, *ROWS))
        return bank_file.statement_line_ids.sorted("insurance_file_row")

    def _plain_vals(self, imported):
        """The values of the lines the import made (the same payers and
        counterpart accounts), each with the invoice it paid."""
        vals_list = []
        for st_line in imported:
            vals = {
                "journal_id": st_line.journal_id.id,
                "date": st_line.date,
                "amount": st_line.amount,
                "payment_ref": st_line.payment_ref,
                "partner_name": st_line.partner_name,
                "account_number": st_line.account_number,
                "partner_id": st_line.partner_id.id,
            }
            if st_line.insurance_invoice_id:
                vals["counterpart_account_id"] = self._counterpart(
                    st_line
                ).account_id.id
            vals_list.append((vals, st_line.insurance_invoice_id.id))
        return vals_list

    def _plain(self, vals_list, chunk):
        """Odoo's plain create of those lines, ``chunk`` at a time, then each
        matched one reconciled with its invoice by Odoo's ``reconcile``."""
        statement = self.env["account.bank.statement"].create(
            {"name": "bank.csv", "journal_id": self.bank_journal.id}
        )
        with freeze_time("2025-01-23"):
            all_vals = [dict(vals, statement_id=statement.id) for vals, _i in vals_list]
            StLine = self.env["account.bank.statement.line"]
            plain = StLine.union(
                *(
                    StLine.create(all_vals[start : start + chunk])
                    for start in range(0, len(all_vals), chunk)
                )
            )
            for st_line, (_vals, invoice_id) in zip(plain, vals_list, strict=True):
                if invoice_id:
                    receivable = (
                        self.env["account.move"]
                        .browse(invoice_id)
                        .line_ids.filtered(
                            lambda aml: aml.account_type == "asset_receivable"
                        )
                    )
                    (self._counterpart(st_line) + receivable).reconcile()
        return plain

    def _counterpart(self, st_line):
        return st_line.move_id.line_ids.filtered(
            lambda aml: aml.account_id != self.bank_journal.default_account_id
        )

    def _snapshot(self, st_lines):
        """What finance and the books see of the lines: entry numbers, dates,
        partners, amounts, items, analytic values, reconciliation, and the
        invoices' payment state."""
        self.env.flush_all()
        entries = []
        for st_line in st_lines:
            move = st_line.move_id
            items = [
                (
                    item.account_id.code,
                    item.partner_id.name,
                    item.name,
                    item.debit,
                    item.credit,
                    item.amount_currency,
                    item.currency_id.name,
                    item.analytic_distribution,
                    sorted(item.analytic_line_ids.mapped("amount")),
                    item.reconciled,
                    item.amount_residual,
                    sorted(
                        (item.matched_debit_ids.debit_move_id.move_id.mapped("name"))
                        + item.matched_credit_ids.credit_move_id.move_id.mapped("name")
                    ),
                )
                for item in move.line_ids.sorted(lambda aml: (aml.debit, aml.credit))
            ]
            entries.append(
                (
                    move.name,
                    move.date.isoformat(),
                    move.state,
                    move.partner_id.name,
                    move.currency_id.name,
                    move.journal_id.code,
                    st_line.amount,
                    st_line.partner_id.name,
                    st_line.payment_ref,
                    st_line.is_reconciled,
                    st_line.amount_residual,
                    items,
                )
            )
        invoices = [
            (invoice.name, invoice.payment_state, invoice.amount_residual)
            for invoice in self.invoices.sorted("name")
        ]
        return entries, invoices

    def _compare_with_plain_create(self, chunk=1000, names=NAMES):
        """Import the file, then (on the same data: the import is rolled back)
        create and reconcile its lines with Odoo's plain create; return the
        import's entries, which must be equal to Odoo's."""
        with contextlib.closing(self.env.cr.savepoint()):
            imported = self._imported()
            batch = self._snapshot(imported)
            vals_list = self._plain_vals(imported)
        plain = self._snapshot(self._plain(vals_list, chunk))
        entries, invoices = batch
        self.assertEqual(entries, plain[0])
        self.assertEqual(invoices, plain[1])
        # What is compared is worth comparing: numbers on from the entry before,
        # day by day, another year's on their own; payers; invoices paid.
        self.assertEqual(len(vals_list), 7)
        self.assertEqual(sum(1 for _vals, invoice in vals_list if invoice), 4)
        self.assertEqual([entry[0] for entry in entries], list(names))
        self.assertEqual([entry[3] for entry in entries][:3], ["李娜", False, "张伟"])
        self.assertEqual({inv[1] for inv in invoices}, {"paid"})
        return entries

    def test_batch_create_gives_odoos_plain_create(self):
        entries = self._compare_with_plain_create()
        self.assertEqual({item[7] for entry in entries for item in entry[11]}, {False})

    def test_batch_created_in_chunks_numbered_chunk_after_chunk(self):
        """More lines than Odoo's prefetch size (1,000; 3 here) are created a
        chunk at a time: Odoo numbers each chunk in one pass (by date within
        it), the chunks in the file's order, as its plain create of the same
        chunks does. In one create Odoo would number the last chunk first."""
        with patch.object(insurance_receipt_matcher, "CREATE_CHUNK", 3):
            self._compare_with_plain_create(
                chunk=3,
                names=[
                    "BNK1/2025/00003",
                    "BNK1/2024/00001",
                    "BNK1/2025/00002",
                    "BNK1/2025/00005",
                    "BNK1/2025/00004",
                    "BNK1/2025/00006",
                    "BNK1/2024/00002",
                ],
            )

    def test_batch_create_keeps_analytic_distribution_models(self):
        """With an analytic distribution model in the company, Odoo's search of
        the models that apply is made for each item, as Odoo does."""
        self.env["account.analytic.distribution.model"].create(
            {
                "partner_id": self.li.id,
                "analytic_distribution": {str(self.channel.id): 100},
                "company_id": self.bank_journal.company_id.id,
            }
        )
        entries = self._compare_with_plain_create()
        self.assertEqual(entries[0][11][0][7], {str(self.channel.id): 100})
        self.assertEqual(
            sorted(amount for item in entries[0][11] for amount in item[8]),
            [-8000.0, 8000.0],
        )
        self.assertFalse(entries[2][11][0][7])

    def test_odoos_per_entry_reads_made_once_per_batch(self):
        """Odoo reads the journal's last number for each new entry (a search of
        its format, then the last number): the import reads it once per day of
        the file, then Odoo's sequence cache numbers the other entries of the
        day. Odoo searches the analytic distribution models of each item: the
        import checks once that the company has none. Odoo checks an entry's
        balance at each write: the import checks the entries once. Odoo's
        reconciliation reads the paid invoices' taxes invoice by invoice: the
        import reads them together first."""
        queries, checked = [], []

        def count(cr, query, params, start, delay):
            queries.append(str(query))
            if "HAVING ROUND(SUM(line.balance)" in str(query):
                checked.append(set(params[0]))

        thread = threading.current_thread()
        hooks = getattr(thread, "query_hooks", ())
        thread.query_hooks = (*hooks, count)
        try:
            imported = self._imported()
        finally:
            thread.query_hooks = hooks
        last_number = [q for q in queries if "SELECT name FROM account_move" in q]
        # No analytic distribution model in the company: checked once, not
        # searched for each of the 14 items.
        models = [q for q in queries if '"account_analytic_distribution_model"' in q]
        self.assertEqual(len(models), 1, "\n".join(models))
        # The new entries' balance is checked once, after they are posted, not
        # at each of Odoo's writes of an entry paying an invoice (4 here); the
        # reconciliation after it checks what it writes.
        self.assertLessEqual(len(checked), 2, checked)
        self.assertIn(set(imported.move_id.ids), checked)
        # The paid invoices' items' taxes, which Odoo's reconciliation compares
        # before and after, are read together, not invoice by invoice.
        taxes = [q for q in queries if "account_move_line_account_tax_rel" in q]
        self.assertEqual(len(taxes), 1, "\n".join(taxes))
        # Once for each of the file's three days (31 December, 20 and 21
        # January), and for 2024's first number the search Odoo makes over every
        # year when a year has no number yet: 4, where Odoo alone makes 8.
        self.assertEqual(len(last_number), 4, "\n".join(last_number))
        self.assertEqual(len(imported), 7)
        self.assertEqual(
            sorted(imported.move_id.mapped("name")),
            [f"BNK1/2024/0000{n}" for n in (1, 2)]
            + [f"BNK1/2025/0000{n}" for n in range(2, 7)],
        )
