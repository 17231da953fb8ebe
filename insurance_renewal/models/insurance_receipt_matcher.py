"""Bank receipt matching: which open premium invoice a receipt pays."""

from collections import defaultdict

from odoo import api, fields, models
from odoo.tools.constants import PREFETCH_MAX

from ..lib import bank_files, schedule
from .account_bank_statement_line import _clean

# Odoo numbers the entries of one create by chunks of its prefetch size, the
# last chunk first and, nested inside the first chunk's numbering, each entry of
# the others written one by one (a write, a search and an UPDATE each): the
# import creates at most this many statement lines at once.
CREATE_CHUNK = PREFETCH_MAX


class InsuranceReceiptMatcher(models.AbstractModel):
    """Matches bank receipts with open premium invoices (a service without a
    table): by payment reference, then by the policy number in the memo, then by
    payer and exact amount. Called by the bank file import on the receipts it
    is about to add, so that each statement line is created once, already with
    its payer, its counterpart on the invoice's receivable account, its matching
    and its compliance flag, and the matched ones are reconciled together. The
    bank file hands the receipts left unmatched to Finance, in one to-do."""

    _name = "insurance.receipt.matcher"
    _description = "Bank Receipt Matching"

    @api.model
    def _create_matched(self, journal, vals_list):
        """Create the statement lines of ``vals_list`` in ``journal`` (a superuser
        environment, see ``insurance.bank.file._import_receipts``), reconciling
        those that match one invoice and leaving the rest in the suspense queue
        with their candidates; return the lines, in the order of ``vals_list``.

        The receipts are decided in file order against the invoices as they
        stand; a receipt whose decision reads an invoice that an earlier receipt
        of the same round pays waits for that round to be reconciled, so a batch
        gives the same result as receipts matched one at a time."""
        receipts = [_Receipt(self.env, journal, vals) for vals in vals_list]
        index = _MatchIndex(self.env, journal.company_id, receipts)
        lines = self.env["account.bank.statement.line"].sudo()
        decided, paid = [], set()
        for receipt in receipts:
            rule, invoices = index.candidates(receipt)
            if index.seen & paid:
                lines |= self._settle(decided)
                decided, paid = [], set()
                rule, invoices = index.candidates(receipt)
            if rule:
                paid |= set(invoices.ids)
            decided.append((receipt, rule, invoices))
        return lines | self._settle(decided)

    def _settle(self, decided):
        """Create the statement lines of one round of decided receipts and
        reconcile the matched ones, all in one go."""
        if not decided:
            return self.env["account.bank.statement.line"].sudo()
        paid = self.env["account.move"].union(
            *(invoices for _receipt, rule, invoices in decided if rule)
        )
        # one read of the policies' payers, holders and their bank accounts
        people = paid.insurance_policy_id.payer_id
        people |= paid.insurance_policy_id.partner_id
        people.bank_ids.mapped("acc_number")
        # one read of the invoices' items' taxes, which Odoo's reconciliation
        # compares before and after, else read invoice by invoice
        paid.line_ids.mapped("tax_ids")
        receivables = {
            invoice: invoice.line_ids.filtered(
                lambda aml: (
                    aml.account_type == "asset_receivable" and not aml.reconciled
                )
            )
            for invoice in paid
        }
        vals_list = [
            self._line_vals(receipt, rule, invoices, receivables)
            for receipt, rule, invoices in decided
        ]
        lines = self._create_lines(vals_list, decided[0][0].company)
        plan = [
            line._seek_for_lines()[2] + receivables[invoices]
            for line, (_receipt, rule, invoices) in zip(lines, decided, strict=True)
            if rule
        ]
        # As superuser, like the lines: the receivables are those of the open
        # premium invoices of the journal's company the caller's search found.
        self.env["account.move.line"].sudo()._reconcile_plan(plan)
        return lines

    def _create_lines(self, vals_list, company):
        """Create the statement lines of one round by Odoo's ``create``, in one
        call, with shortcuts whose result is what Odoo's plain ``create`` makes
        (tests/test_receipt_batch_create.py):

        - without chatter on the receipts' own journal entries (as Odoo's own
          reconciliation does for its records): a "created" message, tracking
          and a follower per bank line cost more than the line itself and tell
          finance nothing the statement does not show;
        - without the analytic sync of each new journal item: Odoo's inverse
          rewrites every item's analytic distribution with itself, one write per
          item; the entries are still drafts then, and their analytic lines are
          created when they are posted, at the end of the same create;
        - numbered in batch (``account.move._get_next_sequence_format``), at
          most ``CREATE_CHUNK`` at a time, so that Odoo numbers each chunk in one
          pass, in the order of the file (by date within a chunk);
        - without a search of analytic distribution models per item when the
          company has none;
        - with the entries' balance checked once for the round, after they are
          posted, by Odoo's own check, instead of at each of Odoo's writes of
          an entry inside the create (one query per entry).
        """
        StLine = self.env["account.bank.statement.line"].sudo()
        create = StLine.with_context(
            tracking_disable=True,
            skip_analytic_sync=True,
            insurance_batch_numbering=True,
            insurance_no_distribution_model=self._no_distribution_model(company),
            check_move_validity=False,
        ).create
        lines = StLine.union(
            *(
                create(vals_list[start : start + CREATE_CHUNK])
                for start in range(0, len(vals_list), CREATE_CHUNK)
            )
        )
        moves = lines.move_id.with_env(StLine.env)
        with moves._check_balanced({"records": moves}):
            pass
        return lines.with_env(StLine.env)

    def _no_distribution_model(self, company):
        """``company``'s id when no analytic distribution model could apply to
        its journal items (see ``account.analytic.distribution.model``), else
        False: one query per batch instead of one per item."""
        Model = self.env["account.analytic.distribution.model"]
        domain = [("company_id", "in", [company.id, False])]
        return not Model.search_count(domain, limit=1) and company.id

    def _line_vals(self, receipt, rule, invoices, receivables):
        vals = dict(
            receipt.vals, insurance_candidate_ids=[fields.Command.set(invoices.ids)]
        )
        if not rule:
            vals["insurance_match_state"] = self.env[
                "account.bank.statement.line"
            ]._insurance_queue_state(invoices)
            return vals
        vals.update(
            partner_id=vals.get("partner_id") or invoices.partner_id.id,
            counterpart_account_id=receivables[invoices].account_id.id,
            insurance_match_state="matched",
            insurance_match_rule=rule,
            insurance_invoice_id=invoices.id,
        )
        vals.update(
            self.env["account.bank.statement.line"]._insurance_payer_flag_vals(
                invoices.insurance_policy_id,
                receipt.partner_name,
                receipt.account_number,
            )
        )
        return vals

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


