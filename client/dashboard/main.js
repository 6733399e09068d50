// The dashboard's entry point, bundled by functions/node/dashboard.ts (esbuild): the
// balance and payout panels first (they listen for the views app.js announces), then the page.
import './payouts.js';
import './app.js';
