"""Who may do what: every role against every model and public action of the addon.

Each check is run as each role, in a savepoint rolled back afterwards; a role not
listed as allowed must be refused (an access error, or a business refusal that
names why). A public ``action_*`` method added to the addon without a line here
fails ``test_every_public_action_is_in_the_matrix``.
"""

import base64
import inspect
import json

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import InsuranceRenewalCommon

ROLES = (
    "salesman_own",
    "salesman_all",
    "specialist",
    "manager",
    "finance",
    "employee",
    "underwriter",
    "portal",
    "other_company",
)
RENEWAL = {"specialist", "manager"}

# Methods that only return a window action or a wizard: the window's records are
# checked when it loads them, so they are harmless whoever calls them.
WINDOW_ACTIONS = {
    "crm.lead.action_log_renewal_contact",
    "crm.lead.action_open_insurance_policy",
    "insurance.policy.action_log_renewal_contact",
    "insurance.policy.action_view_renewal_cases",
    "insurance.policy.action_view_premium_lines",
    "insurance.premium.line.action_record_payment",
    "insurance.premium.line.action_correct",
    "insurance.premium.line.action_record_letter_demand",
    "insurance.product.action_view_policies",
    "insurance.bank.file.action_view_statement_lines",
    "insurance.bank.file.action_view_unmatched_receipts",
    "account.bank.statement.line.action_open_insurance_reconcile",
    "res.partner.action_view_insurance_policies",
    "insurance.reconciliation.report.action_print",
    "insurance.winback.action_open_policy",
    "insurance.renewal.dashboard.action_open_today",
    "insurance.renewal.dashboard.action_export_kpis",
    "insurance.renewal.ledger.action_export",
    "crm.lead.action_open_renewal_overview",
    "insurance.policy.action_open_renewal_overview",
    "res.partner.action_open_renewal_overview",
    "crm.lead.action_new_servicing_request",
    "insurance.policy.action_new_servicing_request",
    "insurance.policy.action_view_servicing_requests",
    "insurance.winback.action_request_reinstatement",
    "crm.lead.action_view_renewal_tickets",
    "crm.lead.action_view_red_flags",
    "insurance.policy.action_view_red_flags",
}
# Actions that change data, and the check below that shows who may run them.
ACTION_CHECKS = {
    "crm.lead.action_set_won": "win a case",
    "insurance.policy.action_activate": "activate a policy",
    "insurance.premium.line.action_issue_demand": "issue a formal demand",
    "insurance.renewal.log.contact.action_confirm": "log a contact",
    "insurance.renewal.log.contact.action_confirm_and_schedule": "log a contact",
    "insurance.renewal.case.assign.action_assign": "assign selected cases",
    "insurance.premium.payment.action_confirm": "record a payment",
    "insurance.premium.correction.action_confirm": "correct an instalment",
    "insurance.letter.demand.action_confirm": "record a demand by post",
    "insurance.renewal.reassign.action_reassign": "reassign a portfolio",
    "mail.activity.action_feedback_schedule_next": "finish a call on a case",
    # Finance: who may open the wizards here; what they do in the finance tests.
    "insurance.bank.file.import.action_import": "import a bank file",
    "insurance.receipt.reconcile.action_reconcile": "reconcile a receipt by hand",
    "insurance.receipt.reconcile.action_not_premium": "reconcile a receipt by hand",
    "account.bank.statement.line.action_insurance_return_to_queue": (
        "reconcile a receipt by hand"
    ),
    "res.partner.action_verify_contact_data": "verify a customer's contact data",
    # Premium auto-debit orders: finance builds, exports and cancels them.
    "account.payment.order.action_build_insurance_debit_order": (
        "build today's premium debit order"
    ),
    "account.payment.order.action_export_insurance_debit_csv": (
        "export or cancel a premium debit order"
    ),
    "account.payment.order.action_export_insurance_debit_xlsx": (
        "export or cancel a premium debit order"
    ),
    "account.payment.order.action_cancel": "export or cancel a premium debit order",
    "insurance.servicing.request.action_confirm": "grant a policy loan",
    "account.payment.action_post": "post a servicing payout",
    "insurance.servicing.request.action_cancel": "cancel a servicing request",
    "insurance.servicing.request.action_confirm_payment": (
        "record a reinstatement payment"
    ),
    "crm.lead.action_send_product_documents": "send the product documents",
    "crm.lead.action_request_explanation_visit": "ask the sales rep for a visit",
    "insurance.red.flag.action_clear": "clear a red flag",
    "mail.activity.action_take_team_work": "take work from a team's queue",
    "insurance.data.import.action_check": "import renewal data",
    "insurance.data.import.action_import": "import renewal data",
    "insurance.data.import.action_reset": "import renewal data",
}


