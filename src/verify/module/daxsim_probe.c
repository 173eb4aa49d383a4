// SPDX-License-Identifier: GPL-2.0
/*
 * daxsim_probe: the guest-side half of `daxsim verify`, built against Debian's
 * linux-headers for the exact kernel it is loaded into. Two jobs:
 *
 * 1. /proc/daxsim_pt: write "PID START END", read back every non-empty page-table entry
 *    that maps [START, END) in PID's mm, one "LEVEL VA VALUE" line per entry (VA: the first
 *    address the entry maps, VALUE: the raw entry in hex). It takes mmap_read_lock and, for
 *    each PMD and PTE, that table's lock, reads each entry once and writes nothing: software
 *    reads leave the hardware's accessed and dirty bits alone.
 *
 * 2. The pre-fix mkclean, restored at run time (module parameter `mkclean`):
 *    6.1's dax_writeback_one() (fs/dax.c) calls pfn_mkclean_range(pfn, count, index, vma)
 *    for every VMA overlapping the entry's whole index range [index, index + count - 1]
 *    (06083a0921fd, v5.19). v5.17's dax_entry_mkclean() visited only the VMAs containing
 *    the entry's first index (vma_interval_tree_foreach(.., index, index)) and cleaned the
 *    one PMD or PTE at that index's address if it mapped the head pfn. An ftrace hook with
 *    IPMODIFY (the livepatch mechanism) sends pfn_mkclean_range to v517_mkclean(), which
 *    returns early for the other VMAs and calls the real function for one page otherwise.
 *    "pre-f729c8c9b24f" (dax_mapping_entry_mkclean() before v4.10) also skips an address
 *    mapped by a PMD: it used follow_pte(), which fails on a huge PMD.
 *    "range" (the default) leaves 6.1 alone.
 */
#include <linux/module.h>
#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/uaccess.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/sched/mm.h>
#include <linux/ftrace.h>
#include <linux/kprobes.h>

static char *mkclean = "range";
module_param(mkclean, charp, 0644);
MODULE_PARM_DESC(mkclean, "range (6.1 as built), buggy (v5.17 dax_entry_mkclean), pre-f729c8c9b24f");

/* ---- 1. raw page-table entries ------------------------------------------------------ */

static DEFINE_MUTEX(query_lock);
static pid_t query_pid;
static unsigned long query_start, query_end;

static void emit(struct seq_file *m, const char *level, unsigned long va, unsigned long val)
{
	if (val != 0)
		seq_printf(m, "%s %lx %lx\n", level, va, val);
}

/* Emits the entries of each level once, when the walk first reaches them. */
static void dump_range(struct seq_file *m, struct mm_struct *mm, unsigned long start, unsigned long end)
{
	unsigned long addr = start;
	pgd_t *last_pgd = NULL;
	p4d_t *last_p4d = NULL;
	pud_t *last_pud = NULL;
	pmd_t *last_pmd = NULL;

	while (addr < end) {
		pgd_t *pgd = pgd_offset(mm, addr);
		p4d_t *p4d;
		pud_t *pud;
		pmd_t *pmd, pmdval;
		pte_t *pte;
		spinlock_t *ptl;

		if (pgd != last_pgd)
			emit(m, "pgd", addr & PGDIR_MASK, pgd_val(READ_ONCE(*pgd)));
		last_pgd = pgd;
		if (pgd_none(READ_ONCE(*pgd))) {
			addr = pgd_addr_end(addr, end);
			continue;
		}
		p4d = p4d_offset(pgd, addr);
		/* With 4 levels the p4d is the pgd entry itself (folded): only LA57 has its own. */
		if (pgtable_l5_enabled() && p4d != last_p4d)
			emit(m, "p4d", addr & P4D_MASK, p4d_val(READ_ONCE(*p4d)));
		last_p4d = p4d;
		if (p4d_none(READ_ONCE(*p4d))) {
			addr = p4d_addr_end(addr, end);
			continue;
		}
		pud = pud_offset(p4d, addr);
		if (pud != last_pud)
			emit(m, "pud", addr & PUD_MASK, pud_val(READ_ONCE(*pud)));
		last_pud = pud;
		if (pud_none(READ_ONCE(*pud)) || pud_leaf(READ_ONCE(*pud))) {
			addr = pud_addr_end(addr, end);
			continue;
		}
		pmd = pmd_offset(pud, addr);
		ptl = pmd_lock(mm, pmd);
		pmdval = *pmd;
		spin_unlock(ptl);
		if (pmd != last_pmd)
			emit(m, "pmd", addr & PMD_MASK, pmd_val(pmdval));
		last_pmd = pmd;
		if (pmd_none(pmdval) || pmd_leaf(pmdval) || !pmd_present(pmdval)) {
			addr = pmd_addr_end(addr, end);
			continue;
		}
		pte = pte_offset_map_lock(mm, pmd, addr, &ptl);
		emit(m, "pte", addr & PAGE_MASK, pte_val(*pte));
		pte_unmap_unlock(pte, ptl);
		addr = (addr & PAGE_MASK) + PAGE_SIZE;
	}
}

