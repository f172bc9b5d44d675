#!/usr/bin/env node
// The package's bin: runs cli/main.ts through tsx, so no build step is needed.
import { register } from 'tsx/esm/api';

register();
process.env.K8TS_CLI_MAIN = '1';
await import('../cli/main.ts');
