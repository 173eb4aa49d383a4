// Entry of an explore worker thread: plain JavaScript, so it starts under any loader, then
// registers tsx (as src/cli/bin.mjs does) and loads the TypeScript worker.
import { register } from 'tsx/esm/api';
register();
await import('./worker.ts');
