#!/usr/bin/env bash
# header-values.sh [LINUX_6.1_SOURCE]
#
# Computes the PTE flag masks of the Linux 6.1 headers for each daxsim layout of issue 15 (and,
# as a check of the method, for the four existing layouts x86_64, x86_64-la57, ppc64-radix and
# s390x, whose arch/*.ts flag tables it reproduces key for key), by preprocessing the kernel's own headers
# with the host gcc and evaluating the macros in a small host C program. Prints
#     {"<layout>": {"<MACRO>": "0x...", ...}, ...}
# on stdout (values in the form arch/bits.ts hex() prints: lowercase, no padding), the form the
# `layout --json` "flags" object must match key for key.
#
# Side files, written next to this script unless HV_OUT is set:
#   header-values.json        the stdout JSON
#   header-values.extra.json  {"<layout>": {"<NAME>": "0x..."}}: geometry (PAGE_SHIFT, *_SHIFT,
#                             PTRS_PER_*), the pfn field mask, pgprot values (PAGE_SHARED ...),
#                             table-entry bits: what is not a flag but the layouts need
#   header-values.tsv         layout, group (flag|extra|dropped), name, value, file:line of the
#                             #define that was in force (taken from gcc -E -dD line markers)
#
# HV_AUTOCONF_DIR=dir: use dir/<layout>.h (a kernel-generated include/generated/autoconf.h) instead
# of cfg/<layout>.h — the cross-check against real defconfigs (see kbuild-check.txt).
#
# How: for each layout, cfg/<layout>.h is the configuration (the CONFIG_* macros of a 6.1
# defconfig-level build, given by hand: see the comments in those files). It is installed as
# generated/autoconf.h and the headers are preprocessed with
#     gcc -E -dD -include include/linux/kconfig.h -D__KERNEL__ <target predefines>
#         -I arch/$ARCH/include -I include -I arch/$ARCH/include/uapi -I include/uapi
# Headers that a real build generates (asm/ wrappers for asm-generic, cpucaps, ...) are created
# on demand as stubs (a wrapper where include/asm-generic has the file, else empty). Every
# object-like macro whose name the layout's flag headers define (NAMEFILES, filtered by NAMERE /
# EXCLUDE) is evaluated as a file-scope constant, so a value that is not a compile-time constant
# (a runtime variable, a function such as riscv's _PAGE_MTMASK) fails to compile and is reported
# as "dropped" instead of being guessed.
#
# CPU use is small: a few cpp runs and a handful of tiny compiles per layout.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
K=${1:-${LINUX_SRC:-/tmp/linux-6.1}}
OUTDIR=${HV_OUT:-$HERE}
CC=${CC:-gcc}
LAYOUTS=${HV_LAYOUTS:-"arm64-4k arm64-64k ppc64-hash ppc64-radix-4k riscv64-sv39 riscv64-sv48 loongarch64 x86_64 x86_64-la57 ppc64-radix s390x"}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hv.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

[ -f "$K/Makefile" ] || { echo "no kernel source at $K" >&2; exit 2; }

# Host predefined macros: removed from the dump so only the kernel's (and our -D) remain.
$CC -dM -E -x c /dev/null | awk '{print $2}' | sed 's/(.*//' | sort -u > "$WORK/host-builtins"
HOST_UNDEF="-U__x86_64__ -U__x86_64 -U__amd64__ -U__amd64 -U__i386__ -U__linux__ -U__linux -Ulinux -U__unix__ -U__unix -Uunix -U__gnu_linux__"

