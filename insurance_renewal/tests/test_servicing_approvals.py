"""The approvals of servicing requests, as a hostile caller would try them over
RPC: the reviews themselves, the request while it waits for them, and two
requests approved for one policy."""

from datetime import date, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import InsuranceRenewalCommon
from .common_accounting import PremiumAccountingCommon
from .test_servicing_requests import ServicingMixin


@tagged("post_install", "-at_install")
class TestServicingApprovals(ServicingMixin, PremiumAccountingCommon):
    """A policy issued 31 January 2024, 12,000 a year, cash value 30,000, in
    force."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._servicing_users()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(cash_value=30000, sum_assured=500000)
            cls.policy.action_activate()
        cls.holder.email = "zhangwei@example.com"

    def _submitted_surrender(self):
        with freeze_time("2025-03-01"):
            request = self._request(self.policy, "surrender")
            request.action_confirm()
        self.assertEqual(request.validation_status, "pending")
        return request

    def _payouts(self):
        return self.env["account.payment"].search(
            [("partner_id", "=", self.holder.id), ("payment_type", "=", "outbound")]
        )

    def _assert_not_surrendered(self, request):
        request.invalidate_recordset()
        self.assertEqual(request.state, "draft")
        self.assertEqual(request.validation_status, "pending")
        self.assertNotEqual(self.policy.state, "surrendered")
        self.assertFalse(self._payouts())

    def test_a_specialist_cannot_approve_their_own_surrender_through_its_review(self):
        """The manager's review is a tier.review any employee may write in
        base_tier_validation: the specialist marks it approved and runs the
        approval, and the surrender would be paid out without the manager."""
        request = self._submitted_surrender()
        review = request.review_ids
        as_specialist = self.env["tier.review"].with_user(self.specialist)
        with self.assertRaises(AccessError):
            as_specialist.browse(review.id).write(
                {"status": "approved", "done_by": self.manager.id}
            )
        with self.assertRaises(AccessError):
            as_specialist.browse(review.id).write(
                {"reviewer_ids": [(4, self.specialist.id)]}
            )
        request.with_user(self.specialist).validate_tier()
        self._assert_not_surrendered(request)

    def test_nobody_but_the_addon_adds_or_removes_a_request_s_reviews(self):
        request = self._submitted_surrender()
        draft = self._request(self.policy, "surrender")
        # an approved review of their own making, on a request never submitted
        with self.assertRaises(AccessError):
            self.env["tier.review"].with_user(self.specialist).create(
                {
                    "model": request._name,
                    "res_id": draft.id,
                    "definition_id": request.review_ids.definition_id.id,
                    "status": "approved",
                    "reviewer_ids": [(6, 0, self.specialist.ids)],
                }
            )
        # the request's own submission, without its checks
        with self.assertRaises(AccessError):
            draft.with_user(self.specialist).request_validation()
        # the manager's pending review deleted, to submit the request again
        for user in (self.specialist, self.finance, self.underwriter):
            with self.assertRaises(AccessError):
                request.with_user(user).restart_validation()
        self.assertEqual(len(request.review_ids), 1)
        self.assertFalse(draft.review_ids)
        self._assert_not_surrendered(request)
        # the manager still approves it
        with freeze_time("2025-03-02"):
            request.with_user(self.manager).validate_tier()
        self.assertEqual(self.policy.state, "surrendered")
        self.assertEqual(self._payouts().amount, 30000)

    def test_a_request_waiting_for_its_review_is_not_changed(self):
        """What the manager approves is what was submitted: the amount (which
        base_tier_validation lets anyone write under review) and, with its
        ``skip_validation_check`` context, the kind of request are not changed
        while the review waits."""
        request = self._submitted_surrender()
        as_specialist = request.with_user(self.specialist)
        with self.assertRaises(UserError) as refused:
            as_specialist.write({"amount": 1})
        self.assertIn("can no longer be changed", str(refused.exception))
        with self.assertRaises(UserError):
            as_specialist.with_context(skip_validation_check=True).write(
                {"request_type": "loan", "amount": 1000000}
            )
        self.assertRecordValues(request, [{"request_type": "surrender"}])
        with freeze_time("2025-03-02"):
            request.with_user(self.manager).validate_tier()
        self.assertEqual(self.policy.loan_balance, 0)
        self.assertEqual(self._payouts().amount, 30000)

    def test_an_approval_takes_effect_whatever_context_the_reviewer_sends(self):
        """``servicing_approving`` keeps the addon's own approval from running
        twice; sent by a reviewer over RPC, the approval was recorded and the
        request never took effect (validated, still a draft, for good)."""
        request = self._submitted_surrender()
        with freeze_time("2025-03-02"):
            request.with_user(self.manager).with_context(
                servicing_approving=True
            ).validate_tier()
        self.assertEqual(request.validation_status, "validated")
        self.assertEqual(request.state, "approved")
        self.assertEqual(self.policy.state, "surrendered")

    def test_one_surrender_at_a_time(self):
        self._submitted_surrender()
        second = self._request(self.policy, "surrender")
        with self.assertRaises(UserError) as refused:
            second.action_confirm()
        self.assertIn("already waits", str(refused.exception))
        self.assertFalse(second.review_ids)

    def test_an_approval_after_the_policy_ended_does_not_pay_it_out(self):
        """The holder died while the surrender waited for the manager: the claim
        ended the policy; approving the surrender then would pay its cash value
        out besides the death benefit."""
        request = self._submitted_surrender()
        claim = (
            self.env["insurance.claim"]
            .sudo()
            .create(
                {
                    "name": "LP-0001",
                    "policy_id": self.policy.id,
                    "claim_date": "2025-03-01",
                    "claim_type": "death",
                    "state": "approved",
                    "amount": 500000,
                }
            )
        )
        claim._apply_rules()
        self.assertEqual(self.policy.state, "terminated")
        with freeze_time("2025-03-02"), self.assertRaises(UserError) as refused:
            request.with_user(self.manager).validate_tier()
        self.assertIn("can no longer take effect", str(refused.exception))
        self.assertEqual(self.policy.state, "terminated")
        self.assertFalse(self._payouts())
        # the manager refuses it instead
        request.with_user(self.manager).reject_tier()
        self.assertEqual(request.validation_status, "rejected")

    def test_finance_pays_a_payout_as_the_request_says(self):
        """The payout waits in draft for finance to check and post: changed to
        another partner or amount before posting, it paid someone else (or more)
        while the request said the holder was paid what was asked."""
        self.product.loan_account_id = self.env["account.account"].create(
            {"name": "保单贷款", "code": "113201", "account_type": "asset_current"}
        )
        request = self._request(self.policy, "loan", amount=1000)
        request.action_confirm()
        payment = request.sudo().payment_id
        as_finance = payment.with_user(self.finance)
        for change in (
            {"partner_id": self.finance.partner_id.id},
            {"amount": 100000},
        ):
            with self.subTest(change=change):
                with self.assertRaises(UserError) as refused, self.env.cr.savepoint():
                    as_finance.write(change)
                    as_finance.action_post()
                self.assertIn("no longer matches", str(refused.exception))
                self.assertEqual(payment.state, "draft")
                self.assertEqual(request.state, "approved")
        as_finance.action_post()
        self.assertEqual(request.state, "done")


@tagged("post_install", "-at_install")
class TestReinstatementPaidByHand(ServicingMixin, InsuranceRenewalCommon):
    """A monthly policy of 1,000 issued 31 January 2024 whose premiums stopped
    after the first: suspended at the end of April, its reinstatement quoted on
    31 July for the six premiums due from February to July."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._servicing_users()
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(
                payment_frequency="monthly", premium_amount=1000
            )
            cls.policy.action_activate()

    def test_a_premium_due_after_the_quote_is_not_paid_by_it(self):
        with freeze_time("2024-05-15"):
            self._run_clock()
        self.assertEqual(self.policy.state, "lapsed")
        with freeze_time("2024-07-31"):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            )
            request.action_confirm()
            request.with_user(self.underwriter).validate_tier()
        self.assertEqual(request.back_premium_amount, 6000)
        august = self.policy.premium_line_ids.filtered(
            lambda line: line.due_date.isoformat() == "2024-08-31"
        )
        self.assertTrue(august)
        # paid on 5 September: the quote's six premiums and their interest, not
        # August's, which falls due after the quote
        with freeze_time("2024-09-05"):
            request.with_user(self.specialist).action_confirm_payment()
        self.assertRecordValues(
            request, [{"state": "done", "back_premium_amount": 6000}]
        )
        # back in force, with August's premium owed in its grace period
        self.assertEqual(self.policy.state, "grace")
        self.assertRecordValues(august, [{"state": "grace", "amount_paid": 0}])
        self.assertEqual(
            self.policy.premium_line_ids.filtered(
                lambda line: (
                    line.state == "paid" and line.due_date.isoformat() > "2024-01-31"
                )
            ).mapped("amount_paid"),
            [1000.0] * 6,
        )

    def test_a_caller_does_not_choose_the_day_of_a_quote(self):
        """``clock_today`` (the day a catch-up run of the scheduled action
        passes) came from the caller's context too: a specialist quoting over
        RPC chose the day the interest was counted to, and a day before the
        reinstatement deadline."""
        with freeze_time("2024-05-15"):
            self._run_clock()
        deadline = self.policy.reinstatement_deadline
        with freeze_time(deadline + timedelta(days=30)):
            request = self._request(
                self.policy, "reinstatement", health_declaration="无住院史"
            ).with_context(clock_today=date(2024, 6, 1))
            with self.assertRaises(UserError) as refused:
                request.action_confirm()
        self.assertIn("can no longer be reinstated", str(refused.exception))
        with freeze_time("2024-07-31"):
            request.with_context(clock_today=date(2024, 5, 1)).action_confirm()
        self.assertEqual(request.breakdown_date, date(2024, 7, 31))
        with freeze_time("2024-09-05"):
            request.with_user(self.underwriter).with_context(
                clock_today=date(2024, 7, 31)
            ).validate_tier()
            request.with_user(self.specialist).with_context(
                clock_today=date(2024, 7, 31)
            ).action_confirm_payment()
        # the interest counted to the day it was paid, not the day the caller gave
        self.assertEqual(request.breakdown_date, date(2024, 9, 5))
