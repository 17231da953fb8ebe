"""The customer's side: the pay page a reminder's signed link opens, and the
"My policies" section of the portal.

Two ways in, each checked before anything is read as superuser:
- ``/pay/<ids>/<token>``: no login; the token is the database's signature of the
  exact instalments in the link (``insurance.premium.line._insurance_from_pay_link``),
  so the page shows those instalments and their policies, nothing else.
- ``/my/policies``: a portal user; the record rules let them read only the
  policies where they (or their company) are the holder or the payer.
"""

from odoo import http
from odoo.exceptions import AccessError, MissingError, ValidationError
from odoo.http import request

from odoo.addons.account_payment.controllers.portal import PortalAccount
from odoo.addons.portal.controllers.portal import pager as portal_pager

from ..lib import schedule

REQUEST_KINDS = ("callback", "question", "hardship")
# Characters of a customer's message kept on the contact.
MAX_MESSAGE = 2000
POLICIES_PER_PAGE = 20


class InsurancePortal(PortalAccount):
    # Home counter and list ----------------------------------------------------

    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "insurance_policy_count" in counters:
            policies = request.env["insurance.policy"]
            values["insurance_policy_count"] = (
                policies.search_count(self._insurance_policy_domain())
                if policies.has_access("read")
                else 0
            )
        return values

    def _insurance_policy_domain(self):
        return [("state", "!=", "draft")]

    @http.route(
        ["/my/policies", "/my/policies/page/<int:page>"],
        type="http",
        auth="user",
        website=True,
    )
    def portal_my_insurance_policies(self, page=1, **kw):
        # The record rules give a portal user the policies they hold or pay only.
        policies = request.env["insurance.policy"]
        if not policies.has_access("read"):
            return request.redirect("/my")
        domain = self._insurance_policy_domain()
        pager = portal_pager(
            url="/my/policies",
            total=policies.search_count(domain),
            page=page,
            step=POLICIES_PER_PAGE,
        )
        values = self._prepare_portal_layout_values()
        # Searched with the customer's own rights (record rules); their products
        # and dates are then read as superuser.
        found = policies.search(domain, limit=POLICIES_PER_PAGE, offset=pager["offset"])
        values.update(
            {
                "policies": found.sudo(),
                "pager": pager,
                "page_name": "insurance_policy",
                "default_url": "/my/policies",
            }
        )
        return request.render("insurance_renewal.portal_my_policies", values)

    @http.route("/my/policies/<int:policy_id>", type="http", auth="user", website=True)
    def portal_my_insurance_policy(self, policy_id, sent=None, **kw):
        policy = self._insurance_readable_policy(policy_id)
        if not policy:
            return self._insurance_refusal()
        values = self._prepare_portal_layout_values()
        values.update(self._insurance_policy_values(policy))
        values.update(
            {
                "page_name": "insurance_policy",
                "contact_route": f"/my/policies/{policy.id}/contact",
                "request_sent": sent,
            }
        )
        return request.render("insurance_renewal.portal_my_policy", values)

    @http.route(
        "/my/policies/<int:policy_id>/contact",
        type="http",
        auth="user",
        methods=["POST"],
        website=True,
    )
    def portal_my_insurance_policy_contact(
        self, policy_id, kind=None, message=None, **kw
    ):
        policy = self._insurance_readable_policy(policy_id)
        if not policy:
            return self._insurance_refusal()
        error = self._insurance_record_request(policy, kind, message)
        if error:
            return error
        return request.redirect(f"/my/policies/{policy.id}?sent=1#contact")

    def _insurance_readable_policy(self, policy_id):
        """The policy as superuser once the portal user's own rights show they may
        read it, else nothing."""
        policy = request.env["insurance.policy"].browse(policy_id)
        try:
            policy.check_access("read")
            if not policy.exists() or policy.state == "draft":
                return policy.browse()
        except (AccessError, MissingError):
            return policy.browse()
        # Read above with the customer's own rights (record rules): the rest of
        # the page (instalments, invoices, their specialist) is read as superuser.
        return policy.sudo()

    # The signed pay link --------------------------------------------------------

    @http.route(
        "/pay/<string:ref>/<string:token>",
        type="http",
        auth="public",
        website=True,
        sitemap=False,
    )
    def insurance_pay(self, ref, token, sent=None, **kw):
        lines = request.env["insurance.premium.line"]._insurance_from_pay_link(
            ref, token
        )
        if not lines:
            return self._insurance_refusal()
        if lines._insurance_pay_link_expired():
            return self._insurance_expired(lines)
        self._insurance_speak_to(lines.policy_id[:1].payer_id)
        values = self._insurance_pay_values(lines, ref, token)
        values["request_sent"] = sent
        return request.render("insurance_renewal.portal_pay_page", values)

    @http.route(
        "/pay/<string:ref>/<string:token>/transaction", type="jsonrpc", auth="public"
    )
    def insurance_pay_transaction(self, ref, token, access_token=None, **kwargs):
        """Create the transaction paying every open invoice the link names, for
        what they still owe: the amount the browser sends is not trusted."""
        lines = request.env["insurance.premium.line"]._insurance_from_pay_link(
            ref, token
        )
        if not lines:
            raise ValidationError(request.env._("This payment link is not valid."))
        if lines._insurance_pay_link_expired():
            raise ValidationError(request.env._("This payment link has expired."))
        invoices = lines._insurance_open_invoices()
        if not invoices:
            raise ValidationError(
                request.env._("These premiums have nothing left to pay online.")
            )
        if len(invoices.currency_id) > 1:
            # one transaction is in one currency: their sum would mix them
            raise ValidationError(
                request.env._(
                    "These premiums are in several currencies and cannot be paid "
                    "in one online payment: pay each by bank transfer."
                )
            )
        self._validate_transaction_kwargs(kwargs)
        if kwargs.get("flow") == "token":
            raise ValidationError(
                request.env._(
                    "A pay link takes no saved payment method: enter the "
                    "payment details."
                )
            )
        self._insurance_check_offered(invoices, ref, token, kwargs)
        kwargs.update(
            amount=sum(invoices.mapped("amount_residual")),
            landing_route=f"/pay/{ref}/{token}",
            tokenization_requested=False,
        )
        # The premium is the payer's, whoever opens the link: the payment is
        # theirs and settles their invoices.
        return self._process_transaction(
            invoices[:1].partner_id.id,
            invoices[:1].currency_id.id,
            invoices.ids,
            False,
            **kwargs,
        )

    @http.route(
        "/pay/<string:ref>/<string:token>/contact",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        sitemap=False,
    )
    def insurance_pay_contact(self, ref, token, kind=None, message=None, **kw):
        lines = request.env["insurance.premium.line"]._insurance_from_pay_link(
            ref, token
        )
        if not lines:
            return self._insurance_refusal()
        if lines._insurance_pay_link_expired():
            return self._insurance_expired(lines)
        error = self._insurance_record_request(
            lines.policy_id[:1], kind, message, link=ref
        )
        if error:
            return error
        return request.redirect(f"/pay/{ref}/{token}?sent=1#contact")

    # Helpers --------------------------------------------------------------------

    def _insurance_check_offered(self, invoices, ref, token, kwargs):
        """The payment is made with a provider and method the page offers for
        these invoices, never a validation: a provider of another company (or a
        disabled one) named by the browser would take the customer's money
        where the invoices' company never receives it."""
        offered = self._insurance_payment_form_values(invoices, ref, token)
        provider_id = self._cast_as_int(kwargs.get("provider_id"))
        method_id = self._cast_as_int(kwargs.get("payment_method_id"))
        if (
            kwargs.get("is_validation")
            or provider_id not in offered["providers_sudo"].ids
            or method_id not in offered["payment_methods_sudo"].ids
        ):
            raise ValidationError(
                request.env._(
                    "This payment method is not offered for these premiums: "
                    "choose one of those the page shows."
                )
            )

    def _insurance_speak_to(self, partner):
        """A visitor without a login reads the page in the payer's language."""
        if request.env.user._is_public() and partner.lang:
            request.update_context(lang=partner.lang)

    def _insurance_refusal(self):
        return request.render("insurance_renewal.portal_pay_refused", {}, status=403)

    def _insurance_expired(self, lines):
        """An old link: nothing of the policy shown, in the payer's language."""
        self._insurance_speak_to(lines.policy_id[:1].payer_id)
        return request.render("insurance_renewal.portal_pay_expired", {}, status=410)

    def _insurance_record_request(self, policy, kind, message, link=None):
        if kind not in REQUEST_KINDS:
            return request.render(
                "insurance_renewal.portal_request_invalid", {}, status=400
            )
        message = (message or "").strip()[:MAX_MESSAGE]
        # A link stays valid: a request posted again (a double click, a replay)
        # is not recorded twice, and a policy, a link and a client address
        # each take a few requests a day (a script holding many links too).
        address = request.httprequest.remote_addr
        repeat = policy._insurance_portal_request_repeat(kind, message, address, link)
        if repeat == "too_many":
            return request.render(
                "insurance_renewal.portal_request_too_many", {}, status=429
            )
        if not repeat:
            policy._insurance_portal_request(kind, message, address, link)
        return None

    def _insurance_policy_values(self, policy):
        """What the page shows of one policy (given as superuser after the
        caller's right to it was checked)."""
        lines = policy.premium_line_ids.sorted("due_date")
        open_lines = lines._insurance_owed().filtered(
            lambda line: line.state in schedule.OPEN_STATES + (schedule.LAPSED,)
        )
        payable = open_lines.filtered(
            lambda line: (
                line.state != schedule.PLANNED
                or line.sudo().invoice_id.state == "posted"
            )
        )
        next_line = open_lines[:1]
        policy_lang = policy.with_context(lang=request.env.lang)
        return {
            "policy": policy,
            "schedule_lines": lines,
            "next_line": next_line,
            "payable_lines": payable,
            "pay_url": payable and payable._insurance_pay_url(),
            "receipts": lines.filtered(lambda line: line.state == schedule.PAID).sorted(
                "due_date", reverse=True
            ),
            "warning": policy_lang._insurance_customer_warning(),
            "contact_person": policy._insurance_contact_person(),
        }

    def _insurance_pay_values(self, lines, ref, token):
        invoices = lines._insurance_open_invoices()
        policies = lines.policy_id
        values = {
            "lines": lines.sorted("due_date"),
            "policies": policies,
            "warnings": {
                policy: policy.with_context(
                    lang=request.env.lang
                )._insurance_customer_warning()
                for policy in policies
            },
            "contact_person": policies[:1]._insurance_contact_person(),
            "company": policies[:1].company_id,
            "amount_to_pay": sum(invoices.mapped("amount_residual")),
            "owed_lines": lines._insurance_owed().sorted("due_date"),
            "currency": policies[:1].currency_id,
            "all_paid": all(line.state in schedule.SETTLED_STATES for line in lines),
            "pay_ref": ref,
            "pay_token": token,
            "contact_route": f"/pay/{ref}/{token}/contact",
            "page_name": "insurance_pay",
        }
        providers = request.env["payment.provider"].sudo()
        # one online payment is in one currency; premiums in several are paid by
        # bank transfer, each for its own amount
        single_currency = len(invoices.currency_id) == 1
        if invoices and single_currency:
            values.update(self._insurance_payment_form_values(invoices, ref, token))
            providers = values["providers_sudo"]
        values["online"] = bool(invoices and single_currency and providers)
        values["bank_accounts"] = policies[:1].company_id.partner_id.bank_ids
        return values

    def _insurance_payment_form_values(self, invoices, ref, token):
        values = self._get_common_page_view_values(
            invoices_data={
                "partner": invoices[:1].partner_id,
                "company": invoices[:1].company_id,
                "total_amount": sum(invoices.mapped("amount_total")),
                "currency": invoices[:1].currency_id,
                "amount_residual": sum(invoices.mapped("amount_residual")),
                "landing_route": f"/pay/{ref}/{token}",
                "transaction_route": f"/pay/{ref}/{token}/transaction",
            },
            access_token=token,
        )
        values["amount"] = sum(invoices.mapped("amount_residual"))
        # Whoever holds the link sees neither saved cards nor may save one: the
        # payment is made in the payer's name, who may not be the visitor.
        values["tokens_sudo"] = request.env["payment.token"].sudo()
        values["show_tokenize_input_mapping"] = dict.fromkeys(
            values["show_tokenize_input_mapping"], False
        )
        return values
