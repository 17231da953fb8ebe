from odoo import fields, models
from odoo.tools import SQL

# Each segment's customers (policyholders), as SQL over the renewal facts.
# %(today)s is the day the segment is read for; %(partners)s limits the partners,
# %(policies)s the policies (those the user may read).
SEGMENT_SQL = {
    "on_time": """
        SELECT p.partner_id
          FROM insurance_premium_line l
          JOIN insurance_policy p ON p.id = l.policy_id
         WHERE l.installment_number > 1 AND l.due_date < %(today)s
           AND %(partners)s AND %(policies)s
         GROUP BY p.partner_id
        HAVING COUNT(*) FILTER (WHERE l.state = 'paid') >= 2
           AND COUNT(*) FILTER (
                   WHERE l.state IN ('grace', 'lapsed')
                      OR (l.state = 'paid' AND l.date_paid > l.due_date)) = 0
    """,
    "often_late": """
        SELECT p.partner_id
          FROM insurance_premium_line l
          JOIN insurance_policy p ON p.id = l.policy_id
         WHERE l.installment_number > 1 AND %(partners)s AND %(policies)s
         GROUP BY p.partner_id
        HAVING COUNT(*) FILTER (
                   WHERE l.state = 'lapsed'
                      OR (l.state = 'paid' AND l.date_paid > l.due_date)) >= 2
    """,
    "promise_broken": """
        SELECT DISTINCT p.partner_id
          FROM insurance_renewal_activity a
          JOIN insurance_policy p ON p.id = a.policy_id
         WHERE a.outcome = 'promised' AND a.promised_date < %(today)s
           AND a.date >= %(today)s::date - 365 AND %(partners)s AND %(policies)s
           AND NOT EXISTS (
               SELECT 1 FROM insurance_premium_line l
                WHERE l.policy_id = a.policy_id AND l.state = 'paid'
                  AND l.date_paid BETWEEN a.date::date AND a.promised_date)
    """,
    "unreachable": """
        SELECT DISTINCT p.partner_id
          FROM crm_lead c
          JOIN insurance_policy p ON p.id = c.insurance_policy_id
         WHERE c.active AND c.won_status = 'pending' AND c.renewal_unreachable
           AND %(partners)s AND %(policies)s
    """,
    "reinstatable": """
        SELECT DISTINCT p.partner_id
          FROM insurance_policy p
         WHERE p.state = 'lapsed' AND p.reinstatement_deadline >= %(today)s
           AND %(partners)s AND %(policies)s
    """,
}


class InsuranceCustomerSegment(models.Model):
    """A segment of customers by their payment behaviour, computed from the
    renewal facts when read: the manager targets a campaign at it through the
    customers' "Renewal Segments" (CRM, email and SMS marketing filters)."""

    _name = "insurance.customer.segment"
    _description = "Renewal Customer Segment"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    code = fields.Selection(
        [
            ("on_time", "Always on time"),
            ("often_late", "Often late"),
            ("promise_broken", "Promised, not paid"),
            ("unreachable", "Unreachable"),
            ("reinstatable", "Lapsed, within the reinstatement window"),
        ],
        required=True,
    )
    description = fields.Text(translate=True)

    _code_unique = models.Constraint("UNIQUE(code)", "Each segment exists once.")

    def _partner_ids(self, partner_ids=None):
        """Return the ids of the policyholders in these segments (among
        ``partner_ids`` when given)."""
        today = fields.Date.context_today(self)
        partners = (
            SQL("p.partner_id = ANY(%s)", list(partner_ids))
            if partner_ids is not None
            else SQL("TRUE")
        )
        policies = self._readable_policies()
        found = set()
        for segment in self:
            self.env.cr.execute(
                SQL(
                    SEGMENT_SQL[segment.code],
                    today=today,
                    partners=partners,
                    policies=policies,
                )
            )
            found.update(row[0] for row in self.env.cr.fetchall())
        return found

    def _readable_policies(self):
        """``p.id`` limited to the policies the user may read: a customer's
        payment behaviour is read only from their policies the reader may see
        (their own customers for a sales rep, their companies' for everyone),
        all of them for the superuser (a mailing sent by the scheduler)."""
        policies = self.env["insurance.policy"].with_context(active_test=False)
        if self.env.su:
            return SQL("TRUE")
        if not policies.has_access("read"):
            return SQL("FALSE")
        return SQL("p.id IN %s", policies._search([]).subselect())
