from odoo import api, models


class AccountAnalyticDistributionModel(models.Model):
    _inherit = "account.analytic.distribution.model"

    @api.model
    def _get_applicable_models(self, vals):
        """No model applies to an item of a company that has none: a bank file's
        import checks that once per batch (``insurance_no_distribution_model``
        names the company) and saves Odoo's search for each journal item of its
        receipts. The context only takes away the automatic distribution of the
        items the caller creates, which the caller may set as it likes anyway."""
        company_id = self.env.context.get("insurance_no_distribution_model")
        if company_id and company_id == vals.get("company_id"):
            return self.browse()
        return super()._get_applicable_models(vals)