@tagged("post_install", "-at_install")
class TestAccessMatrix(InsuranceRenewalCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.other_company = cls.env["res.company"].create({"name": "太平洋分公司"})
        groups = {
            "salesman_own": "sales_team.group_sale_salesman",
            "salesman_all": "sales_team.group_sale_salesman_all_leads",
            "specialist": "insurance_renewal.group_insurance_renewal_user",
            "manager": "insurance_renewal.group_insurance_renewal_manager",
            "finance": "account.group_account_invoice",
            "employee": "base.group_user",
            "underwriter": "insurance_renewal.group_insurance_underwriter",
            "portal": "base.group_portal",
        }
        cls.users = {
            role: new_test_user(cls.env, login=f"matrix_{role}", groups=group)
            for role, group in groups.items()
        }
        cls.users["other_company"] = new_test_user(
            cls.env,
            login="matrix_other_company",
            groups="insurance_renewal.group_insurance_renewal_user",
            company_id=cls.other_company.id,
            company_ids=[cls.other_company.id],
        )
        cls.holder.write(
            {"user_id": cls.users["salesman_own"].id, "email": "zw@example.com"}
        )
        with freeze_time("2024-02-10"):
            cls.policy = cls._create_policy()
            cls.spare = cls._create_policy(name="P-0003", issue_date="2024-06-30")
            (cls.policy | cls.spare).action_activate()
            cls.draft = cls._create_policy(name="P-0002")
            # its second premium fell due on 10 December 2024, before the
            # matrix's day: a formal demand may be issued for it
            cls.overdue = cls._create_policy(name="P-0004", issue_date="2023-12-10")
            cls.overdue.action_activate()
        cls.case = (
            cls.env["insurance.policy"]
            .with_context(clock_today=cls.policy.premium_line_ids[:1].due_date)
            ._open_due_renewal_cases()
            .filtered(lambda c: c.insurance_policy_id == cls.policy)
        )
        cls.line = cls._line(cls.policy, 2)
        cls.debit_order = cls.env["account.payment.order"].create(
            {
                "payment_mode_id": cls.env.ref(
                    "insurance_renewal.payment_mode_premium_debit"
                ).id,
                "insurance_debit_date": "2024-12-20",
            }
        )
        cls.product.document_ids = cls.env["ir.attachment"].create(
            {"name": "条款.pdf", "raw": b"%PDF"}
        )
        cls.env["res.partner.bank"].create(
            {
                "partner_id": cls.holder.id,
                "acc_number": "6222021001123459",
                "acc_holder_name": "李四",
            }
        )
        cls.flag = cls.env["insurance.red.flag.rule"]._detect_batch(cls.policy)
        cls.team_work = cls.env["insurance.assignment.rule"]._fire(
            "policy_change", cls.policy
        )
        product = cls.product.copy({"company_id": cls.other_company.id})
        cls.foreign = cls._create_policy(
            name="P-9001",
            company_id=cls.other_company.id,
            product_id=product.id,
            partner_id=cls.env["res.partner"].create({"name": "外地客户"}).id,
        )

    # The checks: (what, call, roles allowed) ---------------------------------

    def _checks(self):
        return [
            (
                "read a policy",
                self._read(self.policy),
                {"salesman_own", "finance", "underwriter"} | RENEWAL,
            ),
            (
                "read another company's policy",
                self._read(self.foreign),
                {"other_company"},
            ),
            ("put reminders of a policy on hold", self._hold, RENEWAL),
            ("write a policy's state", self._write(self.policy, state="lapsed"), set()),
            (
                "write a policy's suspension",
                self._write(self.policy, suspension_date="2025-01-01"),
                set(),
            ),
            (
                "change an active policy's premium",
                self._write(self.policy, premium_amount=1),
                set(),
            ),
            ("delete an active policy", self._unlink(self.policy), set()),
            ("activate a policy", self._activate, RENEWAL),
            (
                "read an instalment",
                self._read(self.line),
                {"salesman_own", "finance", "underwriter"} | RENEWAL,
            ),
            (
                "write an instalment's state",
                self._write(self.line, state="paid"),
                set(),
            ),
            (
                "write an instalment's paid amount",
                self._write(self.line, amount_paid=12000),
                set(),
            ),
            ("delete an instalment", self._unlink(self.line), set()),
            (
                "read the renewal case",
                self._read(self.case),
                {"salesman_own"} | RENEWAL,
            ),
            (
                "write the renewal case",
                self._write(self.case, description="x"),
                RENEWAL,
            ),
            ("mark the renewal case lost", self._lose_case, RENEWAL),
            ("win a case", self._win_case, set()),
            ("open a renewal case", self._create_case, RENEWAL),
            ("delete the renewal case", self._unlink(self.case), set()),
            (
                "read a customer's renewal status",
                self._renewal_status,
                {"salesman_own", "salesman_all", "finance", "other_company"} | RENEWAL,
            ),
            ("log a contact", self._log_contact, RENEWAL),
            (
                # The holder belongs to no company: specialists of every company.
                "verify a customer's contact data",
                self._verify_contact_data,
                RENEWAL | {"other_company"},
            ),
            ("issue a formal demand", self._issue_demand, RENEWAL),
            ("record a payment", self._record_payment, RENEWAL),
            ("correct an instalment", self._correct, {"manager"}),
            ("record a demand by post", self._letter_demand, RENEWAL),
            ("reassign a portfolio", self._reassign, {"manager"}),
            ("assign selected cases", self._assign_cases, RENEWAL),
            ("write a reminder log", self._write_reminder_log, set()),
            ("delete a contact", self._delete_contact, set()),
            ("create a product", self._create_product, {"manager"}),
            (
                "delete the reminder plan in use",
                self._unlink(self.env.ref("insurance_renewal.reminder_plan_default")),
                set(),
            ),
            ("finish a call on a case", self._finish_call, RENEWAL),
            ("grant a policy loan", self._grant_loan, RENEWAL),
            ("post a servicing payout", self._post_payout, {"finance"}),
            ("approve a reinstatement", self._approve_reinstatement, {"underwriter"}),
            (
                "read a servicing request",
                lambda env: self._read(self._servicing_request("loan"))(env),
                {"finance", "underwriter"} | RENEWAL,
            ),
            ("cancel a servicing request", self._cancel_request, RENEWAL),
            (
                "record a reinstatement payment",
                self._record_reinstatement_payment,
                RENEWAL | {"finance"},
            ),
            (
                "import a bank file",
                self._may_create("insurance.bank.file.import"),
                {"finance"},
            ),
            (
                "read the KPIs",
                lambda env: env["insurance.kpi.persistency"].search([], limit=1),
                {"manager"},
            ),
            (
                "open the renewal dashboard",
                self._may_create("insurance.renewal.dashboard"),
                {"manager"},
            ),
            (
                "export a renewal ledger",
                self._may_create("insurance.renewal.ledger"),
                RENEWAL | {"other_company"},
            ),
            (
                "reconcile a receipt by hand",
                self._may_create("insurance.receipt.reconcile"),
                {"finance"},
            ),
            (
                "build today's premium debit order",
                lambda env: env[
                    "account.payment.order"
                ].action_build_insurance_debit_order(),
                {"finance"},
            ),
            (
                "export or cancel a premium debit order",
                self._may_change(self.debit_order),
                {"finance"},
            ),
            ("send the product documents", self._send_documents, RENEWAL),
            ("ask the sales rep for a visit", self._request_visit, RENEWAL),
            # Compliance only; none of these roles is compliance.
            ("clear a red flag", self._clear_flag, set()),
            ("read a red flag", self._read(self.flag), RENEWAL),
            # Underwriting's work: none of these roles is in the team.
            ("take work from a team's queue", self._take_team_work, set()),
            (
                "edit an assignment rule",
                self._write(
                    self.env.ref("insurance_renewal.assignment_rule_complaint"),
                    deadline_days=9,
                ),
                {"manager"},
            ),
            # another company's specialist finds no policy P-0001 of theirs
            ("import renewal data", self._import_data, RENEWAL),
        ]

    @staticmethod
    def _read(record):
        return lambda env: env[record._name].browse(record.id).read(["display_name"])

    @staticmethod
    def _write(record, **vals):
        return lambda env: env[record._name].browse(record.id).write(vals)

    @staticmethod
    def _unlink(record):
        return lambda env: env[record._name].browse(record.id).unlink()

    def _hold(self, env):
        env["insurance.policy"].browse(self.policy.id).write(
            {"reminder_hold_until": "2025-01-10", "reminder_hold_reason": "出差"}
        )

    def _activate(self, env):
        env["insurance.policy"].browse(self.draft.id).action_activate()

    def _lose_case(self, env):
        env["crm.lead"].browse(self.case.id).action_set_lost()

    def _win_case(self, env):
        env["crm.lead"].browse(self.case.id).action_set_won()

    def _create_case(self, env):
        env["crm.lead"].create(
            {
                "name": "P-0003",
                "type": "opportunity",
                "partner_id": self.holder.id,
                "insurance_policy_id": self.spare.id,
            }
        )

    def _renewal_status(self, env):
        env["res.partner"].browse(self.holder.id).read(["renewal_status_seen"])

    def _log_contact(self, env):
        env["insurance.renewal.log.contact"].create(
            {"policy_id": self.policy.id, "outcome": "no_answer"}
        ).action_confirm()

    def _verify_contact_data(self, env):
        env["res.partner"].browse(self.holder.id).action_verify_contact_data()

    def _issue_demand(self, env):
        env["insurance.premium.line"].browse(
            self._line(self.overdue, 2).id
        ).action_issue_demand()

    def _record_payment(self, env):
        env["insurance.premium.payment"].create(
            {"premium_line_id": self.line.id, "amount": 100, "date": "2024-02-10"}
        ).action_confirm()

    def _correct(self, env):
        env["insurance.premium.correction"].create(
            {"premium_line_id": self.line.id, "correction": "waive", "reason": "豁免"}
        ).action_confirm()

    def _letter_demand(self, env):
        env["insurance.letter.demand"].create(
            {
                "premium_line_id": self._line(self.overdue, 2).id,
                "tracking_ref": "EMS1",
                "delivered_on": "2024-12-15",
            }
        ).action_confirm()

    def _reassign(self, env):
        env["insurance.renewal.reassign"].create(
            {
                "from_user_id": self.policy.specialist_id.id,
                "to_specialist_id": self.users["specialist"].id,
            }
        ).action_reassign()

    def _assign_cases(self, env):
        env["insurance.renewal.case.assign"].create(
            {
                "lead_ids": [(6, 0, self.case.ids)],
                "user_id": self.users["specialist"].id,
            }
        ).action_assign()

    def _write_reminder_log(self, env):
        log = (
            self.env["insurance.reminder.engine"]
            .sudo()
            ._claim(
                self.holder,
                [(self.line, self.env["insurance.reminder.step"])],
                "demand",
            )
        )
        env["insurance.reminder.log"].browse(log.id).write(
            {"delivered_on": "2024-02-01"}
        )

    def _delete_contact(self, env):
        contact = self.env["insurance.renewal.activity"].create(
            {"policy_id": self.policy.id, "outcome": "reached"}
        )
        env["insurance.renewal.activity"].browse(contact.id).unlink()

    def _create_product(self, env):
        env["insurance.product"].create({"name": "新产品", "code": "NEW"})

    def _finish_call(self, env):
        activity = self.case.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.users["specialist"].id
        )
        env["mail.activity"].browse(activity.id).action_feedback_schedule_next()

    def _servicing_request(self, kind, **vals):
        return (
            self.env["insurance.servicing.request"]
            .sudo()
            .create(
                {
                    "policy_id": self.policy.id,
                    "request_type": kind,
                    "reason": "困难",
                    **vals,
                }
            )
        )

    def _grant_loan(self, env):
        self._loan_ready()
        request = self._servicing_request("loan", amount=1000)
        env["insurance.servicing.request"].browse(request.id).action_confirm()

    def _loan_ready(self):
        """A policy with cash value, on a product whose loans are booked."""
        self.policy.sudo().cash_value = 10000
        if not self.product.loan_account_id:
            self.product.loan_account_id = self.env["account.account"].create(
                {"name": "保单贷款", "code": "113201", "account_type": "asset_current"}
            )

    def _post_payout(self, env):
        self._loan_ready()
        request = self._servicing_request("loan", amount=1000)
        request.with_user(self.users["specialist"]).action_confirm()
        payment = request.payment_id
        self.assertEqual(payment.state, "draft")
        env["account.payment"].browse(payment.id).action_post()

    def _approve_reinstatement(self, env):
        # a suspended policy: an approval for a policy in force takes no effect
        self.policy.sudo().state = "lapsed"
        request = self._servicing_request("reinstatement", health_declaration="无")
        request.request_validation()
        request.invalidate_recordset()
        env["insurance.servicing.request"].browse(request.id).validate_tier()
        request.invalidate_recordset()
        if request.validation_status != "validated":
            # not a reviewer: the request is still waiting
            raise AccessError(request.display_name)

    def _cancel_request(self, env):
        request = self._servicing_request("surrender")
        env["insurance.servicing.request"].browse(request.id).action_cancel()

    def _record_reinstatement_payment(self, env):
        # a suspended policy: one no longer suspended (reinstated, terminated)
        # takes no reinstatement payment
        self.policy.sudo().state = "lapsed"
        request = self._servicing_request(
            "reinstatement", back_premium_amount=100, amount=100
        )
        env["insurance.servicing.request"].browse(request.id).action_confirm_payment()

    @staticmethod
    def _may_change(record):
        """Whether the role may change this record at all; what the action then
        does is tested with real orders in the debit order tests."""
        return lambda env: env[record._name].browse(record.id).check_access("write")

    def _send_documents(self, env):
        env["crm.lead"].browse(self.case.id).action_send_product_documents()

    def _request_visit(self, env):
        env["crm.lead"].browse(self.case.id).action_request_explanation_visit()

    def _clear_flag(self, env):
        env["insurance.red.flag"].browse(self.flag.id).action_clear()

    def _take_team_work(self, env):
        env["mail.activity"].browse(self.team_work.id).action_take_team_work()

    def _import_data(self, env):
        content = "保单号,变更日期,变更类型\nP-0001,2024-02-01,其他\n".encode()
        data_import = env["insurance.data.import"].create(
            {
                "kind": "events",
                "name": "events.csv",
                "data_file": base64.b64encode(content),
            }
        )
        data_import.action_check()
        data_import.action_reset()
        data_import.action_check()
        data_import.action_import()

    @staticmethod
    def _may_create(model):
        """Whether the role may open this finance wizard at all; what it then does
        is tested with real files in the finance tests."""
        return lambda env: env[model].check_access("create")

    # The tests -----------------------------------------------------------------

    def test_each_role_does_only_what_it_may(self):
        wrongly = []
        for what, call, allowed in self._checks():
            for role in ROLES:
                outcome = self._attempt(role, call)
                expected = "allowed" if role in allowed else "refused"
                if outcome != expected:
                    wrongly.append(f"{role} {what}: {outcome}, expected {expected}")
        self.assertFalse(wrongly, "\n".join(wrongly))

    def _attempt(self, role, call):
        user = self.users[role]
        env = self.env(user=user, context={"allowed_company_ids": user.company_ids.ids})
        with self.env.cr.savepoint() as savepoint, freeze_time("2024-12-20 02:00:00"):
            try:
                call(env)
                env.flush_all()
                outcome = "allowed"
            except (AccessError, UserError):
                outcome = "refused"
            savepoint.close(rollback=True)
        self.env.invalidate_all(flush=False)
        return outcome

    def test_every_public_action_is_in_the_matrix(self):
        """A public action added to the addon must say here who may run it."""
        declared = WINDOW_ACTIONS | ACTION_CHECKS.keys()
        found = set()
        for name, model in self.env.registry.items():
            for cls in inspect.getmro(model):
                if not cls.__module__.startswith("odoo.addons.insurance_renewal."):
                    continue
                found |= {
                    f"{name}.{attr}"
                    for attr in vars(cls)
                    if attr.startswith("action_") and callable(vars(cls)[attr])
                }
        self.assertFalse(
            found - declared, "Public actions without a line in the access matrix"
        )
        checked = {what for what, _call, _allowed in self._checks()}
        self.assertFalse(set(ACTION_CHECKS.values()) - checked)


