import threading
from unittest.mock import patch

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common_accounting import PremiumAccountingCommon

HEADER = ("交易日期", "交易金额", "对方户名", "对方账号", "附言")


@tagged("post_install", "-at_install")
class TestReceiptImport(PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Partner = cls.env["res.partner"]
        cls.li = Partner.create({"name": "李娜"})
        cls.wang = Partner.create({"name": "王芳"})
        cls.zhao = Partner.create({"name": "赵磊"})
        with freeze_time("2024-02-10"):
            cls.p1 = cls._create_policy()
            cls.p2 = cls._create_policy(
                name="P-0002", partner_id=cls.li.id, premium_amount=8000
            )
            cls.p3 = cls._create_policy(
                name="P-0003", partner_id=cls.wang.id, premium_amount=5000
            )
            cls.p4 = cls._create_policy(
                name="P-0004", partner_id=cls.zhao.id, premium_amount=3000
            )
            cls.p5 = cls._create_policy(
                name="P-0005", partner_id=cls.zhao.id, premium_amount=3000
            )
            cls.policies = cls.p1 | cls.p2 | cls.p3 | cls.p4 | cls.p5
        cls._activate_and_invoice(cls.policies)

    def _receipts_file(self):
        return self._csv(
            HEADER,
            ("2025-01-20", "12000.00", "张伟", "", "P-0001-002"),
            (
                "2025-01-20",
                "8000",
                "李小龙",
                "6222000011112222",
                "续期保费 保单 P-0002",
            ),
            ("2025-01-21", "5000", "王芳", "", "保费"),
            ("2025-01-21", "3000", "赵磊", "", "保费"),
            ("2025-01-22", "999", "陌生人", "", "转账"),
        )

    def _st_line(self, bank_file, row):
        return bank_file.statement_line_ids.filtered(
            lambda st_line: st_line.insurance_file_row == row
        )

    def test_matching_and_suspense(self):
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", self._receipts_file())
        self.assertEqual(bank_file.row_count, 5)
        self.assertEqual(bank_file.statement_id.journal_id, self.bank_journal)
        expected = [
            (2, "matched", "reference", self.p1),
            (3, "matched", "policy", self.p2),
            (4, "matched", "payer_amount", self.p3),
        ]
        for row, state, rule, policy in expected:
            st_line = self._st_line(bank_file, row)
            self.assertRecordValues(
                st_line,
                [
                    {
                        "insurance_match_state": state,
                        "insurance_match_rule": rule,
                        "is_reconciled": True,
                    }
                ],
            )
            self.assertEqual(self._line(policy, 2).state, "paid")
            self.assertEqual(
                self._line(policy, 2).date_paid.isoformat(),
                "2025-01-20" if row < 4 else "2025-01-21",
            )
        ambiguous = self._st_line(bank_file, 5)
        self.assertEqual(ambiguous.insurance_match_state, "ambiguous")
        self.assertEqual(
            ambiguous.insurance_candidate_ids,
            (self._line(self.p4, 2) | self._line(self.p5, 2)).invoice_id,
        )
        self.assertFalse(ambiguous.is_reconciled)
        unknown = self._st_line(bank_file, 6)
        self.assertEqual(unknown.insurance_match_state, "unmatched")
        self.assertFalse(unknown.insurance_candidate_ids)
        self.assertEqual(bank_file.suspense_count, 2)
        # The receipts the file left in the suspense queue are one piece of the
        # Finance team's work, on the file.
        work = self.env["mail.activity"].search(
            [("insurance_event_code", "=", "receipt_unmatched")]
        )
        self.assertEqual(len(work), 1)
        self.assertEqual((work.res_model, work.res_id), (bank_file._name, bank_file.id))
        self.assertEqual(
            work.team_id, self.env.ref("insurance_renewal.mail_activity_team_finance")
        )
        # Finance works the suspense queue by hand.
        queue = self.env["account.bank.statement.line"].with_user(self.finance)
        queued = queue.search(
            [
                ("insurance_match_state", "in", ("ambiguous", "unmatched")),
                ("is_reconciled", "=", False),
            ]
        )
        self.assertEqual(queued, ambiguous | unknown)
        action = ambiguous.with_user(self.finance).action_open_insurance_reconcile()
        wizard = (
            self.env["insurance.receipt.reconcile"]
            .with_user(self.finance)
            .with_context(**action["context"])
            .create(
                {"invoice_ids": [Command.set(self._line(self.p5, 2).invoice_id.ids)]}
            )
        )
        wizard.action_reconcile()
        self.assertTrue(ambiguous.is_reconciled)
        self.assertEqual(ambiguous.insurance_match_rule, "manual")
        self.assertEqual(self._line(self.p5, 2).state, "paid")
        self.assertEqual(self._line(self.p4, 2).state, "planned")

    def test_a_receipt_for_an_ended_policy_waits_to_be_refunded(self):
        """A transfer quoting the premium a policy lapsed on arrives once the
        policy is terminated (its reinstatement window over): no payment can bring
        the cover back, so the receipt is not applied to that premium; it waits
        in the suspense queue, where finance refunds it."""
        with freeze_time("2025-04-02"):
            self._run_clock()
        with freeze_time("2027-04-03"):
            self._run_clock()
        self.assertEqual(self.p1.state, "terminated")
        with freeze_time("2027-04-10"):
            bank_file = self._import(
                "receipts",
                self._csv(HEADER, ("2027-04-09", "12000.00", "张伟", "", "P-0001-002")),
            )
        receipt = self._st_line(bank_file, 2)
        self.assertEqual(receipt.insurance_match_state, "unmatched")
        self.assertFalse(receipt.is_reconciled)
        self.assertEqual(self._line(self.p1, 2).state, "lapsed")
        self.assertEqual(bank_file.suspense_count, 1)
        # nor does finance apply it by hand by mistake
        action = receipt.with_user(self.finance).action_open_insurance_reconcile()
        wizard = (
            self.env["insurance.receipt.reconcile"]
            .with_user(self.finance)
            .with_context(**action["context"])
            .create(
                {"invoice_ids": [Command.set(self._line(self.p1, 2).invoice_id.ids)]}
            )
        )
        with self.assertRaisesRegex(UserError, "policies have ended"):
            wizard.action_reconcile()
        self.assertFalse(receipt.is_reconciled)

    def test_third_party_payer_is_flagged_but_paid(self):
        bank_file = self._import("receipts", self._receipts_file())
        flagged = bank_file.statement_line_ids.filtered("insurance_compliance_flag")
        self.assertEqual(flagged, self._st_line(bank_file, 3))
        self.assertIn("李小龙", flagged.insurance_compliance_reason)
        self.assertIn("P-0002", flagged.insurance_compliance_reason)
        self.assertTrue(flagged.is_reconciled)
        self.assertEqual(self._line(self.p2, 2).amount_paid, 8000)

    def test_same_file_twice_does_not_double_count(self):
        content = self._receipts_file()
        self._import("receipts", content)
        with self.assertRaisesRegex(UserError, "already imported"):
            self._import("receipts", content)
        self.assertEqual(
            self.env["account.bank.statement.line"].search_count(
                [("insurance_file_id", "!=", False)]
            ),
            5,
        )
        # A later export repeating a row imports only the new one.
        xlsx = self._xlsx(
            HEADER,
            ("2025-01-20", 12000, "张伟", "", "P-0001-002"),
            ("2025-01-25", 3000, "赵磊", "", "P-0004-002"),
        )
        bank_file = self._import("receipts", xlsx, "later.xlsx")
        self.assertEqual(bank_file.skipped_count, 1)
        self.assertEqual(len(bank_file.statement_line_ids), 1)
        self.assertEqual(self._line(self.p1, 2).amount_paid, 12000)
        self.assertEqual(self._line(self.p4, 2).state, "paid")

    def test_malformed_row_imports_nothing(self):
        content = self._csv(
            HEADER,
            ("2025-01-20", "12000", "张伟", "", "P-0001-002"),
            ("2025-01-20", "12000.x", "李娜", "", "P-0002"),
        )
        with self.assertRaisesRegex(UserError, r"Row 3, amount: 12000\.x"):
            self._import("receipts", content)
        self.assertFalse(self.env["insurance.bank.file"].search([]))
        self.assertFalse(
            self.env["account.bank.statement.line"].search(
                [("insurance_file_id", "!=", False)]
            )
        )
        self.assertEqual(self._line(self.p1, 2).state, "planned")

    def test_matched_receipt_entry_is_born_paid_by_its_payer(self):
        """The receipt's journal entry is created once, already with the payer on
        its receivable, and carries no chatter of its own."""
        invoice = self._line(self.p2, 2).invoice_id
        bank_file = self._import(
            "receipts",
            self._csv(HEADER, ("2025-01-20", "8000", "李娜", "", "P-0002-002")),
        )
        st_line = bank_file.statement_line_ids
        self.assertEqual(st_line.partner_id, self.li)
        self.assertEqual(st_line.move_id.partner_id, self.li)
        counterpart = st_line.move_id.line_ids.filtered(
            lambda aml: aml.account_id != self.bank_journal.default_account_id
        )
        receivable = invoice.line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable"
        )
        self.assertEqual(counterpart.account_id, receivable.account_id)
        self.assertEqual(counterpart.partner_id, self.li)
        self.assertEqual(counterpart.full_reconcile_id, receivable.full_reconcile_id)
        self.assertTrue(counterpart.full_reconcile_id)
        self.env.flush_all()
        self.env.cr.precommit.run()  # the chatter a commit would write
        self.assertFalse(st_line.move_id.message_ids)

    def test_receipt_keeps_the_payers_analytic_distribution(self):
        """An analytic distribution model of the payer still applies to the
        receipt's journal items, and their analytic lines are made when the entry
        is posted (the import skips Odoo's rewrite of each item's distribution)."""
        plan = self.env["account.analytic.plan"].create({"name": "续期渠道"})
        channel = self.env["account.analytic.account"].create(
            {"name": "银行转账", "plan_id": plan.id}
        )
        self.env["account.analytic.distribution.model"].create(
            {
                "partner_id": self.li.id,
                "analytic_distribution": {str(channel.id): 100},
                "company_id": self.bank_journal.company_id.id,
            }
        )
        bank_file = self._import(
            "receipts",
            self._csv(HEADER, ("2025-01-20", "8000", "李娜", "", "P-0002-002")),
        )
        items = bank_file.statement_line_ids.move_id.line_ids
        self.assertEqual(len(items), 2)
        self.assertEqual(
            items.mapped("analytic_distribution"), [{str(channel.id): 100}] * 2
        )
        self.assertEqual(
            sorted(items.analytic_line_ids.mapped("amount")), [-8000.0, 8000.0]
        )

    def test_queries_per_receipt_do_not_grow_with_the_file(self):
        """Each receipt adds a bounded number of queries: the payers, invoices and
        policies are read once per batch, the entries created and reconciled
        together, the paid invoices' chatter written in batch (79 queries per
        matched receipt at first, about 5 now). A first import warms the caches:
        without it the one-receipt import paid for them and the difference meant
        nothing."""

        def queries(*rows):
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._import("receipts", self._csv(HEADER, *rows))
            self.env.flush_all()
            self.env.cr.precommit.run()
            return self.env.cr.sql_log_count - before

        queries(("2025-01-19", "1", "路人", "", "转账"))
        one = queries(("2025-01-20", "12000", "张伟", "", "P-0001-002"))
        four = queries(
            ("2025-01-20", "8000", "李娜", "", "P-0002-002"),
            ("2025-01-20", "5000", "王芳", "", "P-0003-002"),
            ("2025-01-20", "3000", "赵磊", "", "P-0004-002"),
            ("2025-01-20", "3000", "赵磊", "", "P-0005-002"),
        )
        per_receipt = (four - one) / 3
        self.assertLess(per_receipt, 10, f"{one} then {four} queries")
        paid = self.policies.premium_line_ids.filtered(
            lambda line: line.installment_number == 2
        )
        self.assertEqual(set(paid.mapped("state")), {"paid"})

    def test_suspense_todos_render_no_assignment_message_for_nobody(self):
        """The receipts a file leaves in the suspense queue are a to-do for the
        Finance team, with no user: Odoo rendered an "assigned to you" message
        for each such to-do and sent it to nobody. None is rendered now; a to-do
        given to a person still tells that person."""
        qweb = type(self.env["ir.qweb"])
        render = qweb._render
        rendered = []

        def spy(self, template, values=None, **options):
            rendered.append(template)
            return render(self, template, values, **options)

        with patch.object(qweb, "_render", spy), freeze_time("2025-01-23"):
            bank_file = self._import(
                "receipts",
                self._csv(
                    HEADER,
                    ("2025-01-22", "999", "陌生人", "", "转账"),
                    ("2025-01-22", "998", "路人", "", "转账"),
                ),
            )
        todos = self.env["mail.activity"].search(
            [("res_model", "=", bank_file._name), ("res_id", "=", bank_file.id)]
        )
        self.assertEqual(len(todos), 1)
        self.assertFalse(todos.user_id)
        self.assertEqual(
            todos.team_id, self.env.ref("insurance_renewal.mail_activity_team_finance")
        )
        self.assertNotIn("mail.message_activity_assigned", rendered)

        move = bank_file.statement_line_ids[:1].move_id
        with patch.object(qweb, "_render", spy):
            self.env["mail.activity"].create(
                {
                    "res_model_id": self.env["ir.model"]._get_id("account.move"),
                    "res_id": move.id,
                    "activity_type_id": self.env.ref("mail.mail_activity_data_todo").id,
                    "user_id": self.finance.id,
                }
            )
        self.assertEqual(rendered.count("mail.message_activity_assigned"), 1)
        told = self.env["mail.message"].search(
            [("model", "=", "account.move"), ("res_id", "=", move.id)]
        )
        self.assertIn(self.finance.partner_id, told.partner_ids)

    def test_paid_premium_invoices_are_told_paid_without_a_query_each(self):
        """A bank file pays premium invoices by the thousand: each is told "Paid"
        with Odoo's subtype, found without a query per invoice (Odoo's
        ``env.ref`` checks in one that the subtype still exists; the batch
        tracking checks each subtype once)."""
        with freeze_time("2025-01-23"):
            self._import(
                "receipts",
                self._csv(
                    HEADER,
                    ("2025-01-20", "12000", "张伟", "", "P-0001-002"),
                    ("2025-01-20", "8000", "李娜", "", "P-0002-002"),
                ),
            )
        invoices = (
            (self.p1 | self.p2)
            .premium_line_ids.filtered(lambda line: line.installment_number == 2)
            .invoice_id
        )
        self.assertEqual(invoices.mapped("payment_state"), ["paid", "paid"])
        paid_subtype = self.env.ref("account.mt_invoice_paid")
        self.env.invalidate_all()
        queries = []

        def count(cr, query, params, start, delay):
            queries.append(query)

        thread = threading.current_thread()
        hooks = getattr(thread, "query_hooks", ())
        thread.query_hooks = (*hooks, count)
        try:
            subtypes = [
                invoice._track_subtype({"payment_state": "not_paid"})
                for invoice in invoices
            ]
        finally:
            thread.query_hooks = hooks
        self.assertEqual(subtypes, [paid_subtype, paid_subtype])
        subtype_checks = [q for q in queries if '"mail_message_subtype"' in str(q)]
        self.assertFalse(subtype_checks)


