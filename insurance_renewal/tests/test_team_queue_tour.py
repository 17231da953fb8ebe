from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestTeamQueueTour(HttpCase):
    def test_an_underwriter_takes_and_finishes_work_from_the_queue(self):
        specialist = new_test_user(
            self.env,
            login="tour_team_specialist",
            groups="insurance_renewal.group_insurance_renewal_user",
        )
        underwriter = new_test_user(
            self.env,
            login="tour_underwriter",
            name="tour_underwriter",
            groups="insurance_renewal.group_insurance_underwriter",
        )
        self.env.ref("insurance_renewal.mail_activity_team_underwriting").member_ids = [
            (4, underwriter.id)
        ]
        product = self.env["insurance.product"].create({"name": "鑫福", "code": "TEAM"})
        policy = self.env["insurance.policy"].create(
            {
                "name": "P-TEAM-1",
                "partner_id": self.env["res.partner"].create({"name": "张伟"}).id,
                "product_id": product.id,
                "specialist_id": specialist.id,
                "issue_date": "2024-01-31",
                "premium_amount": 12000,
                "premium_years": 10,
            }
        )
        work = self.env["insurance.assignment.rule"]._fire(
            "reinstatement_review", policy, note="健康告知已提交"
        )
        self.start_tour(
            "/odoo/action-insurance_renewal.mail_activity_team_queue_action",
            "insurance_renewal_team_queue_tour",
            login="tour_underwriter",
        )
        self.assertFalse(work.active)
        self.assertEqual(work.user_id, underwriter)
        told = policy.message_ids.filtered(
            lambda message: specialist.partner_id in message.partner_ids
        )
        self.assertIn("tour_underwriter", str(told.body))
