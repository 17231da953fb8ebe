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

    def test_a_deferred_premium_is_reminded_again_before_its_new_date(self):
        """Reminded by SMS a week before 31 January; deferred in grace to 17
        March: the customer is reminded a week before that date too."""
        self.env.company.partner_id.tz = "Asia/Shanghai"
        self.holder.phone = "+86 138 0013 8000"
        logs = self.env["insurance.reminder.log"]

        def send_reminders(day):
            with freeze_time(f"{day} 02:00:00"):
                self._call_in_cron_cursor(
                    "insurance.reminder.engine", "_cron_send_reminders"
                )
                self._deliver_queues()
            return logs.search([("premium_line_id", "=", self.line.id)], order="id")

        week_before = send_reminders("2025-01-24")
        self.assertEqual(week_before.mapped("channel"), ["sms"])
        self._in_grace()
        with freeze_time("2025-03-01"):
            self._request(
                self.policy,
                "deferral",
                premium_line_ids=[(6, 0, self.line.ids)],
                deferral_days=45,
            ).action_confirm()
        self.assertEqual(self.line.due_date.isoformat(), "2025-03-17")
        reminded = send_reminders("2025-03-10") - week_before
        self.assertRecordValues(
            reminded,
            [
                {
                    "step_id": week_before.step_id.id,
                    "channel": "sms",
                    "state": "sent",
                    "due_date": self.line.due_date,
                }
            ],
        )
        self.assertFalse(send_reminders("2025-03-10") - week_before - reminded)

    def test_a_deferred_premium_can_be_demanded_again_for_its_new_date(self):
        self.env.company.partner_id.tz = "Asia/Shanghai"
        self._in_grace()
        with freeze_time("2025-03-01 02:00:00"):
            self.line.with_user(self.specialist).action_issue_demand()
            self._deliver_queues()
        self.assertEqual(self.line.lapse_date.isoformat(), "2025-04-01")
        with freeze_time("2025-03-01 02:00:00"):
            self._request(
                self.policy,
                "deferral",
                premium_line_ids=[(6, 0, self.line.ids)],
                deferral_days=45,
            ).action_confirm()
        self.assertFalse(self.line.demand_date)
        # Past the new due date (17 March), the premium is demanded again...
        with freeze_time("2025-04-01 02:00:00"):
            self._run_clock()
            self.line.with_user(self.specialist).action_issue_demand()
            self._deliver_queues()
            # ...once for that date.
            with self.assertRaisesRegex(UserError, "one demand per due date"):
                self.line.with_user(self.specialist).action_issue_demand()
        demands = self.env["insurance.reminder.log"].search(
            [("premium_line_id", "=", self.line.id), ("channel", "=", "demand")],
            order="id",
        )
        self.assertEqual(
            [(d.due_date.isoformat(), d.state) for d in demands],
            [("2025-01-31", "sent"), ("2025-03-17", "sent")],
        )
        self.assertEqual(self.line.demand_date.isoformat(), "2025-04-01")
        # Suspended 30 days after the new demand, before the new grace end (16 May).
        self.assertEqual(self.line.lapse_date.isoformat(), "2025-05-02")

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
        self.assertEqual(request.state, "approved", "Finance has yet to pay it out.")
        self.assertRecordValues(
            request.sudo().payment_id,
            [
                {
                    "payment_type": "outbound",
                    "partner_id": self.holder.id,
                    "amount": 20000.0,
                    "state": "draft",
                    "destination_account_id": self.loan_account.id,
                }
            ],
        )
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
        # Finance marks the first payout done: its payment is posted, the loan
        # booked on the loan account, the request complete, the specialist told.
        todo.with_user(self.finance).action_take_team_work()
        todo.with_user(self.finance).action_done()
        self.assertEqual(request.state, "done")
        self.assertEqual(request.sudo().payment_id.state, "in_process")
        self.assertRecordValues(
            request.sudo().payment_id.move_id.line_ids.filtered(
                lambda aml: aml.account_id == self.loan_account
            ),
            [{"debit": 20000.0, "partner_id": self.holder.id}],
        )
        told = request.message_ids.filtered(
            lambda m: self.specialist.partner_id in m.partner_ids
        )
        self.assertIn("20,000.00", told[:1].body)
        # Finance posts the second from the payment itself: complete as well.
        second.sudo().payment_id.with_user(self.finance).action_post()
        self.assertEqual(second.state, "done")
        self.assertFalse(second.activity_ids)

    def test_only_finance_posts_a_payout(self):
        request = self._request(self.policy, "loan", amount=1000)
        request.action_confirm()
        payment = request.sudo().payment_id
        salesman = new_test_user(
            self.env, login="svc_salesman2", groups="sales_team.group_sale_salesman"
        )
        for outsider in (self.specialist, salesman):
            with self.assertRaises(AccessError):
                payment.with_user(outsider).action_post()
            with self.assertRaises(AccessError):
                request.activity_ids.with_user(outsider).action_done()
        self.assertEqual(payment.state, "draft")
        self.assertEqual(request.state, "approved")
        # Finance of another company sees neither the request nor its payout.
        other = self.env["res.company"].create({"name": "另一家保险公司"})
        outsider = new_test_user(
            self.env,
            login="svc_other_finance",
            groups="account.group_account_invoice",
            company_id=other.id,
            company_ids=[(6, 0, other.ids)],
        )
        Request = self.env["insurance.servicing.request"].with_user(outsider)
        self.assertFalse(Request.search([]))
        self.assertFalse(
            self.env["account.payment"]
            .with_user(outsider)
            .search([("id", "=", payment.id)])
        )
        with self.assertRaises(AccessError):
            payment.with_user(outsider).action_post()

    def test_partial_withdrawal_only_where_the_product_allows(self):
        request = self._request(self.policy, "withdrawal", amount=5000)
        with self.assertRaisesRegex(UserError, "does not allow partial withdrawals"):
            request.action_confirm()
        self.product.partial_withdrawal_allowed = True
        self.policy.loan_balance = 6000
        request.amount = 24001
        with self.assertRaisesRegex(UserError, r"at most \W+24,000\.00"):
            request.action_confirm()
        request.amount = 5000
        request.action_confirm()
        self.assertEqual(self.policy.cash_value, 25000)
        self.assertIn("cash value now", request.effect)
        self.assertRecordValues(
            request,
            [
                {
                    "state": "approved",
                    "premium_amount": 0.0,
                    "payout_amount": 5000.0,
                    "cash_value_after": 25000.0,
                }
            ],
        )
        self.assertRecordValues(
            request.sudo().payment_id,
            [
                {
                    "amount": 5000.0,
                    "state": "draft",
                    "destination_account_id": self.env.company.expense_account_id.id,
                }
            ],
        )

    def test_partial_withdrawal_pays_the_premium_due_and_the_rest_out(self):
        self.product.partial_withdrawal_allowed = True
        case = self._in_grace()
        with freeze_time("2025-03-01"):
            too_little = self._request(
                self.policy,
                "withdrawal",
                amount=10000,
                premium_line_ids=[(6, 0, self.line.ids)],
            )
            with self.assertRaisesRegex(UserError, r"cannot pay the \W+12,000\.00 due"):
                too_little.action_confirm()
            request = self._request(
                self.policy,
                "withdrawal",
                amount=20000,
                premium_line_ids=[(6, 0, self.line.ids)],
            )
            request.action_confirm()
            self._end_unit_of_work()
        self.assertRecordValues(
            request,
            [
                {
                    "state": "approved",
                    "premium_amount": 12000.0,
                    "payout_amount": 8000.0,
                    "cash_value_after": 10000.0,
                }
            ],
        )
        # The premium is paid by an entry on the cash value paid out, not by the
        # customer: the invoice is paid, the policy in force, the case won.
        self.assertRecordValues(self.line, [{"state": "paid", "amount_residual": 0.0}])
        self.assertEqual(self.invoice.payment_state, "paid")
        self.assertEqual(self.policy.state, "in_force")
        self.assertEqual(case.won_status, "won")
        expense = self.env.company.expense_account_id
        self.assertRecordValues(
            self.env["account.move.line"].search(
                [("account_id", "=", expense.id), ("partner_id", "=", self.holder.id)]
            ),
            [{"debit": 12000.0, "parent_state": "posted"}],
        )
        payout = request.sudo().payment_id
        self.assertRecordValues(
            payout,
            [
                {
                    "payment_type": "outbound",
                    "amount": 8000.0,
                    "state": "draft",
                    "destination_account_id": expense.id,
                }
            ],
        )
        self.assertIn("12,000.00", self._notes(self.policy))
        payout.with_user(self.finance).action_post()
        self.assertEqual(request.state, "done")
        self.assertIn("8,000.00", request.effect)

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
        expense = self.env.company.expense_account_id
        self.assertRecordValues(
            request.sudo().payment_id,
            [
                {
                    "payment_type": "outbound",
                    "partner_type": "supplier",
                    "partner_id": self.holder.id,
                    "amount": 24000.0,
                    "state": "draft",
                    "destination_account_id": expense.id,
                }
            ],
        )
        # The loans are repaid from the cash value: 6,000 off the loan account.
        repaid = self.env["account.move.line"].search(
            [("account_id", "in", (self.loan_account | expense).ids)]
        )
        self.assertRecordValues(
            repaid.sorted("debit"),
            [
                {"account_id": self.loan_account.id, "debit": 0.0, "credit": 6000.0},
                {"account_id": expense.id, "debit": 6000.0, "credit": 0.0},
            ],
        )
        # The specialist cannot close the finance to-do in its stead.
        with self.assertRaises(AccessError):
            payout.with_user(self.specialist).action_done()
        payout.with_user(self.finance).action_take_team_work()
        payout.with_user(self.finance).action_done()
        self.assertEqual(request.state, "done")
        self.assertEqual(request.sudo().payment_id.state, "in_process")
        told = request.message_ids.filtered(
            lambda m: self.specialist.partner_id in m.partner_ids
        )
        self.assertIn("paid out", told[:1].body)

    def _reinstate(self):
        """Suspended on 2 April 2025, the reinstatement asked on 31 July: back
        premium 12,000 invoiced on 1 January, interest 12,000 x 5% x 181 / 365 =
        297.53 invoiced now."""
        self._in_grace()
        with freeze_time("2025-04-02"):
            self._run_clock()
        self.assertEqual(self.policy.state, "lapsed")
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
        return request

    def _pay_all(self, invoices, amount, day="2025-07-31"):
        """The payer's one transfer, reconciled by finance with every invoice."""
        with freeze_time(day):
            return (
                self.env["account.payment.register"]
                .with_user(self.finance)
                .with_context(active_model="account.move", active_ids=invoices.ids)
                .create(
                    {
                        "payment_date": day,
                        "journal_id": self.bank_journal.id,
                        "group_payment": True,
                        "amount": amount,
                    }
                )
                ._create_payments()
            )

    def test_reinstatement_is_invoiced_and_waits_for_both_payment_and_approval(self):
        request = self._reinstate()
        interest = request.sudo().interest_invoice_id
        income = self.env.company.income_account_id
        self.assertRecordValues(
            interest,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "partner_id": self.holder.id,
                    "amount_total": 297.53,
                    "insurance_policy_id": self.policy.id,
                }
            ],
        )
        self.assertEqual(interest.invoice_line_ids.account_id, income)
        self.assertEqual(request.amount, 12297.53)
        self.assertTrue(request.paid_in_accounting, "No Payment Received button.")
        # A payment recorded by hand is refused: the accounting says what is paid.
        with self.assertRaisesRegex(UserError, interest.name):
            request.action_confirm_payment()
        with freeze_time("2025-07-31"):
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(request.state, "approved")
        self.assertEqual(self.policy.state, "lapsed", "Approved, not yet paid.")
        # The back premium alone does not do it: the interest is still owed.
        self._pay_all(self.invoice, 12000)
        self.assertEqual(self.line.state, "paid")
        self.assertFalse(request.payment_received)
        self.assertEqual(self.policy.state, "lapsed")
        self._pay_all(interest, 297.53)
        self.assertEqual(interest.amount_residual, 0.0)
        self.assertTrue(request.payment_received)
        self.assertEqual(request.state, "done")
        self.assertEqual(self.policy.state, "in_force")
        self.assertIn(interest.name, self._notes(self.policy))
        self.assertIn(
            "in force again",
            request.message_ids.filtered(
                lambda m: self.specialist.partner_id in m.partner_ids
            )[:1].body,
        )

    def test_one_payment_settles_the_reinstatement_then_underwriting(self):
        request = self._reinstate()
        invoices = self.invoice | request.sudo().interest_invoice_id
        payment = self._pay_all(invoices, 12297.53)
        self.assertEqual(payment.amount, 12297.53)
        self.assertEqual(invoices.mapped("amount_residual"), [0.0, 0.0])
        self.assertTrue(request.payment_received)
        self.assertEqual(self.policy.state, "lapsed", "Paid, not yet approved.")
        with freeze_time("2025-07-31"):
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(request.state, "done")
        self.assertEqual(self.policy.state, "in_force")

    def test_back_premium_paid_a_month_late_owes_the_month_s_interest(self):
        """Quoted on 31 July (interest 297.53 to that day), paid on 30 August:
        12,000 x 5% x 211 / 365 = 346.85 is owed, so 49.32 more is invoiced and
        the policy waits for it; interest on the interest is not charged."""
        request = self._reinstate()
        with freeze_time("2025-07-31"):
            request.with_user(self.underwriter).validate_tier()
        interest = request.sudo().interest_invoice_id
        self._pay_all(self.invoice | interest, 12297.53, day="2025-08-30")
        with freeze_time("2025-08-30"):
            self._end_unit_of_work()
        late = request.sudo().late_interest_invoice_ids
        self.assertRecordValues(
            late,
            [
                {
                    "move_type": "out_invoice",
                    "state": "posted",
                    "partner_id": self.holder.id,
                    "amount_total": 49.32,
                    "amount_residual": 49.32,
                    "insurance_policy_id": self.policy.id,
                }
            ],
        )
        self.assertIn("2025", late.invoice_line_ids.name)
        self.assertRecordValues(
            request,
            [
                {
                    "interest_amount": 346.85,
                    "amount": 12346.85,
                    "payment_received": False,
                    "state": "approved",
                }
            ],
        )
        self.assertIn("211", request.breakdown_html)
        self.assertEqual(self.policy.state, "lapsed", "The month's interest is owed.")
        self.assertIn(late.name, self._notes(self.policy))
        self._pay_all(late, 49.32, day="2025-09-05")
        with freeze_time("2025-09-05"):
            self._end_unit_of_work()
        self.assertEqual(len(request.sudo().late_interest_invoice_ids), 1)
        self.assertTrue(request.payment_received)
        self.assertEqual(request.state, "done")
        self.assertEqual(self.policy.state, "in_force")

    def test_a_premium_paid_on_time_owes_no_interest_for_another_paid_late(self):
        """Reinstated on 10 February 2026 with two back premiums (due 31 January
        2025 and 2026): interest 616.44 + 16.44 = 632.88. The first is paid that
        day with the interest, the second on 12 March: only the second owes 30
        more days, 12,000 x 5% x 40 / 365 = 65.75, so 49.31 more (counting the
        first to 12 March too would have charged 98.62)."""
        self._in_grace()
        with freeze_time("2025-04-02"):
            self._run_clock()
        with freeze_time("2026-02-10"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            request.with_user(self.underwriter).validate_tier()
        second = self._line(self.policy, 3)
        self.assertEqual(request.premium_line_ids, self.line | second)
        self.assertEqual(request.interest_amount, 632.88)
        interest = request.sudo().interest_invoice_id
        self._pay_all(self.invoice | interest, 12632.88, day="2026-02-10")
        self._pay_all(second.invoice_id, 12000, day="2026-03-12")
        with freeze_time("2026-03-12"):
            self._end_unit_of_work()
        late = request.sudo().late_interest_invoice_ids
        self.assertEqual(late.amount_total, 49.31)
        self.assertIn("12,000.00", late.invoice_line_ids.name)
        self.assertEqual(request.interest_amount, 682.19)
        self.assertEqual(
            [(row["counted_to"], row["days"]) for row in request.breakdown],
            [("2026-02-10", 375), ("2026-03-12", 40)],
        )
        self.assertEqual(self.policy.state, "lapsed", "The 30 days are owed.")
        self._pay_all(late, 49.31, day="2026-03-13")
        with freeze_time("2026-03-13"):
            self._end_unit_of_work()
        self.assertEqual(len(request.sudo().late_interest_invoice_ids), 1)
        self.assertEqual(request.state, "done")
        self.assertEqual(self.policy.state, "in_force")

    def test_the_part_of_a_premium_paid_on_time_owes_no_late_interest(self):
        """Quoted on 31 July (interest 297.53 to that day); the interest and 8,000
        of the back premium are paid that day, the other 4,000 on 30 August: only
        the 4,000 owe the month, 4,000 x 5% x 30 / 365 = 16.44 more (counting the
        whole premium to 30 August would have charged 49.32)."""
        request = self._reinstate()
        interest = request.sudo().interest_invoice_id
        self._pay_all(interest, 297.53)
        self._pay_all(self.invoice, 8000)
        self._pay_all(self.invoice, 4000, day="2025-08-30")
        with freeze_time("2025-08-30"):
            self._end_unit_of_work()
        late = request.sudo().late_interest_invoice_ids
        self.assertEqual(late.amount_total, 16.44)
        self.assertIn("4,000.00", late.invoice_line_ids.name)
        self.assertEqual(request.interest_amount, 313.97)
        (row,) = request.breakdown
        self.assertEqual(
            (row["counted_to"], row["days"], row["parts"]),
            ("2025-08-30", 211, [["2025-07-31", 8000.0], ["2025-08-30", 4000.0]]),
        )
        self.assertIn("181, 211", request.breakdown_html)
        self._pay_all(late, 16.44, day="2025-09-02")
        with freeze_time("2025-09-02"):
            request.with_user(self.underwriter).validate_tier()
            self._end_unit_of_work()
        self.assertEqual(len(request.sudo().late_interest_invoice_ids), 1)
        self.assertEqual(request.state, "done")
        self.assertEqual(self.policy.state, "in_force")

    def test_refused_after_a_late_payment_cancels_the_late_interest(self):
        request = self._reinstate()
        interest = request.sudo().interest_invoice_id
        self._pay_all(self.invoice | interest, 12297.53, day="2025-08-30")
        with freeze_time("2025-08-30"):
            self._end_unit_of_work()
        late = request.sudo().late_interest_invoice_ids
        self.assertEqual(late.amount_residual, 49.32)
        with freeze_time("2025-09-01"):
            request.with_user(self.underwriter).reject_tier()
        self.assertEqual(late.state, "cancel")
        self.assertEqual(request.sudo().refund_payment_id.amount, 12297.53)
        self.assertEqual(self.policy.state, "lapsed")

    def test_finance_posts_a_refund_for_what_was_paid(self):
        """The draft refund of a refused reinstatement waits for finance: raised
        before posting, it gave the payer more than they paid."""
        request = self._reinstate()
        interest = request.sudo().interest_invoice_id
        self._pay_all(self.invoice | interest, 12297.53)
        with freeze_time("2025-08-01"):
            request.with_user(self.underwriter).reject_tier()
        refund = request.sudo().refund_payment_id.with_user(self.finance)
        self.assertEqual(request.sudo().refund_amount, 12297.53)
        with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
            refund.write({"amount": 20000})
            refund.action_post()
        self.assertIn("no longer matches", str(refused.exception))
        self.assertIn("12,297.53", str(refused.exception))
        self.assertEqual(refund.state, "draft")
        refund.action_post()
        self.assertEqual(refund.state, "paid")

    def test_refused_reinstatement_refunds_what_was_paid(self):
        request = self._reinstate()
        interest = request.sudo().interest_invoice_id
        self._pay_all(self.invoice | interest, 12297.53)
        with freeze_time("2025-08-01"):
            request.with_user(self.underwriter).reject_tier()
        self.assertEqual(request.validation_status, "rejected")
        self.assertFalse(request.payment_received)
        # The policy stays suspended and still owes its back premium; the interest
        # is credited; what the payer paid waits in a draft refund for finance.
        self.assertEqual(self.policy.state, "lapsed")
        self.assertRecordValues(
            self.line, [{"state": "lapsed", "amount_residual": 12000.0}]
        )
        self.assertEqual(self.invoice.amount_residual, 12000.0)
        credit_note = request.sudo().refund_move_id
        self.assertRecordValues(
            credit_note,
            [
                {
                    "move_type": "out_refund",
                    "state": "posted",
                    "amount_total": 297.53,
                    "amount_residual": 297.53,
                }
            ],
        )
        refund = request.sudo().refund_payment_id
        self.assertRecordValues(
            refund,
            [
                {
                    "payment_type": "outbound",
                    "partner_type": "customer",
                    "partner_id": self.holder.id,
                    "amount": 12297.53,
                    "state": "draft",
                }
            ],
        )
        todo = request.activity_ids.filtered(lambda a: a.team_id == self.finance_team)
        self.assertIn("12,297.53", todo.note)
        with self.assertRaises(AccessError):
            todo.with_user(self.specialist).action_done()
        todo.with_user(self.finance).action_take_team_work()
        todo.with_user(self.finance).action_done()
        self.assertEqual(refund.state, "paid", "Posted and reconciled.")
        # The refund settles the payer's payment: only the back premium is owed.
        receivable = self.env["account.move.line"].search(
            [
                ("partner_id", "=", self.holder.id),
                ("account_id.account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
            ]
        )
        self.assertEqual(sum(receivable.mapped("amount_residual")), 12000.0)
        self.assertEqual(credit_note.amount_residual, 0.0)
        self.assertEqual(self.policy.state, "lapsed")

    def test_cancelled_reinstatement_refunds_too(self):
        request = self._reinstate()
        self._pay_all(self.invoice, 12000)
        with freeze_time("2025-08-01"):
            request.action_cancel()
        self.assertEqual(request.state, "cancel")
        self.assertEqual(request.sudo().refund_payment_id.amount, 12000.0)
        self.assertEqual(request.sudo().interest_invoice_id.state, "cancel")
        self.assertEqual(self.line.state, "lapsed")
        self.assertEqual(self.policy.state, "lapsed")

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
        self.assertFalse(request.paid_in_accounting, "Paid by hand: no invoices.")
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

    def _reinstatement_todos(self):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", "insurance.policy"),
                ("res_id", "=", self.policy.id),
                (
                    "activity_type_id",
                    "=",
                    self.env.ref(
                        "insurance_renewal.mail_activity_type_reinstatement_followup"
                    ).id,
                ),
            ]
        )

    def test_a_premium_paid_while_suspended_asks_for_the_reinstatement(self):
        """The customer pays the premium the policy lapsed on, by hand or through
        the bank, without asking to reinstate: the cover stays suspended (it needs
        underwriting and the interest too), so the specialist is asked, once, to
        call the customer and arrange the reinstatement; asked for, it is done."""
        self.policy.specialist_id = self.specialist
        self._suspend()
        with freeze_time("2025-04-10"):
            self._line(self.policy, 2).amount_paid = 12000
            self._end_unit_of_work()
        self.assertEqual(self.policy.state, "lapsed")
        todo = self._reinstatement_todos()
        self.assertEqual(len(todo), 1)
        self.assertEqual(todo.user_id, self.specialist)
        self.assertIn(self._line(self.policy, 2).display_name, str(todo.note))
        self.assertIn("reinstatement", str(todo.note))
        with freeze_time("2025-04-12"):
            self._line(self.policy, 3)._apply_payments()
            self._line(self.policy, 2)._apply_payments()
            self._end_unit_of_work()
        self.assertEqual(len(self._reinstatement_todos()), 1, "Asked once.")
        with freeze_time("2025-04-15"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
        self.assertFalse(
            self._reinstatement_todos(), "Done once the reinstatement is asked for."
        )
        self.assertIn(request.display_name, self._notes(self.policy))

    def test_no_reinstatement_to_arrange_when_one_is_under_way(self):
        """The back premiums paid for a reinstatement already asked for: nobody
        is asked to arrange it again."""
        self.policy.specialist_id = self.specialist
        self._suspend()
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            request.with_user(self.specialist).action_confirm_payment()
        self.assertEqual(self._line(self.policy, 2).state, "paid")
        self.assertFalse(self._reinstatement_todos())

    def test_payment_recorded_late_counts_the_interest_to_its_day(self):
        self._suspend()
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(request.interest_amount, 297.53)
        # paid on 30 August: 12,000 x 5% x 211 / 365 = 346.85
        with freeze_time("2025-08-30"):
            request.with_user(self.specialist).action_confirm_payment()
        self.assertRecordValues(
            request,
            [{"interest_amount": 346.85, "amount": 12346.85, "state": "done"}],
        )
        self.assertIn("211", request.breakdown_html)
        self.assertIn("12,346.85", self._notes(self.policy))

    def test_refused_after_a_payment_by_hand_takes_it_back_and_asks_a_refund(self):
        """Paid by hand (the product has no premium invoices), then refused: the
        back premium is owed again, and finance is asked to give the 12,297.53
        back; no draft refund, the money is not in the accounting."""
        self._suspend()
        line = self._line(self.policy, 2)
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            request.with_user(self.specialist).action_confirm_payment()
        self.assertEqual(line.state, "paid")
        with freeze_time("2025-08-01"):
            request.with_user(self.underwriter).reject_tier()
            self._end_unit_of_work()
        self.assertFalse(request.payment_received)
        self.assertRecordValues(
            line, [{"state": "lapsed", "amount_paid": 0.0, "amount_residual": 12000}]
        )
        self.assertEqual(self.policy.state, "lapsed")
        self.assertFalse(request.sudo().refund_payment_id)
        refund = request.activity_ids.filtered(lambda a: a.team_id == self.finance_team)
        self.assertEqual(len(refund), 1)
        self.assertIn("12,297.53", refund.note)
        self.assertIn("12,297.53", self._notes(self.policy))

    def test_the_review_notes_read_in_chinese(self):
        """base_tier_validation's own notes have no Chinese: the request writes
        its own."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self._suspend()
        with freeze_time("2025-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            ).with_context(lang="zh_CN")
            request.action_confirm()
            request.with_user(self.underwriter).reject_tier()
        notes = " ".join(request.message_ids.mapped("body"))
        self.assertIn("提交了本申请，等待审核", notes)
        self.assertIn("拒绝", notes)
        self.assertNotIn("A record to be reviewed", notes)
        self.assertNotIn("A review was rejected", notes)

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
        with self.assertRaisesRegex(UserError, "can no longer be changed"):
            request.with_user(self.specialist).write({"health_declaration": "改"})
        self.assertEqual(request.interest_amount, 297.53)
