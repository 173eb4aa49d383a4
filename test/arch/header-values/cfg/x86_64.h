/* Validation only (the existing x86_64 layout): 4-level paging. */
#include "x86_64-common.h"
#define CONFIG_PGTABLE_LEVELS 4
