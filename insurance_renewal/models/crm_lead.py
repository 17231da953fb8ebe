from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.fields import Command, Domain
from odoo.tools import SQL, float_round, format_amount, format_date

from ..lib import options, risk, schedule, servicing
from .insurance_policy import RED_FLAG_READERS, REPORTED_DATA_GROUPS

UNREACHABLE_OUTCOMES = ("wrong_number", "undeliverable")
RENEWAL_USER = "insurance_renewal.group_insurance_renewal_user"
OPEN_CASE = Domain("active", "=", True) & Domain("won_status", "=", "pending")
# What may turn a won or lost case back into an open one.
REOPENING_FIELDS = {"active", "stage_id", "probability"}
# The instalments a case covers: written for a whole batch of cases at once.
LINES_FIELD = "insurance_premium_line_ids"
# A case is lost, unpaid, when its policy is suspended or ended.
LOSING_STATES = ("lapsed", "terminated")
# The nightly figures of a case, written in one statement for a batch of cases,
# with their SQL type.
FIGURE_COLUMNS = {
    "renewal_amount_due": "numeric",
    "expected_revenue": "numeric",
    "renewal_due_date": "date",
    "date_deadline": "date",
    "renewal_grace_end_date": "date",
    "renewal_last_activity_id": "int",
    "renewal_promised_date": "date",
    "renewal_promised_amount": "numeric",
    "renewal_promise_broken": "bool",
    "renewal_unreachable": "bool",
    "renewal_risk_score": "int",
    "renewal_risk_codes": "varchar",
}
# What the facts of open cases give, for a batch of cases at once: the instalments
# each covers (those it covers already, and its policy's unpaid ones already due or
# due within the case window), their unpaid total and dates, the case's contacts,
# the policy's late payments; beside what the case shows now.
FACTS_SQL = """
WITH cases AS (
    SELECT c.id, c.insurance_policy_id AS policy_id
      FROM crm_lead c
     WHERE c.id = ANY(%(ids)s)
), covered AS (
    SELECT c.id AS case_id, l.id AS line_id
      FROM cases c
      JOIN insurance_premium_line l ON l.policy_id = c.policy_id
     WHERE l.state = ANY(%(covered)s)
        OR (l.state = %(planned)s AND l.due_date <= %(window_end)s)
     UNION
    SELECT r.crm_lead_id, r.insurance_premium_line_id
      FROM crm_lead_insurance_premium_line_rel r
      JOIN cases c ON c.id = r.crm_lead_id
), lines AS (
    SELECT v.case_id,
           array_agg(l.id ORDER BY l.id) AS line_ids,
           count(*) AS covered_count,
           sum(l.amount_residual) FILTER (WHERE l.state <> ALL(%(settled)s))
               AS amount_due,
           min(l.due_date) FILTER (WHERE l.state <> ALL(%(settled)s)) AS due,
           -- the last day of cover: the grace end, or a demand's 30th day
           min(l.lapse_date - 1) FILTER (WHERE l.state <> ALL(%(settled)s))
               AS grace_end,
           min(l.lapse_date - 1) FILTER (WHERE l.state <> ALL(%(settled)s)
                                           AND l.due_date < %(today)s)
               AS past_due_grace_end,
           min(l.policy_year) FILTER (WHERE l.state <> ALL(%(settled)s)) AS min_year,
           count(*) FILTER (WHERE l.state <> ALL(%(settled)s)) AS unpaid_count,
           bool_or(l.demand_date IS NOT NULL)
               FILTER (WHERE l.state <> ALL(%(settled)s)) AS demand,
           bool_or(l.amount_paid <> 0) AS collected
      FROM covered v
      JOIN insurance_premium_line l ON l.id = v.line_id
     GROUP BY v.case_id
), linked AS (
    SELECT r.crm_lead_id AS case_id, count(*) AS linked_count
      FROM crm_lead_insurance_premium_line_rel r
      JOIN cases c ON c.id = r.crm_lead_id
     GROUP BY r.crm_lead_id
), contacts AS (
    SELECT a.lead_id AS case_id,
           count(*) FILTER (WHERE a.outcome = 'no_answer') AS unanswered,
           count(*) FILTER (WHERE a.outcome = 'promised'
                              AND a.promised_date < %(today)s) AS broken,
           (array_agg(a.id ORDER BY a.date DESC, a.id DESC))[1] AS last_id,
           (array_agg(a.outcome ORDER BY a.date DESC, a.id DESC))[1] AS last_outcome,
           (array_agg(a.promised_date ORDER BY a.date DESC, a.id DESC)
               FILTER (WHERE a.outcome = 'promised'))[1] AS promised_date,
           (array_agg(a.promised_amount ORDER BY a.date DESC, a.id DESC)
               FILTER (WHERE a.outcome = 'promised'))[1] AS promised_amount,
           (array_agg(a.reason_id ORDER BY a.date DESC, a.id DESC)
               FILTER (WHERE a.reason_id IS NOT NULL))[1] AS reason_id
      FROM insurance_renewal_activity a
      JOIN cases c ON c.id = a.lead_id
     GROUP BY a.lead_id
), reminders AS (
    -- a case is reminded when the latest reminder of some channel reached the
    -- customer: not one skipped for want of an address, bounced or undelivered
    SELECT r.lead_id AS case_id, bool_or(r.outcome = 'sent') AS reminded
      FROM (SELECT DISTINCT ON (a.lead_id, a.channel) a.lead_id, a.outcome
              FROM insurance_renewal_activity a
              JOIN cases c ON c.id = a.lead_id
             WHERE a.kind = 'reminder'
             ORDER BY a.lead_id, a.channel, a.date DESC, a.id DESC) r
     GROUP BY r.lead_id
), late AS (
    SELECT l.policy_id, count(*) AS late
      FROM insurance_premium_line l
     WHERE l.policy_id IN (SELECT policy_id FROM cases)
       AND l.date_paid > l.due_date
     GROUP BY l.policy_id
)
SELECT c.id, c.stage_id, p.state AS policy_state, p.payment_method,
       p.currency_id AS policy_currency_id, co.currency_id AS company_currency_id,
       ln.line_ids, COALESCE(ln.covered_count, 0) AS covered_count,
       COALESCE(lk.linked_count, 0) AS linked_count, ln.amount_due, ln.due,
       ln.grace_end, ln.past_due_grace_end, ln.min_year,
       COALESCE(ln.unpaid_count, 0) AS unpaid_count,
       COALESCE(ln.demand, false) AS demand,
       COALESCE(ln.collected, false) AS collected,
       COALESCE(ct.unanswered, 0) AS unanswered, COALESCE(ct.broken, 0) AS broken,
       COALESCE(rm.reminded, false) AS reminded, ct.last_id, ct.last_outcome,
       ct.promised_date, ct.promised_amount, ct.reason_id,
       COALESCE(lt.late, 0) AS late,
       c.renewal_amount_due AS old_renewal_amount_due,
       c.expected_revenue AS old_expected_revenue,
       c.renewal_due_date AS old_renewal_due_date,
       c.date_deadline AS old_date_deadline,
       c.renewal_grace_end_date AS old_renewal_grace_end_date,
       c.renewal_last_activity_id AS old_renewal_last_activity_id,
       c.renewal_promised_date AS old_renewal_promised_date,
       c.renewal_promised_amount AS old_renewal_promised_amount,
       c.renewal_promise_broken AS old_renewal_promise_broken,
       c.renewal_unreachable AS old_renewal_unreachable,
       c.renewal_risk_score AS old_renewal_risk_score,
       c.renewal_risk_codes AS old_renewal_risk_codes
  FROM crm_lead c
  JOIN insurance_policy p ON p.id = c.insurance_policy_id
  LEFT JOIN res_company co ON co.id = c.company_id
  LEFT JOIN lines ln ON ln.case_id = c.id
  LEFT JOIN linked lk ON lk.case_id = c.id
  LEFT JOIN contacts ct ON ct.case_id = c.id
  LEFT JOIN reminders rm ON rm.case_id = c.id
  LEFT JOIN late lt ON lt.policy_id = c.insurance_policy_id
 WHERE c.id = ANY(%(ids)s)
"""


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "insurance.tracking.batch.mixin"]

    insurance_policy_id = fields.Many2one(
        "insurance.policy",
        string="Policy",
        index=True,
        ondelete="restrict",
        check_company=True,
    )
    insurance_claim_ids = fields.One2many(
        related="insurance_policy_id.claim_ids", groups=REPORTED_DATA_GROUPS
    )
    insurance_event_ids = fields.One2many(
        related="insurance_policy_id.event_ids", groups=REPORTED_DATA_GROUPS
    )
    insurance_premium_line_ids = fields.Many2many(
        "insurance.premium.line", string="Instalments", copy=False
    )
    renewal_activity_ids = fields.One2many(
        "insurance.renewal.activity", "lead_id", string="Contacts"
    )
    is_renewal_case = fields.Boolean(
        compute="_compute_is_renewal_case",
        help="A case of the Renewals team: the form shows the renewal, not the sale.",
    )
    is_my_renewal_case = fields.Boolean(
        string="My Case",
        compute="_compute_is_my_renewal_case",
        search="_search_is_my_renewal_case",
        help="For the renewal team, a case assigned to you; for a sales rep, a case "
        "of a policy or customer of yours.",
    )
    renewal_product_id = fields.Many2one(
        related="insurance_policy_id.product_id", string="Product"
    )
    renewal_payer_id = fields.Many2one(
        related="insurance_policy_id.payer_id", string="Payer"
    )
    renewal_payment_method = fields.Selection(
        related="insurance_policy_id.payment_method", string="Payment Method"
    )
    renewal_demand_date = fields.Date(
        string="Demand Delivered",
        compute="_compute_renewal_demand_date",
        help="The formal payment demand (催告) of the unpaid premium, if any.",
    )
    renewal_currency_id = fields.Many2one(
        related="insurance_policy_id.currency_id", string="Policy Currency"
    )
    renewal_amount_due = fields.Monetary(
        string="Amount Due", currency_field="renewal_currency_id", readonly=True
    )
    renewal_due_date = fields.Date(string="Premium Due Date", readonly=True)
    renewal_grace_end_date = fields.Date(
        string="Grace Ends",
        readonly=True,
        help="The last day of cover of the earliest unpaid premium: the end of its "
        "grace period, or the 30th day after a formal demand delivered earlier.",
    )
    renewal_days_left = fields.Integer(
        string="Days Left in Grace", compute="_compute_renewal_days_left"
    )
    renewal_last_outcome = fields.Selection(
        related="renewal_last_activity_id.outcome", string="Last Contact Outcome"
    )
    renewal_last_activity_id = fields.Many2one(
        "insurance.renewal.activity", string="Last Contact", readonly=True
    )
    renewal_promised_date = fields.Date(
        string="Promised Date", readonly=True, index="btree_not_null"
    )
    renewal_promised_amount = fields.Monetary(
        string="Promised Amount", currency_field="renewal_currency_id", readonly=True
    )
    renewal_promise_broken = fields.Boolean(string="Broken Promise", readonly=True)
    renewal_unreachable = fields.Boolean(string="Unreachable", readonly=True)
    renewal_risk_score = fields.Integer(
        string="Lapse Risk", readonly=True, aggregator="avg"
    )
    renewal_risk_codes = fields.Char(
        string="Lapse Risk Codes",
        readonly=True,
        help="The reasons of the score as stored by the refresh: key:points, ...",
    )
    renewal_risk_reasons = fields.Text(
        string="Lapse Risk Reasons", compute="_compute_renewal_risk_reasons"
    )
    renewal_customer_warning = fields.Char(compute="_compute_renewal_customer_warning")
    renewal_red_flag_count = fields.Integer(
        related="insurance_policy_id.red_flag_count",
        string="Open Red Flags",
        groups=RED_FLAG_READERS,
    )
    renewal_complaint_hold_reason = fields.Char(
        related="insurance_policy_id.reminder_complaint_hold_reason"
    )
    renewal_claim_hold_reason = fields.Char(
        related="insurance_policy_id.reminder_claim_hold_reason"
    )
    renewal_ticket_count = fields.Integer(
        string="Tickets", compute="_compute_renewal_ticket_count"
    )

    renewal_options_html = fields.Html(
        string="Options at Grace End",
        compute="_compute_renewal_options_html",
        sanitize=False,
        help="What each hardship option would do for this policy, from the values "
        "it holds.",
    )
    renewal_servicing_request_ids = fields.One2many(
        related="insurance_policy_id.servicing_request_ids",
        string="Servicing Requests",
        groups=RENEWAL_USER,
    )

    _one_open_case_per_policy = models.UniqueIndex(
        "(insurance_policy_id) WHERE insurance_policy_id IS NOT NULL "
        "AND active AND won_status = 'pending'",
        "A policy can only have one open renewal case.",
    )

    @api.depends("insurance_policy_id", "team_id")
    @api.depends_context("uid")
    def _compute_is_my_renewal_case(self):
        mine = self.filtered_domain(self._my_renewal_cases_domain())
        for lead in self:
            lead.is_my_renewal_case = lead in mine

    def _search_is_my_renewal_case(self, operator, value):
        if operator != "in":
            return NotImplemented
        mine = self._my_renewal_cases_domain()
        if False in value:
            return Domain.TRUE if True in value else ~mine
        return mine

    def _my_renewal_cases_domain(self):
        """A specialist's cases are those assigned to them; a sales rep's, those
        of their policies and customers (what the sales rep rule lets them read),
        so that *My Cases* is not empty for them."""
        uid = self.env.uid
        if self.env.user.has_group("insurance_renewal.group_insurance_renewal_user"):
            return Domain("user_id", "=", uid)
        return Domain("insurance_policy_id.user_id", "=", uid) | Domain(
            "partner_id.user_id", "=", uid
        )

    def _compute_is_renewal_case(self):
        team = self.env.ref("insurance_renewal.crm_team_renewals", False)
        for lead in self:
            lead.is_renewal_case = bool(
                lead.insurance_policy_id or (team and lead.team_id == team)
            )

    @api.depends("insurance_premium_line_ids.demand_date")
    def _compute_renewal_demand_date(self):
        for lead in self:
            dates = lead._renewal_unpaid_lines().mapped("demand_date")
            lead.renewal_demand_date = min(filter(None, dates), default=False)

    @api.depends("renewal_grace_end_date")
    def _compute_renewal_days_left(self):
        today = fields.Date.context_today(self)
        for lead in self:
            grace_end = lead.renewal_grace_end_date
            lead.renewal_days_left = (grace_end - today).days if grace_end else 0

    @api.depends("renewal_risk_codes")
    def _compute_renewal_risk_reasons(self):
        """Render the stored reason codes in the reader's language."""
        labels = self._renewal_risk_labels()
        for lead in self:
            lines = []
            for code in (lead.renewal_risk_codes or "").split(","):
                key, _sep, points = code.partition(":")
                if key in labels:
                    lines.append(f"+{points} {labels[key]}")
            lead.renewal_risk_reasons = "\n".join(lines) or False

    @api.depends("insurance_policy_id")
    def _compute_renewal_ticket_count(self):
        counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("insurance_policy_id", "in", self.insurance_policy_id.ids)],
                ["insurance_policy_id"],
                ["__count"],
            )
        )
        for lead in self:
            lead.renewal_ticket_count = counts.get(lead.insurance_policy_id, 0)

    @api.depends_context("uid", "allowed_company_ids")
    @api.depends("partner_id.renewal_status_seen", "insurance_policy_id")
    def _compute_renewal_customer_warning(self):
        messages = {
            "grace": self.env._("A premium of this customer is in its grace period."),
            "lapsed": self.env._("A policy of this customer is suspended."),
        }
        for lead in self:
            status = lead.partner_id.renewal_status_seen
            lead.renewal_customer_warning = (
                not lead.insurance_policy_id and messages.get(status) or False
            )

    @api.depends(
        "insurance_policy_id.cash_value",
        "insurance_policy_id.loan_balance",
        "insurance_policy_id.sum_assured",
        "renewal_amount_due",
    )
    def _compute_renewal_options_html(self):
        for lead in self:
            policy = lead.insurance_policy_id
            lead.renewal_options_html = (
                options.options_table(lead._renewal_options(policy))
                if policy
                else False
            )

    def _renewal_options(self, policy):
        """The options side by side: (title, premium now, future premiums, sum
        assured, loan balance, cash paid out, cover)."""
        env = self.env

        def money(amount):
            return format_amount(env, amount, policy.currency_id)

        def reported(amount):
            return money(amount) if amount else env._("Not reported")

        product = policy.product_id
        due = self.renewal_amount_due
        premium = money(policy.premium_amount)
        sum_assured = reported(policy.sum_assured)
        loan = money(policy.loan_balance)
        available = servicing.available_cash_value(
            policy.cash_value, policy.loan_balance
        )
        kept, lost = env._("Cover kept"), env._("Cover ends")
        rows = [
            (env._("Pay now"), money(due), premium, sum_assured, loan, money(0), kept),
        ]
        if product.deferral_hard_limit_days:
            rows.append(
                (
                    env._("Deferral"),
                    env._(
                        "%(amount)s, up to %(days)s days later",
                        amount=money(due),
                        days=product.deferral_max_days,
                    ),
                    premium,
                    sum_assured,
                    loan,
                    money(0),
                    kept,
                )
            )
        covers = policy.currency_id.compare_amounts(available, due) >= 0
        rows.append(
            (
                env._("Premium loan"),
                money(0) if covers else env._("Cash value too low"),
                premium,
                sum_assured,
                money(policy.loan_balance + due) if covers else loan,
                money(0),
                kept if covers else lost,
            )
        )
        rows.append(
            (
                env._("Reduced paid-up"),
                money(0),
                money(0),
                reported(policy.paid_up_sum_assured),
                loan,
                money(0),
                env._("Cover kept, reduced"),
            )
        )
        rows.append(
            (
                env._("Surrender"),
                money(0),
                money(0),
                money(0),
                money(0),
                money(available),
                lost,
            )
        )
        return [
            (
                env._("Option"),
                env._("To Pay Now"),
                env._("Future Premium"),
                env._("Sum Assured"),
                env._("Loan Balance"),
                env._("Cash Paid Out"),
                env._("Cover"),
            ),
            *rows,
        ]

    def _order_field_to_sql(self, alias, field_name, direction, nulls, query):
        """Cases without a score (none yet, or no risk point) sort after every
        scored case, whichever the direction."""
        if field_name != "renewal_risk_score":
            return super()._order_field_to_sql(
                alias, field_name, direction, nulls, query
            )
        sql_field = self._field_to_sql(alias, field_name, query)
        query._order_groupby.append(sql_field)
        return SQL("NULLIF(%s, 0) %s NULLS LAST", sql_field, direction)

    def _track_subtype(self, init_values):
        """CRM's subtype of a renewal case's change, found without a query per
        case: ``env.ref`` reads each subtype again to check that it exists, for
        every case of a nightly batch; the batch tracking checks each subtype
        once (``insurance.tracking.batch.mixin``). Same order as CRM's."""
        self.ensure_one()
        if not self.insurance_policy_id:
            return super()._track_subtype(init_values)
        if "stage_id" in init_values and self.won_status == "won":
            xmlid = "crm.mt_lead_won"
        elif "lost_reason_id" in init_values and self.lost_reason_id:
            xmlid = "crm.mt_lead_lost"
        elif "stage_id" in init_values:
            xmlid = "crm.mt_lead_stage"
        elif "won_status" in init_values:
            xmlid = "crm.mt_lead_lost" if self.won_status == "lost" else None
            xmlid = xmlid or "crm.mt_lead_restored"
        else:
            return super()._track_subtype(init_values)
        subtype_id = self.env["ir.model.data"]._xmlid_to_res_id(
            xmlid, raise_if_not_found=False
        )
        return self.env["mail.message.subtype"].browse(subtype_id or [])

    @api.model
    def _get_view_cache_key(self, view_id=None, view_type="form", **options):
        key = super()._get_view_cache_key(view_id, view_type, **options)
        return (*key, self.env.user.has_group(RENEWAL_USER))

    @api.model
    def _get_view(self, view_id=None, view_type="form", **options):
        arch, view = super()._get_view(view_id, view_type, **options)
        is_case_form = view_type == "form" and arch.xpath(
            "//field[@name='is_renewal_case']"
        )
        if is_case_form and not self.env.user.has_group(RENEWAL_USER):
            self._renewal_form_read_only(arch)
        return arch, view

    @api.model
    def _renewal_form_read_only(self, arch):
        """Sales reps read a renewal case: no button and no field invites a change
        (the record rules refuse it anyway)."""
        for node in arch.xpath("//header//button | //div[@name='button_box']/button"):
            if node.get("name") != "action_open_renewal_overview":
                node.set("invisible", _or(node.get("invisible"), "is_renewal_case"))
        for node in arch.xpath("//field[not(ancestor::field)]"):
            node.set("readonly", _or(node.get("readonly"), "is_renewal_case"))

    @api.model
    def _read_group_stage_ids(self, stages, domain):
        """The renewal pipeline shows its collection stages and nothing else."""
        if self.env.context.get("renewal_pipeline"):
            return stages.search([("renewal_step", "!=", False)], order=stages._order)
        return super()._read_group_stage_ids(stages, domain)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_renewal_history(self):
        """A renewal case is closed (won, lost or archived), never deleted: its
        contacts and reminders are the customer's history."""
        cases = self.filtered("insurance_policy_id")
        if cases and not self.env.su:
            raise UserError(
                self.env._(
                    "Renewal case %(case)s cannot be deleted: it is part of the "
                    "policy's history. Mark it lost or archive it instead.",
                    case=cases[0].name,
                )
            )

    @api.model_create_multi
    def create(self, vals_list):
        self.env["insurance.policy"].browse(
            {vals.get("insurance_policy_id") for vals in vals_list} - {False, None}
        )._mark_changed_for_other_workers()
        self._check_renewal_case_has_policy(vals_list)
        # A renewal case is a customer we know: no lead enrichment on it.
        vals_list = [
            {"iap_enrich_done": True, **vals}
            if vals.get("insurance_policy_id")
            else vals
            for vals in vals_list
        ]
        return super().create(vals_list)

    @api.model
    def _check_renewal_case_has_policy(self, vals_list):
        """A renewal-team opportunity is a renewal case: it needs its policy, and a
        policy has one open case at most."""
        team = self.env.ref("insurance_renewal.crm_team_renewals", False)
        context = self.env.context
        for vals in vals_list:
            team_id = vals.get("team_id", context.get("default_team_id"))
            kind = vals.get("type", context.get("default_type"))
            is_case = team and team_id == team.id and kind == "opportunity"
            if is_case and not vals.get("insurance_policy_id"):
                raise UserError(
                    self.env._(
                        "A renewal case needs its policy: choose the policy "
                        "whose premium is to be collected."
                    )
                )
        policy_ids = [
            v["insurance_policy_id"] for v in vals_list if v.get("insurance_policy_id")
        ]
        open_cases = self.search(
            OPEN_CASE & Domain("insurance_policy_id", "in", policy_ids)
        )
        if open_cases:
            raise UserError(
                self.env._(
                    "Policy %(policy)s already has an open renewal case, %(case)s: "
                    "work that case instead.",
                    policy=open_cases[0].insurance_policy_id.name,
                    case=open_cases[0].name,
                )
            )

    def iap_enrich(self, *, batch_size=50):
        """Odoo's lead enrichment never posts on a renewal case."""
        sales = self.filtered(lambda lead: not lead.insurance_policy_id)
        return super(CrmLead, sales).iap_enrich(batch_size=batch_size)

    def write(self, vals):
        if (
            "insurance_policy_id" in vals
            and not self.env.su
            and self.filtered(
                lambda lead: (
                    lead.insurance_policy_id.id != vals["insurance_policy_id"]
                    and lead.insurance_policy_id
                )
            )
        ):
            raise UserError(
                self.env._("A renewal case stays with the policy it was opened for.")
            )
        if "stage_id" in vals and not self._renewal_fact_update():
            stage = self.env["crm.stage"].browse(vals["stage_id"])
            self.filtered("insurance_policy_id")._check_renewal_step(stage.renewal_step)
        self._renewal_policies_reopening(vals)._mark_changed_for_other_workers()
        return super().write(vals)

    def _renewal_fact_update(self):
        """Whether the addon's own refresh moves these cases (the fact flow and
        servicing requests, as superuser): its context alone, which any caller
        can send over RPC, would win a case whose premium is unpaid."""
        return self.env.su and self.env.context.get("renewal_fact_update")

    def _renewal_policies_reopening(self, vals):
        """The policies whose closed case this write may open again (restored,
        unarchived, moved out of won), or which a case is newly attached to."""
        policies = self.env["insurance.policy"].browse(
            vals.get("insurance_policy_id") or []
        )
        if REOPENING_FIELDS & vals.keys():
            policies |= self.filtered(
                lambda lead: not (lead.active and lead.won_status == "pending")
            ).insurance_policy_id
        return policies

    def action_set_won(self):
        if not self._renewal_fact_update():
            self.filtered("insurance_policy_id")._check_renewal_step("collected")
            return super().action_set_won()
        # The fact flow wins the cases of a whole batch of payments (a bank file
        # pays thousands): CRM's own method searches the same won stages (those
        # of all the leads' teams) again for each lead. Searched once here; the
        # same stage chosen for each lead, the same writes.
        self.action_unarchive()
        won_stages = self._stage_find(domain=[("is_won", "=", True)], limit=None)
        to_stage = defaultdict(lambda: self.browse())
        for lead in self:
            to_stage[_won_stage(won_stages, lead.stage_id)] |= lead
        for stage, leads in to_stage.items():
            leads.write({"stage_id": stage.id, "probability": 100})
        return True

    def action_log_renewal_contact(self):
        self.ensure_one()
        return self.insurance_policy_id.with_context(
            default_lead_id=self.id
        ).action_log_renewal_contact()

    def action_open_renewal_overview(self):
        self.ensure_one()
        return self.partner_id.action_open_renewal_overview()

    def action_new_servicing_request(self):
        """Open a servicing request for the case's policy, of the button's kind."""
        self.ensure_one()
        return self.insurance_policy_id.with_context(
            servicing_lead_id=self.id
        ).action_new_servicing_request()

    def action_view_renewal_tickets(self):
        """The customer service tickets about this case's policy; a new one is
        linked to the case, its policy and customer."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "insurance_renewal.helpdesk_ticket_renewal_action"
        )
        action["domain"] = [("insurance_policy_id", "=", self.insurance_policy_id.id)]
        action["context"] = {
            "default_insurance_lead_id": self.id,
            "default_insurance_policy_id": self.insurance_policy_id.id,
            "default_partner_id": self.partner_id.id,
            "default_insurance_kind": "complaint",
        }
        return action

    def action_view_red_flags(self):
        self.ensure_one()
        return self.insurance_policy_id.action_view_red_flags()

    def action_send_product_documents(self):
        """Email the product's terms and summary to the customer (queued), and
        log it as a contact."""
        self.ensure_one()
        self.check_access("write")
        policy = self.insurance_policy_id
        documents = policy.product_id.sudo().document_ids
        if not documents:
            raise UserError(
                self.env._(
                    "Product %(product)s has no documents to send: a renewal manager "
                    "attaches its terms and summary on the product first.",
                    product=policy.product_id.display_name,
                )
            )
        customer = self.partner_id or policy.partner_id
        if not customer.email or customer.email_invalid:
            raise UserError(
                self.env._(
                    "%(customer)s has no valid email address: correct it, or ask the "
                    "sales rep for a visit to explain the product.",
                    customer=customer.display_name,
                )
            )
        names = ", ".join(documents.mapped("name"))
        self.with_context(mail_notify_force_send=False).message_post(
            subject=self.env._(
                "Your policy %(policy)s: %(product)s",
                policy=policy.name,
                product=policy.product_id.name,
            ),
            body=self.env._(
                "Dear %(customer)s, as promised, please find attached the documents "
                "of your policy %(policy)s (%(product)s): %(documents)s.",
                customer=customer.name,
                policy=policy.name,
                product=policy.product_id.name,
                documents=names,
            ),
            partner_ids=customer.ids,
            attachments=[(doc.name, doc.raw) for doc in documents],
            message_type="comment",
            subtype_xmlid="mail.mt_comment",
        )
        self.env["insurance.renewal.activity"].create(
            {
                "policy_id": policy.id,
                "lead_id": self.id,
                "partner_id": customer.id,
                "channel": "email",
                "outcome": "sent",
                "note": self.env._(
                    "Product documents sent: %(documents)s", documents=names
                ),
            }
        )
        return True

    def action_request_explanation_visit(self):
        """Ask the sales rep (else the Sales team) to visit the customer and
        explain the product, through the assignment rules."""
        self.ensure_one()
        self.check_access("write")
        activities = self.env["insurance.assignment.rule"]._fire(
            "visit_request",
            self.insurance_policy_id,
            note=self.env._(
                "Case %(case)s: the customer does not understand or doubts the "
                "product; please visit and explain it.",
                case=self.name,
            ),
        )
        if not activities:
            raise UserError(
                self.env._(
                    "A visit to explain the product is already asked for, or no "
                    "assignment rule hands it to anyone."
                )
            )
        return True

    def action_open_insurance_policy(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "insurance.policy",
            "res_id": self.insurance_policy_id.id,
            "view_mode": "form",
        }

    # Facts ----------------------------------------------------------------

    def _check_renewal_step(self, step):
        """Refuse to put a case in a stage its facts contradict."""
        for lead in self:
            unpaid = lead._renewal_unpaid_lines()
            if step == "collected" and unpaid:
                raise UserError(
                    self.env._(
                        "Case %(case)s still has %(amount)s unpaid: it moves to "
                        "Collected by itself once the premium is paid.",
                        case=lead.name,
                        amount=format_amount(
                            self.env, lead.renewal_amount_due, lead.renewal_currency_id
                        ),
                    )
                )
            if step == "demand" and not unpaid.filtered("demand_date"):
                raise UserError(
                    self.env._(
                        "Case %(case)s has no formal payment demand recorded yet.",
                        case=lead.name,
                    )
                )
            if step == "grace" and not unpaid.filtered(
                lambda line: line.state in (schedule.GRACE, schedule.LAPSED)
            ):
                raise UserError(
                    self.env._(
                        "Case %(case)s is not past its due date: it cannot be in "
                        "grace collection yet.",
                        case=lead.name,
                    )
                )

    def _renewal_unpaid_lines(self):
        self.ensure_one()
        return self.insurance_premium_line_ids.filtered(
            lambda line: line.state not in schedule.SETTLED_STATES
        )

    def _insurance_refresh_from_facts(self):
        """Bring open renewal cases in line with their policy: instalments covered,
        amounts, contacts, risk, stage; win them when paid, lose them when the policy
        is suspended.

        Called by ``insurance.fact.flow`` only, once per unit of work for every
        case whose facts changed: mark a case there rather than calling this.
        Set-based: the facts of every case are read in a few queries
        (``_renewal_facts``), the nightly figures of those that changed written in
        one statement, the instalments covered in one batch, the stage moves one
        write per stage."""
        cases = self.filtered(
            lambda lead: (
                lead.insurance_policy_id
                and lead.active
                and lead.won_status == "pending"
            )
        ).with_context(renewal_fact_update=True)
        if not cases:
            return
        today = self.env["insurance.policy"]._clock_today()
        facts = cases._renewal_facts(today)
        cases._renewal_link_lines(
            [
                (case, [Command.set(facts[case.id].line_ids)])
                for case in cases
                if facts[case.id].new_lines
            ]
        )
        changed = cases.filtered(lambda case: facts[case.id].figures_changed)
        changed._renewal_write_figures(facts)
        changed.filtered(
            lambda case: facts[case.id].promise_broken and not facts[case.id].was_broken
        )._renewal_tell_promise_broken(today)
        cases._renewal_close_or_move(facts, today)

    def _renewal_facts(self, today):
        """``{case id: CaseState}``: what the facts of these open cases give
        today, read for all of them at once (instalments, contacts, policy), with
        what the case shows now, to write only what changed."""
        # Read from the database: what this unit of work changed is written first.
        self.env["insurance.fact.flow"]._flush_holding_locks()
        window_end = self._renewal_window_end(today)
        rows = self.env.execute_query_dict(
            SQL(
                FACTS_SQL,
                ids=self.ids,
                today=today,
                window_end=window_end,
                settled=list(schedule.SETTLED_STATES),
                covered=[schedule.DUE, schedule.GRACE, schedule.LAPSED],
                planned=schedule.PLANNED,
            )
        )
        roundings = dict(
            self.env.execute_query(SQL("SELECT id, rounding FROM res_currency"))
        )
        default_currency = self.env.company.currency_id.id
        return {
            row["id"]: _case_state(row, today, roundings, default_currency)
            for row in rows
        }

    def _renewal_write_figures(self, facts):
        """Store the nightly figures of these cases in one statement. They are
        shown on the case, not told in its chatter (the stage moves, won and lost
        are, by their own writes); what depends on them (CRM's prorated revenue)
        is computed again as after a write."""
        if not self:
            return
        columns = list(FIGURE_COLUMNS)
        rows = SQL(", ").join(
            SQL(
                "(%s)",
                SQL(", ").join(
                    [SQL("%s::int", case.id)]
                    + [
                        SQL(f"%s::{kind}", facts[case.id].figures[name])
                        for name, kind in FIGURE_COLUMNS.items()
                    ]
                ),
            )
            for case in self
        )
        self.env.cr.execute(
            SQL(
                "UPDATE crm_lead c SET %s, write_date = %s, write_uid = %s"
                " FROM (VALUES %s) AS v(id, %s) WHERE c.id = v.id",
                SQL(", ").join(
                    SQL("%s = v.%s", SQL.identifier(name), SQL.identifier(name))
                    for name in columns
                ),
                self.env.cr.now(),
                self.env.uid,
                rows,
                SQL(", ").join(SQL.identifier(name) for name in columns),
            ),
            log_exceptions=False,
        )
        fnames = [*columns, "write_date", "write_uid"]
        self.invalidate_recordset(fnames)
        self.modified(columns)

    def _renewal_close_or_move(self, facts, today):
        """Win the settled cases (lost as waived when no money came in), lose
        those of suspended policies, move the others to the stage their facts
        give."""
        settled = self.filtered(lambda lead: not facts[lead.id].unpaid_count)
        waived = settled.filtered(lambda lead: not facts[lead.id].collected)
        (settled - waived).action_set_won()
        if waived:
            waived.action_set_lost(
                lost_reason_id=self.env.ref("insurance_renewal.lost_reason_waived").id
            )
        lost = (
            self.filtered(lambda lead: facts[lead.id].policy_state in LOSING_STATES)
            - settled
        )
        if lost:
            # The reason the customer gave last, else what the contacts show.
            found = {
                True: self.env.ref("insurance_renewal.lost_reason_lost_contact").id,
                False: self.env.ref("insurance_renewal.lost_reason_other").id,
            }
            for reason_id, leads in lost.grouped(
                lambda lead: (
                    facts[lead.id].lost_reason_id
                    or found[facts[lead.id].figures["renewal_unreachable"]]
                )
            ).items():
                leads.action_set_lost(lost_reason_id=reason_id)
        moving = self - settled - lost
        stages = self.env["crm.stage"].search(
            [("renewal_step", "!=", False), ("team_ids", "in", moving.team_id.ids)]
        )
        stage_by_step = {stage.renewal_step: stage.id for stage in stages}
        to_stage = defaultdict(list)
        for lead in moving:
            stage_id = stage_by_step.get(facts[lead.id].step)
            if stage_id and facts[lead.id].stage_id != stage_id:
                to_stage[stage_id].append(lead.id)
        for stage_id, ids in to_stage.items():
            self.browse(ids).write({"stage_id": stage_id})

    def _renewal_link_lines(self, links):
        """Store the instalments each case covers, ``[(case, commands)]``, for all
        the cases at once: a write per case would insert its links one case at a
        time. The ORM's own many2many writer, between the same notices of change
        a write gives (so what depends on the links is computed again)."""
        if not links:
            return
        cases = self.browse([lead.id for lead, _commands in links])
        cases.modified([LINES_FIELD], before=True)
        self._fields[LINES_FIELD].write_batch(links)
        cases.modified([LINES_FIELD])

    @api.model
    def _renewal_window_end(self, today):
        days = int(
            self.env["ir.config_parameter"]
            .sudo()
            .get_param("insurance_renewal.case_window_days", 60)
        )
        return today + timedelta(days=days)

    def _renewal_risk_labels(self):
        return {
            "late_payments": self.env._("Paid late before"),
            "unanswered": self.env._("Calls not answered"),
            "unreachable": self.env._("Unreachable: wrong number or undelivered"),
            "broken_promises": self.env._("Broken promises to pay"),
            "grace": self.env._("In grace period, suspension nears"),
            "manual_payment": self.env._("Pays by hand, not by auto-debit"),
            "early_policy_year": self.env._(
                "Early policy year, when lapses are common"
            ),
        }

    # Daily work ---------------------------------------------------------------

    @api.model
    def _open_renewal_cases_domain(self, today):
        window_end = self._renewal_window_end(today)
        return (
            Domain("state", "in", ("in_force", "grace"))
            & Domain("next_due_date", "<=", window_end)
            & Domain("renewal_lead_ids", "not any", OPEN_CASE)
        )

    @api.model
    def _open_renewal_cases(self, policies):
        """Open one case for each policy, assigned to its specialist or, failing
        that, round-robin to the least busy specialist of the Renewals team."""
        team = self.env.ref("insurance_renewal.crm_team_renewals")
        first_stage = self.env.ref("insurance_renewal.crm_stage_to_remind")
        assignee = self._renewal_assignee_picker(team)
        # Opened by the nightly job by the thousand: no "created" note, and the
        # specialist learns of new cases from the kanban, not by one email each.
        quiet = self.with_context(
            mail_create_nolog=True,
            mail_create_nosubscribe=True,
            mail_auto_subscribe_no_notify=True,
        )
        leads = quiet.create(
            [
                {
                    "name": f"{policy.name} · {policy.partner_id.name}",
                    "type": "opportunity",
                    "team_id": team.id,
                    "stage_id": first_stage.id,
                    "partner_id": policy.partner_id.id,
                    "insurance_policy_id": policy.id,
                    "user_id": assignee(policy).id,
                    "company_id": policy.company_id.id,
                }
                for policy in policies
            ]
        )
        self.env["insurance.fact.flow"]._touch_cases(leads)
        return leads.with_env(self.env)

    @api.model
    def _renewal_assignee_picker(self, team):
        """Return a function giving the specialist of a policy's new case."""
        workload = Counter(
            {
                user: count
                for user, count in self._read_group(
                    OPEN_CASE & Domain("team_id", "=", team.id),
                    ["user_id"],
                    ["__count"],
                )
            }
        )
        members = team.member_ids.filtered("active").sorted("id")
        fallbacks = {}

        def pick(policy):
            if policy.specialist_id.active:
                workload[policy.specialist_id] += 1
                return policy.specialist_id
            if not members:
                company = policy.company_id
                if company not in fallbacks:
                    fallbacks[company] = self._renewal_fallback_owner(
                        team, company
                    ) or self.env.ref("base.user_root")
                return fallbacks[company]
            user = min(members, key=lambda member: (workload[member], member.id))
            workload[user] += 1
            return user

        return pick

    @api.model
    def _renewal_fallback_owner(self, team, company=None):
        """Who owns a case nobody else can take: the Renewals team leader, else the
        first renewal manager; of ``company`` when given (someone of another
        company could not open the case, and should not read what the customer
        wrote), else, when nobody works renewals there, that company's first
        administrator; nobody when it has none either (``_renewal_assignee_picker``
        then gives the case to the system user: never unowned, so that no
        "unassigned" rule opens it to others)."""

        def may_own(user):
            return (
                user.active
                and not user.share
                and (not company or company in user.company_ids)
            )

        if may_own(team.user_id):
            return team.user_id
        managers = (
            self.env.ref("insurance_renewal.group_insurance_renewal_manager")
            .sudo()
            .all_user_ids.filtered(may_own)
        )
        if not managers and company:
            managers = (
                self.env.ref("base.group_system").sudo().all_user_ids.filtered(may_own)
            )
        return managers.sorted("id")[:1]

    @api.model
    def _open_cases_domain(self):
        return OPEN_CASE & Domain("insurance_policy_id", "!=", False)

    @api.model
    def _calendar_cases_domain(self, since, today):
        """Open cases whose date-driven facts changed between ``since`` (the day
        the clock last refreshed them) and ``today``: an unpaid instalment fell
        past due or nearer its suspension (7 and 15 days before the grace end:
        the risk score's steps), a planned one entered the case window, or a
        promised day passed. Every open case when ``since`` is unknown (first run,
        or a run for an earlier day)."""
        if not since or since > today:
            return self._open_cases_domain()
        window = self._renewal_window_end(today) - today

        def crossed(field, offset):
            return Domain(field, ">", since + offset) & Domain(
                field, "<=", today + offset
            )

        days = timedelta
        instalment_crossed = Domain(
            "state", "not in", schedule.SETTLED_STATES
        ) & Domain.OR(
            [
                crossed("due_date", days(-1)),
                crossed("due_date", window),
                crossed("grace_end_date", days(7)),
                crossed("grace_end_date", days(15)),
            ]
        )
        promise_passed = Domain("outcome", "=", "promised") & crossed(
            "promised_date", days(-1)
        )
        return self._open_cases_domain() & (
            Domain("insurance_policy_id.premium_line_ids", "any", instalment_crossed)
            | Domain("renewal_activity_ids", "any", promise_passed)
        )

    @api.model
    def _refresh_cases_batch(self, leads):
        """Nightly: days left in grace and the risk score move with the calendar
        (the batch runner propagates what is marked here)."""
        self.env["insurance.fact.flow"]._touch_cases(leads)

    @api.model
    def _broken_promises_domain(self, today):
        return (
            OPEN_CASE
            & Domain("insurance_policy_id", "!=", False)
            & Domain("renewal_promised_date", "<", today)
            & Domain("renewal_promise_broken", "=", False)
        )

    @api.model
    def _flag_broken_promises(self, leads):
        """Refresh cases whose promised date passed unpaid: the refresh tells their
        specialist (``_renewal_tell_promise_broken``)."""
        flow = self.env["insurance.fact.flow"]
        flow._touch_cases(leads)
        flow._propagate()

    def _renewal_tell_promise_broken(self, today):
        """One call to-do per case whose promise to pay just broke, whichever
        refresh found it (the clock's broken-promise step, or an instalment moving
        to grace the same night), created for all of them at once; it waits in the
        specialist's activities and on the kanban card: not one notification email
        each from the night run."""
        if not self:
            return
        call = self.env.ref("mail.mail_activity_data_call")
        model_id = self.env["ir.model"]._get(self._name).id
        vals_list = []
        for lead in self:
            env = lead._renewal_in_reader_lang().env
            vals_list.append(
                {
                    "activity_type_id": call.id,
                    "automated": True,
                    "date_deadline": today,
                    "res_model_id": model_id,
                    "res_id": lead.id,
                    "user_id": lead.user_id.id or self.env.uid,
                    "summary": env._("Promise to pay broken: call the customer again"),
                    "note": env._(
                        "%(customer)s promised to pay %(amount)s by %(date)s.",
                        customer=lead.partner_id.name,
                        amount=format_amount(
                            env, lead.renewal_promised_amount, lead.renewal_currency_id
                        ),
                        date=format_date(env, lead.renewal_promised_date),
                    ),
                }
            )
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            vals_list
        )

    def _renewal_in_reader_lang(self):
        """The case in its specialist's language, for texts stored for them to read
        (to-dos, notes): a nightly job runs in no one's language."""
        self.ensure_one()
        lang = self.user_id.lang or self.company_id.partner_id.lang or self.env.lang
        return self.with_context(lang=lang)


