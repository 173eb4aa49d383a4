/* x86_64 defconfig-level options plus those the existing layouts assume (arch/x86_64.ts
 * X86_FLAG_CONFIG), for x86_64.h and x86_64-la57.h, which add only the paging depth. */
#include "common-64.h"
#define CONFIG_X86 1
#define CONFIG_X86_64 1
#define CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS 1
#define CONFIG_ARCH_HAS_PKEYS 1
#define CONFIG_MEM_SOFT_DIRTY 1
#define CONFIG_HAVE_ARCH_SOFT_DIRTY 1
#define CONFIG_HAVE_ARCH_USERFAULTFD_WP 1
#define CONFIG_ARCH_HAS_PTE_DEVMAP 1
#define CONFIG_ARCH_HAS_PTE_SPECIAL 1
#define CONFIG_PHYSICAL_START 0x1000000
#define CONFIG_PHYSICAL_ALIGN 0x200000
