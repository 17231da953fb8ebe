"""Bank receipt matching: which open premium invoice a receipt pays."""

from collections import defaultdict

from odoo import api, fields, models

from ..lib import bank_files
from .account_bank_statement_line import _clean


class InsuranceReceiptMatcher(models.AbstractModel):
    """Matches bank receipts with open premium invoices (a service without a
    table): by payment reference, then by the policy number in the memo, then by
    payer and exact amount. Called by the bank file import on the receipts it
    adds; the receipts' own model keeps reconciling and queueing them."""

    _name = "insurance.receipt.matcher"
    _description = "Bank Receipt Matching"

    def _match(self, st_lines):
        """Reconcile the receipts that match one invoice; queue the rest with
        their candidates for finance."""
        index = _MatchIndex(st_lines)
        queued = st_lines.browse()
        for st_line in st_lines:
            rule, invoices = index.candidates(st_line)
            if rule and len(invoices) == 1:
                st_line._insurance_reconcile(invoices, rule)
            else:
                st_line.write(
                    {
                        "insurance_match_state": st_lines._insurance_queue_state(
                            invoices
                        ),
                        "insurance_candidate_ids": [fields.Command.set(invoices.ids)],
                    }
                )
                queued |= st_line
        queued._insurance_hand_to_finance()

    @api.model
    def _policies_by_key(self, company, keys):
        """Return {normalised policy number: policy} of ``company`` for
        ``keys`` (see ``bank_files.normalize_reference``): one query, whatever case,
        spaces or dashes the bank used. The SQL only narrows the ids; the ORM
        search applies the user's access rules."""
        if not keys:
            return {}
        self.env["insurance.policy"].flush_model(["name", "company_id"])
        self.env.cr.execute(
            """SELECT id FROM insurance_policy
                WHERE company_id = %s
                  AND regexp_replace(upper(name), %s, '', 'g') IN %s""",
            (company.id, bank_files.NOT_KEY_CHARS, tuple(keys)),
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        policies = self.env["insurance.policy"].search([("id", "in", ids)])
        return {bank_files.normalize_reference(p.name): p for p in policies}


class _MatchIndex:
    """Open premium invoices, read once for a batch of receipts of one company.

    References and policy numbers are compared normalised on both sides (case,
    spaces, dashes, full-width characters): see ``bank_files.memo_keys``."""

    def __init__(self, st_lines):
        env = st_lines.env
        company = st_lines.company_id[:1]
        keys = set()
        for st_line in st_lines:
            keys |= bank_files.memo_keys(st_line.payment_ref)
        open_domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("insurance_policy_id", "!=", False),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "=", company.id),
        ]
        Move = env["account.move"]
        self.by_reference = defaultdict(lambda: Move)
        for invoice in Move.search(
            [*open_domain, ("insurance_reference_key", "in", list(keys))]
        ):
            self.by_reference[invoice.insurance_reference_key] |= invoice
        self.policy_by_key = env["insurance.receipt.matcher"]._policies_by_key(
            company, keys
        )
        policies = env["insurance.policy"].union(*self.policy_by_key.values())
        names = {st_line.partner_name for st_line in st_lines if st_line.partner_name}
        accounts = {a for a in st_lines.mapped("account_number") if a}
        partners = env["res.partner"].search(
            [
                "|",
                ("name", "in", list(names)),
                ("bank_ids.acc_number", "in", list(accounts)),
            ]
        )
        self.partners = partners
        self.open_invoices = Move.search(
            [
                *open_domain,
                "|",
                ("insurance_policy_id", "in", policies.ids),
                ("partner_id", "in", partners.ids),
            ],
            order="invoice_date_due, id",
        )

    def candidates(self, st_line):
        """Return (rule, invoices): the rule that found the one invoice to pay, or
        (False, candidates) when none did. Invoices paid by an earlier receipt of
        the batch are no longer candidates."""
        rule, invoices = self._candidates(st_line)
        still_open = invoices.filtered(
            lambda inv: inv.payment_state in ("not_paid", "partial")
        )
        return (rule if still_open == invoices else False), still_open

    def _candidates(self, st_line):
        keys = bank_files.memo_keys(st_line.payment_ref)
        by_reference = st_line.env["account.move"]
        for key in keys:
            by_reference |= self.by_reference.get(key, by_reference.browse())
        by_reference = self._open(by_reference)
        if by_reference:
            return ("reference" if len(by_reference) == 1 else False), by_reference
        policies = {
            self.policy_by_key[key] for key in keys if key in self.policy_by_key
        }
        if policies:
            return self._by_policy(st_line, policies)
        return self._by_payer(st_line)

    def _by_policy(self, st_line, policies):
        """The memo names a policy: pay its oldest open invoice when the receipt
        covers it (a surplus stays on the payer's account), else the one invoice
        of exactly the receipt's amount."""
        invoices = self._open(
            self.open_invoices.filtered(lambda inv: inv.insurance_policy_id in policies)
        )
        if len(policies) > 1 or not invoices:
            return False, invoices
        amount = _amount_in(st_line, invoices[:1])
        currency = invoices[:1].currency_id
        if currency.compare_amounts(amount, invoices[:1].amount_residual) >= 0:
            return "policy", invoices[:1]
        exact = invoices.filtered(
            lambda inv: currency.compare_amounts(inv.amount_residual, amount) == 0
        )
        if len(exact) == 1:
            return "policy", exact
        return False, invoices

    def _by_payer(self, st_line):
        payers = self._payers(st_line)
        invoices = self._open(
            self.open_invoices.filtered(lambda inv: inv.partner_id in payers)
        )
        exact = invoices.filtered(
            lambda inv: (
                inv.currency_id.compare_amounts(
                    inv.amount_residual, _amount_in(st_line, inv)
                )
                == 0
            )
        )
        if len(exact) == 1:
            return "payer_amount", exact
        return False, exact or invoices

    @staticmethod
    def _open(invoices):
        return invoices.filtered(
            lambda inv: inv.payment_state in ("not_paid", "partial")
        ).sorted(lambda inv: (inv.invoice_date_due, inv.id))

    def _payers(self, st_line):
        name = _clean(st_line.partner_name)
        account = _clean(st_line.account_number)
        return self.partners.filtered(
            lambda partner: (
                (name and _clean(partner.name) == name)
                or (
                    account
                    and account
                    in {_clean(a) for a in partner.bank_ids.mapped("acc_number")}
                )
            )
        )


def _amount_in(st_line, invoice):
    """The receipt's amount in the invoice's currency, at the receipt's date."""
    currency = st_line.foreign_currency_id or st_line.currency_id
    amount = st_line.amount_currency if st_line.foreign_currency_id else st_line.amount
    if currency == invoice.currency_id:
        return amount
    return currency._convert(
        amount, invoice.currency_id, st_line.company_id, st_line.date
    )
