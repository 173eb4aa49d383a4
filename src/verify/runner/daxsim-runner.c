/* SPDX-License-Identifier: GPL-2.0 */
/*
 * daxsim-runner: runs one `.dax` scenario on the real kernel inside the verify guest.
 *
 *   daxsim-runner SCENARIO.dax DIR [HINTS]   (DIR: the ext4 -o dax mount; HINTS: "LINE ADDR"
 *                                             lines, the model's address of each mmap)
 *
 * Statements run in order. Each `proc` is a real process (fork), waiting on a pipe for the
 * statements that name it; the parent does the rest. After every statement the parent prints
 * one JSON record on stdout:
 *   {"line":N,"err":"","faults":{"P":[read,write,wp],...},
 *    "maps":[{"proc":"P","map":"M","start":"0x..","len":N,"pt":[["pmd","0x..","0x.."],...]}]}
 * faults: each process's user page faults so far inside its mappings, from the
 * exceptions:page_fault_user tracepoint (arch/x86/mm/fault.c trace_page_fault_entries):
 * error code without X86_PF_PRESENT is a read or write fault by X86_PF_WRITE, with both a
 * write-protect fault. pt: every non-empty entry (every level) mapping the mapping, as the
 * daxsim_probe module reads it (/proc/daxsim_pt). `file` records add "phys", the physical
 * address of the file's first block, so the driver can tell which file offset a leaf maps.
 * Settings lines are the driver's business; unknown statements give "unsupported".
 * `daxsim-runner --parse SCENARIO.dax` only prints how it reads each line (daxsim's tests).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <linux/mman.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXW 16
#define MAXN 64
#define TRACE "/sys/kernel/tracing/trace"
#define PMEM_BASE_FILE "/sys/block/pmem0/device/resource"

struct proc { char name[MAXN]; pid_t pid; int cmd, reply; unsigned long faults[3]; };
struct map { char name[MAXN], proc[MAXN], file[MAXN]; unsigned long start, len, pgoff; int live; };

static struct proc procs[MAXN];
static struct map maps[4 * MAXN];
static int nprocs, nmaps;
static const char *dir;
static char **lines;      /* the scenario's lines, for the children too */
static int nlines;
static unsigned long write_id;  /* daxsim's write counter (Simulation.takeWriteId) */
static unsigned long *hints;    /* per line: the address the model gave that mmap */

static void die(const char *what)
{
	printf("\n"); /* end a half-written record: /init reports the failure on the next line */
	fflush(stdout);
	fprintf(stderr, "daxsim-runner: %s: %s\n", what, strerror(errno));
	exit(2);
}

/* Numbers as the .dax language writes them: decimal or 0x hex, optional K/M/G (binary). */
static int num(const char *s, unsigned long *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);
	if (end == s) return -1;
	if (*end == 'K') v <<= 10, end++;
	else if (*end == 'M') v <<= 20, end++;
	else if (*end == 'G') v <<= 30, end++;
	if (*end != '\0') return -1;
	*out = v;
	return 0;
}

static int split(char *line, char **w)
{
	int n = 0;
	char *hash = strchr(line, '#'), *tok, *save;
	if (hash) *hash = '\0';
	for (tok = strtok_r(line, " \t\r\n", &save); tok && n < MAXW; tok = strtok_r(NULL, " \t\r\n", &save)) w[n++] = tok;
	return n;
}

static struct proc *find_proc(const char *n)
{
	for (int i = 0; i < nprocs; i++) if (!strcmp(procs[i].name, n)) return &procs[i];
	return NULL;
}

static struct map *find_map(const char *n)
{
	for (int i = nmaps - 1; i >= 0; i--) if (!strcmp(maps[i].name, n)) return &maps[i];
	return NULL;
}

static int open_file(const char *name, int flags)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return open(path, flags, 0644);
}

/* ---- in the child: the statements a process performs ---------------------------------- */

