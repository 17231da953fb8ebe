import threading
from datetime import date
from unittest.mock import patch

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged
from odoo.tools import mute_logger

from .common import InsuranceRenewalCommon


@tagged("post_install", "-at_install")
class TestRenewalCase(InsuranceRenewalCommon):
    """A policy issued on 31 January 2024, its second premium due 31 January 2025."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team = cls.env.ref("insurance_renewal.crm_team_renewals")
        cls.team.crm_team_member_ids = [
            (0, 0, {"user_id": cls.specialist.id}),
        ]
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(specialist_id=cls.specialist.id)
            cls.policy.action_activate()
        cls.line = cls._line(cls.policy, 2)

    def _run_clock_on(self, day):
        with freeze_time(day):
            self._run_clock()

    def _open_case(self):
        self._run_clock_on("2024-12-02")
        return self.policy.renewal_lead_id

    def _log(self, case, **values):
        contact = self.env["insurance.renewal.activity"].create(
            {"policy_id": self.policy.id, "channel": "phone", **values}
        )
        self._end_unit_of_work()
        return contact

    def test_case_opens_once_when_the_premium_enters_the_window(self):
        self._run_clock_on("2024-12-01")
        self.assertFalse(self.policy.renewal_lead_ids, "61 days before: not yet.")
        case = self._open_case()
        self.assertEqual(
            case.stage_id, self.env.ref("insurance_renewal.crm_stage_to_remind")
        )
        self.assertEqual(case.team_id, self.team)
        self.assertEqual(case.user_id, self.specialist)
        self.assertEqual(case.partner_id, self.holder)
        self.assertEqual(case.insurance_premium_line_ids, self.line)
        self.assertEqual(case.renewal_amount_due, 12000)
        self.assertEqual(case.expected_revenue, 12000)
        self.assertEqual(case.renewal_due_date, date(2025, 1, 31))
        self._run_clock_on("2024-12-03")
        self.assertEqual(
            len(self.policy.renewal_lead_ids), 1, "No second case on rerun."
        )

    def test_the_database_refuses_a_second_open_case(self):
        case = self._open_case()
        with self.assertRaisesRegex(UserError, "already has an open renewal case"):
            case.copy({"insurance_policy_id": self.policy.id, "name": "copy"})
        second = self._create_policy(name="P-0002")
        other = case.copy({"insurance_policy_id": second.id, "name": "copy"})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            other.insurance_policy_id = self.policy
            other.flush_recordset()

    def test_case_follows_the_facts_until_collected(self):
        case = self._open_case()
        with freeze_time("2024-12-05"):
            self._log(case, kind="reminder", channel="sms", outcome="sent")
        self.assertEqual(case.stage_id.renewal_step, "reminded")
        self._run_clock_on("2025-02-01")
        self.assertEqual(case.stage_id.renewal_step, "grace")
        with freeze_time("2025-02-05"):
            self.assertEqual(case.renewal_days_left, 55)
            self.line.demand_date = "2025-02-05"
            self._end_unit_of_work()
        self.assertEqual(case.stage_id.renewal_step, "demand")
        with freeze_time("2025-02-10"):
            self.line.amount_paid = 12000
            self._end_unit_of_work()
        self.assertEqual(case.won_status, "won")
        self.assertEqual(
            case.stage_id, self.env.ref("insurance_renewal.crm_stage_collected")
        )
        self.assertFalse(self.policy.renewal_lead_id)

    def test_a_payment_refreshes_its_case_once(self):
        """Facts flow one way: the instalment's write marks its policy, and the
        case is refreshed once when the unit of work ends, not by every hook."""
        case = self._open_case()
        self._run_clock_on("2025-02-01")
        lead_class = type(self.env["crm.lead"])
        refresh = lead_class._insurance_refresh_from_facts
        with (
            freeze_time("2025-02-10"),
            patch.object(
                lead_class,
                "_insurance_refresh_from_facts",
                autospec=True,
                side_effect=refresh,
            ) as spy,
        ):
            self.line.amount_paid = 12000
            self.assertEqual(spy.call_count, 0, "Nothing refreshed inside the write.")
            self.assertEqual(case.won_status, "pending")
            self._end_unit_of_work()
        self.assertEqual(spy.call_count, 1)
        self.assertEqual(self.policy.state, "in_force")
        self.assertEqual(case.won_status, "won")

    def test_cases_paid_together_are_won_with_one_stage_lookup(self):
        """A bank file pays many premiums in one unit of work: each case goes to
        the won stage CRM would choose, with probability 100, and the won stages
        are searched once for the batch, not once per case as CRM's own
        ``action_set_won`` does."""
        with freeze_time("2024-02-10"):
            second = self._create_policy(
                name="P-0002", specialist_id=self.specialist.id
            )
            second.action_activate()
        self._open_case()
        self._run_clock_on("2025-02-01")
        cases = (self.policy | second).renewal_lead_id
        self.assertEqual(len(cases), 2)
        lookups = []

        def count_won_stage_searches(cr, query, params, start, delay):
            text = str(query)
            if '"crm_stage"."is_won" IS TRUE' in text:
                lookups.append(text)

        thread = threading.current_thread()
        hooks = getattr(thread, "query_hooks", ())
        thread.query_hooks = (*hooks, count_won_stage_searches)
        try:
            with freeze_time("2025-02-10"):
                (self.line | self._line(second, 2)).amount_paid = 12000
                self._end_unit_of_work()
        finally:
            thread.query_hooks = hooks
        self.assertEqual(cases.mapped("won_status"), ["won", "won"])
        self.assertEqual(
            cases.stage_id, self.env.ref("insurance_renewal.crm_stage_collected")
        )
        self.assertEqual(cases.mapped("probability"), [100, 100])
        self.assertEqual(len(lookups), 1, lookups)

    def test_the_clock_refreshes_the_cases_whose_dates_moved(self):
        """Night after night, only the cases whose facts cross a date since the
        last run are refreshed: past due, nearer the grace end, a promised day."""
        case = self._open_case()
        leads = self.env["crm.lead"]
        quiet = leads._calendar_cases_domain(date(2024, 12, 2), date(2024, 12, 3))
        self.assertFalse(leads.search(quiet) & case, "Nothing moved overnight.")
        past_due = leads._calendar_cases_domain(date(2025, 1, 31), date(2025, 2, 1))
        self.assertEqual(leads.search(past_due) & case, case)
        grace_15 = leads._calendar_cases_domain(date(2025, 3, 16), date(2025, 3, 17))
        self.assertEqual(leads.search(grace_15) & case, case, "15 days of grace left.")
        missed = leads._calendar_cases_domain(date(2025, 1, 20), date(2025, 2, 5))
        self.assertEqual(leads.search(missed) & case, case, "A missed night counts.")
        self.assertEqual(
            leads.search(leads._calendar_cases_domain(None, date(2024, 12, 3))) & case,
            case,
            "Every open case on a first run.",
        )

    def test_an_instalment_stored_inside_the_window_reaches_its_case_that_night(self):
        """A schedule extended late (here the manager keeps one month of schedule
        ahead, less than the 60-day case window): the night the clock stores a
        premium already inside the window, the specialist's open case lists it
        and asks for it, although none of the case's other facts moved."""
        self.env["ir.config_parameter"].set_param(
            "insurance_renewal.schedule_horizon_months", 1
        )
        with freeze_time("2024-01-20"):
            policy = self._create_policy(
                name="P-MONTHLY",
                issue_date="2024-01-15",
                payment_frequency="monthly",
                premium_amount=1000,
                specialist_id=self.specialist.id,
            )
            policy.action_activate()
        self._run_clock_on("2024-01-20")
        case = policy.renewal_lead_id
        self._run_clock_on("2024-02-15")
        february, march = self._line(policy, 2), self._line(policy, 3)
        self.assertEqual(case.insurance_premium_line_ids, february | march)
        with freeze_time("2024-03-10"):
            march.amount_paid = 1000
            self._end_unit_of_work()
        self._run_clock_on("2024-03-10")
        self.assertEqual((february.state, march.state), ("grace", "paid"))
        self.assertFalse(self._line(policy, 4), "Not stored yet: due 15 April.")
        self._run_clock_on("2024-03-15")
        april = self._line(policy, 4)
        self.assertEqual(april.due_date, date(2024, 4, 15))
        seen = case.with_user(self.specialist)
        self.assertEqual(seen.insurance_premium_line_ids, february | march | april)
        self.assertEqual(seen.renewal_amount_due, 2000, "February's and April's.")
        self.assertEqual(seen.renewal_due_date, date(2024, 2, 15))

    def test_an_instalment_stored_beyond_the_window_leaves_the_case_alone(self):
        """The nightly extension stores next year's premium: nothing the case shows
        changes, so it is not refreshed for it (the calendar brings that premium
        in once it nears)."""
        self.env["ir.config_parameter"].set_param(
            "insurance_renewal.schedule_horizon_months", 13
        )
        case = self._open_case()
        self._run_clock_on("2024-12-30")
        self.assertFalse(self._line(self.policy, 3))
        lead_class = type(self.env["crm.lead"])
        refresh = lead_class._insurance_refresh_from_facts
        with patch.object(
            lead_class,
            "_insurance_refresh_from_facts",
            autospec=True,
            side_effect=refresh,
        ) as spy:
            self._run_clock_on("2024-12-31")
        self.assertEqual(self._line(self.policy, 3).due_date, date(2026, 1, 31))
        refreshed = [call.args[0] for call in spy.call_args_list]
        self.assertFalse([leads for leads in refreshed if case.id in leads.ids])
        self.assertEqual(case.insurance_premium_line_ids, self.line)

    def test_suspension_loses_the_case_with_the_reason_given(self):
        case = self._open_case()
        hardship = self.env.ref("insurance_renewal.lost_reason_hardship")
        with freeze_time("2025-02-20"):
            self._log(case, outcome="refused", reason_id=hardship.id)
        self._run_clock_on("2025-04-02")
        self.assertEqual(self.policy.state, "lapsed")
        self.assertEqual(case.won_status, "lost")
        self.assertFalse(case.active)
        self.assertEqual(case.lost_reason_id, hardship)

    def test_a_drag_never_contradicts_the_facts(self):
        case = self._open_case()
        with self.assertRaisesRegex(UserError, "still has .* unpaid"):
            case.stage_id = self.env.ref("insurance_renewal.crm_stage_collected")
        with self.assertRaisesRegex(UserError, "no formal payment demand"):
            case.stage_id = self.env.ref("insurance_renewal.crm_stage_demand")
        with self.assertRaisesRegex(UserError, "not past its due date"):
            case.stage_id = self.env.ref("insurance_renewal.crm_stage_grace")
        with self.assertRaises(UserError):
            case.action_set_won()
        # nor over RPC with the context of the addon's own refresh
        as_specialist = case.with_user(self.specialist).with_context(
            renewal_fact_update=True
        )
        with self.assertRaises(UserError):
            as_specialist.action_set_won()
        with self.assertRaises(UserError):
            as_specialist.write(
                {"stage_id": self.env.ref("insurance_renewal.crm_stage_collected").id}
            )
        self.assertEqual(case.won_status, "pending")
        case.stage_id = self.env.ref("insurance_renewal.crm_stage_promised")
        self.assertEqual(case.stage_id.renewal_step, "promised")

    def test_broken_promise_returns_the_case_to_collection(self):
        case = self._open_case()
        with freeze_time("2025-02-03"):
            self._log(
                case,
                outcome="promised",
                promised_date="2025-02-10",
                promised_amount=12000,
            )
        self.assertEqual(case.stage_id.renewal_step, "promised")
        self.assertEqual(case.renewal_promised_date, date(2025, 2, 10))
        check = case.activity_ids.filtered(
            lambda a: a.date_deadline == date(2025, 2, 10)
        )
        self.assertEqual(
            check.user_id, self.specialist, "A check on the promised date."
        )
        self._run_clock_on("2025-02-10")
        self.assertFalse(case.renewal_promise_broken, "The promised day is not over.")
        self._run_clock_on("2025-02-11")
        self.assertTrue(case.renewal_promise_broken)
        self.assertEqual(case.stage_id.renewal_step, "grace")
        self.assertIn(
            "Promise to pay broken", " ".join(case.activity_ids.mapped("summary"))
        )
        self.assertIn("Broken promises", case.renewal_risk_reasons)

    def test_a_promise_broken_the_night_the_premium_falls_due_is_told(self):
        """The instalment's move to due refreshes the case before the clock's
        broken-promise step: the specialist is told all the same, once."""
        case = self._open_case()
        with freeze_time("2025-01-20"):
            self._log(
                case,
                outcome="promised",
                promised_date="2025-01-30",
                promised_amount=12000,
            )
        self._run_clock_on("2025-01-31")
        self.assertTrue(case.renewal_promise_broken)
        self._run_clock_on("2025-01-31")
        told = case.activity_ids.filtered(
            lambda a: a.summary.startswith("Promise to pay broken")
        )
        self.assertEqual(len(told), 1, "Told once, on the rerun too.")
        self.assertEqual(told.date_deadline, date(2025, 1, 31))
        self.assertEqual(told.user_id, self.specialist)

    def test_risk_score_shows_its_reasons(self):
        self.policy.payment_method = "counter"
        case = self._open_case()
        self.assertEqual(case.renewal_risk_score, 10 + 15)
        self._run_clock_on("2025-03-20")
        self.assertEqual(
            case.renewal_risk_score, 20 + 15 + 10, "12 days of grace left."
        )
        with freeze_time("2025-03-28"):
            self._run_clock()
            self.assertEqual(
                case.renewal_risk_score, 30 + 15 + 10, "The nightly refresh."
            )
            self._log(case, outcome="no_answer")
            self._log(case, outcome="wrong_number")
        self.assertTrue(case.renewal_unreachable)
        self.assertEqual(case.renewal_risk_score, 30 + 20 + 15 + 10 + 5)
        self.assertEqual(
            case.renewal_risk_reasons.splitlines(),
            [
                "+30 In grace period, suspension nears",
                "+20 Unreachable: wrong number or undelivered",
                "+15 Early policy year, when lapses are common",
                "+10 Pays by hand, not by auto-debit",
                "+5 Calls not answered",
            ],
        )

    def test_cases_without_a_specialist_go_round_robin_by_workload(self):
        second = new_test_user(
            self.env,
            login="test_specialist_2",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        self.team.crm_team_member_ids = [(0, 0, {"user_id": second.id})]
        with freeze_time("2024-02-10"):
            policies = self.env["insurance.policy"]
            for number in range(3):
                policies |= self._create_policy(
                    name=f"P-RR{number}", specialist_id=False
                )
            policies.action_activate()
        self._run_clock_on("2024-12-02")
        owners = policies.renewal_lead_id.mapped("user_id")
        self.assertEqual(self.policy.renewal_lead_id.user_id, self.specialist)
        self.assertEqual(
            sorted(lead.user_id.login for lead in policies.renewal_lead_ids),
            sorted(["test_specialist", "test_specialist_2", "test_specialist_2"]),
            "The specialist already holding a case gets one, the other two.",
        )
        self.assertEqual(owners, self.specialist | second)

    def test_manager_reassigns_a_portfolio_and_orphan_policies(self):
        case = self._open_case()
        successor = new_test_user(
            self.env,
            login="test_successor",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        new_agent = new_test_user(
            self.env, login="test_new_agent", groups="sales_team.group_sale_salesman"
        )
        self.policy.user_id = self.agent
        wizard = Form(self.env["insurance.renewal.reassign"])
        wizard.from_user_id = self.specialist
        wizard.to_specialist_id = successor
        wizard = wizard.save()
        self.assertEqual((wizard.policy_count, wizard.case_count), (1, 1))
        wizard.action_reassign()
        self.assertEqual(self.policy.specialist_id, successor)
        self.assertEqual(case.user_id, successor)
        orphans = self.env["insurance.renewal.reassign"].create(
            {
                "mode": "orphan",
                "from_user_id": self.agent.id,
                "to_agent_id": new_agent.id,
            }
        )
        orphans.action_reassign()
        self.assertEqual(self.policy.user_id, new_agent)

    def test_specialist_logs_a_promise_from_the_case(self):
        case = self._open_case().with_user(self.specialist)
        action = case.action_log_renewal_contact()
        with freeze_time("2024-12-05"):
            wizard = Form(
                self.env[action["res_model"]]
                .with_user(self.specialist)
                .with_context(**action["context"])
            )
            wizard.outcome = "promised"
            self.assertEqual(wizard.promised_amount, 12000)
            with self.assertRaises(AssertionError):
                wizard.save()  # the promised date is required on screen
            wizard.promised_date = date(2025, 1, 20)
            wizard.save().action_confirm()
            self._end_unit_of_work()
        self.assertEqual(case.stage_id.renewal_step, "promised")
        self.assertEqual(case.renewal_last_activity_id.user_id, self.specialist)

    def test_sales_rep_reads_the_case_of_a_customer_but_cannot_change_it(self):
        case = self._open_case()
        as_agent = case.with_user(self.agent)
        self.assertEqual(as_agent.renewal_amount_due, 12000)
        with self.assertRaises(AccessError):
            as_agent.write({"name": "changed"})
        other = new_test_user(
            self.env, login="test_other_rep", groups="sales_team.group_sale_salesman"
        )
        with self.assertRaises(AccessError):
            case.with_user(other).read(["name"])
        as_specialist = self.env["crm.lead"].with_user(self.specialist)
        self.assertEqual(
            as_specialist.search(
                [("insurance_policy_id.product_id", "=", self.product.id)]
            ),
            case,
        )

    def test_my_cases_are_the_specialist_s_own_and_the_sales_rep_s_customers(self):
        case = self._open_case()
        self.assertEqual(case.user_id, self.specialist)
        mine = [("is_my_renewal_case", "=", True)]
        cases = self.env["crm.lead"]
        self.assertEqual(cases.with_user(self.specialist).search(mine), case)
        self.assertEqual(cases.with_user(self.agent).search(mine), case)
        self.assertTrue(case.with_user(self.agent).is_my_renewal_case)
        other = new_test_user(
            self.env,
            login="test_other_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        self.assertFalse(cases.with_user(other).search(mine))
        self.assertEqual(
            cases.with_user(other).search(
                [("is_my_renewal_case", "=", False), ("id", "=", case.id)]
            ),
            case,
        )

    def test_customer_opportunity_warns_of_renewal_trouble(self):
        case = self._open_case()
        opportunity = self.env["crm.lead"].create(
            {"name": "加保 Upsell", "type": "opportunity", "partner_id": self.holder.id}
        )
        self.assertFalse(opportunity.renewal_customer_warning)
        self._run_clock_on("2025-02-01")
        opportunity.invalidate_recordset()
        self.assertIn("grace period", opportunity.renewal_customer_warning)
        self.assertFalse(
            case.renewal_customer_warning, "Not on the renewal case itself."
        )
        self.assertEqual(self.holder.renewal_lead_id, case)

    def test_a_call_done_on_the_case_offers_to_log_its_outcome(self):
        case = self._open_case()
        call = case.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.specialist.id
        )
        action = call.with_user(self.specialist).action_feedback_schedule_next(
            feedback="客户说月底前缴费"
        )
        self.assertNotIn(call, case.activity_ids, "The call is done.")
        self.assertEqual(action["res_model"], "insurance.renewal.log.contact")
        with freeze_time("2024-12-05"):
            wizard = Form(
                self.env[action["res_model"]]
                .with_user(self.specialist)
                .with_context(**action["context"])
            )
            self.assertEqual(wizard.note, "客户说月底前缴费")
            self.assertEqual(wizard.channel, "phone")
            wizard.outcome = "callback"
            wizard.save().action_confirm()
            self._end_unit_of_work()
        self.assertEqual(case.renewal_last_outcome, "callback")
        other = self.env["crm.lead"].create({"name": "Upsell", "type": "opportunity"})
        todo = other.activity_schedule("mail.mail_activity_data_call")
        self.assertEqual(
            todo.action_feedback_schedule_next()["res_model"],
            "mail.activity",
            "Other opportunities keep Odoo's own next step.",
        )

    def test_a_clock_run_for_another_day_opens_each_case_once(self):
        """A catch-up or benchmark run passes its day: the case it opens must be
        judged on that day too, not won at birth and opened again in a loop."""
        with freeze_time("2024-12-01"):
            with self.enter_registry_test_mode(), self.registry.cursor() as cr:
                self.env(cr=cr)["insurance.premium.clock"].with_context(
                    clock_today=date(2024, 12, 2)
                )._cron_daily_premium_clock()
            self.env.invalidate_all()
        cases = self.policy.with_context(active_test=False).renewal_lead_ids
        self.assertEqual(len(cases), 1)
        self.assertEqual(cases.won_status, "pending")
        self.assertEqual(cases.insurance_premium_line_ids, self.line)
