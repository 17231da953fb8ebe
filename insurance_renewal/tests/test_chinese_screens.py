import re

import polib
from lxml import etree

from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import convert_file, file_path
from odoo.tools.safe_eval import safe_eval

ARCH_ATTRIBUTES = ("string", "help", "placeholder", "title", "sum", "confirm")


@tagged("post_install", "-at_install")
class TestChineseScreens(TransactionCase):
    """The demo data's screens, as the web client gets them for a zh_CN specialist,
    hold no English text of the addon."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("zh_CN")
        modules = cls.env["ir.module.module"].search(
            [("name", "in", ("insurance_renewal", "crm", "mail", "base", "web"))]
        )
        modules._update_translations(["zh_CN"])
        convert_file(
            cls.env, "insurance_renewal", "demo/insurance_demo.xml", {}, "init"
        )
        cls.specialist = cls.env.ref("insurance_renewal.user_specialist")
        cls.english_terms = cls._english_terms()

    @classmethod
    def _english_terms(cls):
        """The addon's terms whose Chinese differs from the English."""
        po = polib.pofile(file_path("insurance_renewal/i18n/zh_CN.po"))
        return {
            entry.msgid
            for entry in po
            if entry.msgstr
            and entry.msgid not in entry.msgstr
            and re.search("[A-Za-z]{3}", entry.msgid)
        }

    def _screen_texts(self, model, views, domain, limit=20):
        """Texts of the views' archs, field labels and the records' values."""
        Model = self.env[model].with_user(self.specialist).with_context(lang="zh_CN")
        result = Model.get_views([(view, kind) for kind, view in views])
        texts = []
        for kind, _view in views:
            arch = etree.fromstring(result["views"][kind]["arch"])
            texts += [text for text in arch.itertext() if text.strip()]
            for node in arch.iter():
                texts += [node.get(attr) for attr in ARCH_ATTRIBUTES if node.get(attr)]
        fields = result["models"][model]["fields"]
        for description in fields.values():
            texts += [description.get("string") or "", description.get("help") or ""]
            texts += [label for _key, label in description.get("selection") or []]
        records = Model.search(domain, limit=limit)
        texts += self._record_texts(records, fields)
        return texts

    def _record_texts(self, records, fields):
        spec = {}
        for name, description in fields.items():
            if description["type"] in ("many2one", "one2many", "many2many"):
                spec[name] = {"fields": {"display_name": {}}}
            elif description["type"] not in ("binary", "properties", "json"):
                spec[name] = {}
        texts = []
        for values in records.web_read(spec):
            for name, value in values.items():
                texts += self._value_texts(value, fields.get(name, {}))
        return texts

    def _value_texts(self, value, description):
        if isinstance(value, dict):
            return [str(value.get("display_name") or "")]
        if isinstance(value, list):
            return [
                str(v.get("display_name") or "") for v in value if isinstance(v, dict)
            ]
        if description.get("type") == "selection":
            return [dict(description.get("selection") or []).get(value) or ""]
        return [value] if isinstance(value, str) else []

    def _assert_chinese(self, texts, screen):
        """A term of several words anywhere, a one-word term as a whole text (so
        that "Day" in Odoo's own "Day count since ..." is not the addon's)."""
        ignored = {self.env.company.name}
        english = {}
        for text in filter(None, texts):
            text = text.strip()
            if text in ignored:
                continue
            for term in self.english_terms:
                if " " not in term:
                    found = re.fullmatch(
                        rf"(<span>)?{re.escape(term)}:?(</span>)?", text
                    )
                else:
                    found = re.search(
                        rf"(?<![A-Za-z]){re.escape(term)}(?![A-Za-z])", text
                    )
                if found:
                    english.setdefault(term, text[:80])
        self.assertFalse(english, f"English left on the {screen}")

    def test_renewal_kanban_and_case_form(self):
        kanban = self.env.ref("insurance_renewal.crm_lead_renewal_view_kanban").id
        domain = [("insurance_policy_id", "!=", False)]
        texts = self._screen_texts(
            "crm.lead", [("kanban", kanban), ("form", False)], domain
        )
        cases = self.env["crm.lead"].with_context(lang="zh_CN").search(domain)
        self.assertTrue(cases.filtered("renewal_risk_reasons"), "Reasons to read.")
        texts += cases.mapped("renewal_risk_reasons")
        texts += cases.activity_ids.mapped("summary")
        texts += [str(body) for body in cases.message_ids.mapped("body")]
        self._assert_chinese(texts, "renewal kanban and case form")

    def test_policy_form(self):
        domain = [("renewal_lead_ids", "!=", False)]
        texts = self._screen_texts("insurance.policy", [("form", False)], domain)
        policies = self.env["insurance.policy"].search(domain)
        texts += [str(body) for body in policies.message_ids.mapped("body")]
        self._assert_chinese(texts, "policy form")

    def test_contact_log_and_reminder_log(self):
        texts = self._screen_texts(
            "insurance.renewal.activity", [("list", False), ("form", False)], []
        )
        texts += self._screen_texts("insurance.reminder.log", [("list", False)], [])
        self._assert_chinese(texts, "contact log and reminder log")

    def _labels(self, model, view_xmlid, view_type="list", user=None):
        """The column or field labels of a view, as a zh_CN user (the specialist
        unless told) reads them."""
        user = user or self.specialist
        Model = self.env[model].with_user(user).with_context(lang="zh_CN")
        view = self.env.ref(view_xmlid).id
        result = Model.get_views([(view, view_type)])
        arch = etree.fromstring(result["views"][view_type]["arch"])
        fields = result["models"][model]["fields"]
        return [
            node.get("string") or fields[node.get("name")]["string"]
            for node in arch.iter("field")
            if node.get("column_invisible") != "1" and node.get("optional") != "hide"
        ]

    def test_one_chinese_term_per_concept(self):
        """A suspended policy, its lapsed premium and the win-back segment say
        效力中止; the sales rep is 营销员 wherever it shows; taking a team to-do
        is not the 领取 of a partial withdrawal."""
        zh = self.env["insurance.policy"].with_context(lang="zh_CN")
        policy_states = dict(zh._fields["state"]._description_selection(zh.env))
        Line = self.env["insurance.premium.line"].with_context(lang="zh_CN")
        line_states = dict(Line._fields["state"]._description_selection(Line.env))
        self.assertEqual(policy_states["lapsed"], "效力中止")
        self.assertEqual(line_states["lapsed"], policy_states["lapsed"])
        self.assertIn("交清", policy_states["paid_up"], "As in 减额交清.")
        Segment = self.env["insurance.customer.segment"].with_context(lang="zh_CN")
        segments = dict(Segment._fields["code"]._description_selection(Segment.env))
        self.assertTrue(segments["reinstatable"].startswith("效力中止"))
        Kpi = self.env["insurance.kpi.instalment"].with_context(lang="zh_CN")
        self.assertEqual(
            zh._fields["user_id"]._description_string(zh.env),
            Kpi._fields["user_id"]._description_string(Kpi.env),
        )
        queue = self._labels(
            "mail.activity", "insurance_renewal.mail_activity_team_queue_view_list"
        )
        self.assertNotIn("领取人", queue)

    def test_a_premium_owed_on_reinstatement_is_not_read_as_not_yet_due(self):
        """A premium that fell due while its policy was suspended: the schedule's
        status column (the policy's and the instalments' lists) reads 复效时补交,
        where the stored state would read 未到期."""
        Line = self.env["insurance.premium.line"].with_context(lang="zh_CN")
        statuses = dict(
            Line._fields["schedule_status"]._description_selection(Line.env)
        )
        self.assertEqual(statuses["owed_on_reinstatement"], "复效时补交")
        self.assertEqual(statuses["planned"], "未到期")
        for model, view, path in (
            ("insurance.premium.line", "insurance_premium_line_view_list", "//list"),
            (
                "insurance.policy",
                "insurance_policy_view_form",
                "//field[@name='premium_line_ids']/list",
            ),
        ):
            arch = self.env[model].get_view(
                self.env.ref(f"insurance_renewal.{view}").id
            )["arch"]
            schedule = etree.fromstring(arch).xpath(path)[0]
            shown = [
                node.get("name")
                for node in schedule.iterchildren("field")
                if node.get("column_invisible") != "1"
            ]
            self.assertIn("schedule_status", shown, view)
            self.assertNotIn("state", shown, view)
        form = Line.get_view(
            self.env.ref("insurance_renewal.insurance_premium_line_view_form").id
        )["arch"]
        form = etree.fromstring(form)
        ribbon = form.xpath("//widget[@name='web_ribbon']")[0]
        self.assertEqual(ribbon.get("title"), "复效时补交", "The instalment's form.")
        statusbar = form.xpath("//field[@widget='statusbar']")[0]
        self.assertEqual(
            statusbar.get("invisible"),
            "schedule_status == 'owed_on_reinstatement'",
            "No status bar lit on 未到期 beside it.",
        )

    def test_red_flag_thresholds_name_what_they_count(self):
        """The thresholds' columns say what they count, with the letter the
        rule's description uses (it read 前 K 天 and a cut 变更超过…)."""
        labels = self._labels(
            "insurance.red.flag.rule",
            "insurance_renewal.insurance_red_flag_rule_view_list",
            user=self.env.ref("insurance_renewal.user_compliance"),
        )
        self.assertEqual(labels[3:6], ["变更次数上限 N", "统计天数 M", "终止前天数 K"])

    def test_renewal_case_list_names_its_columns(self):
        labels = self._labels(
            "crm.lead", "insurance_renewal.crm_lead_renewal_view_list"
        )
        self.assertEqual(labels[:3], ["投保人", "保单", "阶段"], "Not 商机, not cut.")

    def test_debit_results_read_as_debits_not_contacts(self):
        labels = self._labels(
            "insurance.debit.result",
            "insurance_renewal.insurance_debit_result_view_list",
        )
        self.assertIn("扣款处理结果", labels)
        self.assertNotIn("联系结果", labels)

    def test_suspense_queue_names_the_bank_s_columns(self):
        """The receipt's memo and payer, not Odoo's Label and Partner Name."""
        labels = self._labels(
            "account.bank.statement.line",
            "insurance_renewal.insurance_receipt_view_list",
            user=self.env.ref("insurance_renewal.user_finance"),
        )
        self.assertEqual(labels[1:3], ["附言", "付款人户名"])

    def test_every_list_of_the_addon_says_what_belongs_in_it(self):
        """An empty list, pivot or kanban explains itself instead of Odoo's bare
        "create a record"."""
        actions = self.env["ir.actions.act_window"].search(
            [("res_model", "!=", False), ("target", "not in", ("new", "inline"))]
        )
        without_help = [
            data.name
            for data in self.env["ir.model.data"].search(
                [
                    ("module", "=", "insurance_renewal"),
                    ("model", "=", "ir.actions.act_window"),
                    ("res_id", "in", actions.ids),
                ]
            )
            if set(actions.browse(data.res_id).view_mode.split(","))
            & {"list", "kanban", "pivot"}
            and not actions.browse(data.res_id).help
        ]
        self.assertFalse(without_help)

    def test_the_reminder_log_groups_by_date_not_by_day_day(self):
        """Its default grouping reads 日期: 天 (Odoo shows "label: interval"; the
        label 天 made it 天: 天)."""
        view = self.env.ref("insurance_renewal.insurance_reminder_log_view_search")
        arch = view.with_context(lang="zh_CN").get_combined_arch()
        group_day = etree.fromstring(arch).find(".//filter[@name='group_day']")
        self.assertEqual(group_day.get("string"), "日期")

    def _shown_buttons(self, model, view, names, values):
        """The labels of the buttons named so that the web client shows on a
        record of these values, as a zh_CN specialist reads them."""
        Model = self.env[model].with_user(self.specialist).with_context(lang="zh_CN")
        arch = Model.get_views([(view, "form")])["views"]["form"]["arch"]
        return [
            button.get("string")
            for button in etree.fromstring(arch).iter("button")
            if button.get("name") in names
            and not safe_eval(button.get("invisible", "False"), values)
        ]

    def test_a_renewal_case_closes_as_lost_not_as_a_lost_sale(self):
        form = self.env.ref("insurance_renewal.crm_lead_renewal_view_form").id
        renewal_action = self.env.ref(
            "insurance_renewal.crm_lead_lost_action_renewal", raise_if_not_found=False
        )
        actions = self.env.ref("crm.crm_lead_lost_action") | (
            renewal_action or self.env["ir.actions.act_window"]
        )
        lost = {str(action.id) for action in actions}
        case = {"won_status": "pending", "active": True, "type": "opportunity"}
        for renewal, label in ((True, "流失结案"), (False, "已丢失")):
            shown = self._shown_buttons(
                "crm.lead", form, lost, dict(case, is_renewal_case=renewal)
            )
            self.assertEqual(shown, [label], "A sale keeps CRM's button.")
            shown = self._shown_buttons(
                "crm.lead.lost",
                False,
                {"action_lost_reason_apply"},
                {"is_renewal": renewal},
            )
            self.assertEqual(len(shown), 1)
            self.assertEqual(shown[0] == "流失结案", renewal, "The dialog's button.")
        self.assertEqual(actions[1:].with_context(lang="zh_CN").name, "流失结案")

    def test_every_team_opens_a_policy_form(self):
        """Finance, underwriting, customer service and compliance reach the
        policies from Team Work: the form and its Customer Overview open without
        an access error."""
        policy = self.env["insurance.policy"].search(
            [("renewal_lead_ids", "!=", False)], limit=1
        )
        for group in (
            "account.group_account_invoice",
            "insurance_renewal.group_insurance_underwriter",
            "insurance_renewal.group_insurance_customer_service",
            "insurance_renewal.group_insurance_compliance",
        ):
            user = new_test_user(
                self.env,
                login=f"team_{group}",
                groups=group,
                company_id=policy.company_id.id,
                company_ids=policy.company_id.ids,
            )
            with self.subTest(group=group):
                self.assertTrue(self._open_form(user, "insurance.policy", policy.id))
                overview = policy.with_user(user).action_open_renewal_overview()
                self.assertTrue(
                    self._open_form(
                        user,
                        "res.partner",
                        overview["res_id"],
                        "insurance_renewal.res_partner_view_form_overview",
                    )
                )

    def _open_form(self, user, model, res_id, view_xmlid=None):
        """Read a record as the web client does for its form, as the user."""
        Model = self.env[model].with_user(user).with_context(lang="zh_CN")
        view = self.env.ref(view_xmlid).id if view_xmlid else False
        result = Model.get_views([(view, "form")])
        fields = result["models"][model]["fields"]
        arch = etree.fromstring(result["views"]["form"]["arch"])
        names = {node.get("name") for node in arch.iter("field")} & set(fields)
        spec = {
            name: {"fields": {}}
            if fields[name]["type"] in ("one2many", "many2many", "many2one")
            else {}
            for name in names
        }
        return Model.browse(res_id).web_read(spec)