/* CPUID.(EAX=7,ECX=0):EBX bit 24 CLWB, bit 23 CLFLUSHOPT (Intel SDM Vol. 2A, CPUID). */
static int flush_kind(void)
{
	unsigned a = 7, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return (b >> 24) & 1 ? 2 : (b >> 23) & 1 ? 1 : 0;
}

/*
 * CLWB, CLFLUSHOPT and CLFLUSH are "treated as a load" for paging and take its faults (Intel
 * SDM Vol. 2A), but QEMU's TCG translates them to no-ops that touch no memory
 * (target/i386/tcg/translate.c, gen_nop_modrm): a flush of a page not yet mapped would take
 * no fault in the guest. The one-byte load first takes the fault the hardware would.
 */
static void flush_line(volatile char *p, int kind)
{
	(void)*p;
	if (kind == 2) __asm__ volatile("clwb %0" : "+m"(*p));
	else if (kind == 1) __asm__ volatile("clflushopt %0" : "+m"(*p));
	else __asm__ volatile("clflush %0" : "+m"(*p));
}

/* What the parent tells a child: the line to run, its write number, the mapping it names. */
struct cmd { int line; unsigned long wid, hint; struct map map; };
struct reply { long err; unsigned long addr, natural; };

/* Runs words w[1..] of a statement for this process; returns 0 or an errno. */
static long child_stmt(char **w, int n, const struct cmd *c, struct reply *r)
{
	const struct map *m = c->map.live ? &c->map : NULL;
	unsigned long wid = c->wid, o = 0, l = 0;
	const char *op = w[1];

	if (!strcmp(op, "mmap")) {
		unsigned long off, len;
		int write = 1, shared = 1, sync = 0, fd, prot, flags;
		for (int i = 8; i < n; i++) {
			if (!strcmp(w[i], "ro")) write = 0;
			else if (!strcmp(w[i], "private")) shared = 0;
			else if (!strcmp(w[i], "sync")) sync = 1;
		}
		num(w[5], &off);
		num(w[7], &len);
		fd = open_file(w[3], O_RDWR);
		if (fd < 0) return errno;
		prot = PROT_READ | (write ? PROT_WRITE : 0);
		flags = shared ? (sync ? MAP_SHARED_VALIDATE | MAP_SYNC : MAP_SHARED) : MAP_PRIVATE;
		/* Where the kernel itself would put it (thp_get_unmapped_area for ext4 DAX), for the
		 * driver to check the model's choice; then the mapping goes where the model put it
		 * (a hint, not MAP_FIXED), so every level of the page tables can be compared. */
		void *p = mmap(NULL, len, prot, flags, fd, (off_t)off);
		if (p == MAP_FAILED) return close(fd), errno;
		r->natural = (unsigned long)p;
		if (c->hint != 0) {
			munmap(p, len);
			p = mmap((void *)c->hint, len, prot, flags, fd, (off_t)off);
		}
		close(fd);
		if (p == MAP_FAILED) return errno;
		/* `pmd off`: no PMD fault for this VMA. 6.1's __handle_mm_fault() tries
		 * create_huge_pmd() only if hugepage_vma_check() allows it, which VM_NOHUGEPAGE
		 * refuses before its DAX case (mm/huge_memory.c): the faults go to the PTE path, as
		 * with CONFIG_FS_DAX_PMD=n (dax_iomap_pmd_fault() then always falls back). */
		if (getenv("DAXSIM_PMD") && !strcmp(getenv("DAXSIM_PMD"), "off") && madvise(p, len, MADV_NOHUGEPAGE))
			return errno;
		r->addr = (unsigned long)p;
		return 0;
	}
	if (!strcmp(op, "sfence")) {
		__asm__ volatile("sfence" ::: "memory");
		return 0;
	}
	if (!strcmp(op, "fsync")) {
		int fd = open_file(w[2], O_RDWR), r;
		if (fd < 0) return errno;
		r = fsync(fd);
		close(fd);
		return r ? errno : 0;
	}
	if (!m) return ENOENT;
	volatile char *base = (volatile char *)m->start;
	if (n > 4) num(w[3], &o), num(w[4], &l);
	if (!strcmp(op, "write")) {
		unsigned long b;
		int fixed = n > 6 && !strcmp(w[5], "byte") && !num(w[6], &b);
		unsigned long x0 = m->pgoff * 4096 + o;
		for (unsigned long i = 0; i < l; i++) base[o + i] = fixed ? (char)b : (char)(1 + (wid * 37 + x0 + i) % 255);
		return 0;
	}
	if (!strcmp(op, "read")) {
		for (unsigned long i = 0; i < l; i++) (void)base[o + i];
		return 0;
	}
	if (!strcmp(op, "flush")) {
		int kind = flush_kind();
		for (unsigned long a = (m->start + o) & ~63UL; a < m->start + o + l; a += 64) flush_line((volatile char *)a, kind);
		__asm__ volatile("" ::: "memory");
		return 0;
	}
	if (!strcmp(op, "msync")) {
		if (n < 5) o = 0, l = m->len;
		return msync((void *)(m->start + o), l, MS_SYNC) ? errno : 0;
	}
	if (!strcmp(op, "munmap")) return munmap((void *)m->start, m->len) ? errno : 0;
	if (!strcmp(op, "mprotect") && n > 5) {
		int prot = !strcmp(w[5], "none") ? PROT_NONE : !strcmp(w[5], "ro") ? PROT_READ : PROT_READ | PROT_WRITE;
		return mprotect((void *)(m->start + o), (l + 4095) & ~4095UL, prot) ? errno : 0;
	}
	return EINVAL;
}

