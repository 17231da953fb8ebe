from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import SQL


def text_html(text):
    """``text`` as HTML that shows it as written: what a customer, a payer or
    an import wrote is never read as markup (links, images), nor made links."""
    return Markup("<p>%s</p>") % Markup("<br/>").join(text.splitlines())


# The events that hand renewal work to another team. Other parts of the addon
# fire them with ``insurance.assignment.rule._fire(event_code, records)``.
EVENTS = [
    ("grace_entered", "Policy Entered Grace"),
    ("visit_request", "Visit Requested to Explain the Product"),
    ("debit_failed", "Bank Debit Failed"),
    ("mandate_missing", "Debit Mandate Missing"),
    ("receipt_unmatched", "Receipt Not Matched"),
    ("loan_payout", "Loan Payout"),
    ("surrender_payout", "Surrender Payout"),
    ("reinstatement_review", "Reinstatement Review"),
    ("policy_change", "Policy Change"),
    ("complaint", "Complaint"),
    ("red_flag", "Red Flag"),
    ("orphan_policy", "Orphan Policy"),
]


class InsuranceAssignmentRule(models.Model):
    """Which event creates which activity for whom, with its deadline."""

    _name = "insurance.assignment.rule"
    _description = "Team Assignment Rule"
    _order = "event_code, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    event_code = fields.Selection(EVENTS, string="Event", required=True, index=True)
    activity_type_id = fields.Many2one("mail.activity.type", required=True)
    summary = fields.Char(
        translate=True,
        help="The activity's summary; when empty, each reader sees the activity "
        "type's name in their language.",
    )
    assign_to = fields.Selection(
        [
            ("team", "The Team"),
            ("sales_rep", "The Policy's Sales Rep, Else the Team"),
            ("manager", "The Renewal Manager"),
        ],
        required=True,
        default="team",
    )
    team_id = fields.Many2one(
        "mail.activity.team",
        help="Any member of this team can pick the activity up from its queue.",
    )
    deadline_days = fields.Integer(
        string="Deadline (days)", default=2, help="Days from the event to the deadline."
    )
    company_id = fields.Many2one(
        "res.company", help="Leave empty for a rule of every company."
    )

    _deadline_days_positive = models.Constraint(
        "CHECK(deadline_days >= 0)", "The deadline cannot be before the event."
    )
    _team_required = models.Constraint(
        "CHECK(assign_to = 'manager' OR team_id IS NOT NULL)",
        "A rule that assigns to a team, or to the sales rep else the team, needs "
        "its team.",
    )

    @api.model
    def _fire(self, event_code, records, note=None, summary=None):
        """Create the activities the active rules of ``event_code`` ask for on
        ``records``, in one go; return them.

        ``note`` is a text, or a ``{record id: text}`` mapping; ``summary``
        replaces the rules' own. A record that still
        has an open activity of this event gets no second one, so firing again
        (a rerun, a second worker) changes nothing. Activities are the addon's
        to create: whoever triggered the event (a finance user, the nightly
        clock) may not write the policy, hence superuser here.
        """
        records = records.sudo().exists()
        rules = self.sudo().search([("event_code", "=", event_code)])
        if not records or not rules:
            return self.env["mail.activity"]
        self._mark_fired_for_other_workers(records)
        targets = records - self._open_team_work(records, event_code)
        vals_list = []
        for record in targets:
            policy = self._policy_of(record)
            company = policy.company_id
            if "company_id" in record._fields:
                company = record.company_id
            # Read by everyone of the team: in the company's language.
            lang = (company or self.env.company).partner_id.lang or self.env.lang
            vals_list += [
                rule.with_context(lang=lang)._activity_vals(
                    record, policy, event_code, note, summary, company
                )
                for rule in rules
                if not rule.company_id or rule.company_id == company
            ]
        # Their "assigned to you" emails wait in Odoo's mail queue: a batch
        # (the clock, an import, a bank file) does not send them one by one;
        # they are notified together rather than by Odoo's one-by-one
        # action_notify at creation, and only those given to someone: Odoo
        # would render the message of a team's to-do (no user) too, for nobody
        # (a bank file leaves thousands in the suspense queue).
        activities = (
            self.env["mail.activity"].sudo().with_context(mail_notify_force_send=False)
        )
        created = activities.with_context(mail_activity_quick_update=True).create(
            vals_list
        )
        created.with_env(activities.env)._insurance_notify_assigned()
        return created

    @api.model
    def _mark_fired_for_other_workers(self, records):
        """Rewrite the records' rows as they are before looking for their open
        activities: a worker that fires the same event on them with a snapshot
        older than this transaction's commit would not see this activity and
        create a second one; with this, its own rewrite fails to serialize and
        its work is retried on a fresh snapshot (a web request by Odoo, a batch by
        _run_retrying_on_concurrency), which finds the activity."""
        self.env.cr.execute(
            SQL(
                "UPDATE %s SET write_date = write_date WHERE id IN %s",
                SQL.identifier(records._table),
                tuple(records.ids),
            ),
            log_exceptions=False,
        )

    @api.model
    def _open_team_activities(self, records, event_code):
        """The open activities of ``event_code`` on ``records``."""
        return (
            self.env["mail.activity"]
            .sudo()
            .search(
                [
                    ("res_model", "=", records._name),
                    ("res_id", "in", records.ids),
                    ("insurance_event_code", "=", event_code),
                ]
            )
        )

    @api.model
    def _open_team_work(self, records, event_code):
        """Return those of ``records`` with an open activity of ``event_code``."""
        activities = self._open_team_activities(records, event_code)
        return records.browse(set(activities.mapped("res_id")))

    @api.model
    def _policy_of(self, record):
        """The policy a team's work is about: the record, or the policy it names."""
        if record._name == "insurance.policy":
            return record
        for name in ("insurance_policy_id", "policy_id"):
            if record._fields.get(name) and record._fields[name].comodel_name == (
                "insurance.policy"
            ):
                return record[name]
        return self.env["insurance.policy"]

    def _activity_vals(
        self, record, policy, event_code, note, summary=None, company=None
    ):
        self.ensure_one()
        user, team = self._assignee(policy, company)
        if isinstance(note, dict):
            note = note.get(record.id)
        if note and not isinstance(note, Markup):
            # A text note quotes what outsiders wrote (a transfer's memo, a
            # customer's name): shown as text, never read as HTML.
            note = text_html(note)
        return {
            "res_model_id": self.env["ir.model"]._get_id(record._name),
            "res_id": record.id,
            "activity_type_id": self.activity_type_id.id,
            # Empty: each reader sees the activity type's name in their language.
            "summary": summary or self.summary or False,
            "note": note or False,
            "date_deadline": fields.Date.context_today(self)
            + timedelta(days=self.deadline_days),
            "user_id": user.id,
            "team_id": team.id,
            "insurance_event_code": event_code,
            "insurance_rule_id": self.id,
        }

    def _assignee(self, policy, company=None):
        """Return ``(user, team)``: a person, or a team whose members pick it up.
        ``company``: the record's, when it has no policy."""
        if self.assign_to == "manager":
            return self._manager_of(
                policy.company_id or company or self.company_id
            ), self.env["mail.activity.team"]
        rep = policy.user_id
        if self.assign_to == "sales_rep" and rep.active:
            team = (
                self.team_id
                if rep in self.team_id.member_ids
                else self.team_id.browse()
            )
            return rep, team
        return self.env["res.users"], self.team_id

    def _manager_of(self, company):
        """The renewal manager a *Manager* rule gives its to-do to: the Renewals
        team's leader, else the first renewal manager, of ``company`` when the
        record has one. Never one of another company, who could not open the
        record and should not read what the to-do quotes of it: with nobody
        there, the to-do waits unassigned on the record."""
        team = self.env.ref("insurance_renewal.crm_team_renewals")
        owner = self.env["crm.lead"]._renewal_fallback_owner(team, company)
        if company and company not in owner.company_ids:
            return self.env["res.users"]
        return owner
