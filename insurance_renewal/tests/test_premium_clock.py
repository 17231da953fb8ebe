import importlib.util
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools.misc import file_path

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestPremiumClock(InsuranceRenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(issue_date="2024-01-31")
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def _run_clock_on(self, day):
        with freeze_time(day):
            self._run_clock()

    def test_instalment_moves_through_due_grace_and_lapse(self):
        self.assertEqual(self.line.due_date, date(2025, 1, 31))
        self.assertEqual(self.line.grace_end_date, date(2025, 4, 1))
        self._run_clock_on("2025-01-30")
        self.assertEqual(self.line.state, "planned")
        self._run_clock_on("2025-01-31")
        self.assertEqual(self.line.state, "due")
        self.assertEqual(self.policy.state, "in_force")
        self._run_clock_on("2025-02-01")
        self.assertEqual(self.line.state, "grace")
        self.assertEqual(self.policy.state, "grace")
        self.assertEqual(self.policy.amount_overdue, 12000)
        self._run_clock_on("2025-04-01")
        self.assertEqual(self.line.state, "grace", "The last day of grace is covered.")
        self._run_clock_on("2025-04-02")
        self.assertEqual(self.line.state, "lapsed")
        self.assertEqual(self.policy.state, "lapsed")
        self.assertEqual(self.policy.suspension_date, date(2025, 4, 2))
        self.assertEqual(self.policy.reinstatement_deadline, date(2027, 4, 2))

    def test_lapsed_policy_terminates_after_the_reinstatement_window(self):
        self._run_clock_on("2025-04-02")
        self._run_clock_on("2027-04-02")
        self.assertEqual(
            self.policy.state, "lapsed", "Still reinstatable on its deadline."
        )
        self._run_clock_on("2027-04-03")
        self.assertEqual(self.policy.state, "terminated")

    def test_a_terminated_policy_owes_only_the_premium_it_lapsed_on(self):
        self._run_clock_on("2025-04-02")
        suspended_year = self._line(self.policy, 3)
        self.assertEqual(suspended_year.due_date, date(2026, 1, 31))
        self.assertEqual(
            suspended_year.state, "planned", "A back premium while reinstatable."
        )
        self._run_clock_on("2027-04-03")
        self.assertEqual(self.line.state, "lapsed", "Due, and never collected.")
        self.assertEqual(suspended_year.state, "waived")
        self.assertEqual(self.policy.amount_overdue, 12000)
        kpi = self.env["insurance.kpi.instalment"]
        self.assertEqual(
            kpi.search([("policy_id", "=", self.policy.id)]).premium_line_id,
            self.line,
            "The collection rate counts the premium the policy lapsed on, not the "
            "ones it was never asked for.",
        )

    def test_a_premium_due_while_suspended_reads_owed_on_reinstatement(self):
        """The clock leaves a suspended policy's later premiums planned: nothing
        is asked for them. Once their due date has passed the schedule says what
        they are, owed (with interest) to reinstate, not "planned"; once the
        policy is terminated, waived."""
        self._run_clock_on("2025-04-02")
        suspended_year = self._line(self.policy, 3)
        for day, status in (
            ("2026-01-30", "planned"),
            ("2026-01-31", "owed_on_reinstatement"),
        ):
            with freeze_time(day):
                suspended_year.invalidate_recordset(["schedule_status"])
                self.assertEqual(suspended_year.schedule_status, status, day)
                self.assertEqual(suspended_year.state, "planned")
        self.assertEqual(self.line.schedule_status, "lapsed")
        self._run_clock_on("2027-04-03")
        suspended_year.invalidate_recordset(["schedule_status"])
        self.assertEqual(suspended_year.schedule_status, "waived")

    def test_the_upgrade_waives_what_earlier_terminations_left_planned(self):
        self._run_clock_on("2025-04-02")
        self.policy.sudo().state = "terminated"  # as the clock did before 19.0.1.2.0
        path = file_path("insurance_renewal/migrations/19.0.1.2.0/post-migrate.py")
        spec = importlib.util.spec_from_file_location("post_migrate", path)
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        self.env.flush_all()
        migration.migrate(self.env.cr, "19.0.1.1.0")
        self.env.invalidate_all()
        self.assertEqual(self._line(self.policy, 3).state, "waived")
        self.assertEqual(self.line.state, "lapsed")

    def test_a_late_clock_catches_up_in_one_run(self):
        self._run_clock_on("2025-03-01")
        self.assertEqual(self.line.state, "grace")
        self.assertEqual(self.policy.state, "grace")

    def test_rerun_the_same_day_changes_nothing(self):
        self._run_clock_on("2025-02-01")
        messages = self.policy.message_ids
        write_date = self.line.write_date
        self._run_clock_on("2025-02-01")
        self.assertEqual(self.policy.message_ids, messages, "No new tracking message.")
        self.assertEqual(self.line.write_date, write_date)

    def test_clock_works_in_small_batches(self):
        with freeze_time("2024-02-10"):
            others = self.env["insurance.policy"]
            for number in range(5):
                others |= self._create_policy(name=f"P-10{number}")
            others.action_activate()
        with freeze_time("2025-02-01"):
            self._call_in_cron_cursor(
                "insurance.premium.clock", "_cron_daily_premium_clock", batch_size=2
            )
        self.assertEqual(set((others | self.policy).mapped("state")), {"grace"})

    def test_payment_in_grace_brings_the_policy_back_in_force(self):
        self._run_clock_on("2025-02-15")
        with freeze_time("2025-02-20"):
            self.line.amount_paid = 5000
            self.assertEqual(
                self.line.state, "grace", "A partial payment does not clear it."
            )
            self.assertEqual(self.line.amount_residual, 7000)
            self.assertEqual(self.policy.amount_overdue, 7000)
            self.line.amount_paid = 12000
            self._end_unit_of_work()
        self.assertEqual(self.line.state, "paid")
        self.assertEqual(self.line.date_paid, date(2025, 2, 20))
        self.assertEqual(self.policy.state, "in_force")
        self.assertEqual(self.policy.paid_to_date, date(2026, 1, 31))
        self.assertEqual(self.policy.amount_overdue, 0)

    def test_taking_a_payment_back_reopens_the_instalment(self):
        self._run_clock_on("2025-02-15")
        with freeze_time("2025-02-20"):
            self.line.amount_paid = 12000
            self._end_unit_of_work()
            self.assertEqual(self.policy.state, "in_force")
            self.line.amount_paid = 0
            self._end_unit_of_work()
        self.assertEqual(self.line.state, "grace")
        self.assertFalse(self.line.date_paid)
        self.assertEqual(self.policy.state, "grace")

    def test_no_payment_is_recorded_for_a_terminated_policy(self):
        """Its reinstatement window over, the policy owes nothing: a payment
        recorded by hand for the premium it lapsed on is refused, by name."""
        self._run_clock_on("2025-04-02")
        self._run_clock_on("2027-04-03")
        self.assertEqual(self.policy.state, "terminated")
        wizard = (
            self.env["insurance.premium.payment"]
            .with_user(self.specialist)
            .create({"premium_line_id": self.line.id, "amount": 12000})
        )
        with self.assertRaisesRegex(UserError, "P-0001 has ended"):
            wizard.action_confirm()
        self.assertEqual(self.line.state, "lapsed")
        self.assertFalse(self.line.amount_paid)

    def test_paying_a_suspended_policy_needs_reinstatement(self):
        self._run_clock_on("2025-04-02")
        with freeze_time("2025-04-10"):
            self.line.amount_paid = 12000
            self._end_unit_of_work()
        self.assertEqual(self.line.state, "paid")
        self.assertEqual(
            self.policy.state, "lapsed", "Reinstatement also needs underwriting."
        )

    def test_formal_demand_brings_the_suspension_forward(self):
        self._run_clock_on("2025-02-05")
        self.line.demand_date = "2025-02-10"
        self.assertEqual(self.line.lapse_date, date(2025, 3, 13))
        self._run_clock_on("2025-03-12")
        self.assertEqual(self.policy.state, "grace")
        self._run_clock_on("2025-03-13")
        self.assertEqual(self.policy.state, "lapsed")
        self.assertEqual(self.policy.suspension_date, date(2025, 3, 13))

    def test_draft_policies_are_left_alone(self):
        draft = self._create_policy(name="P-DRAFT")
        self._run_clock_on("2025-02-01")
        self.assertEqual(draft.state, "draft")
        self.assertFalse(draft.premium_line_ids)

    def test_a_suspension_in_one_batch_leaves_no_instalment_behind(self):
        """Batches go policy by policy: the instalments of a policy suspended by its
        oldest premium all move in the same run, however small the batches."""
        with freeze_time("2024-02-10"):
            monthly = self._create_policy(
                name="P-MONTHLY", payment_frequency="monthly", premium_amount=1000
            )
            monthly.action_activate()
        with freeze_time("2024-05-01 01:00:00"):
            self._call_in_cron_cursor(
                "insurance.premium.clock", "_cron_daily_premium_clock", batch_size=1
            )
        self.assertEqual(monthly.state, "lapsed")
        self.assertEqual(monthly.suspension_date, date(2024, 4, 30))
        self.assertEqual(
            [self._line(monthly, n).state for n in (2, 3, 4, 5)],
            ["lapsed", "grace", "planned", "planned"],
            "Due before the suspension: owed; from the suspension on: not owed.",
        )
