from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import InsuranceRenewalCommon
from .common_accounting import PremiumAccountingCommon


class ServicingMixin:
    @classmethod
    def _servicing_users(cls):
        cls.manager = new_test_user(
            cls.env,
            login="svc_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        cls.underwriter = new_test_user(
            cls.env,
            login="svc_underwriter",
            groups="insurance_renewal.group_insurance_underwriter",
        )
        # Each works from their team's queue.
        cls.finance_team = cls.env.ref("insurance_renewal.mail_activity_team_finance")
        cls.underwriting_team = cls.env.ref(
            "insurance_renewal.mail_activity_team_underwriting"
        )
        cls.underwriting_team.member_ids |= cls.underwriter
        if hasattr(cls, "finance"):
            cls.finance_team.member_ids |= cls.finance

    def _request(self, policy, kind, user=None, **vals):
        return (
            self.env["insurance.servicing.request"]
            .with_user(user or self.specialist)
            .create(
                {
                    "policy_id": policy.id,
                    "lead_id": policy.renewal_lead_id.id,
                    "request_type": kind,
                    "reason": "客户失业，暂时无力缴费",
                    **vals,
                }
            )
        )

    def _open_case(self, policy):
        return (
            self.env["insurance.policy"]
            ._open_due_renewal_cases()
            .filtered(lambda case: case.insurance_policy_id == policy)
        )

    @staticmethod
    def _notes(record):
        return "\n".join(record.message_ids.mapped("body"))


