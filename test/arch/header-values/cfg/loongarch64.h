/* loongson3_defconfig: CONFIG_PAGE_SIZE_16KB=y; "Page Table Layout" choice default 16KB_3LEVEL for
 * 64BIT (arch/loongarch/Kconfig:227-230). */
#include "common-64.h"
#define CONFIG_LOONGARCH 1
#define CONFIG_PAGE_SIZE_16KB 1
#define CONFIG_16KB_3LEVEL 1
#define CONFIG_PGTABLE_3LEVEL 1
#define CONFIG_PGTABLE_LEVELS 3
#define CONFIG_ARCH_HAS_PTE_SPECIAL 1
