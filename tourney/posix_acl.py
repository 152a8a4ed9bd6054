"""POSIX access control lists, read and written through their extended attributes (no ``setfacl`` needed).

The runner (root) uses them to give the player hosts' group exactly what the
hosts need, where the folders' modes would give them too little or too much
(``tourney.sandbox``: ``grant_reach``, ``hide_run_dir``, ``share_folder``).
A named-group entry for the hosts' group decides their access alone: when a
process's group matches one, the kernel never falls back to the "other"
permission bits, so an entry with no permissions denies the hosts a file that
every other user may read.

The on-disk format (``linux/posix_acl_xattr.h``): a little-endian u32 version
(2), then entries of (u16 tag, u16 permissions, u32 id), sorted by tag then id.
"""

from __future__ import annotations

import errno
import os
import struct

ACCESS = "system.posix_acl_access"
DEFAULT = "system.posix_acl_default"
VERSION = 2
USER_OBJ, USER, GROUP_OBJ, GROUP, MASK, OTHER = 0x01, 0x02, 0x04, 0x08, 0x10, 0x20
UNDEFINED_ID = 0xFFFFFFFF
_ENTRY = struct.Struct("<HHI")

Entries = dict[tuple[int, int], int]  # (tag, id) -> permissions (r=4, w=2, x=1)


class Unsupported(OSError):
    """The file system keeps no ACLs (the caller falls back to plain modes)."""


def from_mode(mode: int) -> Entries:
    """The minimal ACL a mode stands for."""
    return {(USER_OBJ, UNDEFINED_ID): (mode >> 6) & 7, (GROUP_OBJ, UNDEFINED_ID): (mode >> 3) & 7,
            (OTHER, UNDEFINED_ID): mode & 7}


def decode(data: bytes) -> Entries:
    (version,) = struct.unpack_from("<I", data)
    if version != VERSION or (len(data) - 4) % _ENTRY.size:
        raise ValueError("not a version 2 POSIX ACL")
    return {(tag, ident): perm for tag, perm, ident in _ENTRY.iter_unpack(data[4:])}


def encode(entries: Entries) -> bytes:
    entries = dict(entries)
    named = [perm for (tag, _), perm in entries.items() if tag in (USER, GROUP)]
    if named and (MASK, UNDEFINED_ID) not in entries:
        mask = entries[(GROUP_OBJ, UNDEFINED_ID)]
        for perm in named:
            mask |= perm
        entries[(MASK, UNDEFINED_ID)] = mask
    body = b"".join(_ENTRY.pack(tag, perm, ident) for (tag, ident), perm in sorted(entries.items()))
    return struct.pack("<I", VERSION) + body


def read(path: str | os.PathLike[str], which: str = ACCESS) -> Entries | None:
    """The ACL on ``path`` (None when it has none beyond its mode); never follows a symlink."""
    try:
        return decode(os.getxattr(path, which, follow_symlinks=False))
    except OSError as exc:
        if exc.errno in (errno.ENODATA, errno.ENOATTR if hasattr(errno, "ENOATTR") else errno.ENODATA):
            return None
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise Unsupported(exc.errno, f"{path}: the file system keeps no ACLs") from None
        raise


def write(path: str | os.PathLike[str], entries: Entries, which: str = ACCESS) -> None:
    try:
        os.setxattr(path, which, encode(entries), follow_symlinks=False)
    except OSError as exc:
        if exc.errno in (errno.ENOTSUP, errno.EOPNOTSUPP):
            raise Unsupported(exc.errno, f"{path}: the file system keeps no ACLs") from None
        raise


def set_group(path: str | os.PathLike[str], gid: int, perm: int, default: int | None = None) -> None:
    """Give group ``gid`` exactly ``perm`` on ``path`` (and, on a folder, ``default`` for what is made
    in it later); the mask is widened to ``perm`` so the entry takes effect."""
    st = os.lstat(path)
    entries = read(path) or from_mode(st.st_mode)
    entries[(GROUP, gid)] = perm
    mask = entries.get((MASK, UNDEFINED_ID), entries[(GROUP_OBJ, UNDEFINED_ID)])
    entries[(MASK, UNDEFINED_ID)] = mask | perm
    write(path, entries)
    if default is not None:
        inherited = read(path, DEFAULT) or from_mode(st.st_mode)
        inherited[(GROUP, gid)] = default
        inherited.pop((MASK, UNDEFINED_ID), None)
        write(path, inherited, DEFAULT)


def group_perm(path: str | os.PathLike[str], gid: int, st: os.stat_result | None = None) -> int:
    """What a process whose only group is ``gid`` (and whose uid owns nothing) may do on ``path``."""
    st = st or os.lstat(path)
    try:
        entries = read(path)
    except Unsupported:
        entries = None
    if entries is None:
        return (st.st_mode >> 3) & 7 if st.st_gid == gid else st.st_mode & 7
    mask = entries.get((MASK, UNDEFINED_ID), 7)
    matching = [perm for (tag, ident), perm in entries.items() if tag == GROUP and ident == gid]
    if st.st_gid == gid:
        matching.append(entries[(GROUP_OBJ, UNDEFINED_ID)])
    if matching:
        allowed = 0
        for perm in matching:
            allowed |= perm & mask
        return allowed
    return entries[(OTHER, UNDEFINED_ID)]


def clear(path: str | os.PathLike[str]) -> None:
    """Remove the ACLs on ``path`` (its mode alone decides again)."""
    for which in (ACCESS, DEFAULT):
        try:
            os.removexattr(path, which, follow_symlinks=False)
        except OSError as exc:
            if exc.errno not in (errno.ENODATA, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EACCES):
                raise
