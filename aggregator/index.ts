/**
 * The aggregator's public entry points: what the `xueliang` command (and
 * anyone embedding the centre) uses. The CLI imports the aggregator from here
 * only (test/unit/import-graph.test.ts): what lies behind may move freely.
 */
export { AggregatorApp } from './app.js';
// `xueliang report`: the assessment report as the API gives it, and its workbook
export type { Report } from './features/report.js';
export { reportWorkbook } from './features/report-workbook.js';
export { exportWords } from './features/report-words.js';
// `xueliang audit verify`: the store the config names, and the audit chain's check
export { createStore } from './adapters/open-store.js';
export { ChainVerifier } from './audit/chain.js';
// `xueliang user …` and `xueliang token …`: accounts in the store, with the rules the console's follow
export { AccountStore } from './auth/accounts.js';
export { AccountAdmin, pendingAuditSink, tokenView, userView } from './auth/admin.js';
export { parseLifetime } from './auth/tokens.js';
