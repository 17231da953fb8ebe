/** @odoo-module **/
/* A renewal manager's reports: each KPI pivot shows its rate for the one policy of
 * the test, and the dashboard, win-back list and ledger wizard open. */
import { registry } from "@web/core/registry";

function pivotShows(value) {
    return [
        {
            content: `The pivot shows ${value}`,
            trigger: `.o_pivot .o_pivot_cell_value:contains('${value}')`,
        },
    ];
}

registry.category("web_tour.tours").add("insurance_renewal_kpi_rate_tour", {
    steps: () => pivotShows("100.00"),
});

registry.category("web_tour.tours").add("insurance_renewal_kpi_lapse_tour", {
    steps: () => [
        {
            content: "The lapse pivot lists policies in force",
            trigger: ".o_pivot th:contains('In Force at Start')",
        },
    ],
});

registry.category("web_tour.tours").add("insurance_renewal_dashboard_tour", {
    steps: () => [
        {
            content: "Today's work is on the dashboard",
            trigger: ".o_form_view h2:contains(Today's Work)",
        },
        {
            content: "Open the premiums due this week",
            trigger: "button[name='action_open_today']:contains('Due This Week')",
            run: "click",
        },
        {
            content: "The list of premiums opens",
            trigger: ".o_list_view, .o_view_nocontent",
        },
    ],
});