static void child_loop(struct proc *me)
{
	struct cmd c;
	/* Lock what exists now (code, data, stack) so the scenario's faults are its own. */
	mlockall(MCL_CURRENT);
	while (read(me->cmd, &c, sizeof(c)) == sizeof(c)) {
		char buf[1024], *w[MAXW];
		struct reply r = { 0, 0, 0 };
		snprintf(buf, sizeof(buf), "%s", lines[c.line - 1]);
		int n = split(buf, w);
		r.err = child_stmt(w, n, &c, &r);
		if (write(me->reply, &r, sizeof(r)) != sizeof(r)) _exit(1);
	}
	_exit(0);
}

/* ---- in the parent ------------------------------------------------------------------- */

static void start_proc(const char *name)
{
	int cmd[2], reply[2];
	struct proc *p = &procs[nprocs++];
	snprintf(p->name, MAXN, "%s", name);
	if (pipe(cmd) || pipe(reply)) die("pipe");
	fflush(stdout);
	p->pid = fork();
	if (p->pid < 0) die("fork");
	if (p->pid == 0) {
		close(cmd[1]);
		close(reply[0]);
		p->cmd = cmd[0];
		p->reply = reply[1];
		child_loop(p);
	}
	close(cmd[0]);
	close(reply[1]);
	p->cmd = cmd[1];
	p->reply = reply[0];
}

/* Create, allocate (fallocate, then written so no extent is left unwritten), fsync, and
 * check with FIEMAP that the blocks are one 2 MiB-aligned run: `file F size N` is a file
 * whose blocks were allocated and committed before the scenario. */
