#!/usr/bin/env node
// The daxsim command line: dispatches to one module per command (src/cli/commands/) through
// runCli (run-cli.ts, also called in-process by tests).
// Exit codes (README, "Exit codes"): 0 success, 1 an expect failed or a violation was found,
// 2 bad input or usage, 3 an internal error; errors are always one line on stderr.

import { guardPipes, runCli } from './run-cli.ts';

guardPipes();
process.exitCode = await runCli(process.argv.slice(2));
