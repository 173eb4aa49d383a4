#include "ppc64-common.h"
#define CONFIG_PPC_64K_PAGES 1
#define CONFIG_PPC_PAGE_SHIFT 16