@tagged("post_install", "-at_install")
class TestServicingWithInvoices(ServicingMixin, PremiumAccountingCommon):
    """A policy issued 31 January 2024, 12,000 a year; its second premium, due
    31 January 2025, is invoiced on 1 January and unpaid: grace ends 1 April."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._servicing_users()
        cls.loan_account = cls.env["account.account"].create(
            {"name": "保单贷款", "code": "113201", "account_type": "asset_current"}
        )
        cls.product.loan_account_id = cls.loan_account
        cls.holder.email = "zhangwei@example.com"
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(
                cash_value=30000, sum_assured=500000, paid_up_sum_assured=120000
            )
            cls.policy.action_activate()
        with freeze_time("2025-01-01"):
            cls.env["insurance.premium.line"]._issue_invoices_batch(
                cls._line(cls.policy, 2)
            )
        cls.line = cls._line(cls.policy, 2)
        cls.invoice = cls.line.invoice_id

    def _in_grace(self, day="2025-03-01"):
        with freeze_time(day):
            self._run_clock()
        self.assertEqual(self.policy.state, "grace")
        return self.policy.renewal_lead_id

    def test_deferral_moves_clock_invoice_and_case(self):
        case = self._in_grace()
        self.assertEqual(case.stage_id.renewal_step, "grace")
        with freeze_time("2025-03-01"):
            request = self._request(
                self.policy,
                "deferral",
                premium_line_ids=[(6, 0, self.line.ids)],
                deferral_days=45,
            )
            request.action_confirm()
            self._end_unit_of_work()
        self.assertFalse(request.beyond_limit)
        self.assertEqual(request.state, "done")
        self.assertRecordValues(
            self.line, [{"state": "planned", "amount_residual": 12000.0}]
        )
        self.assertEqual(self.line.due_date.isoformat(), "2025-03-17")
        self.assertEqual(self.line.grace_end_date.isoformat(), "2025-05-16")
        self.assertEqual(self.invoice.invoice_date_due.isoformat(), "2025-03-17")
        self.assertEqual(self.policy.state, "in_force")
        self.assertNotEqual(case.stage_id.renewal_step, "grace")
        self.assertIn("03/17/2025", request.effect)
        self.assertIn("客户失业", self._notes(self.policy))
        self.assertIn(self.specialist.name, self._notes(case))
        # The clock, rerun the next day, leaves the deferred premium alone.
        with freeze_time("2025-03-02"):
            self._run_clock()
        self.assertEqual(self.line.state, "planned")
        self.assertEqual(self.policy.state, "in_force")

    def test_second_deferral_in_the_year_needs_the_manager(self):
        self._in_grace()
        with freeze_time("2025-03-01"):
            self._request(
                self.policy,
                "deferral",
                premium_line_ids=[(6, 0, self.line.ids)],
                deferral_days=10,
            ).action_confirm()
            second = self._request(
                self.policy,
                "deferral",
                premium_line_ids=[(6, 0, self.line.ids)],
                deferral_days=10,
            )
            second.action_confirm()
        self.assertTrue(second.beyond_limit)
        self.assertEqual(second.state, "draft")
        self.assertEqual(second.validation_status, "pending")
        self.assertEqual(self.line.due_date.isoformat(), "2025-02-10")
        # The specialist is no reviewer: approving does nothing.
        second.with_user(self.specialist).validate_tier()
        self.assertEqual(second.validation_status, "pending")
        with freeze_time("2025-03-02"):
            second.with_user(self.manager).validate_tier()
        self.assertEqual(second.state, "done")
        self.assertEqual(self.line.due_date.isoformat(), "2025-02-20")

    def test_deferral_refusals(self):
        self._in_grace()
        with freeze_time("2025-03-01"):
            too_long = self._request(
                self.policy,
                "deferral",
                premium_line_ids=[(6, 0, self.line.ids)],
                deferral_days=181,
            )
            with self.assertRaisesRegex(UserError, "1 to 180 days, not 181"):
                too_long.action_confirm()
            self.product.deferral_hard_limit_days = 0
            self.product.deferral_max_days = 0
            with self.assertRaisesRegex(UserError, "does not allow premium deferral"):
                self._request(
                    self.policy,
                    "deferral",
                    premium_line_ids=[(6, 0, self.line.ids)],
                    deferral_days=10,
                ).action_confirm()
        self.assertEqual(self.line.due_date.isoformat(), "2025-01-31")

    def test_automatic_premium_loan_at_grace_end(self):
        self.policy.apl_opt_in = True
        self._in_grace()
        with freeze_time("2025-04-02"):
            self._run_clock()
        self.assertEqual(self.policy.state, "in_force")
        self.assertRecordValues(self.line, [{"state": "paid", "amount_paid": 12000.0}])
        # Paid on the last day of grace: the policy was never suspended.
        self.assertEqual(self.line.date_paid.isoformat(), "2025-04-01")
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertEqual(self.policy.loan_balance, 12000)
        entry = self.env["account.move.line"].search(
            [("account_id", "=", self.loan_account.id)]
        )
        self.assertRecordValues(
            entry,
            [
                {
                    "debit": 12000.0,
                    "partner_id": self.holder.id,
                    "parent_state": "posted",
                }
            ],
        )
        self.assertFalse(
            self.env["account.payment"].search([("partner_id", "=", self.holder.id)]),
            "A loan is no customer payment.",
        )
        request = self.policy.servicing_request_ids
        self.assertRecordValues(request, [{"request_type": "apl", "state": "done"}])
        finance_todo = self.policy.servicing_request_ids.activity_ids.filtered(
            lambda a: a.team_id == self.finance_team
        )
        self.assertEqual(len(finance_todo), 1)
        told = self.policy.message_ids.filtered(lambda m: self.holder in m.partner_ids)
        self.assertIn("automatic premium loan", told.body)
        # Rerun the same day: no second loan.
        with freeze_time("2025-04-02"):
            self._run_clock()
        self.assertEqual(self.policy.loan_balance, 12000)
        self.assertEqual(len(self.policy.servicing_request_ids), 1)

    def test_no_premium_loan_without_enough_cash_value(self):
        self.policy.write(
            {"apl_opt_in": True, "cash_value": 15000, "loan_balance": 5000}
        )
        self._in_grace()
        with freeze_time("2025-04-02"):
            self._run_clock()
        self.assertEqual(self.policy.state, "lapsed")
        self.assertEqual(self.line.state, "lapsed")
        self.assertEqual(self.policy.loan_balance, 5000)
        self.assertFalse(self.policy.servicing_request_ids)
        self.assertIn("does not cover", self._notes(self.policy))

    def test_policy_loan_up_to_the_product_share(self):
        self.policy.loan_balance = 4000
        request = self._request(self.policy, "loan", amount=20001)
        self.assertEqual(request.amount_limit, 20000)  # 80% of 30,000 less 4,000
        with self.assertRaisesRegex(UserError, "Not enough cash value"):
            request.action_confirm()
        request.amount = 20000
        request.action_confirm()
        self.assertEqual(self.policy.loan_balance, 24000)
        self.assertEqual(request.state, "done")
        todo = self.policy.servicing_request_ids.activity_ids.filtered(
            lambda a: a.team_id == self.finance_team
        )
        self.assertIn("Pay out the policy loan", todo.summary)
        # Asked again, the same work is not scheduled twice.
        request.sudo()._add_team_work("loan_payout", todo.summary, "again")
        self.assertEqual(
            len(
                self.policy.servicing_request_ids.activity_ids.filtered(
                    lambda a: a.team_id == self.finance_team
                )
            ),
            1,
        )
        # A second loan on the same policy is a second payout for finance.
        self.policy.sudo().cash_value = 50000
        second = self._request(self.policy, "loan", amount=6000)
        second.action_confirm()
        payouts = self.policy.servicing_request_ids.activity_ids.filtered(
            lambda a: a.team_id == self.finance_team
        )
        self.assertEqual(len(payouts), 2)
        self.assertIn("6,000.00", second.activity_ids.note)

    def test_partial_withdrawal_only_where_the_product_allows(self):
        request = self._request(self.policy, "withdrawal", amount=5000)
        with self.assertRaisesRegex(UserError, "does not allow partial withdrawals"):
            request.action_confirm()
        self.product.partial_withdrawal_allowed = True
        request.action_confirm()
        self.assertEqual(self.policy.cash_value, 25000)
        self.assertIn("cash value now", request.effect)

    def test_reduced_paid_up_cancels_the_future_and_closes_the_case(self):
        case = self._in_grace()
        with freeze_time("2025-03-01"):
            request = self._request(self.policy, "paid_up", new_sum_assured=120000)
            request.action_confirm()
        self.assertEqual(self.policy.state, "paid_up")
        self.assertEqual(self.policy.sum_assured, 120000)
        self.assertEqual(self.line.state, "waived")
        self.assertEqual(self.invoice.state, "cancel")
        self.assertFalse(case.active)
        self.assertEqual(
            case.lost_reason_id, self.env.ref("insurance_renewal.lost_reason_paid_up")
        )
        # The clock no longer schedules premiums of a paid-up policy.
        with freeze_time("2026-01-10"):
            self._run_clock()
        self.assertFalse(
            self.policy.premium_line_ids.filtered(
                lambda l: l.state != "waived" and l.installment_number > 1
            )
        )

    def test_surrender_needs_the_manager_then_finance_pays_out(self):
        case = self._in_grace()
        self.policy.loan_balance = 6000
        with freeze_time("2025-03-01"):
            request = self._request(self.policy, "surrender")
            self.assertIn("24,000.00", request.loss_html)
            request.action_confirm()
        self.assertEqual(request.validation_status, "pending")
        self.assertEqual(self.policy.state, "grace")
        with freeze_time("2025-03-02"):
            request.with_user(self.manager).validate_tier()
        self.assertRecordValues(
            self.policy,
            [{"state": "surrendered", "end_reason": "surrender"}],
        )
        self.assertEqual(self.policy.end_date.isoformat(), "2025-03-02")
        self.assertEqual(self.line.state, "waived")
        self.assertEqual(self.invoice.state, "cancel")
        self.assertEqual(
            case.lost_reason_id, self.env.ref("insurance_renewal.lost_reason_surrender")
        )
        self.assertEqual(request.state, "approved")
        self.assertEqual(request.amount, 24000)
        payout = self.policy.servicing_request_ids.activity_ids.filtered(
            lambda a: a.team_id == self.finance_team
        )
        self.assertIn("24,000.00", payout.note)
        self.assertRecordValues(
            request.sudo().payment_id,
            [
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.holder.id,
                    "amount": 24000.0,
                    "state": "draft",
                }
            ],
        )
        # The specialist cannot close the finance to-do in its stead.
        with self.assertRaises(AccessError):
            payout.with_user(self.specialist).action_done()
        payout.with_user(self.finance).action_take_team_work()
        payout.with_user(self.finance).action_done()
        self.assertEqual(request.state, "done")
        told = request.message_ids.filtered(
            lambda m: self.specialist.partner_id in m.partner_ids
        )
        self.assertIn("paid out", told[:1].body)

    def test_reinstatement_waits_for_the_invoiced_back_premium(self):
        self._in_grace()
        with freeze_time("2025-04-02"):
            self._run_clock()
        self.assertEqual(self.policy.state, "lapsed")
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            with self.assertRaisesRegex(UserError, self.invoice.name):
                request.action_confirm_payment()
            self._register_payment(
                self.invoice,
                amount=12000,
                payment_date="2025-07-31",
                journal_id=self.bank_journal.id,
            )
            self.assertEqual(self.line.state, "paid")
            self.assertEqual(self.policy.state, "lapsed")
            request.action_confirm_payment()
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(request.state, "done")
        self.assertEqual(self.policy.state, "in_force")

    def test_finance_cannot_change_a_policy(self):
        request = self._request(self.policy, "loan", amount=100)
        with self.assertRaises(AccessError):
            request.with_user(self.finance).action_confirm()
        self.assertEqual(self.policy.loan_balance, 0)

    def test_decision_aid_shows_the_options_side_by_side(self):
        case = self._in_grace()
        self.policy.loan_balance = 6000
        html = str(case.renewal_options_html)
        for expected in (
            "Reduced paid-up",
            "120,000.00",  # the paid-up sum assured
            "18,000.00",  # loan balance after a premium loan
            "24,000.00",  # surrender value net of loans
            "Cover ends",
        ):
            self.assertIn(expected, html)


@tagged("post_install", "-at_install")
class TestReinstatement(ServicingMixin, InsuranceRenewalCommon):
    """A policy issued 31 January 2024, suspended on 2 April 2025 with its second
    premium (due 31 January 2025) unpaid; reinstated on 31 July 2025 at 5%."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._servicing_users()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(issue_date="2024-01-31")
            cls.policy.action_activate()

    def _suspend(self):
        with freeze_time("2025-04-02"):
            self._run_clock()
        self.assertEqual(self.policy.state, "lapsed")

    def test_back_premiums_and_interest_then_underwriting_and_payment(self):
        self._suspend()
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
        # 12,000 x 5% x 181 days / 365 = 297.53
        self.assertRecordValues(
            request,
            [
                {
                    "back_premium_amount": 12000.0,
                    "interest_amount": 297.53,
                    "amount": 12297.53,
                    "validation_status": "pending",
                }
            ],
        )
        self.assertIn("181", request.breakdown_html)
        review = self.policy.servicing_request_ids.activity_ids.filtered(
            lambda a: a.team_id == self.underwriting_team
        )
        self.assertEqual(len(review), 1)
        # Nobody but underwriting approves it.
        salesman = new_test_user(
            self.env, login="svc_salesman", groups="sales_team.group_sale_salesman"
        )
        for outsider in (self.specialist, self.manager):
            request.with_user(outsider).validate_tier()
        with self.assertRaises(AccessError):
            request.with_user(salesman).validate_tier()
        self.assertEqual(request.validation_status, "pending")
        with freeze_time("2025-07-31"):
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(request.state, "approved")
        self.assertEqual(self.policy.state, "lapsed", "Not in force before payment.")
        with freeze_time("2025-07-31"):
            request.with_user(self.specialist).action_confirm_payment()
        self.assertEqual(request.state, "done")
        self.assertEqual(self.policy.state, "in_force")
        self.assertFalse(self.policy.reinstatement_deadline)
        self.assertEqual(self._line(self.policy, 2).state, "paid")
        self.assertEqual(self.policy.next_due_date.isoformat(), "2026-01-31")
        self.assertIn("12,297.53", self._notes(self.policy))

    def test_underwriting_accepts_by_marking_its_todo_done(self):
        self._suspend()
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            request.action_confirm_payment()
            self.assertEqual(self.policy.state, "lapsed")
            review = self.policy.servicing_request_ids.activity_ids.filtered(
                lambda a: a.team_id == self.underwriting_team
            )
            review.with_user(self.underwriter).action_take_team_work()
            review.with_user(self.underwriter).action_done()
        self.assertEqual(request.state, "done")
        self.assertEqual(self.policy.state, "in_force")

    def test_past_the_deadline_is_refused(self):
        self._suspend()
        with freeze_time("2027-04-03"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            with self.assertRaisesRegex(UserError, "can no longer be reinstated"):
                request.action_confirm()
        self.assertEqual(self.policy.state, "lapsed")

    def test_only_a_suspended_policy_is_reinstated(self):
        request = self._request(
            self.policy, "reinstatement", health_declaration="无住院史"
        )
        with self.assertRaisesRegex(UserError, "not possible for policy P-0001"):
            request.action_confirm()

    def test_nobody_writes_what_the_addon_records(self):
        self._suspend()
        with self.assertRaises(AccessError):
            self._request(
                self.policy,
                "reinstatement",
                health_declaration="无住院史",
                payment_received=True,
            )
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
        with self.assertRaises(AccessError):
            request.with_user(self.specialist).write({"interest_amount": 0})
        with self.assertRaisesRegex(UserError, "not allowed to write those fields"):
            request.with_user(self.specialist).write({"health_declaration": "改"})
        self.assertEqual(request.interest_amount, 297.53)
