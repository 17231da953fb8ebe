import re

from lxml import etree

from odoo.tests import TransactionCase, new_test_user, tagged

CHINESE = re.compile("[\u4e00-\u9fff]")
ENGLISH = re.compile("[A-Za-z]{2}")
ARCH_ATTRIBUTES = ("string", "help", "placeholder", "title", "confirm", "sum")
STATIC_INVISIBLE = ("1", "True", "true")
# The modules whose zh_CN a user of these screens reads: Odoo's own, the OCA addons
# (of which four ship no zh_CN.po: our i18n_extra translates them) and ours.
MODULES = [
    "base",
    "web",
    "mail",
    "account",
    "account_payment_mode",
    "account_payment_order",
    "account_banking_mandate",
    "mail_activity_team",
    "helpdesk_mgmt",
    "insurance_renewal",
]


@tagged("post_install", "-at_install")
class TestOcaChineseScreens(TransactionCase):
    """The OCA screens finance, customer service and the renewal specialists work in
    (auto-debit orders, mandates, complaints, the team queue), as the web client gets
    them for a zh_CN user: field labels, selection values, view texts and the
    helpdesk stages read in Chinese."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        cls.env["ir.module.module"]._load_module_terms(
            MODULES, ["zh_CN"], overwrite=True
        )
        cls.finance = new_test_user(
            cls.env,
            login="zh_finance",
            lang="zh_CN",
            groups="account.group_account_invoice,"
            "account_payment_order.group_account_payment",
        )
        cls.service = new_test_user(
            cls.env,
            login="zh_service",
            lang="zh_CN",
            groups="insurance_renewal.group_insurance_customer_service",
        )
        cls.specialist = new_test_user(
            cls.env,
            login="zh_specialist",
            lang="zh_CN",
            groups="insurance_renewal.group_insurance_renewal_user",
        )

    def _english_on_screen(self, user, model, views):
        """The texts of the views, and the labels and selection values of the
        fields they show, that hold English and no Chinese."""
        result = (
            self.env[model].with_user(user).with_context(lang="zh_CN").get_views(views)
        )
        english = {}
        for _view, kind in views:
            arch = etree.fromstring(result["views"][kind]["arch"])
            self._walk(arch, model, result["models"], english)
        return english

    def _walk(self, node, model, models, english):
        if node.get("invisible") in STATIC_INVISIBLE:
            return
        if node.get("column_invisible") in STATIC_INVISIBLE:
            return
        texts = [node.get(attribute) for attribute in ARCH_ATTRIBUTES]
        texts += [node.text, node.tail]
        for text in filter(None, texts):
            self._note(text.strip(), f"{model} <{node.tag}>", english)
        fields = models.get(model, {}).get("fields", {})
        description = fields.get(node.get("name")) if node.tag == "field" else None
        if description:
            name = f"{model}.{node.get('name')}"
            if not node.get("string"):
                self._note(description["string"], name, english)
            for _key, label in description.get("selection") or []:
                self._note(label, f"{name} (selection)", english)
            model = description.get("relation") or model
        for child in node:
            if isinstance(child.tag, str):
                self._walk(child, model, models, english)

    @staticmethod
    def _note(text, where, english):
        if ENGLISH.search(text) and not CHINESE.search(text):
            english.setdefault(where, text)

    def test_finance_debit_orders_list_and_form(self):
        views = [
            (self.env.ref("insurance_renewal.insurance_debit_order_list").id, "list"),
            (self.env.ref("insurance_renewal.insurance_debit_order_form").id, "form"),
            (False, "search"),
        ]
        english = self._english_on_screen(self.finance, "account.payment.order", views)
        self.assertFalse(english, "English left on the auto-debit orders")
        fields = (
            self.env["account.payment.order"]
            .with_user(self.finance)
            .with_context(lang="zh_CN")
            .fields_get(["name", "journal_id", "total_company_currency", "state"])
        )
        self.assertEqual(fields["name"]["string"], "编号")
        self.assertEqual(fields["journal_id"]["string"], "银行日记账")
        self.assertEqual(fields["total_company_currency"]["string"], "本位币合计")
        self.assertEqual(
            dict(fields["state"]["selection"]),
            {
                "draft": "草稿",
                "open": "已确认",
                "generated": "文件已生成",
                "uploaded": "文件已上传",
                "cancel": "取消",
            },
        )

    def test_finance_mandate_form_and_list(self):
        english = self._english_on_screen(
            self.finance,
            "account.banking.mandate",
            [(False, "form"), (False, "list"), (False, "search")],
        )
        self.assertFalse(english, "English left on the mandates")
        fields = (
            self.env["account.banking.mandate"]
            .with_context(lang="zh_CN")
            .fields_get(["signature_date", "scan", "last_debit_date", "state"])
        )
        self.assertEqual(fields["signature_date"]["string"], "授权签署日期")
        self.assertEqual(fields["scan"]["string"], "授权书扫描件")
        self.assertEqual(fields["last_debit_date"]["string"], "最近扣款日期")
        self.assertEqual(dict(fields["state"]["selection"])["valid"], "有效")
        self.assertEqual(dict(fields["state"]["selection"])["expired"], "已过期")

    def test_service_complaints_list_and_form(self):
        english = self._english_on_screen(
            self.service,
            "helpdesk.ticket",
            [(False, "list"), (False, "form"), (False, "search")],
        )
        self.assertFalse(english, "English left on the complaints")
        stages = (
            self.env["helpdesk.ticket.stage"]
            .with_user(self.service)
            .with_context(lang="zh_CN")
            .search([])
        )
        self.assertIn("新建", stages.mapped("name"))
        self.assertFalse(
            [name for name in stages.mapped("name") if not CHINESE.search(name)],
            "Every stage a complaint goes through reads in Chinese.",
        )
        fields = (
            self.env["helpdesk.ticket"]
            .with_user(self.service)
            .with_context(lang="zh_CN")
            .fields_get(["number", "name", "partner_name", "user_id", "priority"])
        )
        self.assertEqual(fields["number"]["string"], "工单编号")
        self.assertEqual(fields["partner_name"]["string"], "客户名称")
        self.assertEqual(dict(fields["priority"]["selection"])["3"], "非常高")

    def test_specialist_team_queue(self):
        action = self.env.ref("insurance_renewal.mail_activity_team_queue_action")
        english = self._english_on_screen(
            self.specialist,
            "mail.activity",
            [(action.view_id.id, "list"), (action.search_view_id.id, "search")],
        )
        self.assertFalse(english, "English left on the team queue")
        fields = (
            self.env["mail.activity"]
            .with_user(self.specialist)
            .with_context(lang="zh_CN")
            .fields_get(["team_id"])
        )
        self.assertEqual(fields["team_id"]["string"], "团队")
