/* The same configuration as riscv64-sv39.h: Sv39 or Sv48 is picked at boot, not by Kconfig. */
#include "riscv64-sv39.h"
