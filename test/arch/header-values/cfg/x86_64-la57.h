/* Validation only (the existing x86_64-la57 layout): 5-level paging. */
#include "x86_64-common.h"
#define CONFIG_PGTABLE_LEVELS 5
#define CONFIG_X86_5LEVEL 1
