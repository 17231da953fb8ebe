/** @odoo-module **/
/* A renewal specialist's day: log in on My Cases, open Today, log an unanswered
 * call and schedule the next one in the same step, then open the customer
 * overview of the case. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("insurance_renewal_specialist_day_tour", {
    steps: () => [
        {
            content: "Logged in on the renewal cases, filtered on My Cases",
            trigger: ".o_searchview_facet:contains('My Cases')",
        },
        {
            content: "The case of the customer is on the kanban",
            trigger: ".o_kanban_renderer .o_kanban_record:contains('张伟')",
        },
        {
            content: "No New button: a case opens by itself from its policy",
            trigger: ".o_kanban_view .o_control_panel:not(:has(.o-kanban-button-new))",
        },
        {
            content: "Open the Renewals menu",
            trigger: ".o_menu_sections button:contains('Renewals')",
            run: "click",
        },
        {
            content: "Open Today",
            trigger: ".dropdown-menu .dropdown-item:contains('Today')",
            run: "click",
        },
        {
            content: "Today's filters are ticked",
            trigger: ".o_searchview_facet:contains('Grace Ends Within 7 Days')",
        },
        {
            content: "The case whose grace ends this week is there: open it",
            trigger: ".o_kanban_renderer .o_kanban_record:contains('张伟')",
            run: "click",
        },
        {
            content: "The case opens on its renewal",
            trigger: ".o_notebook .nav-link.active:contains('Renewal')",
        },
        {
            content: "Log the call",
            trigger: "button[name='action_log_renewal_contact']",
            run: "click",
        },
        {
            content: "The customer's phone is there to call",
            trigger: ".modal .o_field_widget[name='phone'] a[href^='tel:']",
        },
        {
            content: "Choose the outcome of the call",
            trigger: ".modal .o_field_widget[name='outcome'] .o_select_menu .dropdown-toggle",
            run: "click",
        },
        {
            content: "Nobody answered",
            trigger: ".o_select_menu_menu .o_select_menu_item:contains('No Answer')",
            run: "click",
        },
        {
            content: "Log it and schedule the next call",
            trigger: ".modal button[name='action_confirm_and_schedule']",
            run: "click",
        },
        {
            content: "Back on the case, open the customer overview",
            trigger: "body:not(:has(.modal)) button[name='action_open_renewal_overview']",
            run: "click",
        },
        {
            content: "The overview lists the premium in grace and the call just logged",
            trigger:
                ".o_form_view:has(.o_field_widget[name='overview_line_ids'] .o_data_row:contains('P-TOUR-1')) .o_field_widget[name='overview_activity_ids'] .o_data_row:contains('No Answer')",
        },
    ],
});

registry.category("web_tour.tours").add("insurance_renewal_sales_rep_tour", {
    steps: () => [
        {
            content: "Under My Cases, the sales rep finds the case of their customer",
            trigger: ".o_searchview_facet:contains('My Cases')",
        },
        {
            content: "No New button: a sales rep cannot open a renewal case",
            trigger: ".o_kanban_view .o_control_panel:not(:has(.o-kanban-button-new))",
        },
        {
            content: "and opens it",
            trigger: ".o_kanban_record:contains('张伟'):contains('P-TOUR-1')",
            run: "click",
        },
        {
            content: "The sales rep reads the case of the customer",
            trigger: ".o_form_view .o_field_widget[name='insurance_policy_id']:contains('P-TOUR-1')",
        },
        {
            content: "Every field is read-only",
            trigger: ".o_form_view .o_field_widget[name='partner_id'].o_readonly_modifier",
        },
        {
            content: "and the case's form offers no New either",
            trigger: ".o_form_view .o_control_panel:not(:has(.o_form_button_create))",
        },
        {
            content: "No button invites a change: no Lost, no Won, no Log a Contact",
            trigger:
                ".o_form_view .o_form_statusbar:not(:has(.o_statusbar_buttons button:visible))",
        },
        {
            content: "The stages cannot be clicked",
            trigger: ".o_form_view .o_statusbar_status button:disabled",
        },
    ],
});
