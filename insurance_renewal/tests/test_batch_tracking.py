from freezegun import freeze_time

from odoo.tests import tagged

from .common import InsuranceRenewalCommon

# What a reader of the chatter sees of a tracking message, and what it answers.
MESSAGE_FIELDS = (
    "body",
    "message_type",
    "subtype_id",
    "author_id",
    "email_from",
    "reply_to",
    "is_internal",
    "record_company_id",
    "record_alias_domain_id",
    "email_add_signature",
)


@tagged("post_install", "-at_install")
class TestBatchTracking(InsuranceRenewalCommon):
    """Many records changing at once get the chatter tracking one record changed
    alone gets (insurance.tracking.batch.mixin), followers still notified."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policies = cls.env["insurance.policy"]
            for number in range(4):
                cls.policies |= cls._create_policy(name=f"P-20{number}")
            cls.policies.action_activate()

    def setUp(self):
        super().setUp()
        # BaseCommon turns chatter tracking off for speed: this is about it.
        self.env = self.env(
            context=dict(self.env.context, tracking_disable=False, mail_notrack=False)
        )
        self.policies = self.policies.with_env(self.env)
        # What setUpClass left pending (its records' tracking, disabled) is done.
        self._end_unit_of_work()

    def _last_message(self, record):
        # Messages point at their record by id: the record's list is read anew.
        record.invalidate_recordset(["message_ids"])
        return record.message_ids.sorted("id")[-1:]

    def _seen(self, message):
        values = {name: message[name] for name in MESSAGE_FIELDS}
        values["tracking"] = [
            (value.field_id.name, value.old_value_char, value.new_value_char)
            for value in message.sudo().tracking_value_ids
        ]
        return values

    def test_policies_moved_together_get_the_message_of_one_moved_alone(self):
        alone, *together = self.policies
        alone.sudo().write({"state": "grace"})
        self._end_unit_of_work()
        self.env["insurance.policy"].browse([p.id for p in together]).sudo().write(
            {"state": "grace"}
        )
        self._end_unit_of_work()
        expected = self._seen(self._last_message(alone))
        self.assertEqual(
            expected["tracking"], [("state", "In Force", "In Grace Period")]
        )
        for policy in together:
            with self.subTest(policy=policy.name):
                self.assertEqual(self._seen(self._last_message(policy)), expected)

    def _cases(self, count):
        return self.env["crm.lead"].create(
            [
                {"name": f"Case {number}", "type": "opportunity"}
                for number in range(count)
            ]
        )

    def test_cases_moved_together_keep_their_parent_and_notify_followers(self):
        stage_changed = self.env.ref("crm.mt_lead_stage")
        alone, followed, quiet = self._cases(3)
        for case in (alone, followed, quiet):
            case.message_post(body="First word", message_type="comment")
        follower = self.env["res.partner"].create(
            {"name": "跟进人", "email": "follower@example.cn"}
        )
        followed.message_subscribe(follower.ids, subtype_ids=stage_changed.ids)
        stage = self.env["crm.stage"].create({"name": "Batch stage"})
        # The cases were created in this unit of work: their creation is not
        # tracked as a change. Their changes are, from the next one on.
        self._end_unit_of_work()
        alone.write({"stage_id": stage.id})
        self._end_unit_of_work()
        (followed | quiet).write({"stage_id": stage.id})
        self._end_unit_of_work()
        expected = self._seen(self._last_message(alone))
        self.assertEqual(expected["subtype_id"], stage_changed)
        for case in (followed, quiet):
            with self.subTest(case=case.name):
                message = self._last_message(case)
                self.assertEqual(self._seen(message), expected)
                first = case.message_ids.filtered(lambda m: m.message_type == "comment")
                self.assertEqual(message.parent_id, first, "Answers the thread.")
        self.assertIn(
            follower, self._last_message(followed).notification_ids.res_partner_id
        )
        self.assertFalse(self._last_message(quiet).notification_ids)

    def test_todos_created_together_get_their_users_team(self):
        team = self.env["mail.activity.team"].create(
            {
                "name": "续期外呼组",
                "member_ids": [(4, self.specialist.id)],
                "res_model_ids": [(4, self.env["ir.model"]._get_id("crm.lead"))],
            }
        )
        cases = self._cases(2)
        call = self.env.ref("mail.mail_activity_data_call")
        todos = self.env["mail.activity"].create(
            [
                {
                    "activity_type_id": call.id,
                    "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
                    "res_id": case.id,
                    "user_id": user.id,
                }
                for case, user in zip(cases, (self.specialist, self.agent), strict=True)
            ]
        )
        self.assertEqual(todos.mapped("user_id"), self.specialist | self.agent)
        self.assertEqual(todos[0].team_id, team)
        self.assertFalse(todos[1].team_id, "The agent is in no team.")
