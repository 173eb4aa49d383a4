/* Options every modelled 64-bit configuration shares (Linux 6.1 defconfig level). */
#define CONFIG_64BIT 1
#define CONFIG_MMU 1
#define CONFIG_SMP 1
#define CONFIG_TRANSPARENT_HUGEPAGE 1
#define CONFIG_HUGETLB_PAGE 1
#define CONFIG_SPARSEMEM 1
#define CONFIG_SPARSEMEM_VMEMMAP 1
#define CONFIG_SPARSEMEM_EXTREME 1
#define CONFIG_NUMA_BALANCING 1
#define CONFIG_PHYS_ADDR_T_64BIT 1
/* Generic options the common headers need to preprocess at all (values do not affect PTE bits). */
#define CONFIG_HZ 250
#define CONFIG_TREE_RCU 1
#define CONFIG_NR_CPUS 256
#define CONFIG_NODES_SHIFT 6
#define CONFIG_NUMA 1
#define CONFIG_ZONE_DMA32 1
#define CONFIG_SPLIT_PTLOCK_CPUS 4
#define CONFIG_BASE_SMALL 0
#define CONFIG_FORCE_MAX_ZONEORDER 11
#define CONFIG_ARCH_FORCE_MAX_ORDER 11
#define CONFIG_PAGE_OFFSET_PLACEHOLDER 0
