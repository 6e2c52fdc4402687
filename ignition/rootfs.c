/* Filesystem work confined to a root directory (see rootfs.h for the rules). Each
 * path is resolved from the root fd in one openat2() call per directory; missing
 * directories are created one component at a time with mkdirat() in the already
 * resolved parent, so the kernel, not string handling, decides where things land. */
#include "ignition/rootfs.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

G_DEFINE_QUARK (pl-rootfs-error-quark, pl_rootfs_error)

static gboolean
throw_errno (GError **error, const char *what, const char *path)
{
  int errsv = errno;
  if (errsv == ENOSYS)
    return g_set_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_NO_OPENAT2,
                        "%s %s: openat2() is not available (needs Linux 5.6 or later)", what,
                        path), FALSE;
  return g_set_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_IO, "%s %s: %s", what, path,
                      g_strerror (errsv)), FALSE;
}

static int
openat2_ (int dfd, const char *path, guint64 flags, guint64 resolve)
{
  struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };
  return (int) syscall (SYS_openat2, dfd, path, &how, sizeof how);
}

/* Opens directory REL (relative to the root, "" for the root itself). Returns the fd,
 * or -1 with errno set; ESCAPE is reported through ERROR with errno EXDEV. */
static int
open_dir_in_root (int root_fd, const char *rel, const char *shown, GError **error)
{
  if (*rel == '\0')
    return fcntl (root_fd, F_DUPFD_CLOEXEC, 3);
  /* The host's view first: if following the links would leave the root, refuse */
  int probe = openat2_ (root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                        RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS);
  if (probe < 0 && errno == EXDEV)
    {
      g_set_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_ESCAPE,
                   "%s: a symlink in the path leads outside the root", shown);
      errno = EXDEV;
      return -1;
    }
  if (probe >= 0)
    close (probe);
  /* The kernel's confinement is what we use: it holds even if links change under us */
  return openat2_ (root_fd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC,
                   RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

gboolean
pl_rootfs_open_root (const char *path, int *out_fd, GError **error)
{
  int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return throw_errno (error, "Opening root", path);
  *out_fd = fd;
  return TRUE;
}

gboolean
pl_rootfs_open_parent (int root_fd, const char *path, gboolean create, mode_t dir_mode,
                       int *out_dirfd, char **out_base, GError **error)
{
  g_return_val_if_fail (path[0] == '/', FALSE);
  const char *slash = strrchr (path, '/');
  g_autofree char *parent = slash > path ? g_strndup (path + 1, slash - (path + 1))
                                         : g_strdup ("");
  g_autofree char *base = g_strdup (slash + 1);

  /* The common case: the parent exists */
  PL_AUTOFD int fd = open_dir_in_root (root_fd, parent, path, error);
  if (fd < 0 && error && *error)
    return FALSE;
  if (fd < 0 && errno != ENOENT && errno != ENOTDIR)
    return throw_errno (error, "Resolving", path);
  if (fd < 0 && errno == ENOTDIR && !create)
    return g_set_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_NOT_DIR,
                        "%s: a parent is not a directory", path), FALSE;

  if (fd < 0)
    {
      /* Walk from the root, creating (or, without CREATE, stopping at) missing parts */
      g_auto(GStrv) parts = g_strsplit (parent, "/", -1);
      g_autoptr(GString) prefix = g_string_new (NULL);
      PL_AUTOFD int cur = fcntl (root_fd, F_DUPFD_CLOEXEC, 3);
      for (char **p = parts; *p; p++)
        {
          if (prefix->len)
            g_string_append_c (prefix, '/');
          g_string_append (prefix, *p);
          int next = open_dir_in_root (root_fd, prefix->str, path, error);
          if (next < 0 && error && *error)
            return FALSE;
          if (next < 0 && errno == ENOTDIR)
            return g_set_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_NOT_DIR,
                                "%s: /%s is not a directory", path, prefix->str), FALSE;
          if (next < 0 && errno != ENOENT)
            return throw_errno (error, "Resolving", path);
          if (next < 0 && !create)
            {
              *out_dirfd = -1;
              *out_base = g_steal_pointer (&base);
              return TRUE;
            }
          if (next < 0)
            {
              if (mkdirat (cur, *p, dir_mode) < 0 && errno != EEXIST)
                return throw_errno (error, "Creating directory", prefix->str);
              next = open_dir_in_root (root_fd, prefix->str, path, error);
              if (next < 0 && error && *error)
                return FALSE;
              if (next < 0)
                return throw_errno (error, "Creating directory", prefix->str);
              /* mkdirat applies the umask; the mode asked for is the one wanted */
              if (fchmod (next, dir_mode) < 0 || fchown (next, 0, 0) < 0)
                {
                  close (next);
                  return throw_errno (error, "Setting owner of", prefix->str);
                }
            }
          close (cur);
          cur = next;
        }
      fd = pl_steal_fd (&cur);
    }
  *out_dirfd = pl_steal_fd (&fd);
  *out_base = g_steal_pointer (&base);
  return TRUE;
}

