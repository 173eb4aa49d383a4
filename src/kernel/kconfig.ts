// The Kconfig symbols the DAX paths depend on, derived for a layout as Linux 6.1's Kconfig
// derives them for an architecture (the same in 5.17 and 5.19):
//   mm/Kconfig   ZONE_DEVICE     depends on ARCH_HAS_PTE_DEVMAP (and memory hotplug and
//                                SPARSEMEM_VMEMMAP, which every modelled 64-bit arch has):
//                                on exactly where the layout has a devmap bit.
//   fs/Kconfig   FS_DAX_LIMITED  selected by DCSSBLK (drivers/s390/block/Kconfig): DAX
//                                without struct pages; the layout says whether it holds.
//                FS_DAX          depends on ZONE_DEVICE || FS_DAX_LIMITED.
//                FS_DAX_PMD      default FS_DAX, depends on FS_DAX, ZONE_DEVICE and
//                                TRANSPARENT_HUGEPAGE.
// The `page` strategies' `depends on !FS_DAX_LIMITED` (Dan Williams' proposal) is then the
// same condition. `pmd on` where FS_DAX_PMD cannot be built is a what-if (DAX PMDs without a
// devmap bit), reported as such.

import type { Layout } from '../../arch/types.ts';

export type PmdSetting = 'on' | 'off' | 'auto';

export interface DaxKconfig {
  readonly zoneDevice: boolean;
  readonly fsDaxLimited: boolean;
  readonly fsDax: boolean;
  /** CONFIG_FS_DAX_PMD as built. */
  readonly fsDaxPmd: boolean;
  /** FS_DAX_PMD forced on where Kconfig does not allow it. */
  readonly pmdWhatIf: boolean;
}

/** The Kconfig of `layout`, with the `pmd` setting applied to FS_DAX_PMD. */
export function daxKconfig(layout: Layout, pmd: PmdSetting = 'auto'): DaxKconfig {
  const zoneDevice = layout.devmap !== null;
  const fsDaxLimited = layout.fsDaxLimited;
  const fsDax = zoneDevice || fsDaxLimited;
  const allowed = fsDax && zoneDevice && !fsDaxLimited;
  const fsDaxPmd = pmd === 'auto' ? allowed : pmd === 'on';
  return { zoneDevice, fsDaxLimited, fsDax, fsDaxPmd, pmdWhatIf: pmd === 'on' && !allowed };
}

/** FS_DAX_PMD for a layout and a `pmd` setting, and whether that is a what-if. */
export function resolvePmd(layout: Layout, setting: PmdSetting): { fsDaxPmd: boolean; whatIf: boolean } {
  const c = daxKconfig(layout, setting);
  return { fsDaxPmd: c.fsDaxPmd, whatIf: c.pmdWhatIf };
}
