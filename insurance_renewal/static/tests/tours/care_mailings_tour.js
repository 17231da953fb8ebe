/** @odoo-module **/
/* A renewal manager's customer care: the care email list shows the greeting
 * templates, and a greeting opens with its renewal segment to pick. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("insurance_renewal_care_email_tour", {
    steps: () => [
        {
            content: "The Spring Festival greeting is among the care emails",
            trigger: ".o_data_row td[name='subject']:contains('新春快乐')",
            run: "click",
        },
        {
            content: "The greeting's form lets the manager pick a renewal segment",
            trigger: ".o_form_view .o_field_widget[name='renewal_segment_id']",
        },
    ],
});

registry.category("web_tour.tours").add("insurance_renewal_care_sms_tour", {
    steps: () => [
        {
            content: "The Mid-Autumn SMS greeting is among the care SMS",
            trigger: ".o_data_row:contains('中秋问候')",
        },
    ],
});