# ---------------------------------------------------------------------------------------------
# Per-layout specification.
#   ARCH       kernel arch directory
#   TARGET     predefined macros the target compiler would give
#   INCLUDES   headers to preprocess
#   NAMEFILES  headers whose object-like #define names are candidates for "flags"
#   NAMERE     ERE the candidate names must match
#   EXCLUDE    ERE of candidate names that are not flag masks (geometry, pgprot sets ...): they
#              go to the extras if they evaluate
#   EXTRAS     "label=C expression" list, evaluated at run time (pgprot_val(...) and the like);
#              a bare NAME stands for NAME=NAME
#   PRELUDE    C declarations for runtime variables the extras may read, with the value assumed
# ---------------------------------------------------------------------------------------------
spec() {
  ARCH= TARGET= INCLUDES= NAMEFILES= NAMERE= EXCLUDE='^$' EXTRAS= PRELUDE=
  local geo_exclude='^(PGDIR|P4D|PUD|PMD|CONT_PTE|CONT_PMD)_(SHIFT|SIZE|MASK)$|^PTRS_PER_|^CONT_PTES$|^CONT_PMDS$'
  case "$1" in
    arm64-4k|arm64-64k)
      ARCH=arm64
      TARGET="-D__aarch64__=1 -D__AARCH64EL__=1 -D__LP64__=1"
      INCLUDES="asm/page-def.h asm/memory.h asm/pgtable-hwdef.h asm/pgtable-prot.h"
      NAMEFILES="arch/arm64/include/asm/pgtable-hwdef.h arch/arm64/include/asm/pgtable-prot.h"
      NAMERE='^(PTE|PMD|PUD|P4D)_'
      # Flags: the PTE_* and PMD_* masks (the brief's "_PAGE_* / PTE_* / PMD_*"; arm64's _PAGE_* are
      # pgprot sets, not masks). PUD_*/P4D_* (same encodings at levels 1/0) go to the extras, as do
      # PTE_ADDR_* (the pfn field) and *_MAYBE_* (runtime choices, not bits).
      EXCLUDE="$geo_exclude|^PTE_ADDR_|_MAYBE_|^PUD_|^P4D_"
      PRELUDE='static bool arm64_use_ng_mappings = 0; /* PTE_MAYBE_NG: false unless KPTI/E0PD forces nG on kernel maps */'
      EXTRAS="PAGE_SHIFT PGDIR_SHIFT PUD_SHIFT PMD_SHIFT
        PTRS_PER_PGD PTRS_PER_PUD PTRS_PER_PMD PTRS_PER_PTE
        VA_BITS PHYS_MASK_SHIFT PTE_ADDR_LOW PTE_ADDR_MASK
        CONT_PTE_SHIFT CONT_PMD_SHIFT
        _PROT_DEFAULT _PROT_SECT_DEFAULT _PAGE_DEFAULT
        _PAGE_SHARED _PAGE_SHARED_EXEC _PAGE_READONLY
        _PAGE_READONLY_EXEC _PAGE_EXECONLY
        PAGE_NONE=pgprot_val(PAGE_NONE) PAGE_SHARED=pgprot_val(PAGE_SHARED) PAGE_READONLY=pgprot_val(PAGE_READONLY)
        PAGE_SHARED_EXEC=pgprot_val(PAGE_SHARED_EXEC) PAGE_READONLY_EXEC=pgprot_val(PAGE_READONLY_EXEC)
        PAGE_EXECONLY=pgprot_val(PAGE_EXECONLY) PAGE_KERNEL=pgprot_val(PAGE_KERNEL)
