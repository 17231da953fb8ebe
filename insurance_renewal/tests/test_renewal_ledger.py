import io
import zipfile

import openpyxl
from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from ..lib import schedule
from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalLedger(InsuranceRenewalCommon):
    """The renewal ledger in Excel: rows, order, masking, text cells and who sees
    what."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_specialist = new_test_user(
            cls.env,
            login="test_specialist_2",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        cls.manager = new_test_user(
            cls.env,
            login="test_ledger_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        cls.formula_holder = cls.env["res.partner"].create(
            {
                "name": "=1+1 王芳",
                "identity_number": "110101199003074514",
                "phone": "+8613900000001",
            }
        )
        # Due later but a high-priority case: first in the ledger.
        cls.urgent = cls._ledger_policy(
            "L-URGENT", cls.formula_holder, cls.specialist, "2025-03-20", "2"
        )
        cls.early = cls._ledger_policy(
            "L-EARLY", cls.holder, cls.specialist, "2025-03-05", "0"
        )
        cls.later = cls._ledger_policy(
            "L-LATER", cls.holder, cls.specialist, "2025-03-10", False
        )
        cls.others = cls._ledger_policy(
            "L-OTHERS", cls.holder, cls.other_specialist, "2025-03-01", "3"
        )
        cls.out_of_range = cls._ledger_policy(
            "L-APRIL", cls.holder, cls.specialist, "2025-04-02", False
        )

    @classmethod
    def _ledger_policy(cls, name, holder, specialist, due, priority):
        policy = cls._create_policy(
            name=name,
            partner_id=holder.id,
            specialist_id=specialist.id,
            issue_date="2024-03-01",
            state="in_force",
        )
        cls.env["insurance.premium.line"].create(
            {
                "policy_id": policy.id,
                "installment_number": 2,
                "policy_year": 2,
                "due_date": due,
                "grace_end_date": schedule.grace_end_date(
                    policy.issue_date.replace(year=2025), 60
                ),
                "amount": 12000,
                "state": "due",
            }
        )
        if priority is not False:
            cls.env["crm.lead"].create(
                {
                    "name": name,
                    "type": "opportunity",
                    "partner_id": holder.id,
                    "insurance_policy_id": policy.id,
                    "priority": priority,
                    "user_id": specialist.id,
                }
            )
        return policy

    def _export(self, user, **values):
        wizard = (
            self.env["insurance.renewal.ledger"]
            .with_user(user)
            .create({"date_from": "2025-03-01", "date_to": "2025-03-31", **values})
        )
        report = self.env.ref("insurance_renewal.action_report_renewal_ledger_xlsx")
        content, report_type = (
            report.with_user(user)
            .with_context(lang=user.lang)
            ._render(report.report_name, wizard.ids)
        )
        self.assertEqual(report_type, "xlsx")
        return content

    @staticmethod
    def _sheet(content):
        return openpyxl.load_workbook(io.BytesIO(content)).active

    @staticmethod
    def _policies(sheet):
        return [row[7] for row in sheet.iter_rows(min_row=2, values_only=True)]

    @freeze_time("2025-03-01")
    def test_specialist_ledger_rows_order_and_masking(self):
        content = self._export(self.specialist)
        sheet = self._sheet(content)
        # Only their own instalments of March; by case priority, then due date.
        self.assertEqual(self._policies(sheet), ["L-URGENT", "L-EARLY", "L-LATER"])
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[:3], ["Priority", "Lapse Risk", "Due Date"])
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.auto_filter.ref, "A1:Q4")
        urgent = sheet[2]
        self.assertEqual(urgent[5].value, "110***********4514")
        self.assertEqual(urgent[6].value, "+8613900000001")
        self.assertEqual(urgent[11].value, 12000)
        self.assertEqual(urgent[12].value, "Due")
        # A holder's name starting with "=" is text, never a formula.
        self.assertEqual((urgent[4].value, urgent[4].data_type), ("=1+1 王芳", "s"))
        with zipfile.ZipFile(io.BytesIO(content)) as xlsx:
            self.assertNotIn(b"<f>", xlsx.read("xl/worksheets/sheet1.xml"))

    @freeze_time("2025-03-01")
    def test_specialist_gets_only_their_own_whatever_they_ask(self):
        sheet = self._sheet(self._export(self.specialist, scope="company"))
        self.assertNotIn("L-OTHERS", self._policies(sheet))
        sheet = self._sheet(
            self._export(
                self.specialist,
                scope="specialist",
                specialist_id=self.other_specialist.id,
            )
        )
        self.assertEqual(self._policies(sheet), ["L-URGENT", "L-EARLY", "L-LATER"])

    @freeze_time("2025-03-01")
    def test_record_rules_apply(self):
        """A specialist's instalment in a company they may not read stays out."""
        other_company = self.env["res.company"].create({"name": "Other Insurer"})
        other_product = self.product.copy(
            {"company_id": other_company.id, "code": "OTHER"}
        )
        self.later.write(
            {"company_id": other_company.id, "product_id": other_product.id}
        )
        self.manager.company_ids |= other_company
        sheet = self._sheet(
            self._export(self.manager, scope="company", company_id=other_company.id)
        )
        self.assertEqual(self._policies(sheet), ["L-LATER"])
        sheet = self._sheet(self._export(self.specialist, company_id=other_company.id))
        self.assertEqual(self._policies(sheet), [])

    @freeze_time("2025-03-01")
    def test_manager_ledger_of_the_company_and_a_team(self):
        sheet = self._sheet(self._export(self.manager, scope="company"))
        self.assertEqual(
            self._policies(sheet), ["L-OTHERS", "L-URGENT", "L-EARLY", "L-LATER"]
        )
        team = self.env["crm.team"].create(
            {"name": "续期二组", "member_ids": [self.other_specialist.id]}
        )
        self.assertEqual(self.other_specialist.sale_team_id, team)
        sheet = self._sheet(self._export(self.manager, scope="team", team_id=team.id))
        self.assertEqual(self._policies(sheet), ["L-OTHERS"])

    @freeze_time("2025-03-01")
    def test_chinese_headers(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["insurance_renewal"], ["zh_CN"]
        )
        self.specialist.lang = "zh_CN"
        sheet = self._sheet(self._export(self.specialist))
        self.assertEqual(
            [cell.value for cell in sheet[1]][:3], ["优先级", "中止风险", "应缴日"]
        )
        self.assertEqual(sheet[2][12].value, "应缴")
