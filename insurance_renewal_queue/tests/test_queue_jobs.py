import io

import openpyxl
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from odoo.addons.insurance_renewal.tests import test_data_import as data_import_tests
from odoo.addons.insurance_renewal.tests.common import InsuranceRenewalCommon
from odoo.addons.insurance_renewal.tests.common_accounting import (
    PremiumAccountingCommon,
)
from odoo.addons.queue_job.job import Job

RECEIPTS = ("date", "amount", "payer name", "memo")


class QueuedJobsMixin:
    """Runs the queued jobs as queue_job's runner does, one stored job at a time
    (real ``queue.job`` records), until none is left."""

    def _queued(self, record):
        jobs = (
            self.env["queue.job"]
            .sudo()
            .search(
                [
                    ("model_name", "=", record._name),
                    ("method_name", "=", "_job_import_batch"),
                    ("state", "=", "pending"),
                ],
                order="id",
            )
        )
        return jobs.filtered(lambda job: job.records == record)

    def _run_queued(self, record, limit=20):
        runs = 0
        while (queued := self._queued(record)[:1]) and runs < limit:
            job = Job.load(self.env, queued.uuid)
            job.set_started()
            job.perform()
            job.set_done()
            job.store()
            self.env.invalidate_all()
            runs += 1
        return runs


@tagged("post_install", "-at_install")
class TestBankFileImportJobs(QueuedJobsMixin, PremiumAccountingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy()
        cls._activate_and_invoice(cls.policy)

    def test_large_file_is_imported_by_one_job_per_batch(self):
        rows = [("2025-01-20", "12000", "张伟", "P-0001-002")]
        rows += [("2025-01-21", str(100 + n), "陌生人", f"转账 {n}") for n in range(6)]
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.import_batch_rows", 3
        )
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", self._csv(RECEIPTS, *rows))
        self.assertRecordValues(
            bank_file, [{"state": "importing", "import_job_queued": True}]
        )
        queued = self._queued(bank_file)
        self.assertEqual(len(queued), 1)
        self.assertEqual(queued.user_id, self.finance)
        # the scheduled action leaves a file in the jobs' hands
        self._call_in_cron_cursor("insurance.bank.file", "_cron_import_bank_files")
        self.assertFalse(bank_file.statement_line_ids)
        with freeze_time("2025-01-23"):
            self.assertEqual(self._run_queued(bank_file), 3)
        self.assertRecordValues(
            bank_file, [{"state": "done", "imported_rows": 7, "row_count": 7}]
        )
        self.assertEqual(len(bank_file.statement_line_ids), 7)
        self.assertEqual(self._line(self.policy, 2).state, "paid")

    def test_a_job_run_twice_imports_nothing_twice(self):
        rows = [("2025-01-21", str(100 + n), "陌生人", f"转账 {n}") for n in range(4)]
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.import_batch_rows", 2
        )
        with freeze_time("2025-01-23"):
            bank_file = self._import("receipts", self._csv(RECEIPTS, *rows))
            self.assertTrue(bank_file._job_import_batch(0))
            # the same batch again (a job requeued after it committed)
            self.assertFalse(bank_file._job_import_batch(0))
        self.assertEqual(bank_file.imported_rows, 2)
        self.assertEqual(len(bank_file.statement_line_ids), 2)

    def test_small_file_is_imported_at_once_without_jobs(self):
        with freeze_time("2025-01-23"):
            bank_file = self._import(
                "receipts", self._csv(RECEIPTS, ("2025-01-20", "100", "陌生人", "x"))
            )
        self.assertRecordValues(
            bank_file, [{"state": "done", "import_job_queued": False}]
        )
        self.assertFalse(self._queued(bank_file))


@tagged("post_install", "-at_install")
class TestDataImportJobs(QueuedJobsMixin, InsuranceRenewalCommon):
    _csv = staticmethod(data_import_tests.TestDataImport._csv)
    _new_import = data_import_tests.TestDataImport._new_import
    _policy = data_import_tests.TestDataImport._policy

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.user.company_id.country_id = cls.env.ref("base.cn")

    @freeze_time("2025-01-10")
    def test_large_file_is_imported_by_one_job_per_batch(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.import_batch_rows", 2
        )
        rows = [
            data_import_tests.row(f"L-{n:03d}", holder_id="", phone="", card="")
            for n in range(5)
        ]
        data_import = self._new_import(self._csv(data_import_tests.ZH, *rows))
        data_import.action_check()
        data_import.action_import()
        self.assertRecordValues(
            data_import, [{"state": "importing", "import_job_queued": True}]
        )
        self._call_in_cron_cursor("insurance.data.import", "_cron_import_renewal_data")
        self.assertFalse(self._policy("L-000"))
        self.assertEqual(self._run_queued(data_import), 3)
        self.assertRecordValues(
            data_import,
            [{"state": "done", "processed_rows": 5, "progress": 100, "last_row": 6}],
        )
        self.assertEqual(
            self.env["insurance.policy"].search_count([("name", "like", "L-")]), 5
        )


@tagged("post_install", "-at_install")
class TestLedgerExportJob(InsuranceRenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other = new_test_user(
            cls.env,
            login="test_queue_other_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        for specialist in (cls.specialist, cls.other):
            with freeze_time("2024-03-01"):
                cls._create_policy(
                    name=f"LEDGER-{specialist.login}",
                    issue_date="2024-03-01",
                    specialist_id=specialist.id,
                ).action_activate()
        cls.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.ledger_job_rows", 0
        )

    def _wizard(self, user, date_to="2025-03-31"):
        return (
            self.env["insurance.renewal.ledger"]
            .with_user(user)
            .create({"date_from": "2024-04-01", "date_to": date_to})
        )

    def _ledger_jobs(self):
        return (
            self.env["queue.job"]
            .sudo()
            .search([("model_name", "=", "insurance.renewal.ledger")])
        )

    def test_long_ledger_arrives_in_the_inbox_of_who_asked_only(self):
        action = self._wizard(self.specialist).action_export()
        self.assertEqual(action["tag"], "display_notification")
        job = self._ledger_jobs()
        self.assertEqual(job.user_id, self.specialist)
        attachment_id = Job.load(self.env, job.uuid).perform()
        attachment = self.env["ir.attachment"].browse(attachment_id)
        sheet = openpyxl.load_workbook(io.BytesIO(attachment.raw)).active
        policies = {row[7] for row in sheet.iter_rows(min_row=2, values_only=True)}
        # the job ran as the specialist: their policy only
        self.assertEqual(policies, {f"LEDGER-{self.specialist.login}"})
        message = self.env["mail.message"].search(
            [("partner_ids", "in", self.specialist.partner_id.ids)],
            order="id desc",
            limit=1,
        )
        self.assertIn(f"/web/content/{attachment_id}", message.body)
        with self.assertRaises(AccessError):
            attachment.with_user(self.other).check_access("read")

    def test_short_ledger_is_downloaded_at_once(self):
        self.env["ir.config_parameter"].sudo().set_param(
            "insurance_renewal.ledger_job_rows", 1000
        )
        action = self._wizard(self.specialist).action_export()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertFalse(self._ledger_jobs())

    def test_dates_are_checked_before_a_job_is_queued(self):
        with self.assertRaises(UserError):
            self._wizard(self.specialist, date_to="2024-01-01").action_export()
        self.assertFalse(self._ledger_jobs())
