/* powerpc book3s64 (ppc64le / powernv_defconfig / pseries level): both MMUs built in, the MMU is
 * chosen at boot (radix on POWER9+ unless disable_radix; hash on POWER8 or with disable_radix). */
#include "common-64.h"
#define CONFIG_PPC 1
#define CONFIG_PPC64 1
#define CONFIG_PPC_BOOK3S 1
#define CONFIG_PPC_BOOK3S_64 1
#define CONFIG_PPC_64S_HASH_MMU 1
#define CONFIG_PPC_RADIX_MMU 1
#define CONFIG_PPC_RADIX_MMU_DEFAULT 1
#define CONFIG_PGTABLE_LEVELS 4
#define CONFIG_HAVE_ARCH_SOFT_DIRTY 1
#define CONFIG_MEM_SOFT_DIRTY 1
#define CONFIG_CHECKPOINT_RESTORE 1
#define CONFIG_PPC_MEM_KEYS 1
#define CONFIG_CPU_LITTLE_ENDIAN 1
#define CONFIG_ARCH_HAS_PTE_DEVMAP 1
#define CONFIG_ARCH_HAS_PTE_SPECIAL 1
