/* Validation only (the existing x86_64 layout): x86_64 defconfig-level options plus those the
 * existing layout assumes (arch/x86_64.ts X86_FLAG_CONFIG). */
#include "common-64.h"
#define CONFIG_X86 1
#define CONFIG_X86_64 1
#define CONFIG_PGTABLE_LEVELS 4
#define CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS 1
#define CONFIG_ARCH_HAS_PKEYS 1
#define CONFIG_MEM_SOFT_DIRTY 1
#define CONFIG_HAVE_ARCH_SOFT_DIRTY 1
#define CONFIG_HAVE_ARCH_USERFAULTFD_WP 1
#define CONFIG_ARCH_HAS_PTE_DEVMAP 1
#define CONFIG_ARCH_HAS_PTE_SPECIAL 1
#define CONFIG_PHYSICAL_START 0x1000000
#define CONFIG_PHYSICAL_ALIGN 0x200000
