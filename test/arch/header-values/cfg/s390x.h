/* Validation only (the existing s390x layout): s390 defconfig-level options. */
#include "common-64.h"
#define CONFIG_S390 1
#define CONFIG_PGTABLE_LEVELS 5
#define CONFIG_MEM_SOFT_DIRTY 1
#define CONFIG_HAVE_ARCH_SOFT_DIRTY 1
#define CONFIG_ARCH_HAS_PTE_SPECIAL 1
#define CONFIG_NR_CPUS 256
