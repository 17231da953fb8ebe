import base64
import io
from unittest.mock import patch

import openpyxl
from freezegun import freeze_time
from markupsafe import Markup
from stdnum import luhn
from stdnum.cn import ric

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import InsuranceRenewalCommon
from .test_batch_tracking import MESSAGE_FIELDS

ZH = (
    "保单号",
    "产品代码",
    "投保人",
    "投保人身份证号",
    "投保人手机",
    "电子邮箱",
    "联系地址",
    "被保险人",
    "开户银行",
    "银行卡号",
    "业务员",
    "生效日期",
    "缴费频率",
    "期缴保费",
    "缴费年期",
    "缴至日",
    "收费方式",
    "现金价值",
    "保单贷款余额",
    "价值报告日",
    "自动垫交",
)
EN = (
    "Policy Number",
    "Product Code",
    "Policyholder",
    "Policyholder ID Number",
    "Policyholder Phone",
    "Email",
    "Address",
    "Insured",
    "Bank",
    "Card Number",
    "Agent",
    "Issue Date",
    "Payment Frequency",
    "Premium",
    "Premium Years",
    "Paid-to Date",
    "Payment Method",
    "Cash Value",
    "Loan Balance",
    "Values Reported On",
    "APL Opt-in",
)
LI_ID = "110105198001010016"
WANG_ID = "310101198505050021"
CARD = "6228480012345671"


def row(policy="R-0001", **values):
    """A good row of the renewal extract; ``values`` replace its cells."""
    cells = {
        "policy": policy,
        "product": "TEST-XFNN",
        "holder": "李娜",
        "holder_id": LI_ID,
        "phone": "13900139000",
        "email": "lina@example.com",
        "address": "上海市浦东新区世纪大道100号",
        "insured": "李小明",
        "bank": "中国工商银行",
        "card": CARD,
        "agent": "test_agent",
        "issue": "2024/1/31",
        "frequency": "年交",
        "premium": "12,000.00",
        "years": "10",
        "paid_to": "2025年1月31日",
        "method": "银行代扣",
        "cash_value": "3500",
        "loan": "0",
        "values_date": "2025-01-01",
        "apl": "是",
    }
    cells.update(values)
    return tuple(cells.values())


