import base64
from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools.safe_eval import safe_eval

from .common import InsuranceRenewalCommon

# Each shipped rule: the team it hands the work to ("manager": the renewal manager).
SHIPPED_RULES = {
    "debit_failed": "mail_activity_team_finance",
    "receipt_unmatched": "mail_activity_team_finance",
    "loan_payout": "mail_activity_team_finance",
    "surrender_payout": "mail_activity_team_finance",
    "reinstatement_review": "mail_activity_team_underwriting",
    "policy_change": "mail_activity_team_underwriting",
    "complaint": "mail_activity_team_customer_service",
    "red_flag": "mail_activity_team_compliance",
    "orphan_policy": "manager",
}


class TeamWorkCommon(InsuranceRenewalCommon):
    """A member of every team, and a policy of 张伟 sold by the agent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.company.partner_id.tz = "Asia/Shanghai"
        cls.members = {}
        for team, group in (
            ("sales", "sales_team.group_sale_salesman"),
            ("finance", "account.group_account_invoice"),
            ("underwriting", "insurance_renewal.group_insurance_underwriter"),
            ("customer_service", "insurance_renewal.group_insurance_customer_service"),
            ("compliance", "insurance_renewal.group_insurance_compliance"),
        ):
            user = new_test_user(cls.env, login=f"team_{team}", groups=group)
            cls._team(team).member_ids = [(4, user.id)]
            cls.members[team] = user
        cls.manager = new_test_user(
            cls.env,
            login="team_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        cls.env.ref("insurance_renewal.crm_team_renewals").user_id = cls.manager
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy(
                user_id=cls.agent.id,
                specialist_id=cls.specialist.id,
                payment_method="counter",
            )
            cls.policy.action_activate()

    @classmethod
    def _team(cls, name):
        return cls.env.ref(f"insurance_renewal.mail_activity_team_{name}")

    def _team_work(self, record, event_code):
        return self.env["mail.activity"].search(
            [
                ("res_model", "=", record._name),
                ("res_id", "in", record.ids),
                ("insurance_event_code", "=", event_code),
            ]
        )

    def _queue(self, user):
        """What ``user`` sees under Team Work > My Team's Queue."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.mail_activity_team_queue_action"
        )
        domain = safe_eval(action["domain"], {"uid": user.id})
        return self.env["mail.activity"].with_user(user).search(domain)

    def _enter_grace(self, policy=None):
        policy = policy or self.policy
        with freeze_time("2025-02-01"):
            policy.premium_line_ids._advance_clock(date(2025, 2, 1))
            self._end_unit_of_work()


