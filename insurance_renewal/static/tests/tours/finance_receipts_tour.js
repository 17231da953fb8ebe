/** @odoo-module **/
/* A finance user with invoicing rights only: from the Invoicing app, import a bank
 * file of premium receipts, open its unmatched receipts from the file (its to-do
 * for Finance), reconcile the receipt left there with the oldest premium invoice
 * proposed (the to-do is then done), see the suspense queue, open the reconciliation
 * report; then build today's auto-debit order and export the bank's request file. */
import { registry } from "@web/core/registry";

const { DateTime } = luxon;

function openFinanceMenu(item) {
    return [
        {
            content: "Open the Renewal Premiums menu",
            trigger: ".o_main_navbar .o_menu_sections button:contains('Renewal Premiums')",
            run: "click",
        },
        {
            content: `Choose ${item}`,
            trigger: `.o-dropdown--menu .dropdown-item:contains('${item}')`,
            run: "click",
        },
    ];
}

registry.category("web_tour.tours").add("insurance_renewal_finance_tour", {
    steps: () => [
        {
            content: "Open the apps menu",
            trigger: ".o_navbar_apps_menu button",
            run: "click",
        },
        {
            content: "Open the Invoicing app",
            trigger: ".o_app[data-menu-xmlid='account.menu_finance']",
            run: "click",
        },
        ...openFinanceMenu("Import Bank File"),
        {
            content: "Attach the bank's receipt file",
            trigger: ".modal .o_field_widget[name='data_file'] input[type='file']:not(:visible)",
            run() {
                const today = DateTime.now().toFormat("yyyy-MM-dd");
                const content = `date,amount,payer name,memo\n${today},6000,赵磊,保费\n`;
                const transfer = new DataTransfer();
                transfer.items.add(new File([content], "receipts.csv", { type: "text/csv" }));
                this.anchor.files = transfer.files;
                this.anchor.dispatchEvent(new Event("change", { bubbles: true }));
            },
        },
        {
            content: "The file is attached",
            trigger: ".modal .o_field_widget[name='data_file'] .fa-trash",
        },
        {
            content: "Import it",
            trigger: ".modal button[name='action_import']",
            run: "click",
        },
        {
            content: "The imported file is shown",
            trigger: "body:not(:has(.modal)) .o_form_view .o_field_widget[name='name']:contains('receipts.csv')",
        },
        {
            content: "The receipt left unmatched is the Finance team's to-do, on the file",
            trigger: ".o_form_view .o-mail-Chatter .o-mail-Activity",
        },
        {
            content: "Open the file's unmatched receipts",
            trigger: ".o_form_view button[name='action_view_unmatched_receipts']:contains('1')",
            run: "click",
        },
        {
            content: "The suspense queue is shown on this file's receipts",
            trigger: ".o_breadcrumb .active:contains('receipts.csv')",
        },
        {
            content: "Reconcile the receipt waiting in the queue",
            trigger: ".o_list_view .o_data_row:contains('保费') button[name='action_open_insurance_reconcile']",
            run: "click",
        },
        {
            content: "The oldest invoice is proposed",
            trigger: ".modal .o_field_widget[name='invoice_ids'] .o_data_row:contains('P-0005')",
        },
        {
            content: "Reconcile",
            trigger: ".modal button[name='action_reconcile']",
            run: "click",
        },
        {
            content: "The queue is empty again",
            trigger: "body:not(:has(.modal)) .o_view_nocontent, body:not(:has(.modal)) .o_list_view:not(:has(.o_data_row))",
        },
        {
            content: "Back to the file",
            trigger: ".o_breadcrumb a:contains('receipts.csv')",
            run: "click",
        },
        {
            content: "The file's to-do is done, and says so in its chatter",
            trigger: ".o_form_view:not(:has(.o-mail-Activity)) .o-mail-Message:contains('left the suspense queue')",
        },
        ...openFinanceMenu("Suspense Queue"),
        {
            content: "The suspense queue has nothing left either",
            trigger: ".o_breadcrumb .active:contains('Premium Receipts')",
        },
        ...openFinanceMenu("Reconciliation Report"),
        {
            trigger: ".modal .o_field_widget[name='date_from'] input",
            run: "edit 01/01/2024",
        },
        {
            trigger: ".modal .o_field_widget[name='date_to'] input",
            run: "edit 12/31/2026",
        },
        {
            content: "Download the report",
            trigger: ".modal button[name='action_print']",
            run: "click",
        },
        {
            content: "Close the dialog once the report is downloaded",
            trigger: ".modal:not(:has(.o_error_dialog)) .modal-footer button:contains('Cancel')",
            run: "click",
        },
        {
            content: "No error came up",
            trigger: "body:not(:has(.modal)) .o_list_view",
        },
        ...openFinanceMenu("Auto-debit Orders"),
        {
            content: "Build today's debit order",
            trigger: "button[name='action_build_insurance_debit_order']",
            run: "click",
        },
        {
            content: "The premium still owed is in the order, with the payer's mandate",
            trigger: ".o_form_view .o_field_widget[name='payment_line_ids'] .o_data_row:contains('P-0004-002')",
        },
        {
            content: "Export the bank's request file",
            trigger: "button[name='action_export_insurance_debit_csv']",
            run: "click",
        },
        {
            content: "The order's file is generated",
            trigger: ".o_form_view .o_statusbar_status .o_arrow_button_current:contains('File Generated')",
        },
    ],
});
