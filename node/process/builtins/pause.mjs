// The `pause` image: does nothing until signalled, then exits 0.
// @ts-check
import { exitOnSignals } from './support.mjs';

exitOnSignals();
setInterval(() => undefined, 1 << 30);
