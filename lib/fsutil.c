/* Filesystem helpers: every path is taken relative to a directory fd so callers can
 * point a component at a fake root, and files the system depends on are published
 * atomically so a crash leaves either the old or the new file, never half of one. */
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <stdio.h>

static gboolean
throw_errno (GError **error, const char *what, const char *path)
{
  int errsv = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s %s: %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

gboolean
pl_opendirat (int dfd, const char *path, gboolean follow, int *out_fd, GError **error)
{
  int flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW);
  int fd = openat (dfd, path, flags);
  if (fd < 0)
    return throw_errno (error, "Opening directory", path);
  *out_fd = fd;
  return TRUE;
}

gboolean
pl_mkdir_p_at (int dfd, const char *path, mode_t mode, GError **error)
{
  g_autofree char *copy = g_strdup (path);
  for (char *p = copy + 1; ; p++)
    {
      gboolean last = (*p == '\0');
      if (*p == '/' || last)
        {
          char saved = *p;
          *p = '\0';
          if (mkdirat (dfd, copy, mode) < 0 && errno != EEXIST)
            return throw_errno (error, "Creating directory", copy);
          *p = saved;
        }
      if (last)
        break;
    }
  return TRUE;
}

static gboolean
rm_rf_children (int dfd, GCancellable *cancellable, GError **error)
{
  int dupfd = fcntl (dfd, F_DUPFD_CLOEXEC, 3);
  if (dupfd < 0)
    return throw_errno (error, "Duplicating fd for", "directory");
  DIR *d = fdopendir (dupfd);
  if (!d)
    {
      close (dupfd);
      return throw_errno (error, "Reading", "directory");
    }
  struct dirent *de;
  gboolean ok = TRUE;
  while (ok && (de = readdir (d)) != NULL)
    {
      if (g_str_equal (de->d_name, ".") || g_str_equal (de->d_name, ".."))
        continue;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        ok = FALSE;
      else
        ok = pl_rm_rf_at (dirfd (d), de->d_name, cancellable, error);
    }
  closedir (d);
  return ok;
}

gboolean
pl_rm_rf_at (int dfd, const char *path, GCancellable *cancellable, GError **error)
{
  if (unlinkat (dfd, path, 0) == 0 || errno == ENOENT)
    return TRUE;
  if (errno != EISDIR && errno != EPERM)
    return throw_errno (error, "Removing", path);
  PL_AUTOFD int fd = openat (dfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return throw_errno (error, "Opening", path);
  if (!rm_rf_children (fd, cancellable, error))
    return FALSE;
  if (unlinkat (dfd, path, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return throw_errno (error, "Removing directory", path);
  return TRUE;
}

gboolean
pl_fd_write_all (int fd, const void *data, gsize len, const char *path, GError **error)
{
  const guint8 *p = data;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return throw_errno (error, "Writing", path);
      p += n;
      len -= n;
    }
  return TRUE;
}

gboolean
pl_file_replace_at (int dfd, const char *path, const void *data, gsize len, mode_t mode,
                    GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = NULL;
  PL_AUTOFD int fd = -1;
  for (int tries = 0; tries < 100 && fd < 0; tries++)
    {
      g_free (tmp);
      tmp = g_strdup_printf ("%s/.%s.%08x", dir, base, g_random_int ());
      fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
      if (fd < 0 && errno != EEXIST)
        return throw_errno (error, "Creating", tmp);
    }
  if (fd < 0)
    return throw_errno (error, "Creating temporary file for", path);
  if (fchmod (fd, mode) < 0 || !pl_fd_write_all (fd, data, len, path, error) || fsync (fd) < 0)
    {
      int errsv = errno;
      (void) unlinkat (dfd, tmp, 0);
      if (error && *error)
        return FALSE;
      errno = errsv;
      return throw_errno (error, "Writing", path);
    }
  if (renameat (dfd, tmp, dfd, path) < 0)
    {
      int errsv = errno;
      (void) unlinkat (dfd, tmp, 0);
      errno = errsv;
      return throw_errno (error, "Renaming into place", path);
    }
  PL_AUTOFD int dirfd_ = openat (dfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd_ >= 0)
    (void) fsync (dirfd_);
  return TRUE;
}

/* Reads FD to its end into a new array, refusing more than MAX_SIZE bytes. */
static gboolean
read_to_array (int fd, const char *path, gsize max_size, gsize hint, GByteArray **out,
               GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_sized_new (hint);
  guint8 chunk[65536];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return throw_errno (error, "Reading", path);
      if (n == 0)
        break;
      g_byte_array_append (buf, chunk, n);
      if (max_size > 0 && buf->len > max_size)
        return g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                            "%s is larger than %" G_GSIZE_FORMAT " bytes", path, max_size),
               FALSE;
    }
  *out = g_steal_pointer (&buf);
  return TRUE;
}