@tagged("post_install", "-at_install")
class TestAccessOverRpc(HttpCase, InsuranceRenewalCommon):
    """The same refusals through the web client's JSON-RPC route."""

    def _call_kw(self, model, method, args, kwargs=None):
        response = self.url_open(
            "/web/dataset/call_kw",
            data=json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "call",
                    "params": {
                        "model": model,
                        "method": method,
                        "args": args,
                        "kwargs": kwargs or {},
                    },
                }
            ),
            headers={"Content-Type": "application/json"},
        )
        return response.json()

    def test_salesman_cannot_close_or_open_renewal_cases_over_rpc(self):
        new_test_user(
            self.env,
            login="rpc_salesman",
            password="rpc_salesman_pw",
            groups="sales_team.group_sale_salesman_all_leads",
        )
        with freeze_time("2024-02-10"):
            policy = self._create_policy()
            later = self._create_policy(name="P-0002", issue_date="2024-06-30")
            (policy | later).action_activate()
        case = (
            self.env["insurance.policy"]
            .with_context(clock_today=policy.premium_line_ids[:1].due_date)
            ._open_due_renewal_cases()
        )
        self.assertTrue(case.user_id, "A renewal case always has an owner.")
        self.authenticate("rpc_salesman", "rpc_salesman_pw")
        lost = self._call_kw("crm.lead", "action_set_lost", [case.ids])
        self.assertEqual(lost["error"]["data"]["name"], "odoo.exceptions.AccessError")
        created = self._call_kw(
            "crm.lead",
            "create",
            [{"name": "x", "type": "opportunity", "insurance_policy_id": later.id}],
        )
        self.assertEqual(
            created["error"]["data"]["name"], "odoo.exceptions.AccessError"
        )
        state = self._call_kw(
            "insurance.policy", "write", [policy.ids, {"state": "in_force"}]
        )
        self.assertIn("error", state)
        self.assertTrue(case.active)
        self.assertEqual(case.won_status, "pending")


