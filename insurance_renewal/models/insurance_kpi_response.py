from odoo import fields, models
from odoo.tools import SQL

# A contact or reminder counts as followed by a payment within this many days.
PAID_WITHIN_DAYS = 60
REACHED_OUTCOMES = ("reached", "promised", "refused", "paid", "callback")
# The reminder steps that are messages the customer received: a call or letter
# step only gives the specialist a to-do (the call, once made, is a contact).
SENT_CHANNELS = ("email", "sms", "demand")


class InsuranceKpiResponse(models.Model):
    """What works: every contact a specialist logged and every reminder message
    sent (email, SMS, formal demand; not the to-dos of call and letter steps),
    with whether a renewal premium was paid afterwards and how fast.

    A contact is followed by a payment when a renewal premium of its policy is paid
    on the day of the contact or within the next 60 days; a reminder, when the very
    instalment it reminded of is. The contact rate is the share of logged contacts
    that reached the customer; a promise is kept when a renewal premium of the
    policy is paid between the contact and the promised date.
    """

    _name = "insurance.kpi.response"
    _inherit = "insurance.kpi.mixin"
    _auto = False
    _description = "Renewal KPI: What Works"
    _order = "date desc"
    _rec_name = "policy_id"
    _kpi_ratios = {
        "contact_rate": ("reached_count", "attempt_count"),
        "promise_kept_rate": ("promise_kept_count", "promise_due_count"),
        "paid_after_rate": ("paid_after_count", "attempt_count"),
    }
    _kpi_until_today = {
        "promise_due_count": "promised_date",
        "promise_kept_count": "promised_date",
    }

    source = fields.Selection(
        [("contact", "Contact by a Specialist"), ("reminder", "Reminder Step")],
        readonly=True,
    )
    date = fields.Date(readonly=True)
    policy_id = fields.Many2one("insurance.policy", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    product_id = fields.Many2one("insurance.product", readonly=True)
    payment_method = fields.Selection("_selection_payment_method", readonly=True)
    channel = fields.Selection("_selection_channel", readonly=True)
    outcome = fields.Selection("_selection_outcome", readonly=True)
    reason_id = fields.Many2one(
        "crm.lost.reason", string="Reason for Not Paying", readonly=True
    )
    step_id = fields.Many2one(
        "insurance.reminder.step", string="Reminder Step", readonly=True
    )
    user_id = fields.Many2one("res.users", string="Contacted By", readonly=True)
    specialist_id = fields.Many2one(
        "res.users", string="Renewal Specialist", readonly=True
    )
    team_id = fields.Many2one("crm.team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    promised_date = fields.Date(readonly=True)
    attempt_count = fields.Integer(string="Contacts", readonly=True)
    reached_count = fields.Integer(string="Reached", readonly=True)
    contact_rate = fields.Float(
        string="Contact Rate (%)", readonly=True, aggregator="avg"
    )
    promise_due_count = fields.Integer(
        string="Promises Due",
        readonly=True,
        help="Promises to pay whose promised date has passed.",
    )
    promise_kept_count = fields.Integer(string="Promises Kept", readonly=True)
    promise_kept_rate = fields.Float(
        string="Promise-kept Rate (%)", readonly=True, aggregator="avg"
    )
    paid_after_count = fields.Integer(string="Paid Afterwards", readonly=True)
    paid_after_rate = fields.Float(
        string="Paid Afterwards (%)", readonly=True, aggregator="avg"
    )
    days_to_pay = fields.Float(
        string="Days to Payment", readonly=True, aggregator="avg"
    )

    def _selection_channel(self):
        activity = self.env["insurance.renewal.activity"]._fields["channel"]
        step = self.env["insurance.reminder.step"]._fields["channel"]
        channels = dict(step._description_selection(self.env))
        channels.update(activity._description_selection(self.env))
        return list(channels.items())

    def _selection_outcome(self):
        field = self.env["insurance.renewal.activity"]._fields["outcome"]
        return field._description_selection(self.env)

    def init(self):
        self._kpi_create_view(
            SQL(
                """
            SELECT a.id * 2 AS id, 'contact' AS source, a.date::date AS date,
                   a.policy_id, a.partner_id, p.product_id, p.payment_method,
                   a.channel, a.outcome, a.reason_id, NULL::integer AS step_id,
                   a.user_id, p.specialist_id, u.sale_team_id AS team_id,
                   p.company_id, a.promised_date, 1 AS attempt_count,
                   CASE WHEN a.outcome IN %(reached)s THEN 1 ELSE 0 END
                       AS reached_count,
                   CASE WHEN a.outcome IN %(reached)s THEN 100.0 ELSE 0 END
                       AS contact_rate,
                   CASE WHEN a.outcome = 'promised' THEN 1 ELSE 0 END
                       AS promise_due_count,
                   CASE WHEN a.outcome = 'promised' AND paid.first_paid
                             <= a.promised_date THEN 1 ELSE 0 END
                       AS promise_kept_count,
                   CASE WHEN a.outcome = 'promised' AND paid.first_paid
                             <= a.promised_date THEN 100.0 ELSE 0 END
                       AS promise_kept_rate,
                   CASE WHEN paid.first_paid IS NULL THEN 0 ELSE 1 END
                       AS paid_after_count,
                   CASE WHEN paid.first_paid IS NULL THEN 0 ELSE 100.0 END
                       AS paid_after_rate,
                   paid.first_paid - a.date::date AS days_to_pay
              FROM insurance_renewal_activity a
              JOIN insurance_policy p ON p.id = a.policy_id
              LEFT JOIN res_users u ON u.id = p.specialist_id
              LEFT JOIN LATERAL (
                   SELECT MIN(l.date_paid) AS first_paid
                     FROM insurance_premium_line l
                    WHERE l.policy_id = a.policy_id AND l.installment_number > 1
                      AND l.state = 'paid' AND l.date_paid >= a.date::date
                      AND l.date_paid <= a.date::date + %(within)s
              ) AS paid ON TRUE
             WHERE a.kind = 'contact'
            UNION ALL
            SELECT r.id * 2 + 1, 'reminder', r.date::date, r.policy_id,
                   r.partner_id, p.product_id, p.payment_method, r.channel,
                   'sent', NULL, r.step_id, NULL, p.specialist_id,
                   u.sale_team_id, p.company_id, NULL, 1, 0, 0, 0, 0, 0,
                   CASE WHEN paid.first_paid IS NULL THEN 0 ELSE 1 END,
                   CASE WHEN paid.first_paid IS NULL THEN 0 ELSE 100.0 END,
                   paid.first_paid - r.date::date
              FROM insurance_reminder_log r
              JOIN insurance_policy p ON p.id = r.policy_id
              LEFT JOIN res_users u ON u.id = p.specialist_id
              LEFT JOIN LATERAL (
                   SELECT l.date_paid AS first_paid
                     FROM insurance_premium_line l
                    WHERE l.id = r.premium_line_id AND l.state = 'paid'
                      AND l.date_paid >= r.date::date
                      AND l.date_paid <= r.date::date + %(within)s
              ) AS paid ON TRUE
             WHERE r.state = 'sent' AND r.channel IN %(messages)s
                """,
                reached=REACHED_OUTCOMES,
                within=PAID_WITHIN_DAYS,
                messages=SENT_CHANNELS,
            )
        )
