/* arm64 defconfig (arch/arm64/configs/defconfig: CONFIG_ARM64_VA_BITS_48=y; 4K pages is the
 * Kconfig default; PA_BITS_48 is the default of the "Physical address space size" choice). */
#include "common-64.h"
#define CONFIG_ARM64 1
#define CONFIG_ARM64_4K_PAGES 1
#define CONFIG_ARM64_PAGE_SHIFT 12
#define CONFIG_ARM64_VA_BITS_48 1
#define CONFIG_ARM64_VA_BITS 48
#define CONFIG_ARM64_PA_BITS_48 1
#define CONFIG_ARM64_PA_BITS 48
#define CONFIG_PGTABLE_LEVELS 4
#define CONFIG_ARM64_CONT_PTE_SHIFT 4
#define CONFIG_ARM64_CONT_PMD_SHIFT 4
#define CONFIG_ARM64_HW_AFDBM 1
#define CONFIG_ARM64_MTE 1
#define CONFIG_CPU_LITTLE_ENDIAN 1
#define CONFIG_ARCH_HAS_PTE_DEVMAP 1
#define CONFIG_ARCH_HAS_PTE_SPECIAL 1
