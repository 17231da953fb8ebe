/** @odoo-module **/
/* An underwriter opens their team's queue, takes the reinstatement review
 * waiting there and marks it done. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("insurance_renewal_team_queue_tour", {
    steps: () => [
        {
            content: "The review waits in the team's queue, not taken yet",
            trigger: ".o_list_renderer .o_data_row:contains('P-TEAM-1') button[name='action_take_team_work']",
            run: "click",
        },
        {
            content: "Taken: it is now the underwriter's",
            trigger: ".o_list_renderer .o_data_row:contains('P-TEAM-1'):contains('tour_underwriter'):not(:has(button[name='action_take_team_work']))",
        },
        {
            content: "Mark it done",
            trigger: ".o_list_renderer .o_data_row:contains('P-TEAM-1') button[name='action_done']",
            run: "click",
        },
        {
            content: "The queue is empty",
            trigger: ".o_view_nocontent, .o_list_renderer:not(:has(.o_data_row))",
        },
    ],
});