gboolean
pl_rootfs_lstat (int root_fd, const char *path, gboolean *out_exists, struct stat *out_st,
                 GError **error)
{
  PL_AUTOFD int dfd = -1;
  g_autofree char *base = NULL;
  if (!pl_rootfs_open_parent (root_fd, path, FALSE, 0, &dfd, &base, error))
    return FALSE;
  *out_exists = FALSE;
  if (dfd < 0)
    return TRUE;
  if (fstatat (dfd, base, out_st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      return throw_errno (error, "Inspecting", path);
    }
  *out_exists = TRUE;
  return TRUE;
}

gboolean
pl_rootfs_read (int root_fd, const char *path, gsize max_size, GBytes **out, GError **error)
{
  PL_AUTOFD int dfd = -1;
  g_autofree char *base = NULL;
  if (!pl_rootfs_open_parent (root_fd, path, FALSE, 0, &dfd, &base, error))
    return FALSE;
  if (dfd < 0)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: not found", path),
           FALSE;
  PL_AUTOFD int fd = openat (dfd, base, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno == ENOENT)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: not found", path),
           FALSE;
  if (fd < 0)
    return throw_errno (error, "Opening", path);
  return pl_fd_read_all (fd, path, max_size, out, error);
}

static char *
temp_name (const char *base)
{
  return g_strdup_printf (".%s.plinth-%08x", base, g_random_int ());
}

gboolean
pl_rootfs_write (int root_fd, const char *path, const void *data, gsize len, mode_t mode,
                 gint64 uid, gint64 gid, GError **error)
{
  PL_AUTOFD int dfd = -1;
  g_autofree char *base = NULL;
  if (!pl_rootfs_open_parent (root_fd, path, TRUE, 0755, &dfd, &base, error))
    return FALSE;
  g_autofree char *tmp = NULL;
  PL_AUTOFD int fd = -1;
  for (int tries = 0; tries < 100 && fd < 0; tries++)
    {
      g_free (tmp);
      tmp = temp_name (base);
      fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (fd < 0 && errno != EEXIST)
        return throw_errno (error, "Creating a temporary file for", path);
    }
  if (fd < 0)
    return throw_errno (error, "Creating a temporary file for", path);
  gboolean ok = pl_fd_write_all (fd, data, len, path, error);
  /* Owner before mode: chown clears setuid bits a mode may ask for */
  if (ok && (uid >= 0 || gid >= 0) && fchown (fd, uid, gid) < 0)
    ok = throw_errno (error, "Setting owner of", path);
  if (ok && fchmod (fd, mode) < 0)
    ok = throw_errno (error, "Setting mode of", path);
  if (ok && fsync (fd) < 0)
    ok = throw_errno (error, "Syncing", path);
  if (ok && renameat (dfd, tmp, dfd, base) < 0)
    ok = throw_errno (error, "Renaming into place", path);
  if (!ok)
    {
      (void) unlinkat (dfd, tmp, 0);
      return FALSE;
    }
  (void) fsync (dfd);
  return TRUE;
}

gboolean
pl_rootfs_mkdir (int root_fd, const char *path, mode_t mode, gint64 uid, gint64 gid,
                 GError **error)
{
  PL_AUTOFD int dfd = -1;
  g_autofree char *base = NULL;
  if (!pl_rootfs_open_parent (root_fd, path, TRUE, 0755, &dfd, &base, error))
    return FALSE;
  if (mkdirat (dfd, base, mode) < 0 && errno != EEXIST)
    return throw_errno (error, "Creating directory", path);
  PL_AUTOFD int fd = openat (dfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOTDIR)
    return g_set_error (error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_NOT_DIR,
                        "%s: exists and is not a directory", path), FALSE;
  if (fd < 0)
    return throw_errno (error, "Opening directory", path);
  if ((uid >= 0 || gid >= 0) && fchown (fd, uid, gid) < 0)
    return throw_errno (error, "Setting owner of", path);
  if (fchmod (fd, mode) < 0)
    return throw_errno (error, "Setting mode of", path);
  return TRUE;
}

/* Puts the node made at DFD/TMP in place of DFD/BASE. */
static gboolean
publish (int dfd, const char *tmp, const char *base, const char *path, GError **error)
{
  if (renameat (dfd, tmp, dfd, base) < 0)
    {
      int errsv = errno;
      (void) unlinkat (dfd, tmp, 0);
      errno = errsv;
      return throw_errno (error, "Renaming into place", path);
    }
  (void) fsync (dfd);
  return TRUE;
}

gboolean
pl_rootfs_symlink (int root_fd, const char *path, const char *target, gint64 uid, gint64 gid,
                   GError **error)
{
  PL_AUTOFD int dfd = -1;
  g_autofree char *base = NULL;
  if (!pl_rootfs_open_parent (root_fd, path, TRUE, 0755, &dfd, &base, error))
    return FALSE;
  g_autofree char *tmp = temp_name (base);
  if (symlinkat (target, dfd, tmp) < 0)
    return throw_errno (error, "Creating symlink", path);
  if ((uid >= 0 || gid >= 0) && fchownat (dfd, tmp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    {
      (void) unlinkat (dfd, tmp, 0);
      return throw_errno (error, "Setting owner of", path);
    }
  return publish (dfd, tmp, base, path, error);
}

gboolean
pl_rootfs_hardlink (int root_fd, const char *path, const char *target, GError **error)
{
  PL_AUTOFD int tfd = -1;
  g_autofree char *tbase = NULL;
  if (!pl_rootfs_open_parent (root_fd, target, FALSE, 0, &tfd, &tbase, error))
    return FALSE;
  if (tfd < 0)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                        "%s: hard link target %s does not exist", path, target), FALSE;
  PL_AUTOFD int dfd = -1;
  g_autofree char *base = NULL;
  if (!pl_rootfs_open_parent (root_fd, path, TRUE, 0755, &dfd, &base, error))
    return FALSE;
  g_autofree char *tmp = temp_name (base);
  if (linkat (tfd, tbase, dfd, tmp, 0) < 0)
    return throw_errno (error, "Creating hard link", path);
  return publish (dfd, tmp, base, path, error);
}

gboolean
pl_rootfs_unlink (int root_fd, const char *path, GError **error)
{
  PL_AUTOFD int dfd = -1;
  g_autofree char *base = NULL;
  if (!pl_rootfs_open_parent (root_fd, path, FALSE, 0, &dfd, &base, error))
    return FALSE;
  if (dfd < 0)
    return TRUE;
  if (unlinkat (dfd, base, 0) < 0 && errno != ENOENT)
    return throw_errno (error, "Removing", path);
  return TRUE;
}
