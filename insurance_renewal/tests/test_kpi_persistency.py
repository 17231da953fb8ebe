from datetime import date

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from ..lib import schedule
from .common import InsuranceRenewalCommon

PAID, LAPSED, GRACE = "paid", "lapsed", "grace"

# Cohort A is issued on 10 January 2024: its 13th-month premium falls due on
# 10 January 2025 (grace ends 11 March 2025, suspension on the 12th), its 25th-month
# premium on 10 January 2026. Cohort B is issued on 20 May 2025: its 13th-month
# premium falls due on 20 May 2026, with grace until 19 July 2026.
# Each policy stores only the instalments this test reads, given by number:
# (state, date paid). Frequencies: annual #2/#3, quarterly #5/#9, monthly #13/#25.
COHORT_A = date(2024, 1, 10)
COHORT_B = date(2025, 5, 20)
POLICIES = [
    # name, issue, frequency, premium, state, end (reason, date), instalments
    ("A01", COHORT_A, "annual", 10000, "in_force", None,
     {2: (PAID, "2025-01-05"), 3: (PAID, "2026-01-08")}),
    ("A02", COHORT_A, "annual", 10000, "in_force", None,  # late, inside grace
     {2: (PAID, "2025-02-20"), 3: (PAID, "2026-01-10")}),
    ("A03", COHORT_A, "annual", 20000, "in_force", None,  # after grace, reinstated
     {2: (PAID, "2025-03-20"), 3: (PAID, "2026-01-05")}),
    ("A04", COHORT_A, "annual", 20000, "lapsed", None, {2: (LAPSED, None)}),
    ("A05", COHORT_A, "annual", 5000, "lapsed", None,
     {2: (PAID, "2025-01-10"), 3: (LAPSED, None)}),
    ("A06", COHORT_A, "monthly", 1000, "in_force", None,
     {13: (PAID, "2025-01-10"), 25: (PAID, "2026-01-09")}),
    ("A07", COHORT_A, "monthly", 1000, "lapsed", None,
     {13: (PAID, "2025-03-05"), 25: (LAPSED, None)}),
    ("A08", COHORT_A, "monthly", 500, "lapsed", None, {13: (LAPSED, None)}),
    ("A09", COHORT_A, "quarterly", 3000, "in_force", None,
     {5: (PAID, "2025-01-02"), 9: (PAID, "2026-02-01")}),
    ("A10", COHORT_A, "quarterly", 2500, "in_force", None,  # 25: a day late
     {5: (PAID, "2025-01-10"), 9: (PAID, "2026-03-12")}),
    ("A11", COHORT_A, "annual", 10000, "terminated", ("free_look", "2024-01-20"), {}),
    ("A12", COHORT_A, "annual", 30000, "terminated", ("death", "2024-08-01"), {}),
    ("A13", COHORT_A, "annual", 10000, "terminated", ("death", "2025-06-01"),
     {2: (PAID, "2025-01-09")}),
    ("A14", COHORT_A, "annual", 10000, "surrendered", ("surrender", "2025-06-01"),
     {2: (PAID, "2025-01-10")}),
    ("A15", COHORT_A, "single", 50000, "paid_up", None, {}),
    ("A16", COHORT_A, "annual", 10000, "draft", None, {}),
    ("A17", COHORT_A, "monthly", 2000, "in_force", None,
     {13: (PAID, "2025-01-10"), 25: (PAID, "2026-01-10")}),
    ("A18", COHORT_A, "quarterly", 1000, "in_force", None, {5: (PAID, "2025-04-01")}),
    ("B01", COHORT_B, "annual", 8000, "in_force", None, {2: (PAID, "2026-05-18")}),
    ("B02", COHORT_B, "annual", 8000, "grace", None, {2: (GRACE, None)}),
    ("B03", COHORT_B, "monthly", 800, "in_force", None, {13: (PAID, "2026-06-10")}),
    ("B04", COHORT_B, "monthly", 800, "grace", None, {13: (GRACE, None)}),
    ("B05", COHORT_B, "quarterly", 2000, "in_force", None, {5: (PAID, "2026-05-20")}),
    ("B06", COHORT_B, "quarterly", 2000, "grace", None, {5: (GRACE, None)}),
    ("B07", COHORT_B, "annual", 12000, "terminated", ("free_look", "2025-05-30"), {}),
    ("B08", COHORT_B, "annual", 12000, "terminated", ("claim", "2026-01-15"), {}),
    ("B09", COHORT_B, "annual", 6000, "in_force", None, {2: (PAID, "2026-05-01")}),
    ("B10", COHORT_B, "monthly", 1000, "in_force", None, {13: (PAID, "2026-05-20")}),
]  # fmt: skip
# The reinstatements completed (underwriting approved and paid), by policy.
REINSTATED = {"A03": "2025-03-20", "A18": "2025-04-01", "A10": "2026-03-12"}