"
      ;;
    ppc64-hash|ppc64-radix|ppc64-radix-4k)
      ARCH=powerpc
      TARGET="-D__powerpc__=1 -D__powerpc64__=1 -D__PPC__=1 -D__PPC64__=1 -D__LITTLE_ENDIAN__=1 -D__LP64__=1"
      INCLUDES="asm/page.h asm/book3s/64/pgtable.h"
      NAMEFILES="arch/powerpc/include/asm/book3s/64/pgtable.h"
      NAMERE='^(_PAGE_|_RPAGE_)'
      # The set the existing ppc64-radix layout carries: bits and bit groups, not pgprot sets,
      # change masks or the physical-address limits.
      EXCLUDE='^_PAGE_KERNEL_|^_PAGE_BASE|_CHG_MASK$|^_PAGE_CACHE_CTL$|_PA_MAX$'
      if [ "$1" = ppc64-hash ]; then
        NAMEFILES="$NAMEFILES arch/powerpc/include/asm/book3s/64/hash-64k.h arch/powerpc/include/asm/book3s/64/hash.h"
        NAMERE='^(_PAGE_|_RPAGE_|H_PAGE_|H_PTE_PKEY_)'
      fi
      EXTRAS="PAGE_SHIFT _PAGE_PA_MAX PTE_RPN_MASK
        PMD_MASKED_BITS PUD_MASKED_BITS P4D_MASKED_BITS
        _PAGE_BASE _PAGE_CHG_MASK _HPAGE_CHG_MASK
        PAGE_NONE=pgprot_val(PAGE_NONE) PAGE_SHARED=pgprot_val(PAGE_SHARED) PAGE_SHARED_X=pgprot_val(PAGE_SHARED_X)
        PAGE_COPY=pgprot_val(PAGE_COPY) PAGE_READONLY=pgprot_val(PAGE_READONLY) PAGE_EXECONLY=pgprot_val(PAGE_EXECONLY)
        PAGE_KERNEL=pgprot_val(PAGE_KERNEL)"
      if [ "$1" = ppc64-hash ]; then
        EXTRAS="$EXTRAS H_PTE_INDEX_SIZE H_PMD_INDEX_SIZE
          H_PUD_INDEX_SIZE H_PGD_INDEX_SIZE
          H_PMD_SHIFT=(PAGE_SHIFT+H_PTE_INDEX_SIZE) H_PUD_SHIFT=(PAGE_SHIFT+H_PTE_INDEX_SIZE+H_PMD_INDEX_SIZE)
          H_PGD_SHIFT=(PAGE_SHIFT+H_PTE_INDEX_SIZE+H_PMD_INDEX_SIZE+H_PUD_INDEX_SIZE)
          H_PGTABLE_EADDR_SIZE H_PUD_CACHE_INDEX
          HASH_PMD_VAL_BITS HASH_PUD_VAL_BITS HASH_PGD_VAL_BITS
          H_PTE_FRAG_SIZE_SHIFT H_PMD_FRAG_SIZE_SHIFT
          H_MAX_PHYSMEM_BITS H_PTE_NONE_MASK"
      else
        EXTRAS="$EXTRAS RADIX_PTE_INDEX_SIZE RADIX_PMD_INDEX_SIZE
          RADIX_PUD_INDEX_SIZE RADIX_PGD_INDEX_SIZE
          RADIX_PMD_SHIFT RADIX_PUD_SHIFT RADIX_PGD_SHIFT
          RADIX_PMD_VAL_BITS RADIX_PUD_VAL_BITS RADIX_PGD_VAL_BITS
          RADIX_PTE_NONE_MASK RADIX_PMD_BAD_BITS RADIX_PUD_BAD_BITS
          RADIX_PGTABLE_EADDR_SIZE"
      fi
      ;;
    riscv64-sv39|riscv64-sv48)
      ARCH=riscv
      TARGET="-D__riscv=1 -D__riscv_xlen=64 -D__LP64__=1"
      INCLUDES="asm/page.h asm/pgtable.h"
      NAMEFILES="arch/riscv/include/asm/pgtable-bits.h arch/riscv/include/asm/pgtable-64.h"
      NAMERE='^_PAGE_'
      EXCLUDE='^_PAGE_PFN_SHIFT$|^_PAGE_ACCESSED_OFFSET$|^_PAGE_PFN_MASK$|^_PAGE_CHG_MASK$'
      if [ "$1" = riscv64-sv39 ]; then
        PRELUDE='static bool pgtable_l4_enabled = 0, pgtable_l5_enabled = 0; /* Sv39 */'
      else
        PRELUDE='static bool pgtable_l4_enabled = 1, pgtable_l5_enabled = 0; /* Sv48 */'
      fi
      EXTRAS="PAGE_SHIFT PGDIR_SHIFT P4D_SHIFT PUD_SHIFT PMD_SHIFT
        PGDIR_SHIFT_L3 PGDIR_SHIFT_L4 PGDIR_SHIFT_L5
        PTRS_PER_PGD PTRS_PER_P4D PTRS_PER_PUD PTRS_PER_PMD PTRS_PER_PTE
        VA_BITS _PAGE_PFN_SHIFT _PAGE_PFN_MASK _PAGE_ACCESSED_OFFSET
        _PAGE_BASE _PAGE_KERNEL
        PAGE_NONE=pgprot_val(PAGE_NONE) PAGE_READ=pgprot_val(PAGE_READ) PAGE_WRITE=pgprot_val(PAGE_WRITE)
        PAGE_SHARED=pgprot_val(PAGE_SHARED) PAGE_COPY=pgprot_val(PAGE_COPY) PAGE_READ_EXEC=pgprot_val(PAGE_READ_EXEC)
        PAGE_WRITE_EXEC=pgprot_val(PAGE_WRITE_EXEC) PAGE_EXEC=pgprot_val(PAGE_EXEC) PAGE_TABLE=pgprot_val(PAGE_TABLE)
        TASK_SIZE_64"
      ;;
    loongarch64)
      ARCH=loongarch
      TARGET="-D__loongarch__=1 -D__loongarch64=1 -D__loongarch_grlen=64 -D_LOONGARCH_SZLONG=64 -D__LP64__=1"
      INCLUDES="asm/page.h asm/loongarch.h asm/pgtable-bits.h asm/pgtable.h"
      NAMEFILES="arch/loongarch/include/asm/pgtable-bits.h"
      NAMERE='^(_PAGE_|_CACHE_)'
      EXCLUDE='_SHIFT$|_CHG_MASK$|^_PAGE_IOREMAP$'
      EXTRAS="PAGE_SHIFT PGDIR_SHIFT PMD_SHIFT
        PTRS_PER_PGD PTRS_PER_PMD PTRS_PER_PTE VA_BITS
        _PFN_SHIFT _PFN_MASK _PAGE_PFN_SHIFT _PAGE_PFN_END_SHIFT
        _PAGE_CHG_MASK _HPAGE_CHG_MASK __READABLE __WRITEABLE
        PLV_USER PLV_KERN
        PAGE_NONE=pgprot_val(PAGE_NONE) PAGE_SHARED=pgprot_val(PAGE_SHARED) PAGE_READONLY=pgprot_val(PAGE_READONLY)
        PAGE_KERNEL=pgprot_val(PAGE_KERNEL)"
      ;;
    x86_64|x86_64-la57)   # validation of the method against the existing layouts
      ARCH=x86
      TARGET="-D__x86_64__=1 -D__x86_64=1 -D__LP64__=1"
      INCLUDES="asm/page_types.h asm/pgtable_types.h"
      NAMEFILES="arch/x86/include/asm/pgtable_types.h"
      NAMERE='^_PAGE_'
      # the existing layout carries the single bits: not the bit numbers, cache-mode groups,
      # memory-encryption (runtime) masks, change masks or table prot sets
      EXCLUDE='^_PAGE_BIT_|_CACHE_|^_PAGE_NOCACHE$|^_PAGE_CC$|^_PAGE_ENC$|_CHG_MASK$|^_PAGE_KNL_ERRATUM_MASK$|^_PAGE_PKEY_MASK$|^_PAGE_TABLE'
      EXTRAS="PAGE_SHIFT PTE_PFN_MASK"
      ;;
    s390x)   # validation of the method against the existing layout
      ARCH=s390
      TARGET="-D__s390__=1 -D__s390x__=1 -D__LP64__=1"
      INCLUDES="asm/page.h asm/pgtable.h"
      NAMEFILES="arch/s390/include/asm/pgtable.h"
      NAMERE='^_PAGE_'
      EXCLUDE='_CHG_MASK$|^_PAGE_ENTRIES$|^_PAGE_INDEX$|^_PAGE_TABLE_SIZE$'
      EXTRAS="PAGE_SHIFT"
      ;;
    *) echo "unknown layout $1" >&2; exit 2 ;;
  esac
}