static const char *make_file(const char *name, unsigned long size, int sparse, char *extents, size_t room)
{
	static char zero[1 << 16], why[160];
	int fd = open_file(name, O_RDWR | O_CREAT | O_TRUNC);
	struct { struct fiemap f; struct fiemap_extent e[32]; } fm;
	unsigned long pmem = 0;
	FILE *res = fopen(PMEM_BASE_FILE, "r");

	if (res) {
		if (fscanf(res, "%lx", &pmem) != 1) pmem = 0;
		fclose(res);
	}
	if (fd < 0) return "open failed";
	if (sparse) {
		if (ftruncate(fd, size)) return "ftruncate failed";
		close(fd);
		return NULL;
	}
	if (fallocate(fd, 0, 0, size)) return "fallocate failed";
	for (unsigned long done = 0; done < size; done += sizeof(zero))
		if (pwrite(fd, zero, size - done < sizeof(zero) ? size - done : sizeof(zero), done) < 0) return "pwrite failed";
	if (fsync(fd)) return "fsync failed";
	memset(&fm, 0, sizeof(fm));
	fm.f.fm_length = ~0ULL;
	fm.f.fm_flags = FIEMAP_FLAG_SYNC;
	fm.f.fm_extent_count = 32;
	if (ioctl(fd, FS_IOC_FIEMAP, &fm)) return "FIEMAP failed";
	close(fd);
	if (fm.f.fm_mapped_extents == 0) return "no extent";
	/* Extents need not be contiguous (the stripe allocator gives 2 MiB pieces), but each must
	 * keep file offset and block 2 MiB-aligned alike, or no PMD can map it. */
	size_t used = 0;
	for (unsigned i = 0; i < fm.f.fm_mapped_extents; i++) {
		struct fiemap_extent *e = &fm.e[i];
		if (e->fe_flags & FIEMAP_EXTENT_UNWRITTEN) return "extent still unwritten";
		if ((e->fe_physical - e->fe_logical) % (2UL << 20)) {
			snprintf(why, sizeof(why), "blocks not 2 MiB aligned: file offset 0x%llx is at 0x%llx",
				 (unsigned long long)e->fe_logical, (unsigned long long)e->fe_physical);
			return why;
		}
		used += snprintf(extents + used, room - used, "%s[\"0x%llx\",\"0x%llx\",\"0x%llx\"]", i ? "," : "",
				 (unsigned long long)e->fe_logical, (unsigned long long)(pmem + e->fe_physical), (unsigned long long)e->fe_length);
		if (used >= room) return "too many extents";
	}
	return NULL;
}

/* Counts the faults the tracepoint logged since the last call, then empties the buffer. */
static void collect_faults(void)
{
	FILE *t = fopen(TRACE, "r");
	char buf[512];
	if (!t) die(TRACE);
	while (fgets(buf, sizeof(buf), t)) {
		char *ev = strstr(buf, "page_fault_user: address=");
		unsigned long addr, ec;
		char *dash, *ecs;
		if (!ev || buf[0] == '#') continue;
		*ev = '\0';
		ecs = strstr(ev + 1, "error_code=");
		if (!ecs || sscanf(ev + 25, "%lx", &addr) != 1 || sscanf(ecs + 11, "%lx", &ec) != 1) continue;
		/* "  COMM-PID  [CPU] FLAGS TIME:" : the pid ends at the last '-' before the '['. */
		char *br = strchr(buf, '[');
		if (!br) continue;
		*br = '\0';
		dash = strrchr(buf, '-');
		if (!dash) continue;
		pid_t pid = atoi(dash + 1);
		for (int i = 0; i < nprocs; i++) {
			if (procs[i].pid != pid) continue;
			for (int j = 0; j < nmaps; j++) {
				struct map *m = &maps[j];
				if (!m->live || strcmp(m->proc, procs[i].name) || addr < m->start || addr >= m->start + m->len) continue;
				/* X86_PF_PRESENT 1, X86_PF_WRITE 2 (arch/x86/include/asm/trap_pf.h) */
				procs[i].faults[(ec & 1) ? 2 : (ec & 2) ? 1 : 0]++;
				break;
			}
		}
	}
	fclose(t);
	int fd = open(TRACE, O_WRONLY | O_TRUNC);
	if (fd >= 0) close(fd);
}

static void print_pt(struct map *m, pid_t pid)
{
	char q[128], buf[128], lvl[8], va[32], val[32];
	int fd = open("/proc/daxsim_pt", O_WRONLY), first = 1;
	FILE *f;
	if (fd < 0) die("/proc/daxsim_pt");
	snprintf(q, sizeof(q), "%d %lx %lx", pid, m->start, m->start + m->len);
	if (write(fd, q, strlen(q)) < 0) die("/proc/daxsim_pt write");
	close(fd);
	f = fopen("/proc/daxsim_pt", "r");
	if (!f) die("/proc/daxsim_pt read");
	printf(",\"pt\":[");
	while (fgets(buf, sizeof(buf), f))
		if (sscanf(buf, "%7s %31s %31s", lvl, va, val) == 3) {
			printf("%s[\"%s\",\"0x%s\",\"0x%s\"]", first ? "" : ",", lvl, va, val);
			first = 0;
		}
	fclose(f);
	printf("]");
}