static int pt_show(struct seq_file *m, void *v)
{
	struct task_struct *task;
	struct mm_struct *mm;
	struct pid *pid;

	mutex_lock(&query_lock);
	pid = find_get_pid(query_pid);
	task = pid ? get_pid_task(pid, PIDTYPE_PID) : NULL;
	put_pid(pid);
	mm = task ? get_task_mm(task) : NULL;
	if (task)
		put_task_struct(task);
	if (!mm) {
		mutex_unlock(&query_lock);
		return -ESRCH;
	}
	mmap_read_lock(mm);
	dump_range(m, mm, query_start, query_end);
	mmap_read_unlock(mm);
	mmput(mm);
	mutex_unlock(&query_lock);
	return 0;
}

static ssize_t pt_write(struct file *f, const char __user *ubuf, size_t len, loff_t *off)
{
	char buf[80];
	int pid;
	unsigned long start, end;

	if (len >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, len))
		return -EFAULT;
	buf[len] = '\0';
	if (sscanf(buf, "%d %lx %lx", &pid, &start, &end) != 3 || start >= end)
		return -EINVAL;
	mutex_lock(&query_lock);
	query_pid = pid;
	query_start = start;
	query_end = end;
	mutex_unlock(&query_lock);
	return len;
}

static int pt_open(struct inode *inode, struct file *file)
{
	return single_open(file, pt_show, NULL);
}

static const struct proc_ops pt_ops = {
	.proc_open = pt_open,
	.proc_read = seq_read,
	.proc_write = pt_write,
	.proc_lseek = seq_lseek,
	.proc_release = single_release,
};

/* ---- 2. the pre-fix mkclean ----------------------------------------------------------- */

typedef int (*mkclean_fn)(unsigned long pfn, unsigned long nr_pages, pgoff_t pgoff, struct vm_area_struct *vma);
static mkclean_fn real_mkclean;

/* Is the page at `addr` of `vma` mapped by a PMD leaf? (follow_pte() refused those.) */
static bool pmd_mapped(struct vm_area_struct *vma, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(vma->vm_mm, addr);
	p4d_t *p4d;
	pud_t *pud;
	pmd_t pmd;

	if (pgd_none(*pgd))
		return false;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		return false;
	pud = pud_offset(p4d, addr);
	if (pud_none(*pud))
		return false;
	pmd = READ_ONCE(*pmd_offset(pud, addr));
	return pmd_present(pmd) && pmd_leaf(pmd);
}

static int v517_mkclean(unsigned long pfn, unsigned long nr_pages, pgoff_t pgoff, struct vm_area_struct *vma)
{
	unsigned long addr;
	int cleaned;

	/* v5.17 dax_entry_mkclean(): vma_interval_tree_foreach(vma, &mapping->i_mmap, index, index) */
	if (pgoff < vma->vm_pgoff || pgoff >= vma->vm_pgoff + vma_pages(vma))
		return 0;
	addr = vma->vm_start + ((pgoff - vma->vm_pgoff) << PAGE_SHIFT);
	if (strcmp(mkclean, "pre-f729c8c9b24f") == 0 && pmd_mapped(vma, addr))
		return 0;
	/* One address, the head pfn: the PMD or the PTE mapping the entry's first index. */
	cleaned = real_mkclean(pfn, 1, pgoff, vma);
	/* No tail call: mkclean_hook knows this call by its return address in this module. */
	barrier();
	return cleaned;
}

static void notrace mkclean_hook(unsigned long ip, unsigned long parent_ip, struct ftrace_ops *op, struct ftrace_regs *fregs)
{
	/* Our own call of the real function comes back here: let it through. */
	if (within_module(parent_ip, THIS_MODULE) || strcmp(mkclean, "range") == 0)
		return;
	ftrace_get_regs(fregs)->ip = (unsigned long)v517_mkclean;
}

static struct ftrace_ops mkclean_ops = {
	.func = mkclean_hook,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_RECURSION,
};

/* kallsyms_lookup_name is not exported since 5.7: a kprobe resolves the symbol instead. */
static unsigned long lookup(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	unsigned long addr;

	if (register_kprobe(&kp) < 0)
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return addr;
}

static int __init probe_init(void)
{
	int err;

	real_mkclean = (mkclean_fn)lookup("pfn_mkclean_range");
	if (!real_mkclean)
		return -ENOENT;
	err = ftrace_set_filter_ip(&mkclean_ops, (unsigned long)real_mkclean, 0, 0);
	if (!err)
		err = register_ftrace_function(&mkclean_ops);
	if (err)
		return err;
	if (!proc_create("daxsim_pt", 0600, NULL, &pt_ops)) {
		unregister_ftrace_function(&mkclean_ops);
		return -ENOMEM;
	}
	return 0;
}

static void __exit probe_exit(void)
{
	remove_proc_entry("daxsim_pt", NULL);
	unregister_ftrace_function(&mkclean_ops);
	ftrace_set_filter_ip(&mkclean_ops, (unsigned long)real_mkclean, 1, 0);
}

module_init(probe_init);
module_exit(probe_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("daxsim verify: raw page-table entries and the pre-fix DAX mkclean");
