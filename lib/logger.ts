// One structured logger for every layer. Quiet by default (warnings and errors only);
// K8TS_LOG_LEVEL=debug|info|... turns it up.
import { pino } from 'pino';

export const logger = pino({
  level: process.env.K8TS_LOG_LEVEL ?? 'warn',
  base: undefined,
});

export type Logger = typeof logger;
