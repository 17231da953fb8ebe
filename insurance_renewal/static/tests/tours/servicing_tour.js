/** @odoo-module **/
/* Hardship servicing in the browser: a renewal specialist offers a deferral from a
 * case in grace and the card leaves Grace Collection; an underwriter approves a
 * reinstatement from the Reviews to Do queue. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("insurance_renewal_deferral_tour", {
    steps: () => [
        {
            content: "The case in grace waits under Grace Collection",
            trigger:
                ".o_kanban_group:has(.o_column_title:contains('Grace Collection')) .o_kanban_record:contains('张伟')",
            run: "click",
        },
        {
            content: "Offer a deferral from the case",
            trigger: ".o_form_view button[name='action_new_servicing_request']:contains('Defer')",
            run: "click",
        },
        {
            content: "The instalment in grace is proposed",
            trigger: ".modal .o_field_widget[name='premium_line_ids'] .o_tag",
        },
        {
            trigger: ".modal .o_field_widget[name='deferral_days'] input",
            run: "edit 30",
        },
        {
            trigger: ".modal .o_field_widget[name='reason'] textarea",
            run: "edit 客户本月工资延迟发放",
        },
        {
            content: "Submit the deferral",
            trigger: ".modal button[name='action_confirm']",
            run: "click",
        },
        {
            content: "Back to the kanban once the deferral is done",
            trigger: "body:not(:has(.modal)) .o_breadcrumb a:contains('Renewal Cases')",
            run: "click",
        },
        {
            content: "The card is no longer in Grace Collection",
            trigger:
                ".o_kanban_renderer:not(:has(.o_kanban_group:has(.o_column_title:contains('Grace Collection')) .o_kanban_record:contains('张伟'))) .o_kanban_record:contains('张伟')",
        },
    ],
});

registry.category("web_tour.tours").add("insurance_renewal_reinstatement_review_tour", {
    steps: () => [
        {
            content: "The reinstatement waits in the underwriter's queue",
            trigger: ".o_list_view .o_data_row:contains('P-TOUR-2') .o_data_cell[name='name']",
            run: "click",
        },
        {
            content: "The health declaration is there to read",
            trigger: ".o_form_view .o_field_widget[name='health_declaration']:contains('无住院史')",
        },
        {
            content: "Approve",
            trigger: ".o_form_view button[name='validate_tier']",
            run: "click",
        },
        {
            content: "The request is done",
            trigger: ".o_form_view .o_statusbar_status button.o_arrow_button_current:contains('Done')",
        },
    ],
});
