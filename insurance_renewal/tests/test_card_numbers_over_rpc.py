from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import InsuranceRenewalCommon
from .common_accounting import PremiumAccountingCommon

CARD = "6222021001123459"
CARD_MASKED = "6222********3459"
CARD_HIDDEN = "****************"  # to a salesman: no digit at all
# digits of the card that its masked form hides
HIDDEN_DIGITS = "0210011"
ACCESS_ERROR = "odoo.exceptions.AccessError"


@tagged("post_install", "-at_install")
class TestCardNumbersOverRpc(HttpCase, InsuranceRenewalCommon):
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
