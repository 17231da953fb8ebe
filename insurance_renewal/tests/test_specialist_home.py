from datetime import date

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time
from lxml import etree

from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import InsuranceRenewalCommon

TODAY_FILTERS = (
    "calls_due",
    "promises_due_today",
    "today_grace_ends",
    "today_broken_promises",
    "new_cases",
)


@tagged("post_install", "-at_install")
class TestSpecialistHome(InsuranceRenewalCommon):
    def test_a_specialist_lands_on_the_renewal_cases(self):
        action = self.env.ref("insurance_renewal.crm_lead_renewal_action")
        self.assertEqual(self.specialist.action_id.id, action.id)
        self.assertFalse(self.agent.action_id, "Sales reps keep their home.")
        self.assertIn("'search_default_my_cases': 1", action.context)
        self.agent.group_ids = [
            (4, self.env.ref("insurance_renewal.group_insurance_renewal_user").id)
        ]
        self.assertEqual(self.agent.action_id.id, action.id, "Granted later.")
        chosen = self.env.ref("crm.crm_lead_action_pipeline")
        user = new_test_user(self.env, login="test_own_home", action_id=chosen.id)
        user.group_ids = [
            (4, self.env.ref("insurance_renewal.group_insurance_renewal_user").id)
        ]
        self.assertEqual(user.action_id.id, chosen.id, "A chosen home stays.")

    def _filter_domains(self, today):
        search = self.env.ref("insurance_renewal.crm_lead_renewal_view_search")
        arch = etree.fromstring(search.arch)
        context = {
            "context_today": lambda: today,
            "relativedelta": relativedelta,
            "uid": self.specialist.id,
        }
        return {
            node.get("name"): safe_eval(node.get("domain"), context)
            for node in arch.iter("filter")
            if node.get("name") in TODAY_FILTERS
        }

    def test_today_shows_the_cases_to_work_today(self):
        today_action = self.env.ref("insurance_renewal.crm_lead_renewal_action_today")
        context = safe_eval(today_action.context, {"ref": self.env.ref})
        self.assertTrue(all(context[f"search_default_{f}"] for f in TODAY_FILTERS))
        self.assertTrue(context["search_default_my_cases"])
        with freeze_time("2024-02-10"):
            policies = self.env["insurance.policy"]
            for number, issue in enumerate(
                ("2024-01-31", "2024-02-20", "2024-03-25", "2024-06-01"), start=1
            ):
                policies |= self._create_policy(name=f"P-{number}", issue_date=issue)
            policies.action_activate()
        with freeze_time("2025-03-26"):
            self._run_clock()
            cases = policies.renewal_lead_ids
            grace_ends, promised, calls, new = (
                policies[0].renewal_lead_id,  # grace ends 1 April
                policies[1].renewal_lead_id,
                policies[2].renewal_lead_id,
                policies[3].renewal_lead_id,
            )
            self.env["insurance.renewal.activity"].create(
                {
                    "policy_id": policies[1].id,
                    "outcome": "promised",
                    "promised_date": "2025-03-26",
                    "promised_amount": 12000,
                }
            )
            self._end_unit_of_work()
            calls.activity_schedule(
                "mail.mail_activity_data_call", date_deadline=date(2025, 3, 26)
            )
            domains = self._filter_domains(date(2025, 3, 26))
            Lead = self.env["crm.lead"]
            found = {name: Lead.search(d) & cases for name, d in domains.items()}
        self.assertEqual(found["today_grace_ends"], grace_ends)
        self.assertEqual(found["promises_due_today"], promised)
        self.assertIn(calls, found["calls_due"])
        self.assertNotIn(new, found["calls_due"])
        self.assertFalse(found["today_broken_promises"])
        self.assertFalse(new, "Due 1 June: opens on 2 April, not yet today.")
        self.assertEqual(found["new_cases"], cases, "Opened by today's clock run.")

    def test_cases_without_a_score_sort_last(self):
        with freeze_time("2024-02-10"):
            paid_by_debit = self._create_policy(
                name="P-DEBIT", issue_date="2020-01-31", paid_to_date="2025-01-31"
            )
            by_hand = self._create_policy(
                name="P-HAND", issue_date="2024-02-01", payment_method="counter"
            )
            (paid_by_debit | by_hand).action_activate()
        with freeze_time("2024-12-10"):
            self._run_clock()
        cases = (paid_by_debit | by_hand).renewal_lead_ids
        self.assertEqual(by_hand.renewal_lead_id.renewal_risk_score, 10 + 15)
        self.assertFalse(paid_by_debit.renewal_lead_id.renewal_risk_score)
        for order in ("renewal_risk_score desc", "renewal_risk_score asc"):
            self.assertEqual(
                self.env["crm.lead"].search([("id", "in", cases.ids)], order=order)[-1],
                paid_by_debit.renewal_lead_id,
                order,
            )
        with freeze_time("2024-12-10"):
            by_hand.payment_method = "bank_debit"
            self._end_unit_of_work()
        self.assertEqual(
            by_hand.renewal_lead_id.renewal_risk_score, 15, "A fact changed."
        )
