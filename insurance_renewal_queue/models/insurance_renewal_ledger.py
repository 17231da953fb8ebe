from markupsafe import Markup

from odoo import models

# A ledger of more rows than this is written by a queue job rather than within
# the request that asks for it.
LEDGER_JOB_ROWS = 20000
LEDGER_JOB_ROWS_PARAM = "insurance_renewal.ledger_job_rows"


class InsuranceRenewalLedger(models.TransientModel):
    _inherit = "insurance.renewal.ledger"

    def action_export(self):
        """A large ledger is written by a queue job, which sends it to the user's
        inbox when done: the request does not wait for it, nor time out."""
        self.ensure_one()
        self._check_dates()
        instalments = self.env["insurance.premium.line"]
        if instalments.search_count(self._ledger_domain()) <= self._job_rows():
            return super().action_export()
        values = self.copy_data()[0]
        self.env[self._name].with_delay(
            description=self.env._(
                "Renewal ledger from %(start)s to %(end)s",
                start=self.date_from,
                end=self.date_to,
            )
        )._job_export(values)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._(
                    "The ledger is long: it is being written and will arrive in "
                    "your inbox in a few minutes."
                ),
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

    def _job_rows(self):
        params = self.env["ir.config_parameter"].sudo()
        return int(params.get_param(LEDGER_JOB_ROWS_PARAM, LEDGER_JOB_ROWS))

    def _job_export(self, values):
        """Write the ledger of ``values`` (the wizard's, which a job may outlive)
        as the user who asked for it (queue_job runs a job as the user who queued
        it, so the ledger's rights and record rules apply), keep it as an
        attachment only that user can open, and tell them in their inbox."""
        wizard = self.create(values)
        report = self.env.ref("insurance_renewal.action_report_renewal_ledger_xlsx")
        content, _type = report._render(report.report_name, wizard.ids)
        name = self.env._(
            "Renewal Ledger %(start)s-%(end)s.xlsx",
            start=wizard.date_from,
            end=wizard.date_to,
        )
        # Linked to no record: Odoo lets only its creator (and the administrator)
        # read it.
        attachment = self.env["ir.attachment"].create(
            {"name": name, "raw": content, "res_model": False, "res_id": False}
        )
        link = f"/web/content/{attachment.id}?download=true"
        self.env["mail.thread"].message_notify(
            partner_ids=self.env.user.partner_id.ids,
            subject=name,
            body=Markup('<p>%s <a href="%s">%s</a></p>')
            % (
                self.env._("Your renewal ledger is ready:"),
                link,
                name,
            ),
        )
        return attachment.id
