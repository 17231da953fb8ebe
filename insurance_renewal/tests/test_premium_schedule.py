from datetime import date, datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestPremiumSchedule(InsuranceRenewalCommon):
    def _due_dates(self, policy):
        return policy.premium_line_ids.sorted("installment_number").mapped("due_date")

    @freeze_time("2024-02-10")
    def test_payers_activated_together_are_ranked_customers_once(self):
        """A payer is a customer once their policy is in force: rank 1 for
        those not ranked yet, as account's own ranking gives them (here in one
        write for all); a payer already ranked keeps their rank."""
        Partner = self.env["res.partner"]
        new = Partner.create([{"name": "王芳"}, {"name": "李娜"}])
        ranked = Partner.create({"name": "赵磊", "customer_rank": 3})
        by_odoo = Partner.create({"name": "陈静"})
        by_odoo._increase_rank("customer_rank")
        policies = self.env["insurance.policy"]
        for number, payer in enumerate(new | ranked):
            policies |= self._create_policy(name=f"P-07{number}", payer_id=payer.id)
        policies.action_activate()
        self.assertEqual(new.mapped("customer_rank"), [by_odoo.customer_rank] * 2)
        self.assertEqual(by_odoo.customer_rank, 1)
        self.assertEqual(ranked.customer_rank, 3)
        self.assertEqual(self.holder.customer_rank, 0)

    @freeze_time("2024-02-10")
    def test_quarterly_month_end_dates_come_from_the_issue_date(self):
        policy = self._create_policy(
            issue_date="2024-01-31", payment_frequency="quarterly", premium_amount=3000
        )
        policy.action_activate()
        self.assertEqual(policy.state, "in_force")
        self.assertEqual(
            self._due_dates(policy)[:3],
            [date(2024, 4, 30), date(2024, 7, 31), date(2024, 10, 31)],
            "Due dates are computed from the issue date, never chained: 31 July, "
            "not 30 July.",
        )
        first = self._line(policy, 2)
        self.assertEqual(first.grace_end_date, date(2024, 6, 29))
        self.assertEqual(first.lapse_date, date(2024, 6, 30))
        self.assertEqual(first.policy_year, 1)
        self.assertEqual(self._line(policy, 5).policy_year, 2)
        self.assertEqual(policy.next_due_date, date(2024, 4, 30))
        self.assertEqual(policy.paid_to_date, date(2024, 4, 30))

    @freeze_time("2024-03-01")
    def test_annual_leap_day_issue_falls_back_to_february_28(self):
        policy = self._create_policy(issue_date="2024-02-29")
        policy.action_activate()
        self.assertEqual(self._due_dates(policy), [date(2025, 2, 28)])
        with freeze_time("2027-03-01"):
            self._run_clock()
        self.assertEqual(
            self._due_dates(policy)[:4],
            [
                date(2025, 2, 28),
                date(2026, 2, 28),
                date(2027, 2, 28),
                date(2028, 2, 29),
            ],
        )

    @freeze_time("2024-02-01")
    def test_monthly_policy_stores_only_the_horizon(self):
        policy = self._create_policy(
            issue_date="2024-01-31",
            payment_frequency="monthly",
            premium_amount=800,
            premium_years=20,
        )
        policy.action_activate()
        lines = policy.premium_line_ids
        self.assertEqual(
            len(lines), 12, "Instalments 2 to 13: one year ahead, not 240."
        )
        self.assertEqual(min(lines.mapped("installment_number")), 2)
        self.assertEqual(max(lines.mapped("due_date")), date(2025, 1, 31))
        self.assertEqual(self._line(policy, 2).due_date, date(2024, 2, 29))
        self.assertEqual(policy.schedule_next_date, date(2025, 2, 28))

    @freeze_time("2024-02-01")
    def test_horizon_is_configurable(self):
        self.env["ir.config_parameter"].set_param(
            "insurance_renewal.schedule_horizon_months", 3
        )
        policy = self._create_policy(payment_frequency="monthly", premium_amount=800)
        policy.action_activate()
        self.assertEqual(len(policy.premium_line_ids), 3)

    def test_daily_clock_extends_the_horizon_as_time_passes(self):
        with freeze_time("2024-02-01"):
            policy = self._create_policy(
                payment_frequency="monthly", premium_amount=800
            )
            policy.action_activate()
        with freeze_time("2024-05-15"):
            self._run_clock()
        self.assertEqual(
            max(policy.premium_line_ids.mapped("due_date")), date(2025, 4, 30)
        )
        with freeze_time("2024-05-15"):
            self._run_clock()
        self.assertEqual(
            len(policy.premium_line_ids), 15, "A rerun stores nothing twice."
        )

    @freeze_time("2024-02-01")
    def test_premiums_stop_after_the_premium_term(self):
        policy = self._create_policy(payment_frequency="semiannual", premium_years=1)
        policy.action_activate()
        self.assertEqual(len(policy.premium_line_ids), 1)
        self.assertFalse(policy.schedule_next_date)
        self._line(policy, 2).amount_paid = 12000
        self._end_unit_of_work()
        self.assertEqual(policy.state, "paid_up")

    @freeze_time("2024-02-01")
    def test_single_premium_has_no_renewal(self):
        policy = self._create_policy(payment_frequency="single", premium_amount=100000)
        policy.action_activate()
        self.assertEqual(policy.state, "paid_up")
        self.assertFalse(policy.premium_line_ids)
        self.assertEqual(policy.annualized_premium, 100000)

    @freeze_time("2026-11-25")
    def test_policy_registered_with_a_paid_to_date(self):
        policy = self._create_policy(
            issue_date="2020-06-15",
            payment_frequency="quarterly",
            premium_amount=2500,
            paid_to_date="2026-12-15",
        )
        policy.action_activate()
        first = policy.premium_line_ids.sorted("installment_number")[0]
        self.assertEqual(first.installment_number, 27, "Instalments 1-26 are paid.")
        self.assertEqual(first.due_date, date(2026, 12, 15))
        self.assertEqual(first.state, "planned")
        self.assertEqual(policy.paid_to_date, date(2026, 12, 15))

    @freeze_time("2026-11-25")
    def test_activation_of_an_overdue_policy_starts_its_clock(self):
        policy = self._create_policy(issue_date="2020-10-15", paid_to_date="2026-10-15")
        policy.action_activate()
        self.assertEqual(self._line(policy, 7).state, "grace")
        self.assertEqual(policy.state, "grace")
        self.assertEqual(policy.amount_overdue, 12000)

    @freeze_time("2026-11-25")
    def test_premiums_after_a_suspension_are_not_owed_before_reinstatement(self):
        policy = self._create_policy(
            issue_date="2024-06-15",
            payment_frequency="quarterly",
            premium_amount=2500,
            paid_to_date="2025-12-15",
        )
        policy.action_activate()
        self.assertEqual(policy.state, "lapsed")
        self.assertEqual(policy.suspension_date, date(2026, 2, 14))
        self.assertEqual(self._line(policy, 7).state, "lapsed")
        later = policy.premium_line_ids.filtered(
            lambda line: line.installment_number > 7
        )
        self.assertEqual(set(later.mapped("state")), {"planned"})
        self.assertEqual(policy.amount_overdue, 2500)

    @freeze_time("2026-11-25")
    def test_a_premium_due_today_is_not_yet_overdue(self):
        policy = self._create_policy(issue_date="2025-11-25")
        policy.action_activate()
        self.assertEqual(self._line(policy, 2).state, "due")
        self.assertEqual(policy.amount_overdue, 0)
        self.assertEqual(policy.next_due_date, date(2026, 11, 25))

    @freeze_time("2026-11-25")
    def test_activating_a_policy_with_its_whole_term_paid_makes_it_paid_up(self):
        policy = self._create_policy(
            issue_date="2016-03-01", premium_years=10, paid_to_date="2026-03-01"
        )
        policy.action_activate()
        self.assertFalse(policy.premium_line_ids)
        self.assertEqual(policy.state, "paid_up")

    @freeze_time("2024-02-10")
    def test_values_given_at_activation_equal_what_the_fields_compute(self):
        """Activation gives the instalments' derived values (policyholder, product,
        specialist, method, company, currency, suspension and invoice days) rather
        than computing them line by line: recomputed, none changes."""
        self.product.invoice_lead_days = 15
        policy = self._create_policy(
            issue_date="2024-01-31",
            payment_frequency="monthly",
            premium_amount=800,
            payment_method="online",
        )
        policy.action_activate()
        lines = policy.premium_line_ids
        names = [
            "partner_id",
            "product_id",
            "specialist_id",
            "payment_method",
            "company_id",
            "currency_id",
            "lapse_date",
            "invoice_issue_date",
            "amount_paid",
            "amount_credited",
            "amount_residual",
        ]
        given = lines.read(names)
        self.assertEqual(given[0]["partner_id"][0], self.holder.id)
        self.assertEqual(given[0]["payment_method"], "online")
        self.assertEqual(given[0]["amount_residual"], 800)
        self.assertEqual(self._line(policy, 2).invoice_issue_date, date(2024, 2, 14))
        for name in names:
            self.env.add_to_compute(lines._fields[name], lines)
        lines.invalidate_recordset(names, flush=False)
        self.assertEqual(lines.read(names), given)

    @freeze_time("2024-02-10")
    def test_schedule_stored_in_one_statement_equals_what_create_stores(self):
        """Activation and the clock store schedules in one statement
        (``_insert_schedule``), not through ``create``: row for row, every column
        is what ``create`` stores for the same instalments (log columns, defaults,
        computed amounts, derived dates), and the policy reads its new schedule and
        figures at once."""
        self.product.invoice_lead_days = 15
        values = {
            "issue_date": "2024-01-31",
            "payment_frequency": "monthly",
            "premium_amount": 812.35,
            "payment_method": "online",
            "paid_to_date": "2024-01-31",
        }
        by_create = self._create_policy(name="P-ORM", **values)
        inserted = self._create_policy(name="P-SQL", **values)
        self.assertFalse(inserted.premium_line_ids, "read before the insert")
        lines = self.env["insurance.premium.line"]
        dues = [
            (number, by_create._instalment_due_date(number)) for number in range(2, 14)
        ]
        created = lines.create(by_create._premium_line_vals(dues))
        self.assertEqual(by_create.premium_line_ids, created)
        stored = lines._insert_schedule(inserted._premium_line_vals(dues))
        self.assertEqual(stored.mapped("installment_number"), list(range(2, 14)))
        self.assertEqual(inserted.premium_line_ids, stored)
        self.assertEqual(inserted.next_due_date, date(2024, 2, 29))
        self.assertEqual(inserted.paid_to_date, date(2024, 2, 29))
        self.env.flush_all()
        columns = [
            name
            for name, field in lines._fields.items()
            if field.store and field.column_type and name not in ("id", "policy_id")
        ]
        self.assertIn("amount_residual", columns)
        self.assertIn("create_date", columns)

        def rows(policy):
            self.env.cr.execute(
                "SELECT * FROM insurance_premium_line WHERE policy_id = %s "
                "ORDER BY installment_number",
                [policy.id],
            )
            names = [column.name for column in self.env.cr.description]
            return [
                {name: row[names.index(name)] for name in columns}
                for row in self.env.cr.fetchall()
            ]

        expected = rows(by_create)
        self.assertEqual(len(expected), 12)
        self.assertEqual(expected[0]["amount_residual"], 812.35)
        self.assertIsNone(expected[0]["amount_paid"])
        self.assertEqual(expected[0]["state"], "planned")
        self.assertEqual(rows(inserted), expected)
        figures = [
            "amount_overdue",
            "next_due_date",
            "paid_to_date",
            "schedule_next_date",
        ]
        self.assertEqual(
            inserted.read(figures)[0] | {"id": 0},
            by_create.read(figures)[0] | {"id": 0},
        )

    def test_schedule_columns_reach_postgresql_as_they_were_given(self):
        """The schedule's columns go to PostgreSQL as one array literal each
        (read at once, where a list is parsed value by value): whatever a
        value holds (quotes, backslashes, commas, braces, the word NULL, an
        empty text, Chinese) it is read back as it was, None as NULL; a date,
        a timestamp, a number and a flag too."""
        column = self.env["insurance.premium.line"]._schedule_column
        texts = [
            'a "quoted" word',
            "back\\slash",
            "a, b",
            "{x}",
            "NULL",
            "",
            "续期",
            None,
        ]
        others = [
            ([date(2024, 2, 29), None], "date"),
            ([datetime(2024, 2, 29, 8, 30, 15, 250000)], "timestamp"),
            ([812.35, 0.1, 3, None], "numeric"),
            ([True, False, None], "bool"),
        ]
        for values, kind in [(texts, "varchar"), *others]:
            literal = column(values)
            self.assertIsInstance(literal, str)
            self.env.cr.execute(f"SELECT %s::{kind}[]", [literal])
            self.assertEqual(self.env.cr.fetchone()[0], values)
        self.assertEqual(column([{"en_US": "x"}]), [{"en_US": "x"}], "kept a list")