@tagged("post_install", "-at_install")
class TestCaseOwnership(InsuranceRenewalCommon):
    def test_a_case_without_specialist_or_team_member_goes_to_a_manager(self):
        manager = new_test_user(
            self.env,
            login="owner_manager",
            groups="insurance_renewal.group_insurance_renewal_manager",
        )
        team = self.env.ref("insurance_renewal.crm_team_renewals")
        team.write({"member_ids": [(5, 0, 0)], "user_id": False})
        with freeze_time("2024-02-10"):
            policy = self._create_policy(specialist_id=False)
            policy.action_activate()
        case = (
            self.env["insurance.policy"]
            .with_context(clock_today=policy.premium_line_ids[:1].due_date)
            ._open_due_renewal_cases()
        )
        managers = self.env.ref(
            "insurance_renewal.group_insurance_renewal_manager"
        ).all_user_ids
        self.assertIn(case.user_id, managers)
        self.assertIn(manager, managers)
        outsider = new_test_user(
            self.env, login="owner_outsider", groups="sales_team.group_sale_salesman"
        )
        self.assertFalse(
            self.env["crm.lead"].with_user(outsider).search([("id", "=", case.id)])
        )
        team.user_id = manager
        self.assertEqual(self.env["crm.lead"]._renewal_fallback_owner(team), manager)