@tagged("post_install", "-at_install")
class TestAssignmentRules(TeamWorkCommon):
    def test_grace_sends_the_sales_rep_on_a_retention_visit_once(self):
        self.assertFalse(self._team_work(self.policy, "grace_entered"))
        self._enter_grace()
        self.assertEqual(self.policy.state, "grace")
        visit = self._team_work(self.policy, "grace_entered")
        self.assertRecordValues(
            visit,
            [
                {
                    "user_id": self.agent.id,
                    "activity_type_id": self.env.ref(
                        "insurance_renewal.mail_activity_type_retention_visit"
                    ).id,
                    "date_deadline": date(2025, 2, 6),
                }
            ],
        )
        self.assertEqual(self._queue(self.agent), visit)
        # The clock runs again (a rerun, a second worker): no second visit.
        self._enter_grace()
        self.env["insurance.assignment.rule"]._fire("grace_entered", self.policy)
        self.assertEqual(self._team_work(self.policy, "grace_entered"), visit)

    def test_a_batch_notifies_each_assignee_as_odoo_does(self):
        """The to-dos a batch fires are notified together, not by Odoo's
        action_notify one at a time: each assignee still gets the message and
        the queued email Odoo gives a to-do assigned to them by hand."""
        with freeze_time("2024-02-10"):
            other = self._create_policy(name="P-0003", user_id=self.agent.id)
            other.action_activate()
        visit_type = self.env.ref(
            "insurance_renewal.mail_activity_type_retention_visit"
        )
        with freeze_time("2025-02-01"):
            by_hand = self.env["mail.activity"].create(
                {
                    "res_model_id": self.env["ir.model"]._get_id(other._name),
                    "res_id": other.id,
                    "activity_type_id": visit_type.id,
                    "user_id": self.agent.id,
                    "date_deadline": date(2025, 2, 6),
                }
            )
        self._enter_grace()
        fired = self._team_work(self.policy, "grace_entered")
        self.assertEqual(fired.date_deadline, by_hand.date_deadline)
        fields = [
            "subject",
            "body",
            "author_id",
            "email_from",
            "reply_to",
            "record_alias_domain_id",
            "record_company_id",
            "subtype_id",
            "email_layout_xmlid",
            "partner_ids",
            "is_internal",
        ]
        messages, emails = [], []
        for policy in (other, self.policy):
            message = self.env["mail.message"].search(
                [
                    ("model", "=", policy._name),
                    ("res_id", "=", policy.id),
                    ("message_type", "=", "user_notification"),
                ]
            )
            self.assertEqual(len(message), 1, policy.name)
            values = message.read(fields)[0]
            values["subject"] = values["subject"].replace(policy.name, "NAME")
            values["body"] = values["body"].replace(policy.name, "NAME")
            messages.append(values | {"id": 0})
            self.assertEqual(message.partner_ids, self.agent.partner_id)
            self.assertRecordValues(
                message.notification_ids,
                [
                    {
                        "res_partner_id": self.agent.partner_id.id,
                        "notification_type": "email",
                    }
                ],
            )
            self.assertTrue(message.notification_ids.mail_mail_id)
            emails.append(self._email_values(message, policy))
        self.assertEqual(messages[1], messages[0])
        self.assertIn("assigned to you", messages[1]["subject"])
        # the queued emails too (those of a batch are created together)
        self.assertEqual(emails[1], emails[0])
        self.assertIn("P-0001", emails[1]["body_html"].replace("NAME", "P-0001"))

    def test_a_batch_s_emails_answer_the_history_odoo_finds(self):
        """The history each email of a batch answers (its references, read for
        the whole batch at once) is the one Odoo's own rendering finds for its
        message: the record's public discussion first, then its notes and
        logs, never the message itself."""
        with freeze_time("2024-02-10"):
            other = self._create_policy(name="P-0004", user_id=self.agent.id)
            other.action_activate()
        for number in range(4):
            self.policy.message_post(body=f"客户来电 {number}", message_type="comment")
            self.policy.message_post(
                body=f"内部备注 {number}", subtype_xmlid="mail.mt_note"
            )
        # three assignees, one to-do each: each told by a message on its record
        activities = self._assign_visits(
            [self.policy, self.policy, other],
            ["上门拜访", "再次拜访", "上门拜访"],
            users=[self.agent, self.members["sales"], self.manager],
        )
        activities._insurance_notify_assigned()
        messages = self.env["mail.message"].search(
            [
                ("model", "=", "insurance.policy"),
                ("res_id", "in", (self.policy | other).ids),
                ("message_type", "=", "user_notification"),
            ]
        )
        self.assertEqual(len(messages), 3)
        for message in messages:
            record = self.env[message.model].browse(message.res_id)
            odoo = record._notify_by_email_get_base_mail_values(message, [])
            email = message.notification_ids.mail_mail_id
            with self.subTest(message=message.subject):
                self.assertEqual(email.references, odoo["references"])
                references = email.references.split()
                self.assertEqual(references[-1], message.message_id)
                if record == self.policy:
                    # three messages of its history, then itself
                    self.assertEqual(len(references), 4)

    def test_a_batch_s_recipients_are_those_odoo_finds_for_each_message(self):
        """The recipients of a batch's "assigned to you" messages, read for the
        whole batch at once, are those Odoo finds for each message alone: an
        assignee who follows the record as its follower, one who does not (or
        follows only another record of the batch) as a partner who does not."""
        with freeze_time("2024-02-10"):
            other = self._create_policy(name="P-0005", user_id=False)
            other.action_activate()
        # the agent follows one policy of the batch, the member the other one
        self.policy.message_subscribe(self.agent.partner_id.ids)
        member = self.members["finance"].partner_id
        other.message_subscribe(member.ids)
        records = self.policy | other
        pids = (self.agent.partner_id | member).ids
        note = self.env.ref("mail.mt_note").id
        Followers = self.env["mail.followers"]
        known = Followers._insurance_known_recipients(records, pids, note)
        batch = Followers.with_context(insurance_known_recipients=known)
        for record in records:
            for asked in ([pid] for pid in pids):
                with self.subTest(record=record.name, pid=asked):
                    odoo = Followers._get_recipient_data(
                        record, "user_notification", note, asked
                    )
                    found = batch._get_recipient_data(
                        record, "user_notification", note, asked
                    )
                    self.assertEqual(found, odoo)
                    self.assertEqual(
                        found[record.id][asked[0]]["is_follower"],
                        self.env["res.partner"].browse(asked)
                        in record.message_partner_ids,
                    )
        # another question is Odoo's to answer
        self.assertEqual(
            batch._get_recipient_data(records, "user_notification", note, pids),
            Followers._get_recipient_data(records, "user_notification", note, pids),
        )

    def test_a_batch_s_notifications_cost_no_query_per_todo(self):
        """The "assigned to you" notifications of a batch read each email's
        history and each message's recipients once for the batch (Odoo reads
        them once per to-do): four to-dos of four assignees cost no more
        queries than two."""
        users = [
            new_test_user(
                self.env, login=f"rep_{n}", groups="sales_team.group_sale_salesman"
            )
            for n in range(7)
        ]
        with freeze_time("2024-02-10"):
            policies = self.env["insurance.policy"]
            for number in range(7):
                policies |= self._create_policy(
                    name=f"P-01{number}", user_id=users[number].id
                )
            policies.action_activate()
        for policy, user in zip(policies, users, strict=True):
            policy.message_subscribe(user.partner_id.ids)
        counts = []
        # the first batch warms Odoo's caches up
        for first, last in ((0, 1), (1, 3), (3, 7)):
            batch = policies[first:last]
            activities = self._assign_visits(batch, users=users[first:last])
            self.env.flush_all()
            before = self.env.cr.sql_log_count
            # queued, as the assignment rules queue them
            activities.with_context(
                mail_notify_force_send=False
            )._insurance_notify_assigned()
            self.env.flush_all()
            counts.append(self.env.cr.sql_log_count - before)
            self.assertEqual(
                len(activities.mapped("res_id")),
                self.env["mail.mail"].search_count(
                    [
                        ("model", "=", "insurance.policy"),
                        ("res_id", "in", batch.ids),
                        ("message_type", "=", "user_notification"),
                    ]
                ),
            )
        self.assertLessEqual(counts[2], counts[1], counts)

    def _assign_visits(self, policies, summaries=None, users=None):
        """A retention visit to-do on each of ``policies`` (a policy may come
        twice) for the agent, or for each of ``users``, with its summary when
        given, created together as a batch of assignments is."""
        visit_type = self.env.ref(
            "insurance_renewal.mail_activity_type_retention_visit"
        )
        vals_list = [
            {
                "res_model_id": self.env["ir.model"]._get_id(policy._name),
                "res_id": policy.id,
                "activity_type_id": visit_type.id,
                "user_id": user.id,
                "date_deadline": date(2025, 2, 6),
            }
            for policy, user in zip(
                policies, users or [self.agent] * len(policies), strict=True
            )
        ]
        for vals, summary in zip(vals_list, summaries or (), strict=False):
            vals["summary"] = summary
        return (
            self.env["mail.activity"]
            .with_context(mail_activity_quick_update=True)
            .create(vals_list)
        )

    def _email_values(self, message, policy):
        """The queued email of ``message``, its record's name and id and the
        random message ids of its references replaced."""
        email = message.notification_ids.mail_mail_id
        self.assertEqual(len(email), 1)
        values = email.read(
            [
                "body_html",
                "email_from",
                "reply_to",
                "recipient_ids",
                "auto_delete",
                "state",
                "is_notification",
                "headers",
                "scheduled_date",
                "email_to",
            ]
        )[0]
        for key in ("body_html", "headers"):
            values[key] = (
                (values[key] or "")
                .replace(policy.name, "NAME")
                .replace(f"={policy.id}", "=ID")
                .replace(f"-{policy.id}", "-ID")
            )
        values["references"] = len(email.references.split())
        return values | {"id": 0}

    def test_grace_without_sales_rep_goes_to_the_sales_team_queue(self):
        with freeze_time("2024-02-10"):
            policy = self._create_policy(name="P-0002", user_id=False)
            policy.action_activate()
        self._enter_grace(policy)
        visit = self._team_work(policy, "grace_entered")
        self.assertRecordValues(
            visit, [{"user_id": False, "team_id": self._team("sales").id}]
        )
        # Any member of the Sales team sees it in the queue and reads its policy,
        # though the customer is not theirs.
        member = self.members["sales"]
        self.assertEqual(self._queue(member), visit)
        self.assertFalse(self._queue(self.members["finance"]))
        self.assertEqual(policy.with_user(member).read(["name"])[0]["name"], "P-0002")
        visit.with_user(member).action_take_team_work()
        self.assertEqual(visit.user_id, member)
        # Once the visit is done, the policy is theirs to read no more.
        visit.with_user(member).action_feedback(feedback="客户同意本月内缴费")
        self.assertFalse(
            self.env["insurance.policy"]
            .with_user(member)
            .search([("id", "=", policy.id)])
        )

    def test_each_shipped_rule_and_its_rerun(self):
        rules = self.env["insurance.assignment.rule"]
        for event_code, team in SHIPPED_RULES.items():
            with self.subTest(event=event_code):
                work = rules._fire(event_code, self.policy, note="证据")
                self.assertEqual(len(work), 1)
                self.assertEqual(work.insurance_event_code, event_code)
                if team == "manager":
                    self.assertEqual(work.user_id, self.manager)
                else:
                    self.assertRecordValues(
                        work,
                        [
                            {
                                "team_id": self.env.ref(f"insurance_renewal.{team}").id,
                                "user_id": False,
                            }
                        ],
                    )
                self.assertIn("证据", str(work.note))
                self.assertFalse(rules._fire(event_code, self.policy))
                self.assertEqual(self._team_work(self.policy, event_code), work)

    def test_a_rule_edited_by_the_manager_applies_next_time(self):
        rule = self.env.ref("insurance_renewal.assignment_rule_policy_change")
        rule.with_user(self.manager).write(
            {"team_id": self._team("compliance").id, "deadline_days": 10}
        )
        with freeze_time("2025-03-01"):
            work = self.env["insurance.assignment.rule"]._fire(
                "policy_change", self.policy
            )
        self.assertRecordValues(
            work,
            [
                {
                    "team_id": self._team("compliance").id,
                    "date_deadline": date(2025, 3, 11),
                }
            ],
        )
        with self.assertRaises(AccessError):
            rule.with_user(self.specialist).write({"deadline_days": 1})

    def test_orphan_policy_goes_to_the_renewal_manager_once(self):
        self.agent.active = False
        for _run in range(2):
            self._call_in_cron_cursor("insurance.policy", "_cron_hand_orphan_policies")
        work = self._team_work(self.policy, "orphan_policy")
        self.assertEqual(len(work), 1)
        self.assertEqual(work.user_id, self.manager)
        self.assertIn(self.agent.name, str(work.note))

    def test_only_a_team_member_takes_work_from_the_queue(self):
        work = self.env["insurance.assignment.rule"]._fire(
            "reinstatement_review", self.policy
        )
        with self.assertRaises(AccessError):
            work.with_user(self.members["finance"]).action_take_team_work()
        with self.assertRaises(AccessError):
            work.with_user(self.specialist).action_take_team_work()
        work.with_user(self.members["underwriting"]).action_take_team_work()
        self.assertEqual(work.user_id, self.members["underwriting"])


