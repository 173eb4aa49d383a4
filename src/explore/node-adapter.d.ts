// Types for comlink's node adapter, which ships its declarations as node-adapter.d.ts next
// to node-adapter.mjs (NodeNext resolution looks for .d.mts).
declare module 'comlink/dist/esm/node-adapter.mjs' {
  import type { Endpoint } from 'comlink';
  export interface NodeEndpoint {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    postMessage(message: any, transfer?: any[]): void;
    on(type: string, listener: (value: any) => void): void;
    off(type: string, listener: (value: any) => void): void;
    start?: () => void;
  }
  export default function nodeEndpoint(nep: NodeEndpoint): Endpoint;
}
