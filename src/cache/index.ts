// The write-back cache in front of pmem, the persistence domain and crash states.
export { PmemCache, OverlayImage, LINE_SIZE, LINE_SHIFT, type Persistence, type CrashImage, type PmemCacheOptions } from './pmem-cache.ts';
export { archWbCachePmem } from './arch-pmem.ts';
export { crashStates, type CrashStates, type CrashEnumOptions } from './crash.ts';
