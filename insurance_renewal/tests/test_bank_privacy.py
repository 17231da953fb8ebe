from odoo.tests import Form, new_test_user, tagged

from .common import InsuranceRenewalCommon

CARD = "6222021001123459"
CARD_MASKED = "6222********3459"
# what a sales rep, outside the renewal, finance, underwriting and compliance
# groups, sees of a customer's card
CARD_HIDDEN = "****************"


@tagged("post_install", "-at_install")
class TestBankPrivacy(InsuranceRenewalCommon):
    """Card numbers on Odoo's own bank account screens and exports, as a renewal
    specialist, a sales rep and a Personal Data user see them."""

    @classmethod
    def default_env_context(cls):
        return {"no_reset_password": True}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.personal = new_test_user(
            cls.env,
            login="bank_personal_data",
            groups="insurance_renewal.group_insurance_renewal_personal_data,"
            "base.group_allow_export",
        )
        cls.clerk = new_test_user(
            cls.env,
            login="bank_partner_manager",
            # who may create bank accounts once OCA's payment orders are in
            groups="insurance_renewal.group_insurance_renewal_user,"
            "account.group_account_invoice",
        )
        export = cls.env.ref("base.group_allow_export")
        # one by one: on several users at once, ``|=`` would give each the
        # groups of all
        for user in cls.specialist | cls.agent:
            user.group_ids |= export
        bank = cls.env["res.bank"].create({"name": "中国工商银行"})
        cls.account = cls.env["res.partner.bank"].create(
            {"partner_id": cls.holder.id, "acc_number": CARD, "bank_id": bank.id}
        )
        cls.company_account = cls.env["res.partner.bank"].create(
            {
                "partner_id": cls.env.company.partner_id.id,
                "acc_number": "6217001234567893",
            }
        )

    def test_screens_show_the_number_masked_outside_personal_data(self):
        for user, shown in ((self.specialist, CARD_MASKED), (self.agent, CARD_HIDDEN)):
            account = self.account.with_user(user)
            with self.subTest(user=user.login):
                self.assertEqual(account.acc_number_display, shown)
                self.assertEqual(account.display_name, f"{shown} - 中国工商银行")
                self.assertEqual(
                    self.holder.with_user(user).bank_ids.display_name,
                    f"{shown} - 中国工商银行",
                )
        account = self.account.with_user(self.personal)
        self.assertEqual(account.acc_number_display, CARD)
        self.assertEqual(account.display_name, f"{CARD} - 中国工商银行")
        self.assertEqual(
            self.company_account.with_user(self.specialist).display_name,
            "6217001234567893",
            "the company's own account stays readable: invoices print it",
        )

    def test_odoo_bank_views_hold_the_full_number_for_personal_data_only(self):
        for user, shown, hidden in (
            (self.specialist, "acc_number_display", "acc_number"),
            (self.agent, "acc_number_display", "acc_number"),
            (self.personal, "acc_number", "acc_number_display"),
        ):
            views = (
                self.env["res.partner.bank"]
                .with_user(user)
                .get_views([(False, "form"), (False, "list")])["views"]
            )
            for view in ("form", "list"):
                with self.subTest(user=user.login, view=view):
                    arch = views[view]["arch"]
                    self.assertIn(f'name="{shown}"', arch)
                    self.assertNotIn(f'name="{hidden}"', arch)

    def test_exports_follow_the_screens(self):
        for user, expected in (
            (self.specialist, CARD_MASKED),
            (self.agent, CARD_HIDDEN),
            (self.personal, CARD),
        ):
            with self.subTest(user=user.login):
                account = self.account.with_user(user)
                self.assertEqual(
                    account.export_data(["acc_number", "acc_number_display"])["datas"],
                    [[expected, expected]],
                )
                partner = self.holder.with_user(user)
                self.assertEqual(
                    partner.export_data(["name", "bank_ids/acc_number"])["datas"],
                    [["张伟", expected]],
                )

    def test_a_number_typed_in_full_is_saved_and_shown_masked(self):
        with Form(self.env["res.partner.bank"].with_user(self.clerk)) as form:
            form.partner_id = self.holder
            form.acc_number_display = "622202100112345678"
        account = form.record
        self.assertEqual(account.sudo().acc_number, "622202100112345678")
        self.assertEqual(account.acc_number_display, "6222**********5678")
        with Form(account) as form:
            form.note = "主卡"
        self.assertEqual(account.sudo().acc_number, "622202100112345678")
        note = self.holder.message_ids.filtered(
            lambda m: "Bank account number" in (m.body or "")
        )
        self.assertFalse(note, "an untouched masked number is not a change")

    def test_finance_adds_a_customers_card(self):
        """Finance (invoicing rights only, as the demo's finance user) saves a
        payer's new card: Odoo logs it on the holder as the superuser, after
        checking finance may create the account."""
        finance = new_test_user(
            self.env, login="bank_finance", groups="account.group_account_invoice"
        )
        with Form(self.env["res.partner.bank"].with_user(finance)) as form:
            form.partner_id = self.holder
            form.acc_number_display = "6222021001123467"
        account = form.record
        self.assertEqual(account.sudo().acc_number, "6222021001123467")
        self.assertIn(
            f'data-oe-id="{account.id}">#{account.id}</a> created',
            "".join(self.holder.message_ids.mapped(lambda m: str(m.body))),
        )

    def test_address_changes_are_tracked(self):
        # the holder was created in this transaction: Odoo tracks from the next one
        self.env.flush_all()
        self.env.cr.precommit.run()
        self.holder.write({"street": "北京市朝阳区建国路1号", "city": "北京"})
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = (
            self.env["mail.tracking.value"]
            .search([("mail_message_id.res_id", "=", self.holder.id)])
            .filtered(lambda t: t.mail_message_id.model == "res.partner")
            .mapped("field_id.name")
        )
        self.assertIn("street", tracked)
        self.assertIn("city", tracked)
