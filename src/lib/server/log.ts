import pino from 'pino';

/**
 * One JSON line per event on stdout, so a log shipper (or `jq`) can read it.
 * Request-scoped loggers are children carrying `requestId`.
 */
export const log = pino({
	level: process.env.LOG_LEVEL ?? 'info',
	base: { service: 'codelynn-studio' },
	timestamp: pino.stdTimeFunctions.isoTime,
	formatters: { level: (label) => ({ level: label }) }
});

export type Logger = pino.Logger;
