// Entry of a litmus worker thread: plain JavaScript, so that it starts under any loader; it
// registers tsx (as src/cli/bin.mjs and src/explore/worker-entry.mjs do), then loads the
// TypeScript worker.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
