export * from './version.js';
export * from './ids.js';
export * from './topics.js';
export * from './messages.js';
export * from './uptime.js';
export * from './gbt.js';
export * from './config-messages.js';
export * from './local-time.js';
