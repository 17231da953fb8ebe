/** @odoo-module **/
/* The demo insurer's renewal specialist: the Renewals kanban, its column totals and
 * a case form show premiums in yuan (¥), never in dollars. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("insurance_renewal_demo_cny_tour", {
    steps: () => [
        {
            content: "A card shows its amount due in yuan",
            trigger: ".o_kanban_record .o_field_monetary:contains('¥')",
        },
        {
            content: "The columns total in yuan",
            trigger: ".o_kanban_group .o_kanban_counter:contains('¥')",
        },
        {
            content: "No card nor total shows dollars",
            trigger: ".o_kanban_renderer:not(:contains('$'))",
        },
        {
            content: "Open the case of 张伟's policy in grace",
            trigger: ".o_kanban_record:contains('AKZJ'):contains('张伟')",
            run: "click",
        },
        {
            content: "The case form shows the amount due in yuan",
            trigger: ".o_form_view .o_field_widget[name='renewal_amount_due']:contains('¥ 1,680.00')",
        },
        {
            content: "and no dollars",
            trigger: ".o_form_view:not(:contains('$'))",
        },
    ],
});