@tagged("post_install", "-at_install")
class TestUnmatchedReceiptsTodo(PremiumAccountingCommon):
    """The receipts a bank file leaves in the suspense queue, as Finance works
    them: one to-do on the file, whatever their number."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.p1 = cls._create_policy()
            cls.p2 = cls._create_policy(name="P-0002", premium_amount=8000)
        cls._activate_and_invoice(cls.p1 | cls.p2)
        cls.other_company = cls.env["res.company"].create({"name": "太平洋分公司"})
        cls.other_finance = new_test_user(
            cls.env,
            login="test_other_finance",
            groups="account.group_account_invoice",
            company_id=cls.other_company.id,
            company_ids=[cls.other_company.id],
        )

    def _import_unknown_payers(self):
        with freeze_time("2025-01-23"):
            return self._import(
                "receipts",
                self._csv(
                    HEADER,
                    ("2025-01-22", "999", "陌生人", "", "转账"),
                    ("2025-01-22", "12000", "路人甲", "", "汇款 A"),
                    ("2025-01-22", "500", "路人乙", "", "汇款 B"),
                ),
            )

    def _todos(self, user, bank_file):
        return (
            self.env["mail.activity"]
            .with_user(user)
            .search(
                [
                    ("res_model", "=", "insurance.bank.file"),
                    ("res_id", "=", bank_file.id),
                    ("insurance_event_code", "=", "receipt_unmatched"),
                ]
            )
        )

    def _queue(self, user, bank_file):
        """The receipts the file's Unmatched Receipts button shows ``user``."""
        action = bank_file.with_user(user).action_view_unmatched_receipts()
        self.assertEqual(action["res_model"], "account.bank.statement.line")
        return self.env[action["res_model"]].with_user(user).search(action["domain"])

    def _reconcile_by_hand(self, st_line, invoice):
        action = st_line.with_user(self.finance).action_open_insurance_reconcile()
        self.env["insurance.receipt.reconcile"].with_user(self.finance).with_context(
            **action["context"]
        ).create({"invoice_ids": [Command.set(invoice.ids)]}).action_reconcile()
        self._end_unit_of_work()

    def test_a_file_of_unknown_payers_is_one_todo_on_the_file(self):
        bank_file = self._import_unknown_payers()
        receipts = bank_file.statement_line_ids
        self.assertEqual(set(receipts.mapped("insurance_match_state")), {"unmatched"})
        todo = self._todos(self.finance, bank_file)
        self.assertEqual(len(todo), 1)
        self.assertEqual(
            todo.team_id, self.env.ref("insurance_renewal.mail_activity_team_finance")
        )
        self.assertFalse(todo.user_id)
        self.assertEqual(todo.res_name, "bank.csv")
        # how many, their total, and each of them (row, amount, day, payer, memo)
        self.assertIn("match no single premium invoice: 3, $&nbsp;13,499.00", todo.note)
        for row in (
            "Row 2: $&nbsp;999.00 on 01/22/2025 from 陌生人 (转账)",
            "Row 3: $&nbsp;12,000.00 on 01/22/2025 from 路人甲 (汇款 A)",
            "Row 4: $&nbsp;500.00 on 01/22/2025 from 路人乙 (汇款 B)",
        ):
            self.assertIn(row, todo.note)
        self.assertNotIn("more", todo.note)
        # no to-do per receipt any more
        self.assertFalse(
            self.env["mail.activity"].search(
                [
                    ("res_model", "=", "account.move"),
                    ("res_id", "in", receipts.move_id.ids),
                ]
            )
        )
        # the file's button opens the suspense queue on exactly these receipts
        file_as_finance = bank_file.with_user(self.finance)
        self.assertEqual(file_as_finance.suspense_count, 3)
        self.assertEqual(self._queue(self.finance, bank_file), receipts)

    def test_a_long_list_names_its_first_receipts_and_counts_the_rest(self):
        rows = [
            ("2025-01-22", str(100 + n), f"路人{n}", "", f"转账 {n}") for n in range(12)
        ]
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", self._csv(HEADER, *rows))
        note = self._todos(self.finance, bank_file).note
        self.assertIn("Row 11: ", note)
        self.assertNotIn("Row 12: ", note)
        self.assertIn("... and 2 more.", note)

    def test_working_the_receipts_by_hand_closes_the_todo(self):
        bank_file = self._import_unknown_payers()
        first, second, third = bank_file.statement_line_ids.sorted("insurance_file_row")
        todo = self._todos(self.finance, bank_file)

        self._reconcile_by_hand(second, self._line(self.p1, 2).invoice_id)
        self.assertEqual(self._line(self.p1, 2).state, "paid")
        self.assertIn("2, $&nbsp;1,499.00 in all", todo.note)
        self.assertNotIn("Row 3:", todo.note)
        self.assertEqual(self._queue(self.finance, bank_file), first | third)

        wizard = (
            self.env["insurance.receipt.reconcile"]
            .with_user(self.finance)
            .with_context(default_st_line_id=third.id)
            .create({"not_premium_reason": "误转账，已退回"})
        )
        wizard.action_not_premium()
        self._end_unit_of_work()
        self.assertIn("1, $&nbsp;999.00 in all", todo.note)
        self.assertTrue(todo.active)

        self._reconcile_by_hand(first, self._line(self.p2, 2).invoice_id)
        self.assertEqual(self._line(self.p2, 2).amount_paid, 999)
        self.assertFalse(self._todos(self.finance, bank_file))
        self.assertFalse(todo.active)
        self.assertFalse(self._queue(self.finance, bank_file))
        self.assertEqual(bank_file.with_user(self.finance).suspense_count, 0)
        done = bank_file.message_ids.filtered(
            lambda message: message.subtype_id == self.env.ref("mail.mt_activities")
        )
        self.assertEqual(len(done), 1)
        self.assertEqual(done.author_id, self.finance.partner_id)
        self.assertIn("left the suspense queue", done.body)

        # a receipt put back into the queue is Finance's work again
        third.with_user(self.finance).action_insurance_return_to_queue()
        self._end_unit_of_work()
        again = self._todos(self.finance, bank_file)
        self.assertEqual(len(again), 1)
        self.assertIn("1, $&nbsp;500.00 in all", again.note)

    def test_a_deleted_receipt_leaves_the_file_s_todo(self):
        """An accountant deletes receipts of the queue (lines the bank sent
        twice): the file's to-do counts only those left, and is done when
        none is."""
        bank_file = self._import_unknown_payers()
        first, second, third = bank_file.statement_line_ids.sorted("insurance_file_row")
        todo = self._todos(self.finance, bank_file)
        accountant = new_test_user(
            self.env,
            login="test_receipt_accountant",
            groups="account.group_account_basic",
        )
        # Odoo deletes no line of a complete statement: the statement goes first
        bank_file.statement_line_ids.statement_id.with_user(accountant).unlink()
        second.with_user(accountant).unlink()
        self._end_unit_of_work()
        self.assertIn("2, $&nbsp;1,499.00 in all", todo.note)
        self.assertNotIn("Row 3:", todo.note)
        self.assertEqual(bank_file.with_user(self.finance).suspense_count, 2)

        (first | third).with_user(accountant).unlink()
        self._end_unit_of_work()
        self.assertFalse(todo.active)
        self.assertFalse(self._todos(self.finance, bank_file))

    def test_finance_of_another_company_sees_neither_todo_nor_receipts(self):
        bank_file = self._import_unknown_payers()
        self.assertEqual(len(self._todos(self.finance, bank_file)), 1)
        self.assertFalse(self._todos(self.other_finance, bank_file))
        with self.assertRaises(AccessError):
            bank_file.with_user(self.other_finance).action_view_unmatched_receipts()
        domain = bank_file.with_user(self.finance).action_view_unmatched_receipts()[
            "domain"
        ]
        self.assertFalse(
            self.env["account.bank.statement.line"]
            .with_user(self.other_finance)
            .search(domain)
        )

    def test_odoos_own_reconciliation_moves_the_todo_too(self):
        """An accountant may reconcile a receipt of the queue in Odoo's own
        journal items: the file's to-do follows."""
        bank_file = self._import_unknown_payers()
        receipt = bank_file.statement_line_ids.sorted("insurance_file_row")[1]
        invoice = self._line(self.p1, 2).invoice_id
        receivable = invoice.line_ids.filtered(
            lambda aml: aml.account_type == "asset_receivable"
        )
        _liquidity, suspense, _other = receipt._seek_for_lines()
        suspense.write(
            {
                "account_id": receivable.account_id.id,
                "partner_id": invoice.partner_id.id,
            }
        )
        (suspense + receivable).reconcile()
        self._end_unit_of_work()
        todo = self._todos(self.finance, bank_file)
        self.assertTrue(receipt.is_reconciled)
        self.assertEqual(receipt.insurance_match_state, "unmatched")
        self.assertIn("2, $&nbsp;1,499.00 in all", todo.note)
        self.assertEqual(
            self._queue(self.finance, bank_file), bank_file.statement_line_ids - receipt
        )