def _or(expression, condition):
    """Combine a view modifier with one more condition."""
    if not expression or expression in ("0", "False"):
        return condition
    if expression in ("1", "True"):
        return expression
    return f"({expression}) or {condition}"


@dataclass
class CaseState:
    """What the facts of an open case give today, beside what it shows now."""

    line_ids: list
    new_lines: bool
    figures: dict
    figures_changed: bool
    was_broken: bool
    unpaid_count: int
    collected: bool
    policy_state: str
    stage_id: int
    step: str
    lost_reason_id: int | None

    @property
    def promise_broken(self):
        return self.figures["renewal_promise_broken"]


def _case_state(row, today, roundings, default_currency_id):
    """The ``CaseState`` of one row of ``FACTS_SQL``."""
    unpaid = row["unpaid_count"]
    past_due_grace_end = row["past_due_grace_end"]
    facts = risk.CaseFacts(
        late_payments=row["late"],
        unanswered_attempts=row["unanswered"],
        unreachable=row["last_outcome"] in UNREACHABLE_OUTCOMES,
        broken_promises=row["broken"] if unpaid else 0,
        days_left_in_grace=(past_due_grace_end - today).days
        if past_due_grace_end
        else None,
        manual_payment=row["payment_method"] != "bank_debit",
        policy_year=row["min_year"] or 0,
    )
    policy_rounding = roundings[row["policy_currency_id"]]
    company_rounding = roundings[row["company_currency_id"] or default_currency_id]
    amount_due = row["amount_due"] or 0.0
    promised_date = row["promised_date"]
    figures = {
        "renewal_amount_due": float_round(
            amount_due, precision_rounding=policy_rounding
        ),
        "expected_revenue": float_round(
            amount_due, precision_rounding=company_rounding
        ),
        "renewal_due_date": row["due"],
        "date_deadline": row["due"],
        "renewal_grace_end_date": row["grace_end"],
        "renewal_last_activity_id": row["last_id"],
        "renewal_promised_date": promised_date,
        "renewal_promised_amount": float_round(
            row["promised_amount"] or 0.0, precision_rounding=policy_rounding
        ),
        "renewal_promise_broken": bool(
            unpaid and promised_date and promised_date < today
        ),
        "renewal_unreachable": facts.unreachable,
        "renewal_risk_score": risk.risk_score(facts),
        "renewal_risk_codes": ",".join(
            f"{key}:{points}" for points, key in risk.risk_points(facts)
        )
        or None,
    }
    new_lines = row["covered_count"] > row["linked_count"]
    return CaseState(
        line_ids=row["line_ids"] or [],
        new_lines=new_lines,
        figures=figures,
        figures_changed=new_lines
        or any(not _same(row[f"old_{name}"], value) for name, value in figures.items()),
        was_broken=bool(row["old_renewal_promise_broken"]),
        unpaid_count=unpaid,
        collected=row["collected"],
        policy_state=row["policy_state"],
        stage_id=row["stage_id"],
        step=_fact_step(row, promised_date, today),
        lost_reason_id=row["reason_id"],
    )


def _same(stored, value):
    """Whether a stored figure (NULL for nothing) shows ``value`` already, as the
    ORM reads it (0 or False for NULL)."""
    if isinstance(value, bool):
        return bool(stored) == value
    if isinstance(value, float | int):
        return (stored or 0) == value
    return stored == value


def _fact_step(row, promised_date, today):
    """The collection stage the facts give an open case."""
    if row["demand"]:
        return "demand"
    if promised_date and promised_date >= today:
        return "promised"
    if row["past_due_grace_end"]:
        return "grace"
    if row["reminded"]:
        return "reminded"
    return "to_remind"


def _won_stage(won_stages, stage):
    """CRM's choice of won stage for a lead in ``stage`` (``crm.lead``'s
    ``action_set_won``): the first won stage after it, else the last one before,
    else the first of all."""
    after = next((won for won in won_stages if won.sequence > stage.sequence), None)
    if after:
        return after
    before = (won for won in reversed(won_stages) if won.sequence <= stage.sequence)
    return next(before, won_stages[:1])
