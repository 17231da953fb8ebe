from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from ..models.insurance_card_lookup import COUNTED_KEY
from .common import InsuranceRenewalCommon
from .common_accounting import PremiumAccountingCommon

CARD = "6222021001123459"
CARD_MASKED = "6222********3459"
CARD_HIDDEN = "****************"  # to a salesman: no digit at all
# digits of the card that its masked form hides
HIDDEN_DIGITS = "0210011"
ACCESS_ERROR = "odoo.exceptions.AccessError"


class JsonRpcCase(HttpCase):
    """Calls a model method as a user over the web client's JSON-RPC route."""

    def _rpc(self, user, model, method, *args, **kwargs):
        """Call ``method`` as ``user`` over JSON-RPC: (result, error class)."""
        self.authenticate(user.login, user.login)
        response = self.url_open(
            "/web/dataset/call_kw",
            json={
                "jsonrpc": "2.0",
                "method": "call",
                "params": {
                    "model": model,
                    "method": method,
                    "args": list(args),
                    "kwargs": kwargs,
                },
            },
        ).json()
        if "error" in response:
            return None, response["error"]["data"]["name"]
        return response["result"], None


@tagged("post_install", "-at_install")
class TestCardNumbersOverRpc(JsonRpcCase, InsuranceRenewalCommon):
    """A customer's card number as the web client's JSON-RPC route gives it to a
    salesman, customer service, a renewal specialist, a finance user, a portal
    user and a Personal Data user: masked on every read path (no digit at all for
    sales and customer service), never rebuilt digit by digit."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.personal = new_test_user(
            cls.env,
            login="rpc_personal_data",
            groups="insurance_renewal.group_insurance_renewal_personal_data,"
            "base.group_allow_export",
        )
        cls.finance = new_test_user(
            cls.env, login="rpc_finance", groups="account.group_account_invoice"
        )
        cls.portal = new_test_user(
            cls.env, login="rpc_portal", groups="base.group_portal"
        )
        export = cls.env.ref("base.group_allow_export")
        for user in cls.specialist | cls.agent | cls.finance:
            user.group_ids |= export
        cls.account = cls.env["res.partner.bank"].create(
            {"partner_id": cls.holder.id, "acc_number": CARD}
        )
        cls.customer_service = new_test_user(
            cls.env,
            login="rpc_customer_service",
            groups="insurance_renewal.group_insurance_customer_service,"
            "base.group_allow_export",
        )
        # sales and customer service see no digit; the others the masked card
        cls.outsiders = (cls.agent, cls.customer_service)
        cls.masked_users = (*cls.outsiders, cls.specialist, cls.finance)

    def _read_paths(self, user):
        """The number as each read path returns it to ``user``."""
        ids = self.account.ids
        fields = ["acc_number", "sanitized_acc_number"]
        spec = {"acc_number": {}, "sanitized_acc_number": {}}
        domain = [("id", "in", ids)]
        bank = "res.partner.bank"
        results = {
            "read": self._rpc(user, bank, "read", ids, fields)[0][0],
            "search_read": self._rpc(user, bank, "search_read", domain, fields)[0][0],
            "web_read": self._rpc(user, bank, "web_read", ids, spec)[0][0],
            "web_search_read": self._rpc(user, bank, "web_search_read", domain, spec)[
                0
            ]["records"][0],
        }
        exported = self._rpc(user, bank, "export_data", ids, fields)[0]["datas"][0]
        results["export_data"] = dict(zip(fields, exported, strict=True))
        return results

    def test_every_read_path_gives_the_masked_number_outside_personal_data(self):
        for user in self.masked_users:
            shown = CARD_HIDDEN if user in self.outsiders else CARD_MASKED
            for path, values in self._read_paths(user).items():
                with self.subTest(user=user.login, path=path):
                    self.assertEqual(values["acc_number"], shown)
                    self.assertEqual(values["sanitized_acc_number"], shown)
            name = self._rpc(user, "res.partner.bank", "read", self.account.ids, [])
            self.assertNotIn(CARD, str(name[0]))

    def test_personal_data_user_reads_the_full_number_on_every_path(self):
        for path, values in self._read_paths(self.personal).items():
            with self.subTest(path=path):
                self.assertEqual(values["acc_number"], CARD)
                self.assertEqual(values["sanitized_acc_number"], CARD)

    def test_portal_user_reads_no_bank_account(self):
        for method, args in (
            ("read", [self.account.ids, ["acc_number"]]),
            ("search_read", [[], ["acc_number"]]),
            ("search_count", [[("acc_number", "ilike", HIDDEN_DIGITS)]]),
        ):
            with self.subTest(method=method):
                _result, error = self._rpc(
                    self.portal, "res.partner.bank", method, *args
                )
                self.assertEqual(error, ACCESS_ERROR)

    def _count(self, user, model, domain):
        return self._rpc(user, model, "search_count", domain)

    def test_hidden_digits_cannot_be_searched_outside_personal_data(self):
        partial = [
            ("res.partner.bank", [("acc_number", "ilike", HIDDEN_DIGITS)]),
            ("res.partner.bank", [("sanitized_acc_number", "like", HIDDEN_DIGITS)]),
            ("res.partner.bank", [("display_name", "ilike", HIDDEN_DIGITS)]),
            ("res.partner.bank", [("sanitized_acc_number", "=like", "62220%")]),
            ("res.partner", [("bank_ids.acc_number", "ilike", HIDDEN_DIGITS)]),
            (
                "res.partner",
                [
                    (
                        "bank_ids",
                        "any",
                        [("sanitized_acc_number", "ilike", HIDDEN_DIGITS)],
                    )
                ],
            ),
        ]
        for user in self.masked_users:
            for model, domain in partial:
                with self.subTest(user=user.login, domain=domain):
                    self.assertEqual(self._count(user, model, domain), (0, None))
            names = self._rpc(
                user, "res.partner.bank", "name_search", name=HIDDEN_DIGITS
            )
            self.assertEqual(names, ([], None))
        for model, domain in partial:
            with self.subTest(user="personal", domain=domain):
                self.assertEqual(self._count(self.personal, model, domain), (1, None))

    def test_full_number_and_visible_digits_still_find_the_account(self):
        for user in (*self.masked_users, self.personal):
            for domain in (
                [("acc_number", "=", CARD)],
                [("acc_number", "in", [CARD])],
                [("acc_number", "ilike", "3459")],
            ):
                # sales and customer service see no digit, hence find none
                found = 0 if user in self.outsiders and "ilike" in domain[0] else 1
                with self.subTest(user=user.login, domain=domain):
                    self.assertEqual(
                        self._count(user, "res.partner.bank", domain), (found, None)
                    )
        names = self._rpc(
            self.specialist, "res.partner.bank", "name_search", name="3459"
        )
        self.assertEqual(names, ([[self.account.id, CARD_MASKED]], None))

    def test_no_comparing_grouping_or_sorting_by_the_number(self):
        bank = "res.partner.bank"
        for user in self.masked_users:
            for method, args, kwargs in (
                ("search_count", [[("sanitized_acc_number", ">", "6222")]], {}),
                ("search_read", [[], ["id"]], {"order": "acc_number"}),
                ("formatted_read_group", [[], ["acc_number"], ["__count"]], {}),
                ("formatted_read_group", [[], [], ["acc_number:array_agg"]], {}),
                ("formatted_read_group", [[], [], ["sanitized_acc_number:max"]], {}),
            ):
                with self.subTest(user=user.login, method=method, args=args):
                    result, error = self._rpc(user, bank, method, *args, **kwargs)
                    self.assertEqual(error, ACCESS_ERROR, result)
        groups, error = self._rpc(
            self.personal, bank, "formatted_read_group", [], ["acc_number"], ["__count"]
        )
        self.assertEqual(groups[0]["acc_number"], CARD)


@tagged("post_install", "-at_install")
class TestStatementCardNumbers(PremiumAccountingCommon):
    """The payer's card number a bank file gave a statement line: matched in full
    by the receipt import, read masked by finance outside Personal Data."""

    def test_finance_reads_the_payers_card_masked_and_the_receipt_still_matches(self):
        holder_card = "6222021001123459"
        self.env["res.partner.bank"].create(
            {"partner_id": self.holder.id, "acc_number": holder_card}
        )
        with freeze_time("2024-02-10"):
            policy = self._create_policy(payment_method="counter")
        self._activate_and_invoice(policy)
        with freeze_time("2025-01-23"):
            bank_file = self._import(
                "receipts",
                self._csv(
                    ("交易日期", "交易金额", "对方户名", "对方账号", "附言"),
                    ("2025-01-20", "12000", "张伟", holder_card, "续期保费"),
                ),
                user=self.finance,
            )
        self.assertEqual(self._line(policy, 2).state, "paid", "matched by the card")
        # a large bank file kept for its batches holds the card numbers in full:
        # finance's only (TestLargeFileInBatches imports one as finance)
        self.assertEqual(
            bank_file.with_user(self.finance).read(["data"])[0]["id"], bank_file.id
        )
        with self.assertRaises(AccessError):
            bank_file.with_user(self.specialist).read(["data"])
        line = self.env["account.bank.statement.line"].search(
            [("account_number", "=", holder_card)]
        )
        self.assertEqual(len(line), 1)
        personal = new_test_user(
            self.env,
            login="statement_personal_data",
            groups="insurance_renewal.group_insurance_renewal_personal_data,"
            "account.group_account_invoice",
        )
        for user, expected in ((self.finance, CARD_MASKED), (personal, holder_card)):
            statement_line = line.with_user(user)
            with self.subTest(user=user.login):
                self.assertEqual(
                    statement_line.read(["account_number"])[0]["account_number"],
                    expected,
                )
                self.assertEqual(
                    statement_line.search_read(
                        [("id", "=", line.id)], ["account_number"]
                    )[0]["account_number"],
                    expected,
                )
        with self.assertRaises(AccessError):
            line.with_user(self.finance).search(
                [("account_number", "ilike", HIDDEN_DIGITS)]
            )
        self.assertEqual(
            line.with_user(personal).search(
                [("account_number", "ilike", HIDDEN_DIGITS)]
            ),
            line,
        )


@tagged("post_install", "-at_install")
class TestCardNumberGuessing(JsonRpcCase, InsuranceRenewalCommon):
    """A client that sees a card masked (its first and last four digits) cannot
    rebuild it by searching every value of the hidden digits: one search names
    at most ten numbers, and a user looks up a limited count of full numbers a
    day (three here), counted for compliance to see."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.account = cls.env["res.partner.bank"].create(
            {"partner_id": cls.holder.id, "acc_number": CARD}
        )
        cls.env["ir.config_parameter"].set_param(
            "insurance_renewal.card_lookups_per_day", "3"
        )
        cls.compliance = new_test_user(
            cls.env,
            login="guess_compliance",
            groups="insurance_renewal.group_insurance_compliance",
        )
        cls.personal = new_test_user(
            cls.env,
            login="guess_personal_data",
            groups="insurance_renewal.group_insurance_renewal_personal_data",
        )
        cls.finance = new_test_user(
            cls.env, login="guess_finance", groups="account.group_account_invoice"
        )
        cls.manager = new_test_user(
            cls.env,
            login="guess_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )

    def setUp(self):
        super().setUp()
        # the numbers a transaction counted: this test's cursor is the class's
        self.env.cr.cache.pop(COUNTED_KEY, None)

    @staticmethod
    def _guesses(count):
        """Numbers with the card's visible digits around guessed hidden ones."""
        return [f"6222{n:08d}3459" for n in range(count)]

    def _search_count(self, user, numbers):
        bank = self.env["res.partner.bank"].with_user(user)
        return bank.search_count([("acc_number", "in", numbers)])

    def _day(self, user):
        """The user's count of the day, as compliance reads it."""
        lookups = self.env["insurance.card.lookup"].with_user(self.compliance)
        return lookups.search([("user_id", "=", user.id)]).read(
            ["numbers", "refused"], load=None
        )

    def _rpc_search_count(self, user, numbers):
        bank = "res.partner.bank"
        return self._rpc(user, bank, "search_count", [("acc_number", "in", numbers)])

    def test_one_search_naming_many_numbers_is_refused(self):
        # assertRaisesRegex, unlike Odoo's assertRaises, keeps what was written:
        # the refusal, counted on a cursor of its own
        with (
            self.assertLogs("odoo.addons.insurance_renewal", "WARNING") as logs,
            self.assertRaisesRegex(AccessError, "at most 10 bank card numbers"),
        ):
            self._search_count(self.specialist, [*self._guesses(10), CARD])
        self.assertIn(self.specialist.login, logs.output[0])
        self.assertEqual(
            [(day["numbers"], day["refused"]) for day in self._day(self.specialist)],
            [(0, 1)],
        )

    def test_full_numbers_past_the_days_limit_are_refused_over_rpc(self):
        guesses = self._guesses(3)
        for numbers, expected in (
            ([CARD], (1, None)),
            (guesses[:1], (0, None)),
            # would be the third and fourth numbers of the day
            (guesses[1:], (None, ACCESS_ERROR)),
            (guesses[1:2], (0, None)),
            (guesses[2:], (None, ACCESS_ERROR)),
        ):
            with self.subTest(numbers=numbers):
                self.assertEqual(
                    self._rpc_search_count(self.specialist, numbers), expected
                )
        # a refused request is rolled back with its count (its refusal is
        # counted on a cursor of its own: in production, not in this test)
        self.assertEqual(self._day(self.specialist)[0]["numbers"], 3)
        # another user's day is their own; Personal Data has no limit
        self.assertEqual(self._rpc_search_count(self.agent, [CARD]), (1, None))
        self.assertEqual(self._rpc_search_count(self.personal, guesses), (0, None))
        self.assertFalse(self._day(self.personal))

    def test_a_number_counts_once_per_request_and_refusals_are_counted(self):
        for numbers in ([CARD], [CARD], self._guesses(2)):
            self._search_count(self.specialist, numbers)
        self.assertEqual(self._day(self.specialist)[0]["numbers"], 3)
        with (
            self.assertLogs("odoo.addons.insurance_renewal", "WARNING"),
            self.assertRaisesRegex(AccessError, "looked up 3 bank card numbers"),
        ):
            self._search_count(self.specialist, self._guesses(3))
        self.assertEqual(
            [(day["numbers"], day["refused"]) for day in self._day(self.specialist)],
            [(3, 1)],
        )

    def test_finance_saves_a_customers_card_and_it_is_no_lookup(self):
        card = self._guesses(1)[0]
        messages = len(self.holder.message_ids)
        account = (
            self.env["res.partner.bank"]
            .with_user(self.finance)
            .create({"partner_id": self.holder.id, "acc_number": card})
        )
        self.assertEqual(account.acc_number, card)
        self.holder.invalidate_recordset(["message_ids"])
        self.assertGreater(len(self.holder.message_ids), messages, "logged")
        self.assertFalse(self._day(self.finance))

    def test_only_compliance_and_managers_read_the_counts(self):
        self._search_count(self.specialist, [CARD])
        lookups = self.env["insurance.card.lookup"]
        for user in (self.specialist, self.agent, self.finance):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                lookups.with_user(user).search([])
        self.assertEqual(len(lookups.with_user(self.manager).search([])), 1)