# Preprocess INCLUDES with -dD, creating stubs for headers a real build would generate.
preprocess() { # dir
  local d=$1 i err missing tries=0
  mkdir -p "$d/stub/generated"
  cp "$HERE"/cfg/*.h "$d/stub/generated/"
  cp "$HERE/cfg/$L.h" "$d/stub/generated/autoconf.h"
  # Cross-check mode: a real autoconf.h (from `make O=... defconfig syncconfig`) instead of hv/cfg.
  if [ -n "${HV_AUTOCONF_DIR:-}" ] && [ -f "$HV_AUTOCONF_DIR/$L.h" ]; then
    cp "$HV_AUTOCONF_DIR/$L.h" "$d/stub/generated/autoconf.h"
  fi
  : > "$d/wrap.c"
  for i in $INCLUDES; do echo "#include <$i>" >> "$d/wrap.c"; done
  while :; do
    if $CC -E -dD -w $HOST_UNDEF -D__KERNEL__ $TARGET \
        -I"$K/arch/$ARCH/include" -I"$d/stub/arch" -I"$K/include" \
        -I"$K/arch/$ARCH/include/uapi" -I"$K/include/uapi" -I"$d/stub" \
        -include "$K/include/linux/kconfig.h" "$d/wrap.c" -o "$d/pp.c" 2> "$d/pp.err"; then
      return 0
    fi
    missing=$(sed -n 's/.*fatal error: \([^:]*\): No such file or directory.*/\1/p' "$d/pp.err" | head -1)
    if [ -z "$missing" ] || [ $((tries += 1)) -gt 200 ]; then
      echo "preprocessing failed for $L:" >&2; cat "$d/pp.err" >&2; return 1
    fi
    case "$missing" in
      asm/*)
        mkdir -p "$d/stub/arch/$(dirname "$missing")"
        if [ -f "$K/include/asm-generic/${missing#asm/}" ]; then
          echo "#include <asm-generic/${missing#asm/}>" > "$d/stub/arch/$missing"
        else
          : > "$d/stub/arch/$missing"
        fi ;;
      *) mkdir -p "$d/stub/$(dirname "$missing")"; : > "$d/stub/$missing" ;;
    esac
    echo "$missing" >> "$d/stubs"
  done
}

# From the -dD output: the #define lines in force at the end, each with the file:line it came from.
# Writes macros.h (definitions, host builtins removed) and where.tsv (name, file:line).
collect_macros() { # dir
  local d=$1
  awk -v K="$K/" -v builtins="$WORK/host-builtins" '
    BEGIN { while ((getline b < builtins) > 0) host[b] = 1 }
    /^# [0-9]+ "/ { line = $2; f = $3; gsub(/"/, "", f); sub("^" K, "", f); file = f; next }
    /^#define / {
      name = $2; sub(/\(.*/, "", name)
      if (!(file == "<built-in>" && (name in host))) { def[name] = $0; loc[name] = file ":" line; if (!(name in seen)) { order[++n] = name; seen[name] = 1 } }
      line++; next
    }
    /^#undef / { delete def[$2]; line++; next }
    { line++ }
    END {
      for (i = 1; i <= n; i++) { nm = order[i]; if (nm in def) { print def[nm] > (ARGV[1] ".macros.h"); print nm "\t" loc[nm] > (ARGV[1] ".where.tsv") } }
    }' "$d/pp.c"
  mv "$d/pp.c.macros.h" "$d/macros.h"; mv "$d/pp.c.where.tsv" "$d/where.tsv"
}

