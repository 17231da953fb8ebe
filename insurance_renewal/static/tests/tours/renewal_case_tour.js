/** @odoo-module **/
/* A renewal specialist's day: open the Renewals kanban, open a case, log a call
 * where the customer promises to pay, and find the card under Promised to Pay. */
import { registry } from "@web/core/registry";

const { DateTime } = luxon;

registry.category("web_tour.tours").add("insurance_renewal_case_tour", {
    steps: () => [
        {
            content: "The case of the customer is waiting in To Remind",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains('To Remind')) .o_kanban_record:contains('张伟')",
            run: "click",
        },
        {
            content: "Log the call from the case",
            trigger: "button[name='action_log_renewal_contact']",
            run: "click",
        },
        {
            content: "Choose the outcome of the call",
            trigger: ".modal .o_field_widget[name='outcome'] .o_select_menu .dropdown-toggle",
            run: "click",
        },
        {
            content: "The customer promised to pay",
            trigger: ".o_select_menu_menu .o_select_menu_item:contains('Promised to Pay')",
            run: "click",
        },
        {
            content: "By ten days from now",
            trigger: ".modal .o_field_widget[name='promised_date'] input",
            run: `edit ${DateTime.now().plus({ days: 10 }).toFormat("MM/dd/yyyy")}`,
        },
        {
            trigger: ".modal .o_field_widget[name='note'] textarea",
            run: "edit 客户承诺通过手机银行缴费",
        },
        {
            content: "Log it",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "Back to the kanban once the contact is logged",
            trigger: "body:not(:has(.modal)) .o_breadcrumb a:contains('Renewal Cases')",
            run: "click",
        },
        {
            content: "The card sits under Promised to Pay, with its promise",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains('Promised to Pay')) .o_kanban_record:contains('张伟'):contains('Promised')",
        },
    ],
});
