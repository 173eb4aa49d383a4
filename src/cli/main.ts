#!/usr/bin/env node
// The daxsim command line: dispatches to one module per command (src/cli/commands/) through
// runCli (run-cli.ts, also called in-process by tests).
// Exit codes (interface.md): 0 success, 1 an expect failed or a violation was found,
// 2 bad input or usage, always as one line on stderr.

import { runCli } from './run-cli.ts';

process.exitCode = await runCli(process.argv.slice(2));