# Candidate flag names: object-like #defines of NAMEFILES, in file order.
candidate_names() {
  local f
  for f in $NAMEFILES; do
    grep -hoE '^[[:space:]]*#[[:space:]]*define[[:space:]]+[A-Za-z_][A-Za-z0-9_]*([[:space:]]|$)' "$K/$f" |
      awk '{print $NF == "define" ? "" : $0}' | sed -E 's/^[[:space:]]*#[[:space:]]*define[[:space:]]+//; s/[[:space:]]+$//'
  done | awk 'NF && !seen[$0]++'
}

PRELUDE_COMMON='typedef unsigned long long u64; typedef long long s64; typedef unsigned int u32; typedef int s32;
typedef unsigned short u16; typedef unsigned char u8; typedef _Bool bool;
typedef u64 pteval_t, pmdval_t, pudval_t, p4dval_t, pgdval_t, phys_addr_t, pgprotval_t, pte_basic_t;
typedef struct { pgprotval_t pgprot; } pgprot_t;
typedef struct { u64 pte; } pte_t; typedef struct { u64 pmd; } pmd_t; typedef struct { u64 pud; } pud_t;
typedef struct { u64 p4d; } p4d_t; typedef struct { u64 pgd; } pgd_t;
int printf(const char *, ...);'

