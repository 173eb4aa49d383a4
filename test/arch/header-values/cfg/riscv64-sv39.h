/* riscv defconfig: CONFIG_PGTABLE_LEVELS is 5 for 64BIT (arch/riscv/Kconfig:224); Sv39/Sv48/Sv57 is
 * picked at boot (pgtable_l4_enabled / pgtable_l5_enabled, arch/riscv/mm/init.c), so the flag
 * values of riscv64-sv39 and riscv64-sv48 are the same. */
#include "common-64.h"
#define CONFIG_RISCV 1
#define CONFIG_PGTABLE_LEVELS 5
#define CONFIG_RISCV_ISA_SVPBMT 1
#define CONFIG_RISCV_ALTERNATIVE 1
#define CONFIG_ARCH_HAS_PTE_SPECIAL 1
#define CONFIG_PAGE_OFFSET 0xff60000000000000