gboolean
pl_fd_read_all (int fd, const char *path, gsize max_size, GBytes **out, GError **error)
{
  g_autoptr(GByteArray) buf = NULL;
  if (!read_to_array (fd, path, max_size, 4096, &buf, error))
    return FALSE;
  *out = g_byte_array_free_to_bytes (g_steal_pointer (&buf));
  return TRUE;
}

gboolean
pl_file_read_at (int dfd, const char *path, gsize max_size, char **out_data, gsize *out_len,
                 GError **error)
{
  PL_AUTOFD int fd = openat (dfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return throw_errno (error, "Opening", path);
  struct stat st;
  if (fstat (fd, &st) < 0)
    return throw_errno (error, "Reading", path);
  if (max_size > 0 && (guint64) st.st_size > max_size)
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE,
                        "%s is %" G_GUINT64_FORMAT " bytes, more than the limit of %"
                        G_GSIZE_FORMAT, path, (guint64) st.st_size, max_size), FALSE;
  g_autoptr(GByteArray) buf = NULL;
  if (!read_to_array (fd, path, max_size, st.st_size + 1, &buf, error))
    return FALSE;
  gsize len = buf->len;
  g_byte_array_append (buf, (const guint8 *) "", 1);
  if (out_len)
    *out_len = len;
  *out_data = (char *) g_byte_array_free (g_steal_pointer (&buf), FALSE);
  return TRUE;
}

gboolean
pl_file_sha256_at (int dfd, const char *path, char **out_hex, guint64 *out_size,
                   GCancellable *cancellable, GError **error)
{
  PL_AUTOFD int fd = openat (dfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return throw_errno (error, "Opening", path);
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  guint64 total = 0;
  guint8 chunk[131072];
  for (;;)
    {
      ssize_t n = read (fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return throw_errno (error, "Reading", path);
      if (n == 0)
        break;
      g_checksum_update (sum, chunk, n);
      total += n;
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
    }
  *out_hex = g_strdup (g_checksum_get_string (sum));
  if (out_size)
    *out_size = total;
  return TRUE;
}

gboolean
pl_file_copy_at (int src_dfd, const char *src, int dest_dfd, const char *dest, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  struct stat st;
  if (fstatat (src_dfd, src, &st, 0) < 0)
    return throw_errno (error, "Reading", src);
  if (!pl_file_read_at (src_dfd, src, 0, &data, &len, error))
    return FALSE;
  return pl_file_replace_at (dest_dfd, dest, data, len, st.st_mode & 07777, error);
}

gboolean
pl_sha256_hex_valid (const char *s)
{
  gsize n = 0;
  for (; s && (g_ascii_isdigit (s[n]) || (s[n] >= 'a' && s[n] <= 'f')); n++)
    ;
  return s && n == 64 && s[n] == '\0';
}

char *
pl_sha256_hex (const void *data, gsize len)
{
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, data, len);
}