/* The process's memory that is not the scenario's (its code, data, stack, vDSO: /proc/PID/maps):
 * a table entry whose span covers some of it exists whatever the scenario does. */
static void print_others(const struct proc *p)
{
	char path[64], buf[512];
	int first = 1;
	snprintf(path, sizeof(path), "/proc/%d/maps", p->pid);
	FILE *f = fopen(path, "r");
	printf("\"%s\":[", p->name);
	while (f && fgets(buf, sizeof(buf), f)) {
		unsigned long a, b;
		int ours = 0;
		if (sscanf(buf, "%lx-%lx", &a, &b) != 2) continue;
		for (int j = 0; j < nmaps; j++) ours |= maps[j].live && !strcmp(maps[j].proc, p->name) && maps[j].start == a;
		if (!ours) printf("%s[\"0x%lx\",\"0x%lx\"]", first ? "" : ",", a, b), first = 0;
	}
	if (f) fclose(f);
	printf("]");
}

static void record(int line, const char *err, const char *extra)
{
	collect_faults();
	printf("{\"line\":%d,\"err\":\"%s\"%s,\"faults\":{", line, err, extra);
	for (int i = 0; i < nprocs; i++)
		printf("%s\"%s\":[%lu,%lu,%lu]", i ? "," : "", procs[i].name, procs[i].faults[0], procs[i].faults[1], procs[i].faults[2]);
	printf("},\"others\":{");
	for (int i = 0; i < nprocs; i++) {
		if (i) printf(",");
		print_others(&procs[i]);
	}
	printf("},\"maps\":[");
	int first = 1;
	for (int j = 0; j < nmaps; j++) {
		struct map *m = &maps[j];
		if (!m->live) continue;
		printf("%s{\"proc\":\"%s\",\"map\":\"%s\",\"start\":\"0x%lx\",\"len\":%lu", first ? "" : ",", m->proc, m->name, m->start, m->len);
		print_pt(m, find_proc(m->proc)->pid);
		printf("}");
		first = 0;
	}
	printf("]}\n");
	fflush(stdout);
}

static const char *PROC_OPS[] = { "mmap", "write", "read", "flush", "sfence", "fsync", "msync", "munmap", "mprotect", NULL };

/* --parse: how this runner reads each statement (its verb and its numbers), for daxsim's tests. */
static int parse_only;

static void print_parse(int line, char **w, int n)
{
	int proc_stmt = n > 1 && find_proc(w[0]) != NULL, first = 1;
	printf("{\"line\":%d,\"op\":\"%s\",\"nums\":[", line, proc_stmt ? w[1] : w[0]);
	for (int i = 1; i < n; i++) {
		unsigned long v;
		if (num(w[i], &v) == 0) printf("%s%lu", first ? "" : ",", v), first = 0;
	}
	printf("]}\n");
}

