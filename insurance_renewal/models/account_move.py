from odoo import Command, api, fields, models

from ..lib import bank_files


class AccountMove(models.Model):
    # Tracking in batch: a bank file or a debit order pays hundreds of premium
    # invoices at once, each logging its payment state at the commit.
    _name = "account.move"
    _inherit = ["account.move", "insurance.tracking.batch.mixin"]

    insurance_policy_id = fields.Many2one(
        "insurance.policy",
        index="btree_not_null",
        check_company=True,
        readonly=True,
        copy=False,
    )
    insurance_premium_line_ids = fields.One2many(
        "insurance.premium.line", "invoice_id", string="Premium Instalments"
    )
    insurance_reference_key = fields.Char(
        compute="_compute_insurance_reference_key",
        store=True,
        index="btree_not_null",
        help="The payment reference of a premium invoice without case, spaces, "
        "dashes or full-width characters, as bank memos are compared with it.",
    )

    @api.depends("payment_reference", "insurance_policy_id")
    def _compute_insurance_reference_key(self):
        for move in self:
            move.insurance_reference_key = (
                move.insurance_policy_id
                and bank_files.normalize_reference(move.payment_reference)
            ) or False

    def _track_subtype(self, init_values):
        """A premium invoice paid gets Odoo's "Paid" subtype, without Odoo's check
        that the subtype still exists on every invoice (``env.ref`` runs one query
        each): a bank file pays thousands at once, and the batch tracking checks
        each subtype once."""
        self.ensure_one()
        paid = "payment_state" in init_values and self.payment_state == "paid"
        if paid and self.insurance_policy_id and self.is_invoice(include_receipts=True):
            data = self.env["ir.model.data"]
            subtype_id = data._xmlid_to_res_id("account.mt_invoice_paid")
            if subtype_id:
                return self.env["mail.message.subtype"].browse(subtype_id)
        return super()._track_subtype(init_values)

    def _get_next_sequence_format(self):
        """Number a bank file's receipts one after the other without Odoo's two
        searches and one query per entry for the format of the journal's last
        number (``sequence.mixin``): within one transaction, once an entry of a
        bank journal and day was numbered and Odoo's cache of that sequence
        holds its last number, the next entry of the same journal and day gets
        the format that entry got, and Odoo's cache gives it the next number, as
        Odoo's own search would (its last sequence is the entry just numbered).
        The remembered format sits in Odoo's sequence cache, which Odoo empties
        whenever a number is written by hand."""
        key = self._insurance_sequence_memo_key()
        if not key:
            return super()._get_next_sequence_format()
        cache = self._get_sequence_cache()
        if key in cache:
            format_string, format_values = cache[key]
            if (format_string.format(**format_values), self.journal_id) in cache:
                return format_string, dict(format_values)
        format_string, format_values = super()._get_next_sequence_format()
        cache[key] = (format_string, dict(format_values, seq=0))
        return format_string, format_values

    def _insurance_sequence_memo_key(self):
        """The key under which a bank file's import remembers the numbering format
        of this entry, or None when it is not the plain entry of a statement line
        being imported in batch (``insurance_batch_numbering``)."""
        if not (
            self.env.context.get("insurance_batch_numbering")
            and self.statement_line_id
            and self.move_type == "entry"
            and not self.origin_payment_id
            and not self.journal_id.is_self_billing
            and self.date
        ):
            return None
        return ("insurance_renewal.statement_numbering", self.journal_id.id, self.date)

    def _insurance_settlement(self):
        """Return (paid, credited, last payment date) of a premium invoice: what
        settled it, split into payments (bank receipts, registered payments, debits)
        and credit notes."""
        self.ensure_one()
        paid = credited = 0.0
        last_paid = False
        if self.state != "posted":
            return paid, credited, last_paid
        partials, _exchange = self._get_reconciled_invoices_partials()
        for _partial, amount, counterpart in partials:
            if counterpart.move_id.move_type == "out_refund":
                credited += amount
            else:
                paid += amount
                last_paid = max(last_paid or counterpart.date, counterpart.date)
        return paid, credited, last_paid

    @api.model
    def _insurance_book_entry(self, journal, day, label, partner, balances):
        """Post a miscellaneous entry of the policy servicing: ``balances`` pairs
        each account with its amount, debit when positive, credit when negative."""
        move = self.create(
            {
                "move_type": "entry",
                "company_id": journal.company_id.id,
                "journal_id": journal.id,
                "date": day,
                "ref": label,
                "line_ids": [
                    Command.create(
                        {
                            "partner_id": partner.id,
                            "name": label,
                            "account_id": account.id,
                            "debit": max(amount, 0.0),
                            "credit": max(-amount, 0.0),
                        }
                    )
                    for account, amount in balances
                ],
            }
        )
        move.action_post()
        return move
