/* Safe filesystem work inside a target root. Every path is resolved by the kernel
 * with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS), so neither ".." nor a symlink
 * can lead outside the root; in addition a path whose symlinks would leave the root
 * if followed on the host (absolute links, links climbing above the root) is refused
 * outright (PL_ROOTFS_ERROR_ESCAPE), because such a link in a parent path is a sign of
 * a hostile or broken tree. The final component of a path is never followed: files,
 * links and directories are created or replaced in their parent directory. */
#pragma once

#include <gio/gio.h>
#include <sys/stat.h>

G_BEGIN_DECLS

#define PL_ROOTFS_ERROR (pl_rootfs_error_quark ())
GQuark pl_rootfs_error_quark (void);

typedef enum {
  PL_ROOTFS_ERROR_ESCAPE,    /* a symlink in the path leads outside the root */
  PL_ROOTFS_ERROR_NOT_DIR,   /* a parent component exists and is not a directory */
  PL_ROOTFS_ERROR_IO,        /* a system call failed (message has errno's text) */
  PL_ROOTFS_ERROR_NO_OPENAT2,/* the kernel has no openat2 (Linux < 5.6) */
} PlRootfsError;

/* Opens the root directory. */
gboolean pl_rootfs_open_root (const char *path, int *out_fd, GError **error);

/* Resolves the parent directory of PATH (absolute, clean) inside ROOT_FD. With CREATE,
 * missing directories are made with DIR_MODE, owned by root; without it a missing
 * parent gives *out_dirfd == -1 and TRUE. *out_base is the last component. */
gboolean pl_rootfs_open_parent (int root_fd, const char *path, gboolean create,
                                mode_t dir_mode, int *out_dirfd, char **out_base,
                                GError **error);

/* lstat of PATH inside the root; *out_exists FALSE when it or a parent is missing. */
gboolean pl_rootfs_lstat (int root_fd, const char *path, gboolean *out_exists,
                          struct stat *out_st, GError **error);

/* Reads a regular file (following nothing at the last component). MAX_SIZE 0: none. */
gboolean pl_rootfs_read (int root_fd, const char *path, gsize max_size, GBytes **out,
                         GError **error);

/* Publishes DATA at PATH atomically (temp file in the same directory, fchown, fchmod,
 * fsync, renameat), creating parents. UID/GID -1 keep the caller's ids. */
gboolean pl_rootfs_write (int root_fd, const char *path, const void *data, gsize len,
                          mode_t mode, gint64 uid, gint64 gid, GError **error);

/* Creates a directory (and parents); an existing one gets MODE and owner. */
gboolean pl_rootfs_mkdir (int root_fd, const char *path, mode_t mode, gint64 uid, gint64 gid,
                          GError **error);

/* A symlink PATH -> TARGET (TARGET is stored as given), replacing what is at PATH. */
gboolean pl_rootfs_symlink (int root_fd, const char *path, const char *target, gint64 uid,
                            gint64 gid, GError **error);

/* A hard link PATH to the file at TARGET (inside the root), replacing what is at PATH. */
gboolean pl_rootfs_hardlink (int root_fd, const char *path, const char *target,
                             GError **error);

/* Removes the non-directory at PATH; a missing one is not an error. */
gboolean pl_rootfs_unlink (int root_fd, const char *path, GError **error);

G_END_DECLS