@tagged("post_install", "-at_install")
class TestKpiPersistency(InsuranceRenewalCommon):
    """Persistency, collection, renewal success and lapse rates on a portfolio
    computed by hand (the expected numbers are worked out in each test)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(
            cls.env,
            login="test_kpi_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        cls.policies = {}
        for name, issued, frequency, premium, state, end, lines in POLICIES:
            cls.policies[name] = cls._kpi_policy(
                name, issued, frequency, premium, state, end, lines
            )
        cls.env["insurance.servicing.request"].create(
            [
                {
                    "policy_id": cls.policies[name].id,
                    "request_type": "reinstatement",
                    "state": "done",
                    "date_done": day,
                }
                for name, day in REINSTATED.items()
            ]
        )

    @classmethod
    def _kpi_policy(cls, name, issued, frequency, premium, state, end, lines):
        policy = cls._create_policy(
            name=f"KPI-{name}",
            issue_date=issued,
            payment_frequency=frequency,
            premium_amount=premium,
            state=state,
            end_reason=end and end[0],
            end_date=end and end[1],
        )
        cls.env["insurance.premium.line"].create(
            [
                cls._kpi_line_vals(policy, number, line_state, paid_on)
                for number, (line_state, paid_on) in lines.items()
            ]
        )
        return policy

    @classmethod
    def _kpi_line_vals(cls, policy, number, state, paid_on):
        due = schedule.due_date(policy.issue_date, policy.payment_frequency, number)
        return {
            "policy_id": policy.id,
            "installment_number": number,
            "policy_year": schedule.policy_year(policy.payment_frequency, number),
            "due_date": due,
            "grace_end_date": schedule.grace_end_date(due, 60),
            "amount": policy.premium_amount,
            "amount_paid": policy.premium_amount if state == PAID else 0,
            "date_paid": paid_on,
            "state": state,
        }

    def _persistency(self):
        table = self.env["insurance.kpi.persistency"].with_user(self.manager)
        return {
            (row["cohort"], row["month"]): row
            for row in table._cohort_table([("policy_id.name", "like", "KPI-")])
        }

    @freeze_time("2026-06-30")
    def test_persistency_by_count_and_premium(self):
        rows = self._persistency()
        # Month 13 of cohort A: A11 cancelled in the free look and A12 dead before
        # the premium was due are left out: 14 policies, of which A03 (paid after
        # grace), A04 and A08 (never paid) and A18 (after grace) do not persist.
        # Annualised: 10+10+20+20+5+12+12+6+12+10+10+10+24+4 = 165k, persisting
        # 165 - 20 - 20 - 6 - 4 = 115k.
        a13 = rows[(date(2024, 1, 1), 13)]
        self.assertEqual((a13["policies"], a13["persisting"]), (14, 10))
        self.assertAlmostEqual(a13["count_rate"], 71.43)
        self.assertEqual((a13["premium"], a13["premium_persisting"]), (165000, 115000))
        self.assertAlmostEqual(a13["premium_rate"], 69.70)
        self.assertTrue(a13["final"])
        # Month 25: A13 (died in June 2025) leaves too: 13 policies. Persisting:
        # A01, A02, A03 (reinstated, then on time), A06, A09, A17; A14 surrendered
        # and A10 paid a day after grace. Premium 155k, persisting 10+10+20+12+12+24.
        a25 = rows[(date(2024, 1, 1), 25)]
        self.assertEqual((a25["policies"], a25["persisting"]), (13, 6))
        self.assertAlmostEqual(a25["count_rate"], 46.15)
        self.assertEqual((a25["premium"], a25["premium_persisting"]), (155000, 88000))
        self.assertAlmostEqual(a25["premium_rate"], 56.77)
        self.assertTrue(a25["final"])
        # Cohort B at month 13: B07 (free look) and B08 (claim) are left out; B02,
        # B04 and B06 are still in grace, so the cohort is provisional at 5 of 8.
        # Premium 8+8+9.6+9.6+8+8+6+12 = 69.2k, persisting 8+9.6+8+6+12 = 43.6k.
        b13 = rows[(date(2025, 5, 1), 13)]
        self.assertEqual((b13["policies"], b13["persisting"]), (8, 5))
        self.assertAlmostEqual(b13["count_rate"], 62.50)
        self.assertEqual((b13["premium"], b13["premium_persisting"]), (69200, 43600))
        self.assertAlmostEqual(b13["premium_rate"], 63.01)
        self.assertFalse(b13["final"])
        # Month 25 of cohort B has not fallen due; no month 37 anywhere yet.
        self.assertEqual(
            sorted(rows), [(date(2024, 1, 1), 13), (date(2024, 1, 1), 25), b13_key()]
        )

    @freeze_time("2026-06-30")
    def test_persistency_by_payment_frequency(self):
        # Cohort A at month 13: annual A01-A05, A13, A14 (A03, A04 lapse: 5 of 7);
        # monthly A06, A07, A08, A17 (A08: 3 of 4); quarterly A09, A10, A18 (A18
        # paid after grace: 2 of 3).
        groups = (
            self.env["insurance.kpi.persistency"]
            .with_user(self.manager)
            ._read_group(
                [
                    ("policy_id.name", "like", "KPI-A"),
                    ("measure_month", "=", "13"),
                ],
                ["payment_frequency"],
                [
                    "policy_count:sum",
                    "persisted_count:sum",
                    "persistency_count_rate:avg",
                ],
            )
        )
        self.assertEqual(
            sorted(groups),
            [
                ("annual", 7, 5, 71.43),
                ("monthly", 4, 3, 75.0),
                ("quarterly", 3, 2, 66.67),
            ],
        )

    @freeze_time("2026-07-20")
    def test_cohort_final_once_grace_ended(self):
        self.assertTrue(self._persistency()[b13_key()]["final"])

    @freeze_time("2026-06-30")
    def test_collection_and_success_rates(self):
        kpi = self.env["insurance.kpi.instalment"].with_user(self.manager)
        mine = [("policy_id.name", "like", "KPI-")]
        # Due in January 2025: cohort A's 13th-month premiums, 96,000 in all; A04
        # (20,000) and A08 (500) were never paid: 75,500 received.
        [(due, received, rate)] = kpi._read_group(
            [*mine, ("due_date", ">=", "2025-01-01"), ("due_date", "<", "2025-02-01")],
            [],
            ["amount_due:sum", "amount_received:sum", "collection_rate:avg"],
        )
        self.assertEqual((due, received), (96000, 75500))
        self.assertAlmostEqual(rate, 78.65)
        # Grace ended in March 2025 for those 14 instalments; 10 were paid by then.
        [(ended, paid, success)] = kpi._read_group(
            [
                *mine,
                ("grace_end_date", ">=", "2025-03-01"),
                ("grace_end_date", "<", "2025-04-01"),
            ],
            [],
            ["grace_ended_count:sum", "paid_in_grace_count:sum", "success_rate:avg"],
        )
        self.assertEqual((ended, paid), (14, 10))
        self.assertAlmostEqual(success, 71.43)
        # Cohort B's premiums are due but their grace has not ended: not counted.
        [(ended, success)] = kpi._read_group(
            [*mine, ("due_date", ">=", "2026-05-01")],
            [],
            ["grace_ended_count:sum", "success_rate:avg"],
        )
        self.assertEqual(ended, 0)
        self.assertIs(success, False, "no rate without an instalment whose grace ended")

    def _lapse(self, period_type, start):
        [row] = (
            self.env["insurance.kpi.lapse"]
            .with_user(self.manager)
            ._read_group(
                [
                    ("period_type", "=", period_type),
                    ("date_start", "=", start),
                    ("product_id", "=", self.product.id),
                ],
                [],
                [
                    "in_force_count:sum",
                    "suspended_count:sum",
                    "lapse_rate:avg",
                    "reinstated_count:sum",
                    "reinstatement_rate:avg",
                ],
            )
        )
        return row

    def test_lapse_rate(self):
        # On 1 March 2025, 14 of cohort A's regular-premium policies are in force
        # (16 issued, A11 and A12 ended). A03, A04, A08 and A18 are suspended on 12
        # March; A03 and A18 have been reinstated since.
        self.assertEqual(self._lapse("month", "2025-03-01"), (14, 4, 28.57, 2, 50.0))
        self.assertEqual(self._lapse("quarter", "2025-01-01"), (14, 4, 28.57, 2, 50.0))
        self.assertEqual(self._lapse("year", "2025-01-01"), (14, 4, 28.57, 2, 50.0))
        # On 1 April: 14 - 4 suspended + A03 reinstated on 20 March (A18 only on the
        # first of April, so not yet at its start); nobody suspended in April.
        self.assertEqual(self._lapse("month", "2025-04-01")[:3], (11, 0, 0.0))
        # On 1 March 2026: 26 issued, 6 ended (A11, A12, A13, A14, B07, B08), A04
        # and A08 still suspended: 18. A05, A07 and A10 are suspended on 12 March;
        # A10 paid that day and was reinstated.
        self.assertEqual(self._lapse("month", "2026-03-01"), (18, 3, 16.67, 1, 33.33))

    @freeze_time("2026-06-30")
    def test_the_lapse_kpi_opens_on_the_last_twelve_months(self):
        """The manager's lapse table opens on this month and the eleven before
        (it opened on every month since the oldest policy); the rest is one
        click away."""
        action = self.env.ref("insurance_renewal.insurance_kpi_lapse_action")
        search = etree.fromstring(
            self.env.ref("insurance_renewal.insurance_kpi_lapse_view_search").arch
        )
        domain = []
        for key in safe_eval(action.context):
            name = key.removeprefix("search_default_")
            found = search.find(f".//filter[@name='{name}']")
            domain += safe_eval(
                found.get("domain"),
                {"context_today": date.today, "relativedelta": relativedelta},
            )
        table = self.env["insurance.kpi.lapse"].with_user(self.manager)
        starts = table.search(domain).mapped("date_start")
        self.assertTrue(starts)
        self.assertEqual(min(starts), date(2025, 7, 1))
        self.assertEqual(set(table.search(domain).mapped("period_type")), {"month"})
        self.assertTrue(table.search([("date_start", "<", date(2025, 7, 1))]))

    def test_kpis_for_managers_only(self):
        self.assertTrue(self._persistency())
        for model in ("insurance.kpi.persistency", "insurance.kpi.lapse"):
            with self.assertRaises(AccessError):
                self.env[model].with_user(self.specialist).search_count([])

    def test_only_managers_record_why_a_policy_ended(self):
        policy = self.policies["A01"]
        with self.assertRaises(AccessError):
            policy.with_user(self.specialist).write({"end_reason": "death"})
        policy.with_user(self.manager).write(
            {"end_reason": "death", "end_date": "2026-02-01"}
        )
        self.assertEqual(policy.end_reason, "death")


def b13_key():
    return (date(2025, 5, 1), 13)
