/* Filesystem helpers shared by every Plinth component: directory-fd relative work,
 * atomic publication of files (temp file, fsync, rename, fsync dir) and checksums. */
#pragma once

#include <gio/gio.h>
#include <unistd.h>

G_BEGIN_DECLS

/* An fd closed when it goes out of scope; -1 means "none". */
static inline void
pl_close_fdp (int *fdp)
{
  if (*fdp >= 0)
    close (*fdp);
  *fdp = -1;
}
#define PL_AUTOFD __attribute__ ((cleanup (pl_close_fdp)))

static inline int
pl_steal_fd (int *fdp)
{
  int fd = *fdp;
  *fdp = -1;
  return fd;
}

gboolean pl_opendirat (int dfd, const char *path, gboolean follow, int *out_fd, GError **error);
gboolean pl_mkdir_p_at (int dfd, const char *path, mode_t mode, GError **error);
gboolean pl_rm_rf_at (int dfd, const char *path, GCancellable *cancellable, GError **error);

/* Writes DATA to DFD/PATH atomically: a temp file in the same directory, fsync,
 * renameat over PATH, fsync of the directory. */
gboolean pl_file_replace_at (int dfd, const char *path, const void *data, gsize len,
                             mode_t mode, GError **error);
gboolean pl_file_read_at (int dfd, const char *path, gsize max_size, char **out_data,
                          gsize *out_len, GError **error);
/* write(2) until all of DATA is written; PATH names the file in errors. */
gboolean pl_fd_write_all (int fd, const void *data, gsize len, const char *path, GError **error);
/* Reads FD to its end; more than MAX_SIZE bytes (0: no limit) is an error. */
gboolean pl_fd_read_all (int fd, const char *path, gsize max_size, GBytes **out,
                         GError **error);
gboolean pl_file_sha256_at (int dfd, const char *path, char **out_hex, guint64 *out_size,
                            GCancellable *cancellable, GError **error);
gboolean pl_file_copy_at (int src_dfd, const char *src, int dest_dfd, const char *dest,
                          GError **error);

/* Lower-case hex SHA-256 of a byte buffer. */
char *pl_sha256_hex (const void *data, gsize len);
/* Whether S is a SHA-256 (or OSTree checksum) as Plinth writes them: 64 lower-case hex
 * digits. NULL is not. */
gboolean pl_sha256_hex_valid (const char *s);

G_END_DECLS