@tagged("post_install", "-at_install")
class TestDataImport(InsuranceRenewalCommon):
    @classmethod
    def default_env_context(cls):
        """Track changes as a user's import does: an update must show in the
        chatter, a file imported again must not."""
        return {"no_reset_password": True}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.company_id.country_id = cls.env.ref("base.cn")
        # Nobody else in the test database shares these phones and names.
        cls.other_row = row(
            "R-0002",
            holder="王芳",
            holder_id=WANG_ID,
            phone="0755-8888 6666",
            email="",
            address="",
            insured="",
            card="",
            bank="",
            method="柜面",
            frequency="月交",
            premium="800",
            paid_to="2025-01-31",
            apl="否",
        )

    # Helpers -------------------------------------------------------------------

    @staticmethod
    def _csv(*rows, encoding="utf-8-sig"):
        lines = [",".join(f'"{cell}"' for cell in line) for line in rows]
        return "\r\n".join(lines).encode(encoding)

    @staticmethod
    def _xlsx(*rows):
        workbook = openpyxl.Workbook()
        for line in rows:
            workbook.active.append(list(line))
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()

    def _new_import(self, content, filename="extract.csv", kind="policies", user=None):
        return (
            self.env["insurance.data.import"]
            .with_user(user or self.specialist)
            .create(
                {
                    "kind": kind,
                    "name": filename,
                    "data_file": base64.b64encode(content),
                }
            )
        )

    def _import(self, content, filename="extract.csv", kind="policies", **kwargs):
        data_import = self._new_import(content, filename, kind)
        data_import.action_check()
        if kwargs.get("valid_only"):
            data_import.import_valid_only = True
        data_import.action_import()
        self._flush_tracking()
        return data_import

    def _flush_tracking(self):
        self.env.flush_all()
        self.env.cr.precommit.run()

    def _policy(self, name):
        return self.env["insurance.policy"].search([("name", "=", name)])

    # A good file ---------------------------------------------------------------

    @freeze_time("2025-01-10")
    def test_good_csv_with_chinese_headers_creates_active_policies(self):
        data_import = self._import(self._csv(ZH, row(), self.other_row))
        self.assertRecordValues(
            data_import,
            [
                {
                    "state": "done",
                    "row_count": 2,
                    "error_row_count": 0,
                    "created_count": 2,
                    "progress": 100,
                }
            ],
        )
        policy = self._policy("R-0001")
        self.assertRecordValues(
            policy,
            [
                {
                    "state": "in_force",
                    "product_id": self.product.id,
                    "user_id": self.agent.id,
                    "payment_frequency": "annual",
                    "premium_amount": 12000,
                    "premium_years": 10,
                    "payment_method": "bank_debit",
                    "cash_value": 3500,
                    "apl_opt_in": True,
                    "specialist_id": False,
                }
            ],
        )
        self.assertEqual(str(policy.paid_to_date), "2025-01-31")
        self.assertEqual(str(policy.cash_value_date), "2025-01-01")
        self.assertEqual(policy.premium_line_ids[:1].installment_number, 2)
        holder = policy.partner_id
        self.assertRecordValues(
            holder,
            [
                {
                    "name": "李娜",
                    "phone": "+8613900139000",
                    "email": "lina@example.com",
                    "street": "上海市浦东新区世纪大道100号",
                }
            ],
        )
        self.assertEqual(holder.sudo().identity_number, LI_ID)
        self.assertEqual(policy.insured_id.name, "李小明")
        self.assertEqual(policy.payer_id, holder)
        self.assertEqual(holder.bank_ids.acc_number, CARD)
        self.assertEqual(holder.bank_ids.bank_id.name, "中国工商银行")
        monthly = self._policy("R-0002")
        self.assertEqual(monthly.partner_id.phone, "+8675588886666")
        self.assertEqual(monthly.payment_frequency, "monthly")
        self.assertEqual(monthly.state, "in_force")
        self.assertEqual(monthly.premium_line_ids[:1].installment_number, 13)

    @freeze_time("2025-01-10")
    def test_good_xlsx_with_english_headers_and_excel_dates(self):
        cells = list(row())
        cells[EN.index("Issue Date")] = __import__("datetime").datetime(2024, 1, 31)
        cells[EN.index("Premium")] = 12000
        data_import = self._import(self._xlsx(EN, cells), "extract.xlsx")
        self.assertEqual(data_import.created_count, 1)
        policy = self._policy("R-0001")
        self.assertEqual(str(policy.issue_date), "2024-01-31")
        self.assertEqual(policy.premium_amount, 12000)

    @freeze_time("2025-01-10")
    def test_gbk_file_with_a_title_row_and_the_template_headers(self):
        title = ("中国人寿 续期清单 2025-01-10",)
        header = tuple(f"{zh}\n{en}" for zh, en in zip(ZH, EN, strict=True))
        content = self._csv(title, header, row(), encoding="gbk")
        data_import = self._import(content)
        self.assertEqual(data_import.created_count, 1)
        self.assertEqual(self._policy("R-0001").partner_id.name, "李娜")

    def test_shipped_template_is_read_as_a_header_without_rows(self):
        with open(
            __file__.replace(
                "tests/test_data_import.py",
                "static/templates/renewal_extract_template.xlsx",
            ),
            "rb",
        ) as template:
            data_import = self._new_import(template.read(), "template.xlsx")
        with self.assertRaises(UserError) as caught:
            data_import.action_check()
        self.assertIn("no rows", str(caught.exception))

    # Bad rows ------------------------------------------------------------------

    @freeze_time("2025-01-10")
    def test_a_caller_cannot_record_the_import_s_progress(self):
        """A file with a bad row cannot be set Checked without it over RPC (nor
        created so, nor its counters changed): the import records its own
        progress. Choosing a new file, as the form does, still resets it."""
        data_import = self._new_import(self._csv(ZH, row("B-01", holder=""), row()))
        data_import.action_check()
        self.assertEqual(data_import.error_row_count, 1)
        for vals in (
            {"error_row_count": 0},
            {"state": "done"},
            {"processed_rows": 2, "last_row": 3},
            {"error_ids": [Command.clear(), Command.create({"row": 2})]},
        ):
            with self.assertRaises(AccessError) as caught:
                data_import.write(vals)
            self.assertIn("recorded by the import itself", str(caught.exception))
        with self.assertRaises(AccessError):
            self._new_import(self._csv(ZH, row())).write({"state": "checked"})
        with self.assertRaises(AccessError):
            self.env["insurance.data.import"].with_user(self.specialist).create(
                {"name": "x.csv", "state": "checked"}
            )
        self.assertRecordValues(
            data_import, [{"state": "checked", "error_row_count": 1}]
        )
        with self.assertRaises(UserError):
            data_import.action_import()
        # a new file, as the form sends it: checked again from the start
        data_import.write(
            {
                "data_file": base64.b64encode(self._csv(ZH, row())),
                "state": "draft",
                "row_count": 0,
                "error_row_count": 0,
                "error_ids": [Command.clear()],
            }
        )
        data_import.action_check()
        data_import.action_import()
        self.assertRecordValues(
            data_import, [{"state": "done", "error_row_count": 0, "created_count": 1}]
        )
        with self.assertRaises(AccessError):
            data_import.write({"state": "draft"})

    def test_each_kind_of_bad_row_is_listed_and_nothing_imported(self):
        bad = [
            row("B-01", holder=""),
            row("B-02", issue="2024-02-30"),
            row("B-03", premium="12.345"),
            row("B-04", frequency="每周"),
            row("B-05", product="NOPE"),
            row("B-06", holder_id="110105198001010017"),
            row("B-07", card="6228480012345670"),
            row("B-08", phone="12345"),
            row("B-09", premium="-5"),
            row("B-10", years="abc"),
            row("B-11", agent="nobody"),
            row("B-12", email="not-an-email"),
            row("B-13", method="比特币"),
            row("B-14", apl="也许"),
            row("R-0001"),
            row("R-0001", premium="9000"),
        ]
        data_import = self._new_import(self._csv(ZH, *bad))
        data_import.action_check()
        self.assertEqual(data_import.row_count, 16)
        self.assertEqual(data_import.error_row_count, 15)
        errors = [(e.row, e.field) for e in data_import.error_ids]
        self.assertEqual(
            errors,
            [
                (2, "Policyholder"),
                (3, "Issue Date"),
                (4, "Premium"),
                (5, "Payment Frequency"),
                (6, "Product Code"),
                (7, "Policyholder ID Number"),
                (8, "Card Number"),
                (9, "Policyholder Phone"),
                (10, "Premium"),
                (11, "Premium Years"),
                (12, "Agent"),
                (13, "Email"),
                (14, "Payment Method"),
                (15, "APL Opt-in"),
                (17, "Policy Number"),
            ],
        )
        messages = data_import.error_ids.mapped("message")
        self.assertIn("the value is missing.", messages)
        self.assertIn("2024-02-30 is not a date", messages[1])
        # personal data stays masked in the list of errors
        self.assertIn("110***********0017", messages[5])
        self.assertNotIn("110105198001010017", " ".join(messages))
        self.assertIn("6228********5670", messages[6])
        with self.assertRaises(UserError) as caught:
            data_import.action_import()
        self.assertIn("15 rows", str(caught.exception))
        self.assertFalse(self.env["insurance.policy"].search([]))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "李娜")]))

    @freeze_time("2025-01-10")
    def test_missing_columns_are_named(self):
        data_import = self._new_import(self._csv(("保单号", "投保人"), ("X", "Y")))
        with self.assertRaises(UserError) as caught:
            data_import.action_check()
        message = str(caught.exception)
        for column in ("Product Code", "Issue Date", "Premium Years"):
            self.assertIn(column, message)

    @freeze_time("2025-01-10")
    def test_only_the_good_rows_when_the_user_chooses_so(self):
        content = self._csv(ZH, row(), row("B-01", premium="abc"), self.other_row)
        data_import = self._import(content, valid_only=True)
        self.assertRecordValues(
            data_import,
            [{"state": "done", "created_count": 2, "error_row_count": 1}],
        )
        self.assertTrue(self._policy("R-0001"))
        self.assertTrue(self._policy("R-0002"))
        self.assertFalse(self._policy("B-01"))
        self.assertEqual(data_import.error_ids.row, 3)

    def test_a_bad_row_s_fault_is_the_import_s_not_the_user_s(self):
        """The import takes a checked file's bad rows from the faults its check
        listed: a specialist who deleted or moved them over RPC would have an
        invalid card imported as good."""
        bad_card = "6228480012345670"
        content = self._csv(ZH, row(), row("B-03", card=bad_card))
        data_import = self._new_import(content)
        data_import.action_check()
        fault = data_import.error_ids
        self.assertEqual(fault.row, 3)
        for tamper in (
            fault.unlink,
            lambda: fault.write({"row": 99}),
            lambda: fault.create({"import_id": data_import.id, "row": 2}),
        ):
            with self.assertRaises(AccessError):
                tamper()
        data_import.import_valid_only = True
        data_import.action_import()
        self.assertTrue(self._policy("R-0001"))
        self.assertFalse(self._policy("B-03"))

    def test_the_imported_file_is_dropped_its_errors_stay_masked(self):
        """The extract holds identity and card numbers in full: once imported,
        nobody downloads it from the import any more."""
        bad_card = "6228480012345670"
        content = self._csv(ZH, row(), row("B-02", card=bad_card))
        data_import = self._import(content, valid_only=True)
        self.assertEqual(data_import.state, "done")
        data_import.invalidate_recordset()
        self.assertFalse(data_import.with_user(self.specialist).data_file)
        self.assertFalse(data_import._file_attachment())
        self.assertEqual(data_import.error_ids.field, "Card Number")
        self.assertIn("6228********5670", data_import.error_ids.message)
        self.assertNotIn(bad_card, data_import.error_ids.message)

    # Again, matching, updating ----------------------------------------------

    @freeze_time("2025-01-10")
    def test_the_same_file_twice_changes_nothing(self):
        content = self._csv(ZH, row(), self.other_row, row("R-0003", holder_id=""))
        self._import(content)
        policies = self.env["insurance.policy"].search([])
        partners = self.env["res.partner"].search_count([])
        messages = self.env["mail.message"].search_count([])
        accounts = self.env["res.partner.bank"].search_count([])
        again = self._import(content)
        self.assertRecordValues(
            again, [{"created_count": 0, "updated_count": 0, "unchanged_count": 3}]
        )
        self.assertEqual(self.env["insurance.policy"].search([]), policies)
        self.assertEqual(self.env["res.partner"].search_count([]), partners)
        self.assertEqual(self.env["mail.message"].search_count([]), messages)
        self.assertEqual(self.env["res.partner.bank"].search_count([]), accounts)

    @freeze_time("2025-01-10")
    def test_partners_are_matched_by_identity_then_phone_and_name(self):
        Partner = self.env["res.partner"]
        by_identity = Partner.create({"name": "李娜 (旧名)"})
        by_identity.sudo().identity_number = LI_ID
        by_phone = Partner.create({"name": "王芳", "phone": "0755 8888 6666"})
        same_name_other_phone = Partner.create({"name": "王芳", "phone": "13700137000"})
        content = self._csv(
            ZH,
            row(),
            self.other_row,
            row("R-0003", holder="王芳", holder_id=WANG_ID, phone="075588886666"),
        )
        self._import(content)
        self.assertEqual(self._policy("R-0001").partner_id, by_identity)
        self.assertEqual(self._policy("R-0002").partner_id, by_phone)
        self.assertEqual(self._policy("R-0003").partner_id, by_phone)
        self.assertEqual(by_phone.sudo().identity_number, WANG_ID)
        self.assertFalse(same_name_other_phone.sudo().identity_number)
        self.assertEqual(Partner.search_count([("name", "=", "王芳")]), 2)

    @freeze_time("2025-01-10")
    def test_an_existing_policy_is_updated_with_its_changes_tracked(self):
        self._import(self._csv(ZH, row()))
        policy = self._policy("R-0001")
        changed = row(cash_value="4100.50", values_date="2025-01-09", apl="否")
        data_import = self._import(self._csv(ZH, changed))
        self.assertEqual(data_import.updated_count, 1)
        self.assertRecordValues(
            policy,
            [{"cash_value": 4100.50, "apl_opt_in": False, "state": "in_force"}],
        )
        tracked = policy.message_ids.tracking_value_ids.mapped("field_id.name")
        for field in ("cash_value", "cash_value_date", "apl_opt_in"):
            self.assertIn(field, tracked)

    @freeze_time("2025-01-10")
    def test_a_draft_policy_is_completed_and_activated(self):
        draft = self._create_policy(name="R-0001", premium_amount=1, premium_years=1)
        data_import = self._import(self._csv(ZH, row()))
        self.assertEqual(data_import.updated_count, 1)
        self.assertRecordValues(
            draft,
            [{"state": "in_force", "premium_amount": 12000, "premium_years": 10}],
        )
        self.assertEqual(draft.partner_id.name, "李娜")

    @freeze_time("2025-01-10")
    def test_the_schedule_of_an_active_policy_is_not_changed_by_a_file(self):
        self._import(self._csv(ZH, row()))
        data_import = self._new_import(self._csv(ZH, row(premium="13000")))
        data_import.action_check()
        self.assertEqual(data_import.error_ids.field, "Premium")
        self.assertIn("12000.0 in Odoo", data_import.error_ids.message)
        self.assertEqual(self._policy("R-0001").premium_amount, 12000)

    # Large files ---------------------------------------------------------------

    @freeze_time("2025-01-10")
    def test_large_file_is_imported_in_committed_batches_with_progress(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.import_batch_rows", 2
        )
        rows = [row(f"L-{n:03d}", holder_id="", phone="", card="") for n in range(5)]
        data_import = self._new_import(self._csv(ZH, *rows))
        data_import.action_check()
        data_import.action_import()
        self.assertEqual(data_import.state, "importing")
        self.assertFalse(self._policy("L-000"))
        self._call_in_cron_cursor("insurance.data.import", "_cron_import_renewal_data")
        self.assertRecordValues(
            data_import,
            [{"state": "done", "processed_rows": 5, "progress": 100, "last_row": 6}],
        )
        self.assertEqual(
            self.env["insurance.policy"].search_count([("name", "like", "L-")]), 5
        )

    # Volume --------------------------------------------------------------------

    @staticmethod
    def _new_customer_rows(first, count):
        """Good rows of new customers, each with an identity number, a mobile, an
        email and a debit card of their own."""
        rows = []
        for n in range(first, first + count):
            body = f"11010519800101{n:03d}"
            card = f"622202{n:09d}"
            rows.append(
                row(
                    f"V-{n:04d}",
                    holder=f"客户{n:04d}",
                    holder_id=body + ric.calc_check_digit(body + "0"),
                    phone=f"139{n:08d}",
                    email=f"c{n}@example.com",
                    insured="",
                    card=card + luhn.calc_check_digit(card),
                )
            )
        return rows

    @freeze_time("2025-01-10")
    def test_new_cards_are_logged_masked_on_their_holders_once(self):
        """Each new card shows once in its holder's chatter (Odoo's "Bank Account
        created" and the masked change of Bank Accounts, as when a user adds a
        card); the import adds no creation message to the new customers and
        does not make the importer follow them or their policies."""
        rows = self._new_customer_rows(1, 2)
        self._import(self._csv(ZH, *rows))
        field = self.env["ir.model.fields"]._get(
            "res.partner", "insurance_bank_accounts"
        )
        for line in rows:
            policy = self._policy(line[0])
            holder = policy.partner_id
            card = holder.bank_ids.acc_number
            self.assertEqual(card, line[ZH.index("银行卡号")])
            messages = holder.message_ids
            created = messages.filtered(lambda m: "Bank Account" in str(m.body))
            self.assertEqual(len(created), 1)
            tracked = messages.tracking_value_ids.filtered(
                lambda t: t.field_id == field
            )
            self.assertEqual(len(tracked), 1)
            self.assertFalse(tracked.old_value_char)
            self.assertEqual(tracked.new_value_char, f"{card[:4]}********{card[-4:]}")
            self.assertNotIn(card, " ".join(str(m.body) for m in messages))
            self.assertEqual(len(messages), 2, messages.mapped("body"))
            self.assertNotIn(self.specialist.partner_id, holder.message_partner_ids)
            self.assertNotIn(self.specialist.partner_id, policy.message_partner_ids)
            self.assertIn("Policy created", policy.message_ids.mapped("body")[-1])

    # columns of mail_message that differ between any two messages
    UNIQUE_COLUMNS = ("id", "message_id")

    def _message_rows(self, messages, ignore=()):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT * FROM mail_message WHERE id = ANY(%s) ORDER BY id",
            [messages.ids],
        )
        names = [column.name for column in self.env.cr.description]
        return [
            {
                name: value
                for name, value in zip(names, values, strict=True)
                if name not in self.UNIQUE_COLUMNS + ignore
            }
            for values in self.env.cr.fetchall()
        ]

    @freeze_time("2025-01-10 09:30:00")
    def test_card_logs_stored_together_are_the_logs_odoo_creates(self):
        """The holders' card logs of a batch are stored in one INSERT: each has
        the columns Odoo's own ``_message_log`` stores (author, subtype, type,
        body, dates, creator...), shows in the holder's chatter at once, and
        keeps its tracked value."""
        rows = self._new_customer_rows(1, 2)
        self._import(self._csv(ZH, *rows))
        holder = self._policy(rows[0][0]).partner_id
        created, listed = holder.message_ids.sorted("id")
        self.assertIn("Bank Account", str(created.body))
        self.assertEqual(len(listed.tracking_value_ids), 1)
        # the same logs, made one at a time through Odoo's create
        specialist_env = holder.with_user(self.specialist).env
        by_odoo = holder.with_env(specialist_env)._message_log(body=created.body)
        by_odoo |= holder.with_env(specialist_env)._message_log()
        self.assertEqual(
            self._message_rows(created | listed), self._message_rows(by_odoo)
        )
        self.assertEqual(holder.message_ids, created | listed | by_odoo)

    @freeze_time("2025-01-10 09:30:00")
    def test_policies_imported_together_log_their_creation_as_one_alone(self):
        """The "Policy created" logs of a batch are stored in one INSERT, with
        the columns of the log Odoo's create gives a policy created alone."""
        self._import(self._csv(ZH, row(), self.other_row))
        alone = (
            self.env["insurance.policy"]
            .with_user(self.specialist)
            .with_context(mail_create_nosubscribe=True)
            .create(
                {
                    "name": "R-0100",
                    "partner_id": self.holder.id,
                    "product_id": self.product.id,
                    "issue_date": "2024-01-31",
                    "premium_amount": 12000,
                    "premium_years": 10,
                }
            )
        )
        logs = [
            policy.message_ids.filtered(lambda m: "Policy created" in str(m.body))
            for policy in (self._policy("R-0001"), self._policy("R-0002"), alone)
        ]
        self.assertEqual([len(log) for log in logs], [1, 1, 1])
        rows = [self._message_rows(log, ignore=("res_id",)) for log in logs]
        self.assertEqual(rows[0], rows[2])
        self.assertEqual(rows[1], rows[2])

    def test_logs_with_more_than_a_log_holds_go_through_odoo(self):
        """A log given recipients (or anything a plain log does not hold) is
        left to Odoo's create."""
        Message = self.env["mail.message"].sudo()
        values = {
            "author_id": self.env.user.partner_id.id,
            "body": "<p>x</p>",
            "email_add_signature": False,
            "email_from": False,
            "is_internal": True,
            "message_id": "<test@x>",
            "message_type": "notification",
            "model": "res.partner",
            "reply_to": False,
            "res_id": self.holder.id,
        }
        self.assertTrue(Message._insurance_insert_logs([values]))
        with_partners = {**values, "partner_ids": [self.holder.id]}
        self.assertIsNone(Message._insurance_insert_logs([with_partners]))
        self.assertIsNone(Message._insurance_insert_logs([{**values, "parent_id": 1}]))

    def test_log_bodies_stored_together_are_sanitised_as_each_alone(self):
        """The logs of a batch whose bodies differ only in one number (each new
        card's "Bank Account #N created") are sanitised once for all; each
        body stored is still what the field makes of it alone, also when the
        number sits where the sanitiser drops it or when a body holds two."""
        Message = self.env["mail.message"].sudo()
        link = '<a href="#" data-oe-model="res.partner.bank" data-oe-id="%s">#%s</a>'
        bodies = [
            Markup(f"<span>Bank Account {link} created</span>") % (12, 12),
            Markup(f"<span>Bank Account {link} created</span>") % (345, 345),
            Markup('<span onclick="go(7)">card 7</span>'),
            Markup('<span onclick="go(8)">card 8</span>'),
            Markup("<p>2 cards of 3</p>"),
            Markup("<p>2 cards of 2</p><script>x(2)</script>"),
        ]
        values = {
            "author_id": self.env.user.partner_id.id,
            "email_add_signature": False,
            "email_from": False,
            "is_internal": True,
            "message_type": "notification",
            "model": "res.partner",
            "reply_to": False,
            "res_id": self.holder.id,
        }
        messages = Message._insurance_insert_logs(
            [
                {**values, "body": body, "message_id": f"<log-{number}@x>"}
                for number, body in enumerate(bodies)
            ]
        )
        messages.invalidate_recordset(["body"])
        field = Message._fields["body"]
        self.assertEqual(
            [str(body) for body in messages.mapped("body")],
            [str(field.convert_to_column_insert(body, Message)) for body in bodies],
        )
        self.assertIn('data-oe-id="345">#345</a>', str(messages[1].body))
        self.assertNotIn("onclick", str(messages[2].body))

    def test_a_card_archived_for_its_holder_is_still_refused(self):
        """Odoo refuses a new bank account whose number its holder has archived
        (unarchive it instead): still so when many are created at once, where
        the archived copies are looked for in one search."""
        Bank = self.env["res.partner.bank"]
        other = self.env["res.partner"].create({"name": "王芳"})
        archived = Bank.create({"partner_id": self.holder.id, "acc_number": CARD})
        archived.active = False
        card = "6222020000000015"
        with self.assertRaises(UserError) as caught:
            Bank.create(
                [
                    {"partner_id": other.id, "acc_number": card},
                    {"partner_id": self.holder.id, "acc_number": CARD},
                ]
            )
        self.assertIn("archived", str(caught.exception))
        # another holder may have the number
        created = Bank.create(
            [
                {"partner_id": other.id, "acc_number": CARD},
                {"partner_id": self.holder.id, "acc_number": card},
            ]
        )
        self.assertEqual(created.mapped("acc_number"), [CARD, card])

    @freeze_time("2025-01-10 09:30:00")
    def test_customers_found_are_told_of_their_new_contact_data(self):
        """A customer the file names with a new phone or email gets the contact
        data date of a change made by hand, once for the whole batch."""
        known = self.env["res.partner"].create(
            {"name": "李娜", "phone": "13700137000", "email": "old@example.com"}
        )
        known.sudo().identity_number = LI_ID
        by_hand = self.env["res.partner"].create({"name": "王芳"})
        by_hand.write({"phone": "13800138000"})
        self.env["res.partner"].flush_model()
        known.sudo().contact_data_date = False
        self._import(self._csv(ZH, row(), row("R-0009", insured="")))
        self.assertEqual(self._policy("R-0001").partner_id, known)
        self.assertRecordValues(
            known,
            [
                {
                    "phone": "+8613900139000",
                    "email": "lina@example.com",
                    "contact_data_date": by_hand.contact_data_date,
                }
            ],
        )
        self.assertTrue(known.contact_data_date)

    def test_new_customers_get_the_defaults_odoo_gives_each(self):
        """The new customers of a batch get Odoo's default values looked up
        once for the batch: each is stored as Odoo's create stores it alone."""
        people = {
            key: {
                "name": "王芳",
                "identity": "",
                "phone": phone,
                "email": "wang@example.com",
                "street": "上海市黄浦区南京东路1号",
            }
            for key, phone in (("a", "+8613900139001"), ("b", "+8613900139002"))
        }
        Partner = self.env["res.partner"].sudo().with_context(tracking_disable=True)
        alone = Partner.create(
            {
                "name": "王芳",
                "identity_number": False,
                "phone": "+8613900139001",
                "email": "wang@example.com",
                "street": "上海市黄浦区南京东路1号",
                "company_id": False,
            }
        )
        batch = self.env["insurance.partner.match"]._create(people, self.env.company)
        self.env.flush_all()
        names = [
            fname
            for fname, field in Partner._fields.items()
            if field.store
            and fname
            not in ("id", "create_date", "write_date", "commercial_partner_id")
            and field.type not in ("one2many", "many2many", "binary")
        ]
        (alone | batch["a"]).invalidate_recordset()
        values = [
            dict(record.sudo().read(names)[0], id=0) for record in (alone, batch["a"])
        ]
        self.assertEqual(values[1], values[0])
        self.assertEqual(batch["b"].phone, "+8613900139002")
        self.assertEqual(batch["a"].commercial_partner_id, batch["a"])

    def test_new_cards_get_the_defaults_odoo_gives_each(self):
        """The new debit cards of a batch get Odoo's default values looked up
        once for the batch: each is stored as Odoo's create stores it alone."""
        Partner = self.env["res.partner"]
        holders = Partner.create([{"name": "王芳"}, {"name": "李娜"}, {"name": "赵磊"}])
        alone = (
            self.env["res.partner.bank"]
            .sudo()
            .with_context(tracking_disable=True)
            .create({"partner_id": holders[0].id, "acc_number": CARD})
        )
        rows = [
            {"row": number, "card_number": card, "bank_name": ""}
            for number, card in ((1, CARD), (2, "6222020000000015"))
        ]
        people = {1: (holders[1],) * 3, 2: (holders[2],) * 3}
        self.env["insurance.partner.match"]._add_cards(rows, people)
        batch = holders[1].bank_ids | holders[2].bank_ids
        self.assertEqual(len(batch), 2)
        self.env.flush_all()
        Bank = self.env["res.partner.bank"]
        names = [
            fname
            for fname, field in Bank._fields.items()
            if field.store
            and fname
            not in ("id", "create_date", "write_date", "partner_id", "acc_holder_name")
            and field.type not in ("one2many", "many2many", "binary")
        ]
        (alone | batch).invalidate_recordset()
        values = [
            dict(record.sudo().read(names)[0], id=0) for record in (alone, batch[0])
        ]
        self.assertEqual(values[1], values[0])
        self.assertEqual(batch.mapped("acc_holder_name"), ["李娜", "赵磊"])
        self.assertEqual(
            batch.mapped("acc_number_masked"),
            ["6228********5671", "6222********0015"],
        )

    @freeze_time("2025-01-10")
    def test_customers_found_with_the_same_new_values_are_written_together(self):
        """Customers the file gives the same new address are written in one
        go; a customer given in two rows keeps the last row's phone."""
        rows = self._new_customer_rows(401, 3)
        found = self.env["res.partner"]
        for line in rows:
            partner = self.env["res.partner"].create(
                {
                    "name": line[2],
                    "street": "旧地址",
                    "phone": line[4],
                    "email": line[5],
                }
            )
            partner.sudo().identity_number = line[3]
            found |= partner
        street = ZH.index("联系地址")
        rows = [
            tuple(
                "北京市朝阳区新地址8号" if index == street else cell
                for index, cell in enumerate(line)
            )
            for line in rows[:2]
        ] + [
            rows[2],
            row(
                "V-0499",
                holder=rows[2][2],
                holder_id=rows[2][3],
                phone="13922220000",
                insured="",
                card="",
            ),
        ]
        Partner = type(self.env["res.partner"])
        write, written = Partner.write, []

        def spy(records, vals):
            if "street" in vals or "phone" in vals:
                written.append((records.ids, dict(vals)))
            return write(records, vals)

        with patch.object(Partner, "write", spy):
            self._import(self._csv(ZH, *rows))
        self.assertEqual(found[:2].mapped("street"), ["北京市朝阳区新地址8号"] * 2)
        self.assertIn(found[:2].ids, [ids for ids, _vals in written])
        self.assertEqual(found[2].phone, "+8613922220000")
        self.assertEqual(self._policy("V-0499").partner_id, found[2])

    @freeze_time("2025-01-10")
    def test_customers_found_together_get_the_tracking_of_one_found_alone(self):
        """The new contact data of the customers a batch finds is tracked in one
        go (``insurance.tracking.batch.mixin``): each customer's chatter shows
        the message and tracked values a customer found alone gets."""
        rows = [
            line[:4]
            + ("13900000001", "new@example.com", "北京市东城区新地址1号")
            + line[7:8]
            + ("", "")
            + line[10:]
            for line in self._new_customer_rows(1, 3)
        ]
        Partner = self.env["res.partner"]
        found = Partner
        for line in rows:
            found |= Partner.sudo().create(
                {
                    "name": line[2],
                    "identity_number": line[3],
                    "email": "old@example.com",
                    "street": "旧地址",
                }
            )
        found = found.sudo(False)
        self._flush_tracking()
        self._import(self._csv(ZH, rows[0]))
        self._import(self._csv(ZH, *rows[1:]))
        seen = []
        for partner in found:
            partner.invalidate_recordset(["message_ids"])
            message = partner.message_ids.filtered("tracking_value_ids")
            self.assertEqual(len(message), 1, partner.name)
            values = {name: message[name] for name in MESSAGE_FIELDS}
            values["tracking"] = sorted(
                (value.field_id.name, value.old_value_char, value.new_value_char)
                for value in message.sudo().tracking_value_ids
            )
            seen.append(values)
        self.assertIn(
            ("email", "old@example.com", "new@example.com"), seen[0]["tracking"]
        )
        self.assertIn(
            ("street", "旧地址", "北京市东城区新地址1号"), seen[0]["tracking"]
        )
        self.assertEqual(seen[1], seen[0])
        self.assertEqual(seen[2], seen[0])

    def test_a_client_context_neither_silences_emails_nor_contact_dates(self):
        """The import's gathering of emails and contact changes cannot be asked
        for by a client's context: a post still emails its recipients, a new
        phone still dates the contact data."""
        partner = self.env["res.partner"].create({"name": "王芳"})
        partner.with_context(insurance_contact_changed=[]).write(
            {"phone": "13800138000"}
        )
        self.assertTrue(partner.contact_data_date)
        policy = self._create_policy(name="R-0200")
        message = policy.with_context(insurance_gathered_emails=[]).message_post(
            body="请尽快联系客户",
            partner_ids=self.agent.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.assertTrue(message.notification_ids.mail_mail_id)

    @freeze_time("2025-01-10")
    def test_an_import_batch_tells_each_agent_once_of_their_visits(self):
        """Policies imported overdue enter grace at activation, each with a
        retention visit for its agent: the agent hears of them once for the
        batch (one digest naming them), not once per policy; the importing
        specialist hears of nothing."""
        rows = []
        for line in self._new_customer_rows(301, 3):
            cells = list(line)
            cells[ZH.index("缴费频率")] = "月交"
            cells[ZH.index("期缴保费")] = "800"
            cells[ZH.index("缴至日")] = "2024-11-30"
            rows.append(tuple(cells))
        since = self.env["mail.message"].search([], order="id desc", limit=1).id
        self._import(self._csv(ZH, *rows))
        policies = self.env["insurance.policy"].search([("name", "like", "V-03")])
        self.assertEqual(policies.mapped("state"), ["grace"] * 3)
        visits = self.env["mail.activity"].search(
            [
                ("res_model", "=", "insurance.policy"),
                ("res_id", "in", policies.ids),
                ("insurance_event_code", "=", "grace_entered"),
            ]
        )
        self.assertEqual(visits.user_id, self.agent)
        self.assertEqual(len(visits), 3)
        told = self.env["mail.message"].search(
            [("id", ">", since), ("message_type", "=", "user_notification")]
        )
        self.assertEqual(told.partner_ids, self.agent.partner_id)
        self.assertEqual(len(told), 1)
        self.assertEqual(told.subject, "3 to-dos assigned to you")
        for policy in policies:
            self.assertIn(f">{policy.name}</a>", told.body)

    @freeze_time("2025-01-10")
    def test_queries_grow_with_the_batch_not_with_the_rows(self):
        """A renewal import once cost some four queries more per row than the
        file's batch needs, then one (Odoo's own search for an archived copy of
        each new card, now made once for the batch): ten more rows may cost two
        queries more in all."""
        counts = []
        for first, count in ((1, 5), (101, 15)):
            data_import, queries = self._queries_of_import(
                self._new_customer_rows(first, count)
            )
            counts.append(queries)
            self.assertEqual(data_import.created_count, count)
        self.assertLessEqual(counts[1] - counts[0], 2, counts)

    def _queries_of_import(self, rows):
        """Import ``rows`` (checked first); return the import and the queries its
        import step made."""
        data_import = self._new_import(self._csv(ZH, *rows))
        data_import.action_check()
        self.env.flush_all()
        before = self.env.cr.sql_log_count
        data_import.action_import()
        self.env.flush_all()
        return data_import, self.env.cr.sql_log_count - before

    def _found_with_old_emails(self, rows):
        """The customers of ``rows``, known already under another email."""
        found = self.env["res.partner"]
        for line in rows:
            found |= self.env["res.partner"].create(
                {"name": line[2], "email": f"old.{line[5]}", "phone": line[4]}
            )
            found[-1:].sudo().identity_number = line[3]
        return found

    @freeze_time("2025-01-10")
    def test_customers_found_with_other_emails_cost_no_query_each(self):
        """Each customer found under another email is written on their own
        (the values differ). After each write Odoo looked for the leads and
        meeting attendees that copy the email, four queries per customer; it
        now reads them once for the batch: ten more customers may cost two
        queries more in all."""
        counts = []
        for first, count in ((501, 5), (601, 15)):
            rows = self._new_customer_rows(first, count)
            found = self._found_with_old_emails(rows)
            counts.append(self._queries_of_import(rows)[1])
            self.assertEqual(
                found.mapped("email"), [line[5] for line in rows], "written"
            )
        self.assertLessEqual(counts[1] - counts[0], 2, counts)

    @freeze_time("2025-01-10")
    def test_leads_of_customers_found_with_other_emails_follow_them(self):
        """What Odoo keeps in step with a customer's email still follows it when
        the import writes many customers: their leads, archived ones too."""
        rows = self._new_customer_rows(701, 3)
        found = self._found_with_old_emails(rows)
        leads = self.env["crm.lead"].create(
            [
                {"name": f"线索 {partner.name}", "partner_id": partner.id}
                for partner in found
            ]
        )
        leads[1].action_archive()
        self._import(self._csv(ZH, *rows))
        self.assertEqual(
            leads.with_context(active_test=False).mapped("email_from"),
            [line[5] for line in rows],
        )

    # Rights and Odoo's own import ----------------------------------------------

    def test_a_salesman_cannot_import(self):
        with self.assertRaises(AccessError):
            self._new_import(self._csv(ZH, row()), user=self.agent)

    @freeze_time("2025-01-10")
    def test_odoo_import_screen_still_loads_policies(self):
        result = (
            self.env["insurance.policy"]
            .with_user(self.specialist)
            .load(
                [
                    "name",
                    "partner_id/.id",
                    "product_id/.id",
                    "issue_date",
                    "premium_amount",
                ],
                [
                    [
                        "G-0001",
                        str(self.holder.id),
                        str(self.product.id),
                        "2024-03-01",
                        "5000",
                    ]
                ],
            )
        )
        self.assertFalse(result["messages"], result["messages"])
        self.assertEqual(self._policy("G-0001").premium_amount, 5000)
