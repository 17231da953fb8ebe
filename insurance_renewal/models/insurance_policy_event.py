from odoo import fields, models


class InsurancePolicyEvent(models.Model):
    """A change to a policy reported by the policy administration system (保全):
    the specialist sees it before calling the customer."""

    _name = "insurance.policy.event"
    _description = "Policy Change"
    _order = "event_date desc, id desc"
    _check_company_auto = True

    policy_id = fields.Many2one(
        "insurance.policy",
        required=True,
        readonly=True,
        index=True,
        ondelete="cascade",
        check_company=True,
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)
    event_date = fields.Date(string="Date", required=True, readonly=True)
    event_type = fields.Selection(
        [
            ("contact", "Contact Data Change"),
            ("address", "Address Change"),
            ("bank", "Bank Account Change"),
            ("payer", "Payer Change"),
            ("beneficiary", "Beneficiary Change"),
            ("other", "Other"),
        ],
        string="Change",
        required=True,
        readonly=True,
    )
    description = fields.Char(readonly=True)
    import_key = fields.Char(readonly=True, index=True, copy=False)

    _import_key_unique = models.Constraint(
        "UNIQUE(import_key, company_id)",
        "This policy change was already imported.",
    )