@tagged("post_install", "-at_install")
class TestAssignedDigest(TeamWorkCommon):
    """A batch that hands several to-dos to one person tells them once: one
    digest naming the to-dos, in their inbox or by email as they chose; one
    to-do still gets Odoo's own "assigned to you"."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        with freeze_time("2024-02-10"):
            cls.policies = cls.policy
            for number in range(2, 5):
                cls.policies |= cls._create_policy(
                    name=f"P-000{number}", user_id=cls.agent.id
                )
            cls.policies[1:].action_activate()
        cls.visit_type = cls.env.ref(
            "insurance_renewal.mail_activity_type_retention_visit"
        )

    def _hand_out(self, todos, user=None):
        """Create the to-dos ``todos`` ((record, assignee or None, team or
        None)) together as ``user`` (the specialist) does through an
        assignment rule, and notify them as one batch."""
        user = user or self.specialist
        vals_list = [
            {
                "res_model_id": self.env["ir.model"]._get_id(record._name),
                "res_id": record.id,
                "activity_type_id": self.visit_type.id,
                "user_id": assignee.id if assignee else False,
                "team_id": team.id if team else False,
                "date_deadline": date(2025, 2, 6),
            }
            for record, assignee, team in todos
        ]
        activities = (
            self.env["mail.activity"]
            .with_user(user)
            .sudo()
            .with_context(mail_activity_quick_update=True, mail_notify_force_send=False)
            .create(vals_list)
        )
        activities._insurance_notify_assigned()
        return activities

    def _told(self, user, since):
        """The notification messages ``user`` got after message ``since``."""
        return self.env["mail.message"].search(
            [
                ("id", ">", since),
                ("message_type", "=", "user_notification"),
                ("partner_ids", "in", user.partner_id.ids),
            ]
        )

    def _last_message(self):
        return self.env["mail.message"].search([], order="id desc", limit=1).id

    def test_several_todos_of_a_batch_tell_each_assignee_once(self):
        rep = self.members["sales"]
        rep.notification_type = "inbox"
        since = self._last_message()
        p1, p2, p3, p4 = self.policies
        self._hand_out(
            [
                (p1, self.agent, None),
                (p2, self.agent, None),
                (p3, self.agent, None),
                (p1, rep, None),
                (p4, rep, None),
                (p4, self.manager, None),
                (p2, self.specialist, None),
            ]
        )
        # the agent: one message naming the three policies, emailed
        digest = self._told(self.agent, since)
        self.assertEqual(len(digest), 1)
        self.assertFalse(digest.model)
        self.assertEqual(digest.subject, "3 to-dos assigned to you")
        self.assertIn("3 to-dos (Retention Visit: 3)", digest.body)
        for policy in (p1, p2, p3):
            self.assertIn(f">{policy.name}</a>", digest.body)
            self.assertIn(f"res_id={policy.id}", digest.body)
        self.assertNotIn(p4.name, digest.body)
        self.assertIn("mail_activity_team_queue_action", digest.body)
        self.assertRecordValues(
            digest.notification_ids,
            [
                {
                    "res_partner_id": self.agent.partner_id.id,
                    "notification_type": "email",
                }
            ],
        )
        email = digest.notification_ids.mail_mail_id
        self.assertEqual(email.state, "outgoing")
        self.assertIn(f">{p3.name}</a>", email.body_html)
        # the rep, who reads them in Odoo: one message in the inbox, no email
        digest = self._told(rep, since)
        self.assertEqual(len(digest), 1)
        self.assertEqual(digest.subject, "2 to-dos assigned to you")
        self.assertRecordValues(
            digest.notification_ids,
            [{"res_partner_id": rep.partner_id.id, "notification_type": "inbox"}],
        )
        self.assertFalse(digest.notification_ids.mail_mail_id)
        # one to-do: Odoo's own "assigned to you", on the policy
        single = self._told(self.manager, since)
        self.assertEqual(len(single), 1)
        self.assertEqual((single.model, single.res_id), (p4._name, p4.id))
        self.assertIn("assigned to you", single.subject)
        self.assertIn(p4.name, single.subject)
        # whoever handed them out is told of none
        self.assertFalse(self._told(self.specialist, since))

    def test_a_digest_names_twenty_and_counts_the_rest(self):
        since = self._last_message()
        activities = self._hand_out(
            [(policy, self.agent, None) for policy in self.policies] * 6
        )
        digest = self._told(self.agent, since)
        self.assertEqual(len(digest), 1)
        self.assertEqual(digest.subject, "24 to-dos assigned to you")
        self.assertEqual(digest.body.count("<li>"), 20)
        self.assertIn("and 4 more.", digest.body)
        self.assertEqual(len(activities), 24)

    def test_a_digest_is_in_the_language_of_its_reader(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(
            ["insurance_renewal"], ["zh_CN"]
        )
        self.agent.lang = "zh_CN"
        since = self._last_message()
        self._hand_out([(policy, self.agent, None) for policy in self.policies[:2]])
        digest = self._told(self.agent, since)
        self.assertEqual(digest.subject, "已为您分配 2 项待办")
        self.assertIn("挽留拜访", digest.body)
        self.assertIn("在“团队待办”中查看全部", digest.body)

    def test_team_members_are_told_once_per_batch(self):
        finance = self._team("finance")
        finance.notify_members = True
        other = new_test_user(
            self.env, login="team_finance_2", groups="account.group_account_invoice"
        )
        finance.member_ids = [(4, other.id)]
        since = self._last_message()
        self._hand_out([(policy, None, finance) for policy in self.policies[:3]])
        for member in (self.members["finance"], other):
            digest = self._told(member, since)
            self.assertEqual(len(digest), 1, member.login)
            self.assertEqual(digest.subject, "3 to-dos assigned to you")
            self.assertIn(f"(team {finance.name})", digest.body)
        # one to-do of the team: mail_activity_team's own message to each
        since = self._last_message()
        todo = self._hand_out([(self.policies[3], None, finance)])
        ours = self._told(other, since)
        self.assertEqual(len(ours), 1)
        since = self._last_message()
        todo.with_user(self.specialist).action_notify_team()
        theirs = self._told(other, since)
        self.assertEqual(len(theirs), 1)
        fields = ["subject", "body", "model", "res_id", "partner_ids", "author_id"]
        self.assertEqual(
            ours.read(fields)[0] | {"id": 0}, theirs.read(fields)[0] | {"id": 0}
        )


@tagged("post_install", "-at_install")
class TestCompletionFlowsBack(TeamWorkCommon):
    def test_retention_visit_done_is_a_contact_on_the_case(self):
        case = (
            self.env["insurance.policy"]
            .with_context(clock_today=date(2024, 12, 15))
            ._open_due_renewal_cases()
        )
        self._enter_grace()
        visit = self._team_work(self.policy, "grace_entered")
        visit.with_user(self.agent).action_feedback(feedback="客户答应周五前转账")
        contact = self.policy.renewal_activity_ids[:1]
        self.assertRecordValues(
            contact,
            [
                {
                    "channel": "visit",
                    "outcome": "reached",
                    "user_id": self.agent.id,
                    "lead_id": case.id,
                    "note": "客户答应周五前转账",
                }
            ],
        )
        told = case.message_ids.filtered(
            lambda message: self.specialist.partner_id in message.partner_ids
        )
        self.assertEqual(len(told), 1)
        self.assertIn("客户答应周五前转账", str(told.body))
        self.assertIn(self.agent.name, str(told.body))

    def test_finance_done_tells_the_specialist_on_the_policy(self):
        work = self.env["insurance.assignment.rule"]._fire("debit_failed", self.policy)
        finance = self.members["finance"]
        work.with_user(finance).action_take_team_work()
        work.with_user(finance).action_feedback(feedback="已联系银行更新卡号")
        self.assertFalse(work.active)
        told = self.policy.message_ids.filtered(
            lambda message: self.specialist.partner_id in message.partner_ids
        )
        self.assertIn("已联系银行更新卡号", str(told.body))
        # The policy is told again next time: the event may fire anew.
        self.assertTrue(
            self.env["insurance.assignment.rule"]._fire("debit_failed", self.policy)
        )


@tagged("post_install", "-at_install")
class TestComplaints(TeamWorkCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.holder.write({"email": "zhang.wei@example.com"})
        cls.case = (
            cls.env["insurance.policy"]
            .with_context(clock_today=date(2024, 12, 15))
            ._open_due_renewal_cases()
        )

    def _complain(self, user=None):
        action = self.case.action_view_renewal_tickets()
        return (
            self.env["helpdesk.ticket"]
            .with_user(user or self.members["customer_service"])
            .with_context(**action["context"])
            .create({"name": "投诉：提醒短信太多", "description": "一周三条短信"})
        )

    def _send_on(self, day):
        with freeze_time(f"{day} 02:00:00"):
            self._call_in_cron_cursor(
                "insurance.reminder.engine", "_cron_send_reminders"
            )

    def _logs(self):
        return self.env["insurance.reminder.log"].search(
            [("policy_id", "=", self.policy.id)]
        )

    def test_open_complaint_holds_reminders_until_resolved(self):
        ticket = self._complain()
        self.assertRecordValues(
            ticket,
            [
                {
                    "insurance_policy_id": self.policy.id,
                    "insurance_lead_id": self.case.id,
                    "partner_id": self.holder.id,
                    "insurance_kind": "complaint",
                }
            ],
        )
        self.assertEqual(self.case.renewal_ticket_count, 1)
        self.assertTrue(self.policy.reminder_complaint_hold)
        self.assertIn(ticket.number, self.case.renewal_complaint_hold_reason)
        work = self._team_work(ticket, "complaint")
        self.assertEqual(work.team_id, self._team("customer_service"))
        # The first reminder step (60 days ahead) is due: nothing goes out.
        self._send_on("2024-12-02")
        self.assertFalse(self._logs())
        ticket.with_user(self.members["customer_service"]).stage_id = self.env.ref(
            "helpdesk_mgmt.helpdesk_ticket_stage_done"
        )
        self.assertFalse(self.policy.reminder_complaint_hold)
        self.assertFalse(self.case.renewal_complaint_hold_reason)
        self.assertIn(
            "resume", " ".join(self.policy.message_ids.mapped("body")).lower()
        )
        self._send_on("2024-12-03")
        self.assertEqual(len(self._logs()), 1)

    def test_a_ticket_belongs_to_the_company_of_its_policy(self):
        other = self.env["res.company"].create({"name": "另一家保险公司"})
        ticket = (
            self.env["helpdesk.ticket"]
            .with_company(other)
            .create(
                {
                    "name": "咨询缴费方式",
                    "description": "可以改为银行代扣吗",
                    "insurance_kind": "question",
                    "insurance_policy_id": self.policy.id,
                }
            )
        )
        self.assertEqual(ticket.company_id, self.policy.company_id)
        self.assertEqual(self.case.renewal_ticket_count, 1)

    def test_a_question_holds_nothing(self):
        ticket = self._complain(user=self.specialist)
        ticket.insurance_kind = "question"
        self.assertFalse(self.policy.reminder_complaint_hold)
        self._send_on("2024-12-02")
        self.assertEqual(len(self._logs()), 1)


@tagged("post_install", "-at_install")
class TestProductDocuments(TeamWorkCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.holder.write({"email": "zhang.wei@example.com"})
        cls.case = (
            cls.env["insurance.policy"]
            .with_context(clock_today=date(2024, 12, 15))
            ._open_due_renewal_cases()
        )
        cls.terms = cls.env["ir.attachment"].create(
            {"name": "鑫福年年条款.pdf", "datas": base64.b64encode(b"%PDF terms")}
        )
        cls.summary = cls.env["ir.attachment"].create(
            {"name": "产品说明书.pdf", "datas": base64.b64encode(b"%PDF summary")}
        )

    def test_documents_mailed_in_one_click_and_logged_as_a_contact(self):
        with self.assertRaisesRegex(UserError, "no documents"):
            self.case.with_user(self.specialist).action_send_product_documents()
        self.product.document_ids = self.terms | self.summary
        self.case.with_user(self.specialist).action_send_product_documents()
        contact = self.case.renewal_activity_ids[:1]
        self.assertRecordValues(
            contact,
            [{"channel": "email", "outcome": "sent", "user_id": self.specialist.id}],
        )
        self.assertIn("产品说明书.pdf", contact.note)
        queued = (
            self.env["mail.mail"]
            .search([("model", "=", "crm.lead"), ("res_id", "=", self.case.id)])
            .filtered(lambda mail: self.holder in mail.recipient_ids)
        )
        self.assertEqual(queued.state, "outgoing", "Queued, not sent at once.")
        mailbox = self._loopback_mailbox()
        self._deliver_queues()
        message = next(
            message
            for recipients, message in mailbox.messages
            if recipients == ["zhang.wei@example.com"]
        )
        self.assertEqual(
            sorted(part.get_filename() for part in message.iter_attachments()),
            ["产品说明书.pdf", "鑫福年年条款.pdf"],
        )
        with self.assertRaises(AccessError):
            self.case.with_user(self.agent).action_send_product_documents()

    def test_no_email_says_so(self):
        self.product.document_ids = self.terms
        self.holder.email = False
        with self.assertRaisesRegex(UserError, "no valid email"):
            self.case.with_user(self.specialist).action_send_product_documents()

    def test_ask_the_sales_rep_for_a_visit(self):
        self.case.with_user(self.specialist).action_request_explanation_visit()
        visit = self._team_work(self.policy, "visit_request")
        self.assertEqual(visit.user_id, self.agent)
        with self.assertRaisesRegex(UserError, "already asked"):
            self.case.with_user(self.specialist).action_request_explanation_visit()