class _Receipt:
    """A bank receipt about to become a statement line: the values it will be
    created with, and what matching reads of them."""

    def __init__(self, env, journal, vals):
        self.vals = vals
        self.payment_ref = vals.get("payment_ref") or ""
        self.partner_name = vals.get("partner_name") or ""
        self.account_number = vals.get("account_number") or ""
        self.date = fields.Date.to_date(vals["date"])
        self.company = journal.company_id
        foreign = env["res.currency"].browse(vals.get("foreign_currency_id"))
        self.currency = foreign or journal.currency_id or journal.company_id.currency_id
        self.amount = vals["amount_currency"] if foreign else vals["amount"]
        self.keys = bank_files.memo_keys(self.payment_ref)


class _MatchIndex:
    """Open premium invoices, read once for a batch of receipts of one company.

    References and policy numbers are compared normalised on both sides (case,
    spaces, dashes, full-width characters): see ``bank_files.memo_keys``.
    ``seen`` holds the invoices the last decision read the open state of."""

    def __init__(self, env, company, receipts):
        keys = set().union(*(receipt.keys for receipt in receipts))
        open_domain = [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("insurance_policy_id", "!=", False),
            # a transfer for an ended policy waits in the suspense queue, to be
            # refunded: it cannot bring the cover back
            ("insurance_policy_id.state", "not in", schedule.ENDED_POLICY_STATES),
            ("payment_state", "in", ("not_paid", "partial")),
            ("company_id", "=", company.id),
        ]
        Move = env["account.move"]
        self.seen = set()
        self.by_reference = defaultdict(lambda: Move)
        for invoice in Move.search(
            [*open_domain, ("insurance_reference_key", "in", list(keys))]
        ):
            self.by_reference[invoice.insurance_reference_key] |= invoice
        self.policy_by_key = env["insurance.receipt.matcher"]._policies_by_key(
            company, keys
        )
        policies = env["insurance.policy"].union(*self.policy_by_key.values())
        names = {receipt.partner_name for receipt in receipts if receipt.partner_name}
        accounts = {r.account_number for r in receipts if r.account_number}
        self.partners = env["res.partner"].search(
            [
                "|",
                ("name", "in", list(names)),
                ("bank_ids.acc_number", "in", list(accounts)),
            ]
        )
        self.payers_by_name = defaultdict(set)
        self.payers_by_account = defaultdict(set)
        for partner in self.partners:
            self.payers_by_name[_clean(partner.name)].add(partner.id)
            for number in partner.bank_ids.mapped("acc_number"):
                self.payers_by_account[_clean(number)].add(partner.id)
        open_invoices = Move.search(
            [
                *open_domain,
                "|",
                ("insurance_policy_id", "in", policies.ids),
                ("partner_id", "in", self.partners.ids),
            ],
            order="invoice_date_due, id",
        )
        self.by_policy = defaultdict(lambda: Move)
        self.by_partner = defaultdict(lambda: Move)
        for invoice in open_invoices:
            self.by_policy[invoice.insurance_policy_id.id] |= invoice
            self.by_partner[invoice.partner_id.id] |= invoice

    def candidates(self, receipt):
        """Return (rule, invoices): the rule that found the one invoice to pay, or
        (False, candidates) when none did. Invoices paid by an earlier receipt
        are no longer candidates."""
        self.seen = set()
        rule, invoices = self._candidates(receipt)
        still_open = invoices.filtered(
            lambda inv: inv.payment_state in ("not_paid", "partial")
        )
        return (rule if still_open == invoices else False), still_open

    def _candidates(self, receipt):
        by_reference = self.partners.env["account.move"]
        for key in receipt.keys:
            by_reference |= self.by_reference.get(key, by_reference.browse())
        by_reference = self._open(by_reference)
        if by_reference:
            return ("reference" if len(by_reference) == 1 else False), by_reference
        policies = {
            self.policy_by_key[key] for key in receipt.keys if key in self.policy_by_key
        }
        if policies:
            return self._by_policy(receipt, policies)
        return self._by_payer(receipt)

    def _by_policy(self, receipt, policies):
        """The memo names a policy: pay its oldest open invoice when the receipt
        covers it (a surplus stays on the payer's account), else the one invoice
        of exactly the receipt's amount."""
        Move = self.partners.env["account.move"]
        invoices = self._open(
            Move.union(*(self.by_policy[policy.id] for policy in policies))
        )
        if len(policies) > 1 or not invoices:
            return False, invoices
        amount = _amount_in(receipt, invoices[:1])
        currency = invoices[:1].currency_id
        if currency.compare_amounts(amount, invoices[:1].amount_residual) >= 0:
            return "policy", invoices[:1]
        exact = invoices.filtered(
            lambda inv: currency.compare_amounts(inv.amount_residual, amount) == 0
        )
        if len(exact) == 1:
            return "policy", exact
        return False, invoices

    def _by_payer(self, receipt):
        Move = self.partners.env["account.move"]
        payers = self._payers(receipt)
        invoices = self._open(
            Move.union(*(self.by_partner[partner_id] for partner_id in payers))
        )
        exact = invoices.filtered(
            lambda inv: (
                inv.currency_id.compare_amounts(
                    inv.amount_residual, _amount_in(receipt, inv)
                )
                == 0
            )
        )
        if len(exact) == 1:
            return "payer_amount", exact
        return False, exact or invoices

    def _open(self, invoices):
        self.seen |= set(invoices.ids)
        return invoices.filtered(
            lambda inv: inv.payment_state in ("not_paid", "partial")
        ).sorted(lambda inv: (inv.invoice_date_due, inv.id))

    def _payers(self, receipt):
        name = _clean(receipt.partner_name)
        account = _clean(receipt.account_number)
        payers = set()
        if name:
            payers |= self.payers_by_name.get(name, set())
        if account:
            payers |= self.payers_by_account.get(account, set())
        return payers


def _amount_in(receipt, invoice):
    """The receipt's amount in the invoice's currency, at the receipt's date."""
    if receipt.currency == invoice.currency_id:
        return receipt.amount
    return receipt.currency._convert(
        receipt.amount, invoice.currency_id, receipt.company, receipt.date
    )
