import base64
from datetime import date

from freezegun import freeze_time

from odoo.tests import tagged

from .common import InsuranceRenewalCommon

CLAIMS = (
    "保单号",
    "赔案号",
    "出险日期",
    "理赔类型",
    "理赔金额",
    "案件状态",
    "豁免保费",
)
EVENTS = ("Policy Number", "Change Date", "Change Type", "Description")


@tagged("post_install", "-at_install")
class TestClaimImport(InsuranceRenewalCommon):
    """Claims and policy changes of the administration system, and the renewal
    rules they set off. P-0001 is issued on 2024-01-31, annual, 12,000: its second
    premium falls due on 2025-01-31, its grace ends on 2025-04-01."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy()
            cls.policy.action_activate()
        cls.case = (
            cls.env["insurance.policy"]
            .with_context(clock_today=cls._line(cls.policy, 2).due_date)
            ._open_due_renewal_cases()
        )

    def _import(self, kind, *rows, header=CLAIMS):
        content = "\n".join(",".join(row) for row in (header, *rows)).encode()
        data_import = (
            self.env["insurance.data.import"]
            .with_user(self.specialist)
            .create(
                {
                    "kind": kind,
                    "name": f"{kind}.csv",
                    "data_file": base64.b64encode(content),
                }
            )
        )
        data_import.action_check()
        data_import.action_import()
        self.env.invalidate_all()
        return data_import

    def test_a_waiver_of_premium_waives_what_it_covers_and_closes_the_case(self):
        with freeze_time("2025-01-10"):
            self._import(
                "claims",
                ("P-0001", "C-1", "2025-01-05", "重疾", "200000", "已结案", "是"),
            )
        line = self._line(self.policy, 2)
        self.assertEqual(line.state, "waived")
        self.assertEqual(self.policy.state, "paid_up")
        self.assertFalse(
            self.env["insurance.policy"].search(
                self.policy._schedule_to_extend_domain()
                & self.policy._stale_clock_domain(line.due_date)
            ),
            "the clock must not schedule or move a waived policy",
        )
        self.assertEqual(self.case.won_status, "lost")
        self.assertEqual(
            self.case.lost_reason_id,
            self.env.ref("insurance_renewal.lost_reason_claim_waiver"),
        )
        self.assertIn("Premiums waived", self.policy.message_ids[:1].body)

    def test_a_death_claim_in_grace_ends_the_policy_and_notes_the_deduction(self):
        with freeze_time("2025-02-16"):
            self.policy.premium_line_ids._advance_clock(date(2025, 2, 16))
            self.policy._sync_state_with_schedule()
            self.assertEqual(self.policy.state, "grace")
            data_import = self._import(
                "claims",
                ("P-0001", "C-2", "2025-02-15", "身故", "500000", "已赔付", "否"),
            )
        claim = self.policy.claim_ids
        self.assertRecordValues(
            claim,
            [
                {
                    "name": "C-2",
                    "claim_type": "death",
                    "state": "paid",
                    "in_grace": True,
                    "premium_to_deduct": 12000,
                    "rules_applied": True,
                }
            ],
        )
        self.assertEqual(data_import.created_count, 1)
        self.assertRecordValues(
            self.policy,
            [
                {
                    "state": "terminated",
                    "end_reason": "death",
                    "end_date": claim.claim_date,
                }
            ],
        )
        self.assertEqual(
            self.case.lost_reason_id,
            self.env.ref("insurance_renewal.lost_reason_ended"),
        )
        notes = " ".join(self.policy.message_ids.mapped("body"))
        self.assertIn("deduct the unpaid premium", notes)
        self.assertEqual(self.case.insurance_claim_ids, claim)

    def test_a_reported_claim_is_shown_and_applied_once_approved(self):
        reported = ("P-0001", "C-3", "2025-01-05", "全残", "300000", "报案", "否")
        approved = reported[:5] + ("已结案", "否")
        with freeze_time("2025-01-10"):
            self._import("claims", reported)
            self.assertEqual(self.policy.state, "in_force")
            self.assertFalse(self.policy.claim_ids.rules_applied)
            self._import("claims", approved)
            again = self._import("claims", approved)
        self.assertEqual(again.unchanged_count, 1)
        self.assertRecordValues(
            self.policy, [{"state": "terminated", "end_reason": "claim"}]
        )
        self.assertEqual(len(self.policy.claim_ids), 1)

    def _send_reminders_on(self, day):
        with freeze_time(f"{day} 02:00:00"):
            self._call_in_cron_cursor(
                "insurance.reminder.engine", "_cron_send_reminders"
            )
        return self.env["insurance.reminder.log"].search(
            [("policy_id", "=", self.policy.id)]
        )

    def test_a_reported_death_claim_holds_reminders_until_rejected(self):
        self.holder.email = "zhang.wei@example.com"
        self.policy.payment_method = "counter"  # reminded from 60 days ahead
        reported = ("P-0001", "C-6", "2024-11-20", "身故", "500000", "报案", "否")
        with freeze_time("2024-11-25"):
            self._import("claims", reported)
        self.assertTrue(self.policy.reminder_claim_hold)
        self.assertIn("C-6", self.case.renewal_claim_hold_reason)
        self.assertIn("C-6", self.policy.message_ids[:1].body)
        self.assertEqual(self.policy.state, "in_force")
        # the first reminder step (60 days ahead) is due: nothing goes out
        self.assertFalse(self._send_reminders_on("2024-12-02"))
        with freeze_time("2024-12-02"):
            self._import("claims", reported[:5] + ("拒赔", "否"))
        self.assertFalse(self.policy.reminder_claim_hold)
        self.assertFalse(self.case.renewal_claim_hold_reason)
        self.assertIn("resume", self.policy.message_ids[:1].body)
        self.assertEqual(len(self._send_reminders_on("2024-12-03")), 1)

    def test_an_approved_death_claim_lifts_the_hold_by_ending_the_policy(self):
        reported = ("P-0001", "C-7", "2024-11-20", "身故", "500000", "报案", "否")
        with freeze_time("2024-11-25"):
            self._import("claims", reported)
            self._import("claims", reported[:5] + ("已结案", "否"))
        self.assertFalse(self.policy.reminder_claim_hold)
        self.assertRecordValues(
            self.policy, [{"state": "terminated", "end_reason": "death"}]
        )
        self.assertFalse(self._send_reminders_on("2024-12-03"))

    def test_a_medical_or_rejected_claim_leaves_the_renewal_alone(self):
        with freeze_time("2025-01-10"):
            self._import(
                "claims",
                ("P-0001", "C-4", "2025-01-05", "医疗", "3000", "已赔付", "否"),
                ("P-0001", "C-5", "2025-01-06", "身故", "0", "拒赔", "否"),
            )
        self.assertEqual(len(self.policy.claim_ids), 2)
        self.assertFalse(self.policy.reminder_claim_hold)
        self.assertEqual(self.policy.state, "in_force")
        self.assertEqual(self._line(self.policy, 2).state, "planned")
        self.assertEqual(self.case.won_status, "pending")

    def test_a_claim_for_an_unknown_policy_is_a_bad_row(self):
        with freeze_time("2025-01-10"):
            data_import = (
                self.env["insurance.data.import"]
                .with_user(self.specialist)
                .create(
                    {
                        "kind": "claims",
                        "name": "claims.csv",
                        "data_file": base64.b64encode(
                            "\n".join(
                                (
                                    ",".join(CLAIMS),
                                    "P-9999,C-9,2025-01-05,身故,1,已赔付,否",
                                )
                            ).encode()
                        ),
                    }
                )
            )
            data_import.action_check()
        self.assertEqual(data_import.error_ids.field, "Policy Number")
        self.assertIn("no policy P-9999", data_import.error_ids.message)

    def test_persistency_leaves_out_a_policy_ended_by_death_before_month_13(self):
        def cohort_policies():
            rows = self.env["insurance.kpi.persistency"].search(
                [("policy_id", "=", self.policy.id), ("measure_month", "=", "13")]
            )
            return sum(rows.mapped("policy_count"))

        with freeze_time("2025-05-01"):
            self.assertEqual(cohort_policies(), 1)
            self._import(
                "claims", ("P-0001", "C-6", "2025-01-05", "身故", "1", "已结案", "否")
            )
            self.env.flush_all()
            self.assertEqual(cohort_policies(), 0)

    def test_policy_changes_are_shown_on_the_policy_once(self):
        rows = (
            ("P-0001", "2025-01-02", "银行账户变更", "扣款账户变更为工商银行"),
            ("P-0001", "2025-01-03", "contact", "新手机号"),
        )
        with freeze_time("2025-01-10"):
            self._import("events", *rows, header=EVENTS)
            again = self._import("events", *rows, header=EVENTS)
        self.assertEqual(again.unchanged_count, 2)
        self.assertEqual(
            self.policy.event_ids.mapped("event_type"), ["contact", "bank"]
        )
        self.assertEqual(self.case.insurance_event_ids, self.policy.event_ids)