# Evaluate: flags as file-scope constants (so non-constants fail), extras at run time. Lines
# that fail to compile are dropped and the compile retried.
evaluate() { # dir
  local d=$1 n pass=0 bad
  : > "$d/dropped"
  while :; do
    {
      echo "$PRELUDE_COMMON"
      echo "$PRELUDE"
      echo '#include "macros.h"'
      echo '#define HV_LINE_BASE __LINE__'
      n=0
      while IFS= read -r name; do
        echo "static const u64 hv_$n = (u64)($name); /* F $name */"; n=$((n + 1))
      done < "$d/flags.want"
      echo 'int main(void) {'
      n=0
      while IFS= read -r name; do
        echo "  printf(\"F\\t%s\\t0x%llx\\n\", \"$name\", hv_$n);"; n=$((n + 1))
      done < "$d/flags.want"
      while IFS='=' read -r label expr; do
        [ -n "$label" ] || continue
        echo "  printf(\"X\\t%s\\t0x%llx\\n\", \"$label\", (u64)($expr)); /* X $label */"
      done < "$d/extras.want"
      echo '  return 0; }'
    } > "$d/eval.c"
    if (cd "$d" && $CC -O0 -fdiagnostics-plain-output -Werror=implicit-function-declaration \
          -Wno-overflow -Wno-shift-count-overflow -Wno-int-conversion -o eval eval.c 2> eval.err); then break; fi
    # Every eval.c line named by an error, directly or in its "in expansion of macro" notes
    # (lines of warnings and their notes are not counted).
    bad=$(awk '/: error: /{e=1} /: warning: /{e=0} e && match($0, /eval\.c:[0-9]+/) {print substr($0, RSTART+7, RLENGTH-7)}' "$d/eval.err" | sort -un)
    [ -n "$bad" ] || { echo "evaluation failed for $L:" >&2; cat "$d/eval.err" >&2; return 1; }
    local names
    names=$(for b in $bad; do sed -n "${b}p" "$d/eval.c"; done | sed -n 's/.*\/\* \([FX]\) \(.*\) \*\/.*/\1 \2/p')
    [ -n "$names" ] || { echo "evaluation failed for $L (no droppable line):" >&2; head -30 "$d/eval.err" >&2; return 1; }
    while read -r kind name; do
      echo "$kind $name" >> "$d/dropped"
      if [ "$kind" = F ]; then grep -vxF "$name" "$d/flags.want" > "$d/f.tmp" || true; mv "$d/f.tmp" "$d/flags.want"
      else grep -v "^$name=" "$d/extras.want" > "$d/x.tmp" || true; mv "$d/x.tmp" "$d/extras.want"; fi
    done <<< "$names"
    [ $((pass += 1)) -lt 50 ] || { echo "too many passes for $L" >&2; return 1; }
  done
  (cd "$d" && ./eval) > "$d/values"
}

TSV="$WORK/all.tsv"; : > "$TSV"
for L in $LAYOUTS; do
  spec "$L"
  D="$WORK/$L"; mkdir -p "$D"
  preprocess "$D"
  collect_macros "$D"
  defined=$(cut -f1 "$D/where.tsv")
  candidate_names | grep -E "$NAMERE" > "$D/cands" || true
  : > "$D/flags.want"; : > "$D/extras.want"
  while IFS= read -r nm; do
    grep -qxF "$nm" <<< "$defined" || { echo "$L	undefined	$nm		(not defined under this configuration)" >> "$TSV"; continue; }
    if grep -qE "$EXCLUDE" <<< "$nm"; then echo "$nm=$nm" >> "$D/extras.want"; else echo "$nm" >> "$D/flags.want"; fi
  done < "$D/cands"
  for x in $EXTRAS; do
    [[ $x == *=* ]] || x="$x=$x"
    grep -q "^${x%%=*}=" "$D/extras.want" || echo "$x" >> "$D/extras.want"
  done
  evaluate "$D"
  while IFS=$'\t' read -r kind name value; do
    where=$(awk -F'\t' -v n="$name" '$1 == n {print $2}' "$D/where.tsv")
    if [ "$kind" = F ]; then echo "$L	flag	$name	$value	$where" >> "$TSV"
    else echo "$L	extra	$name	$value	$where" >> "$TSV"; fi
  done < "$D/values"
  while read -r kind name; do
    where=$(awk -F'\t' -v n="$name" '$1 == n {print $2}' "$D/where.tsv")
    echo "$L	dropped	$name		$where (not a compile-time constant here: $( [ "$kind" = F ] && echo flag candidate || echo extra))" >> "$TSV"
  done < "$D/dropped"
done

to_json() { # group
  awk -F'\t' -v g="$1" -v order="$LAYOUTS" '
    $2 == g { if (!($1 in has)) { has[$1] = 1 } body[$1] = body[$1] (body[$1] == "" ? "" : ",\n") "    \"" $3 "\": \"" $4 "\"" }
    END {
      n = split(order, ls, " "); printf "{\n"; first = 1
      for (i = 1; i <= n; i++) { l = ls[i]; if (!(l in has)) continue
        printf "%s  \"%s\": {\n%s\n  }", (first ? "" : ",\n"), l, body[l]; first = 0 }
      printf "\n}\n"
    }' "$TSV"
}

mkdir -p "$OUTDIR"
to_json flag > "$OUTDIR/header-values.json"
to_json extra > "$OUTDIR/header-values.extra.json"
{ printf 'layout\tgroup\tname\tvalue\tdefined_at\n'; cat "$TSV"; } > "$OUTDIR/header-values.tsv"
cat "$OUTDIR/header-values.json"
