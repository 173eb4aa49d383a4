// The filesystems a DAX file can live on, as data: what differs between ext4, xfs and virtiofs
// (FUSE DAX) on the paths daxsim models, in Linux 6.1. Every rule cites the function it comes
// from; the functions that act on a rule are named in it and live with the path that runs them
// (break layouts: truncate.ts). What is not listed is the same for the three (the iomap DAX
// fault and writeback of fs/dax.c, which all of them call).

/** The `fs` of `file F size N [sparse] [fs ext4|xfs|virtiofs]`. */
export type FsName = 'ext4' | 'xfs' | 'virtiofs';

export const FS_NAMES: readonly FsName[] = ['ext4', 'xfs', 'virtiofs'];

/** The function that breaks layouts before a hole punch, zero range or truncate (truncate.ts has one of each name). */
export type BreakLayoutsFn = 'ext4_break_layouts' | 'xfs_break_dax_layouts' | 'fuse_dax_break_layouts';

export interface FsDaxRules {
  readonly name: FsName;
  readonly breakLayouts: BreakLayoutsFn;
  /** The fallocate(FALLOC_FL_ZERO_RANGE) path. */
  readonly zeroRange: string;
  /** The fallocate(FALLOC_FL_PUNCH_HOLE) path. */
  readonly punchHole: string;
  /** The truncate (setattr ATTR_SIZE) path. */
  readonly truncate: string;
  /**
   * file_operations.mmap_supported_flags has MAP_SYNC: do_mmap refuses MAP_SYNC with
   * MAP_SHARED_VALIDATE (EOPNOTSUPP) where it does not.
   */
  readonly mapSync: boolean;
  /** The DAX mmap sets VM_MIXEDMAP, so vma_needs_copy holds and fork copies the page tables (copy_page_range). */
  readonly vmMixedMap: boolean;
  /**
   * open(2) of the file drops its page cache: invalidate_inode_pages2 of the whole mapping, with
   * no inode lock held (for DAX: every clean entry deleted, each after waiting for its lock).
   */
  readonly openInvalidates: boolean;
  /** The lock a DAX fault takes shared and truncate / punch take exclusive. */
  readonly faultLock: string;
  /** Where the rules come from. */
  readonly sources: readonly string[];
}

export const FS_RULES: Readonly<Record<FsName, FsDaxRules>> = {
  ext4: {
    name: 'ext4',
    // ext4_break_layouts (fs/ext4/inode.c): dax_layout_busy_page(inode->i_mapping), the whole file
    breakLayouts: 'ext4_break_layouts',
    zeroRange: 'ext4_fallocate -> ext4_zero_range (fs/ext4/extents.c)',
    punchHole: 'ext4_fallocate -> ext4_punch_hole (fs/ext4/inode.c)',
    truncate: 'ext4_setattr (fs/ext4/inode.c)',
    // ext4_file_operations.mmap_supported_flags = MAP_SYNC (fs/ext4/file.c); ext4_file_mmap
    // refuses it only where the dax device is not synchronous (daxdev_mapping_supported)
    mapSync: true,
    // ext4_file_mmap: vm_ops = ext4_dax_vm_ops, VM_HUGEPAGE only
    vmMixedMap: false,
    // ext4_file_open (fs/ext4/file.c) leaves the page cache alone
    openInvalidates: false,
    // ext4_dax_huge_fault: filemap_invalidate_lock_shared; ext4_punch_hole, ext4_zero_range and
    // ext4_setattr take filemap_invalidate_lock (mapping->invalidate_lock)
    faultLock: 'mapping->invalidate_lock (filemap_invalidate_lock_shared in ext4_dax_huge_fault)',
    sources: ['fs/ext4/file.c', 'fs/ext4/inode.c', 'fs/ext4/extents.c'],
  },
  xfs: {
    name: 'xfs',
    // xfs_break_layouts(BREAK_UNMAP) -> xfs_break_dax_layouts (fs/xfs/xfs_file.c):
    // dax_layout_busy_page(inode->i_mapping), the whole file
    breakLayouts: 'xfs_break_dax_layouts',
    zeroRange: 'xfs_file_fallocate -> xfs_free_file_space + xfs_alloc_file_space (unwritten) (fs/xfs/xfs_file.c, xfs_bmap_util.c)',
    punchHole: 'xfs_file_fallocate -> xfs_free_file_space (fs/xfs/xfs_bmap_util.c)',
    truncate: 'xfs_vn_setattr -> xfs_setattr_size (fs/xfs/xfs_iops.c)',
    // xfs_file_operations.mmap_supported_flags = MAP_SYNC; xfs_file_mmap checks daxdev_mapping_supported
    mapSync: true,
    // xfs_file_mmap: vm_ops = xfs_file_vm_ops, VM_HUGEPAGE for DAX
    vmMixedMap: false,
    // xfs_file_open (fs/xfs/xfs_file.c) leaves the page cache alone
    openInvalidates: false,
    // __xfs_filemap_fault: xfs_ilock(XFS_MMAPLOCK_SHARED), which is mapping->invalidate_lock
    // since 5.15 (xfs_ilock: down_read(&VFS_I(ip)->i_mapping->invalidate_lock))
    faultLock: 'XFS_MMAPLOCK = mapping->invalidate_lock (xfs_ilock in __xfs_filemap_fault)',
    sources: ['fs/xfs/xfs_file.c', 'fs/xfs/xfs_bmap_util.c', 'fs/xfs/xfs_iops.c', 'fs/xfs/xfs_inode.c'],
  },
  virtiofs: {
    name: 'virtiofs',
    // fuse_dax_break_layouts(inode, 0, -1) from fuse_file_fallocate (fs/fuse/file.c) and
    // fuse_do_setattr (fs/fuse/dir.c): dax_layout_busy_page_range over the whole file
    breakLayouts: 'fuse_dax_break_layouts',
    // fuse_file_fallocate sends FUSE_FALLOCATE to the host, then truncate_pagecache_range
    zeroRange: 'fuse_file_fallocate (FUSE_FALLOCATE to the host) (fs/fuse/file.c)',
    punchHole: 'fuse_file_fallocate (FUSE_FALLOCATE to the host) (fs/fuse/file.c)',
    truncate: 'fuse_do_setattr (fs/fuse/dir.c)',
    // fuse_file_operations has no mmap_supported_flags: MAP_SYNC is EOPNOTSUPP
    mapSync: false,
    // fuse_dax_mmap (fs/fuse/dax.c): VM_MIXEDMAP | VM_HUGEPAGE; its huge_fault maps PMDs of the
    // DAX window, set up in FUSE_DAX_SZ (2 MiB) ranges (fuse_setup_one_mapping)
    vmMixedMap: true,
    // fuse_open_common (fs/fuse/file.c): unless the server answered FOPEN_KEEP_CACHE (virtiofsd
    // sets it for cache=always only), invalidate_inode_pages2(inode->i_mapping); inode_lock is
    // taken only for an O_TRUNC open. Parallel opens were the invalidators of 237388320deb.
    openInvalidates: true,
    // __fuse_dax_fault: filemap_invalidate_lock_shared around dax_iomap_fault
    faultLock: 'mapping->invalidate_lock (filemap_invalidate_lock_shared in __fuse_dax_fault)',
    sources: ['fs/fuse/dax.c', 'fs/fuse/file.c', 'fs/fuse/dir.c'],
  },
};
