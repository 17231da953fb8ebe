/** @odoo-module **/
/* A customer opens the pay link of a reminder on a phone, pays with the demo
 * provider, and sees the premium paid; a link tampered with is refused. */
import { registry } from "@web/core/registry";

registry.category("web_tour.tours").add("insurance_renewal_customer_pay_tour", {
    steps: () => [
        {
            content: "The pay page lists the premium of the reminder",
            trigger: ".o_insurance_pay_page .o_insurance_premium_grace",
        },
        {
            content: "The customer enters their card (demo provider)",
            trigger: ".o_insurance_pay_online input[name='customer_input']",
            run: "edit 4242424242424242",
        },
        {
            content: "Pay",
            trigger: "button[name='o_payment_submit_button']",
            run: "click",
            expectUnloadPage: true,
        },
        {
            content: "Back on the pay page: paid, nothing left to pay",
            trigger: ".o_insurance_pay_page .o_insurance_all_paid",
        },
        {
            content: "The premium shows paid and the policy in force",
            trigger:
                ".o_insurance_pay_page:not(:has(.o_insurance_pay_online)) .o_insurance_premium_paid",
        },
    ],
});

registry.category("web_tour.tours").add("insurance_renewal_tampered_link_tour", {
    steps: () => [
        {
            content: "A changed link shows why it is refused, and nothing else",
            trigger: ".o_insurance_pay_refused .alert-danger",
        },
        {
            content: "No premium of anyone is shown",
            trigger: "body:not(:has(.o_insurance_premium_row))",
        },
    ],
});
