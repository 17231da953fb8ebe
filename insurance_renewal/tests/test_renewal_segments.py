from datetime import datetime

from freezegun import freeze_time

from odoo.tests import Form, new_test_user, tagged

from ..lib import schedule
from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalSegments(InsuranceRenewalCommon):
    """Customer segments, the win-back list, and talk tracks with their success."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="test_segment_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        Partner = cls.env["res.partner"]
        cls.punctual = Partner.create({"name": "准时客户"})
        cls.late = Partner.create({"name": "拖延客户"})
        cls.lapsed = Partner.create({"name": "失效客户"})
        # Annual premiums of 12,000 due on 1 March 2024 and 2025.
        cls._segment_policy("S-ON-TIME", cls.punctual, "in_force", [-5, -1])
        cls._segment_policy("S-LATE", cls.late, "in_force", [10, 30])
        cls.suspended = cls._segment_policy(
            "S-LAPSED", cls.lapsed, "lapsed", [-2, None], quarterly=True
        )
        cls.suspended.write(
            {"suspension_date": "2023-11-01", "reinstatement_deadline": "2025-11-01"}
        )

    @classmethod
    def _segment_policy(cls, name, partner, state, delays, quarterly=False):
        """A policy whose instalments 2, 3, ... were paid ``delay`` days after their
        due date (None: never, the instalment lapsed)."""
        frequency = "quarterly" if quarterly else "annual"
        policy = cls._create_policy(
            name=name,
            partner_id=partner.id,
            issue_date="2023-03-01",
            state=state,
            payment_frequency=frequency,
            premium_amount=3000 if quarterly else 12000,
        )
        for number, delay in enumerate(delays, start=2):
            due = schedule.due_date(policy.issue_date, frequency, number)
            cls.env["insurance.premium.line"].create(
                {
                    "policy_id": policy.id,
                    "installment_number": number,
                    "policy_year": schedule.policy_year(frequency, number),
                    "due_date": due,
                    "grace_end_date": schedule.grace_end_date(due, 60),
                    "amount": policy.premium_amount,
                    "amount_paid": 0 if delay is None else policy.premium_amount,
                    "date_paid": None
                    if delay is None
                    else schedule.grace_end_date(due, delay),
                    "state": "lapsed" if delay is None else "paid",
                }
            )
        return policy

    def _segment(self, code):
        return self.env["res.partner"].search(
            [("renewal_segment_ids.code", "=", code), ("id", "in", self.partners)]
        )

    @property
    def partners(self):
        return (self.punctual | self.late | self.lapsed).ids

    @freeze_time("2025-09-01")
    def test_segments_are_searchable_and_shown(self):
        self.assertEqual(self._segment("on_time"), self.punctual)
        self.assertEqual(self._segment("often_late"), self.late)
        self.assertEqual(self._segment("reinstatable"), self.lapsed)
        self.assertEqual(self.late.renewal_segment_ids.mapped("code"), ["often_late"])
        segment = self.env.ref("insurance_renewal.segment_often_late")
        found = self.env["res.partner"].search(
            [("renewal_segment_ids", "in", segment.ids), ("id", "in", self.partners)]
        )
        self.assertEqual(found, self.late)
        self.assertNotIn(
            self.late,
            self.env["res.partner"].search(
                [("renewal_segment_ids", "not in", segment.ids)]
            ),
        )

    @freeze_time("2025-09-01")
    def test_a_customer_s_segments_come_from_the_policies_the_reader_may_see(self):
        """Read over SQL from every policy, the segments told any employee, a
        sales rep of other customers or a user of another company who pays
        late, broke a promise or let a policy lapse."""
        self.late.user_id = self.agent
        other_rep = new_test_user(
            self.env, login="test_segment_rep", groups="sales_team.group_sale_salesman"
        )
        other_company = self.env["res.company"].create({"name": "太平洋分公司"})
        foreign = new_test_user(
            self.env,
            login="test_segment_foreign",
            groups="insurance_renewal.group_insurance_renewal_user",
            company_id=other_company.id,
            company_ids=[other_company.id],
        )
        employee = new_test_user(
            self.env, login="test_segment_employee", groups="base.group_user"
        )
        segment = self.env.ref("insurance_renewal.segment_often_late")
        for user, expected in (
            (self.agent, segment),
            (other_rep, segment.browse()),
            (foreign, segment.browse()),
            (employee, segment.browse()),
            (self.manager, segment),
        ):
            with self.subTest(user=user.login):
                late = self.late.with_user(user)
                self.assertEqual(late.renewal_segment_ids, expected)
                self.assertEqual(
                    late.search(
                        [
                            ("renewal_segment_ids", "in", segment.ids),
                            ("id", "=", late.id),
                        ]
                    ),
                    late if expected else late.browse(),
                )

    @freeze_time("2025-09-01")
    def test_broken_promise_segment(self):
        self.env["insurance.renewal.activity"].create(
            {
                "policy_id": self.suspended.id,
                "outcome": "promised",
                "promised_date": "2025-08-15",
                "date": datetime(2025, 8, 1, 10),
            }
        )
        self.assertEqual(self._segment("promise_broken"), self.lapsed)

    @freeze_time("2025-09-01")
    def test_winback_list(self):
        winback = self.env["insurance.winback"].with_user(self.specialist).search([])
        row = winback.filtered(lambda w: w.policy_id == self.suspended)
        self.assertEqual(str(row.reinstatement_deadline), "2025-11-01")
        # Unpaid since the quarterly premium due on 1 September 2023 (instalment 3):
        # those of 1 September and 1 December 2023, four in 2024, and 1 March, 1 June
        # and 1 September 2025 are owed: 9 x 3,000.
        self.assertEqual(str(row.first_unpaid_date), "2023-09-01")
        self.assertEqual((row.back_premium_count, row.back_premium_amount), (9, 27000))
        self.assertEqual(row.days_left, 61)
        self.assertNotIn(self.late, winback.partner_id)

    @freeze_time("2025-09-01")
    def test_talk_tracks_in_the_contact_wizard_with_success(self):
        forgot = self.env.ref("insurance_renewal.lost_reason_forgot")
        track = self.env.ref("insurance_renewal.talk_track_forgot")
        late_policy = self.late.insurance_policy_ids
        # Two contacts gave "forgot": after the first, the premium was paid 10 days
        # later (1 March 2024 + 10); after the second, nothing within 60 days.
        for day in (datetime(2024, 3, 5, 9), datetime(2025, 6, 1, 9)):
            self.env["insurance.renewal.activity"].create(
                {
                    "policy_id": late_policy.id,
                    "outcome": "reached",
                    "reason_id": forgot.id,
                    "date": day,
                }
            )
        track.invalidate_recordset()
        self.assertEqual(track.contact_count, 2)
        self.assertAlmostEqual(track.success_rate, 50.0)
        wizard = Form(
            self.env["insurance.renewal.log.contact"]
            .with_user(self.specialist)
            .with_context(default_policy_id=late_policy.id)
        )
        self.assertFalse(wizard.talk_track_ids)
        wizard.reason_id = forgot
        self.assertEqual(wizard.talk_track_ids.ids, track.ids)

    @freeze_time("2025-09-01")
    def test_contact_promise_kept_and_paid_afterwards_rates(self):
        # S-LATE paid on 11 March 2024 and 31 March 2025. Three contacts: a promise
        # for 10 March 2024 (paid a day late: broken, but paid 6 days after the
        # call), a promise for 5 April 2025 (kept, paid 11 days after the call),
        # and a call not answered in June 2025 (nothing paid afterwards).
        policy = self.late.insurance_policy_ids
        for day, outcome, promised in (
            (datetime(2024, 3, 5, 9), "promised", "2024-03-10"),
            (datetime(2025, 3, 20, 9), "promised", "2025-04-05"),
            (datetime(2025, 6, 1, 9), "no_answer", False),
        ):
            self.env["insurance.renewal.activity"].create(
                {
                    "policy_id": policy.id,
                    "outcome": outcome,
                    "promised_date": promised,
                    "date": day,
                }
            )
        [row] = (
            self.env["insurance.kpi.response"]
            .with_user(self.manager)
            ._read_group(
                [("policy_id", "=", policy.id), ("source", "=", "contact")],
                [],
                [
                    "attempt_count:sum",
                    "contact_rate:avg",
                    "promise_due_count:sum",
                    "promise_kept_count:sum",
                    "promise_kept_rate:avg",
                    "paid_after_rate:avg",
                    "days_to_pay:avg",
                ],
            )
        )
        self.assertEqual(row, (3, 66.67, 2, 1, 50.0, 66.67, 8.5))