static void run_line(int line, char *text)
{
	char buf[1024], *w[MAXW], extra[2048] = "";
	const char *err = "";
	snprintf(buf, sizeof(buf), "%s", text);
	int n = split(buf, w);
	if (n == 0) return;
	if (parse_only) {
		if (!strcmp(w[0], "proc") && n == 2) snprintf(procs[nprocs++].name, MAXN, "%s", w[1]);
		print_parse(line, w, n);
		return;
	}
	if (!strcmp(w[0], "arch") || !strcmp(w[0], "mkclean") || !strcmp(w[0], "persistence") || !strcmp(w[0], "pmd") ||
	    !strcmp(w[0], "kernel") || !strcmp(w[0], "bug"))
		return;
	if (!strcmp(w[0], "crash") || !strcmp(w[0], "expect")) {
		record(line, "", ",\"skipped\":true");
		return;
	}
	if (!strcmp(w[0], "file") && n >= 4) {
		unsigned long size;
		char ext[1800] = "";
		int sparse = n > 4 && !strcmp(w[4], "sparse");
		num(w[3], &size);
		err = make_file(w[1], size, sparse, ext, sizeof(ext));
		snprintf(extra, sizeof(extra), ",\"file\":\"%s\",\"extents\":[%s]", w[1], err ? "" : ext);
		record(line, err ? err : "", extra);
		return;
	}
	if (!strcmp(w[0], "proc") && n == 2) {
		start_proc(w[1]);
		record(line, "", "");
		return;
	}
	struct proc *p = find_proc(w[0]);
	int known = 0;
	for (int i = 0; PROC_OPS[i]; i++) known |= n > 1 && !strcmp(w[1], PROC_OPS[i]);
	if (!p || !known) {
		record(line, "unsupported", "");
		return;
	}
	struct cmd c = { line, 0, hints[line], { .live = 0 } };
	struct reply r;
	struct map *named = n > 2 ? find_map(w[2]) : NULL;
	if (named && named->live && strcmp(w[1], "mmap")) c.map = *named;
	int unnamed_write = !strcmp(w[1], "write") && !(n > 6 && !strcmp(w[5], "byte"));
	if (unnamed_write) c.wid = ++write_id;
	if (write(p->cmd, &c, sizeof(c)) != sizeof(c) || read(p->reply, &r, sizeof(r)) != sizeof(r)) die("child");
	if (!strcmp(w[1], "mmap") && r.err == 0) {
		struct map *m = &maps[nmaps++];
		unsigned long off;
		snprintf(m->name, MAXN, "%s", w[2]);
		snprintf(m->proc, MAXN, "%s", p->name);
		snprintf(m->file, MAXN, "%s", w[3]);
		num(w[5], &off);
		num(w[7], &m->len);
		m->pgoff = off / 4096;
		m->start = r.addr;
		m->live = 1;
	}
	if (!strcmp(w[1], "munmap") && r.err == 0) find_map(w[2])->live = 0;
	if (r.err) snprintf(extra, sizeof(extra), ",\"errno\":%ld", r.err);
	else if (!strcmp(w[1], "mmap")) snprintf(extra, sizeof(extra), ",\"natural\":\"0x%lx\"", r.natural);
	record(line, r.err ? strerror((int)r.err) : "", extra);
}

int main(int argc, char **argv)
{
	static char text[1 << 20];
	FILE *f;
	size_t len;

	if (argc == 3 && !strcmp(argv[1], "--parse")) {
		parse_only = 1;
		argv[1] = argv[2];
	} else if (argc != 3 && argc != 4) {
		fprintf(stderr, "usage: daxsim-runner SCENARIO.dax DIR [HINTS] | daxsim-runner --parse SCENARIO.dax\n");
		return 2;
	}
	dir = argv[2];
	f = fopen(argv[1], "r");
	if (!f) die(argv[1]);
	len = fread(text, 1, sizeof(text) - 1, f);
	fclose(f);
	text[len] = '\0';
	lines = calloc(len + 2, sizeof(char *));
	for (char *s = text, *nl; *s; s = nl + 1) {
		lines[nlines++] = s;
		nl = strchr(s, '\n');
		if (!nl) break;
		*nl = '\0';
	}
	hints = calloc(nlines + 2, sizeof(unsigned long));
	if (argc == 4 && (f = fopen(argv[3], "r"))) {
		int l;
		unsigned long a;
		while (fscanf(f, "%d %lx", &l, &a) == 2)
			if (l > 0 && l <= nlines) hints[l] = a;
		fclose(f);
	}
	/* The children share the parsed lines (fork copies them); each handles its own statements. */
	for (int i = 0; i < nlines; i++) run_line(i + 1, lines[i]);
	/* The processes end here (each child holds its siblings' pipe ends, so no EOF reaches them). */
	for (int i = 0; i < nprocs && !parse_only; i++) {
		kill(procs[i].pid, SIGKILL);
		waitpid(procs[i].pid, NULL, 0);
	}
	if (!parse_only) printf("{\"end\":true}\n");
	return 0;
}
