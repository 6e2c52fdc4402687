/* The post-process driver and the small rules that need no module of their own: the
 * /etc move, the OSTree symlinks and the removal of what the install leaves behind.
 * The rules follow what rpm-ostree does to a tree before committing it, so that
 * `ostree admin deploy` finds the layout it expects (see docs/sysroot.md). */
#include "sysroot/postprocess.h"

#include "sysroot/kernel.h"
#include "sysroot/osrelease.h"
#include "sysroot/postprocess-private.h"
#include "sysroot/tmpfiles.h"
#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

G_DEFINE_QUARK (pl-postprocess-error-quark, pl_postprocess_error)

/* The directories OSTree keeps in /var (or /run) with the symlinks that lead there; a
 * deployment's / is read-only, so anything writable must live behind one of these. */
static const struct {
  const char *path, *target;
} ostree_links[] = {
  { "home", "var/home" },
  { "root", "var/roothome" },
  { "opt", "var/opt" },
  { "srv", "var/srv" },
  { "mnt", "var/mnt" },
  { "media", "run/media" },
  { "usr/local", "../var/usrlocal" },
  { "ostree", "sysroot/ostree" },
};

gboolean
pl_sysroot_throw_errno (GError **error, const char *what, const char *path)
{
  int errsv = errno;
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv), "%s /%s: %s", what, path,
               g_strerror (errsv));
  return FALSE;
}

static int
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

void
pl_sysroot_sort_strings (GPtrArray *strings)
{
  g_ptr_array_sort (strings, compare_strings);
}

gboolean
pl_sysroot_list_dir (int dfd, const char *path, GPtrArray **out_names, GError **error)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int fd = openat (dfd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0 && errno != ENOENT)
    return pl_sysroot_throw_errno (error, "Opening", path);
  if (fd >= 0)
    {
      DIR *d = fdopendir (fd);
      if (d == NULL)
        {
          close (fd);
          return pl_sysroot_throw_errno (error, "Reading", path);
        }
      struct dirent *de;
      while ((de = readdir (d)) != NULL)
        if (!g_str_equal (de->d_name, ".") && !g_str_equal (de->d_name, ".."))
          g_ptr_array_add (names, g_strdup (de->d_name));
      closedir (d);
    }
  pl_sysroot_sort_strings (names);
  *out_names = g_steal_pointer (&names);
  return TRUE;
}

gboolean
pl_sysroot_is_hollow (int dfd, const char *path, gboolean *out_hollow, GError **error)
{
  struct stat st;
  if (fstatat (dfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno != ENOENT)
        return pl_sysroot_throw_errno (error, "Inspecting", path);
      *out_hollow = TRUE;
      return TRUE;
    }
  if (!S_ISDIR (st.st_mode))
    {
      *out_hollow = FALSE;
      return TRUE;
    }
  g_autoptr(GPtrArray) names = NULL;
  if (!pl_sysroot_list_dir (dfd, path, &names, error))
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (path, names->pdata[i], NULL);
      gboolean hollow = TRUE;
      if (!pl_sysroot_is_hollow (dfd, child, &hollow, error))
        return FALSE;
      if (!hollow)
        {
          *out_hollow = FALSE;
          return TRUE;
        }
    }
  *out_hollow = TRUE;
  return TRUE;
}

/* The file type of DFD/PATH (S_IFMT bits), 0 when absent. */
static gboolean
file_type (int dfd, const char *path, mode_t *out_type, GError **error)
{
  struct stat st;
  if (fstatat (dfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0)
    {
      *out_type = st.st_mode & S_IFMT;
      return TRUE;
    }
  if (errno != ENOENT)
    return pl_sysroot_throw_errno (error, "Inspecting", path);
  *out_type = 0;
  return TRUE;
}

static gboolean
dir_is_empty (int dfd, const char *path, gboolean *out_empty, GError **error)
{
  g_autoptr(GPtrArray) names = NULL;
  if (!pl_sysroot_list_dir (dfd, path, &names, error))
    return FALSE;
  *out_empty = names->len == 0;
  return TRUE;
}

static gboolean
bad_tree (GError **error, const char *path, const char *expected)
{
  g_set_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_BAD_TREE,
               "/%s: expected %s", path, expected);
  return FALSE;
}

/* What pl_postprocess_move_etc will do, or why it cannot: sets *OUT_MOVE when /etc
 * must be renamed to /usr/etc, *OUT_DROP when /etc is an empty leftover. */
static gboolean
plan_etc (int rootfd, gboolean *out_move, gboolean *out_drop, GError **error)
{
  mode_t etc_type, usr_etc_type;
  *out_move = *out_drop = FALSE;
  if (!file_type (rootfd, "etc", &etc_type, error)
      || !file_type (rootfd, "usr/etc", &usr_etc_type, error))
    return FALSE;
  if (etc_type != 0 && etc_type != S_IFDIR)
    return bad_tree (error, "etc", "a directory");
  if (usr_etc_type != 0 && usr_etc_type != S_IFDIR)
    return bad_tree (error, "usr/etc", "a directory");
  if (etc_type == 0)
    return TRUE;
  gboolean etc_empty = FALSE, usr_etc_empty = TRUE;
  if (!dir_is_empty (rootfd, "etc", &etc_empty, error)
      || (usr_etc_type && !dir_is_empty (rootfd, "usr/etc", &usr_etc_empty, error)))
    return FALSE;
  if (usr_etc_empty)
    *out_move = TRUE;
  else if (etc_empty)
    *out_drop = TRUE;
  else
    return g_set_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_NOT_EMPTY,
                        "Both /etc and /usr/etc hold files: /etc cannot become /usr/etc "
                        "(a package installs into /usr/etc?)"), FALSE;
  return TRUE;
}

static gboolean
check_links (int rootfd, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (ostree_links); i++)
    {
      const char *path = ostree_links[i].path;
      mode_t type;
      gboolean hollow = TRUE;
      if (!file_type (rootfd, path, &type, error))
        return FALSE;
      if (type != 0 && type != S_IFDIR && type != S_IFLNK)
        return bad_tree (error, path, "a directory or a symlink");
      if (type == S_IFDIR && !pl_sysroot_is_hollow (rootfd, path, &hollow, error))
        return FALSE;
      if (!hollow)
        return g_set_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_NOT_EMPTY,
                            "/%s holds files, but it must become a symlink to %s: "
                            "packages may not install there", path, ostree_links[i].target),
               FALSE;
    }
  static const char *const dirs[] = { "sysroot", "var", "boot", "tmp", "run" };
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      mode_t type;
      if (!file_type (rootfd, dirs[i], &type, error))
        return FALSE;
      if (type != 0 && type != S_IFDIR)
        return bad_tree (error, dirs[i], "a directory");
    }
  return TRUE;
}

gboolean
pl_postprocess_check (int rootfd, const PlPostprocessOptions *opts, GError **error)
{
  g_autofree char *os_release = pl_os_release_render (opts, error);
  if (os_release == NULL)
    return FALSE;
  mode_t usr_type;
  if (!file_type (rootfd, "usr", &usr_type, error))
    return FALSE;
  if (usr_type != S_IFDIR)
    return bad_tree (error, "usr", "a directory (is this an installed tree?)");
  gboolean move, drop;
  g_autofree char *kver = NULL;
  return plan_etc (rootfd, &move, &drop, error) && pl_kernel_find (rootfd, &kver, error)
         && check_links (rootfd, error) && pl_tmpfiles_check_var (rootfd, error);
}

gboolean
pl_postprocess_move_etc (int rootfd, GError **error)
{
  gboolean move, drop;
  if (!plan_etc (rootfd, &move, &drop, error))
    return FALSE;
  if (drop && unlinkat (rootfd, "etc", AT_REMOVEDIR) < 0)
    return pl_sysroot_throw_errno (error, "Removing", "etc");
  /* rename(2) replaces an empty directory; one rename keeps every owner, mode, xattr,
   * hard link and symlink of /etc exactly as the packages made them */
  if (move && renameat (rootfd, "etc", rootfd, "usr/etc") < 0)
    return pl_sysroot_throw_errno (error, "Moving", "etc to /usr/etc");
  return pl_mkdir_p_at (rootfd, "usr/etc", 0755, error);
}

/* Empties DFD/PATH but keeps (or makes) the directory with MODE. */
static gboolean
empty_dir (int rootfd, const char *path, mode_t mode, GCancellable *cancellable,
           GError **error)
{
  g_autoptr(GPtrArray) names = NULL;
  if (!pl_sysroot_list_dir (rootfd, path, &names, error))
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *child = g_build_filename (path, names->pdata[i], NULL);
      if (!pl_rm_rf_at (rootfd, child, cancellable, error))
        return FALSE;
    }
  if (mkdirat (rootfd, path, mode) == 0)
    {
      /* mkdir's mode goes through the umask; /tmp needs its sticky 1777 */
      if (fchmodat (rootfd, path, mode, 0) < 0)
        return pl_sysroot_throw_errno (error, "Setting the mode of", path);
    }
  else if (errno != EEXIST)
    return pl_sysroot_throw_errno (error, "Creating", path);
  return TRUE;
}

/* rpm's database goes with /usr (Debian's rpm would otherwise use /var/lib/rpm, which
 * a deployment never sees). A /var/lib/rpm next to /usr/lib/sysimage/rpm is a stray. */
static gboolean
clean_rpmdb (int rootfd, GCancellable *cancellable, GError **error)
{
  mode_t type, sysimage_type;
  if (!file_type (rootfd, "var/lib/rpm", &type, error)
      || !file_type (rootfd, "usr/lib/sysimage/rpm", &sysimage_type, error))
    return FALSE;
  if (type == S_IFDIR && sysimage_type == 0)
    {
      if (!pl_mkdir_p_at (rootfd, "usr/lib/sysimage", 0755, error))
        return FALSE;
      if (renameat (rootfd, "var/lib/rpm", rootfd, "usr/lib/sysimage/rpm") < 0)
        return pl_sysroot_throw_errno (error, "Moving", "var/lib/rpm");
    }
  else if (type == S_IFDIR && !pl_rm_rf_at (rootfd, "var/lib/rpm", cancellable, error))
    return FALSE;

  /* Berkeley DB environment files and locks are state of the process that installed
   * the tree, never of the database */
  g_autoptr(GPtrArray) names = NULL;
  if (!pl_sysroot_list_dir (rootfd, "usr/lib/sysimage/rpm", &names, error))
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      const char *name = names->pdata[i];
      if (!g_str_has_prefix (name, "__db") && !g_str_equal (name, ".rpm.lock")
          && !g_str_equal (name, ".dbenv.lock"))
        continue;
      g_autofree char *p = g_build_filename ("usr/lib/sysimage/rpm", name, NULL);
      if (!pl_rm_rf_at (rootfd, p, cancellable, error))
        return FALSE;
    }
  return TRUE;
}

gboolean
pl_postprocess_clean (int rootfd, GCancellable *cancellable, GError **error)
{
  if (!empty_dir (rootfd, "tmp", 01777, cancellable, error)
      || !empty_dir (rootfd, "run", 0755, cancellable, error)
      || !clean_rpmdb (rootfd, cancellable, error))
    return FALSE;
  /* No machine-id at all: every node must make its own at first boot (one baked into
   * the image would be shared by the whole fleet), and an absent file is what makes
   * systemd treat that boot as the first one (ConditionFirstBoot, preset-all). */
  static const char *const machine_ids[] = { "etc/machine-id", "usr/etc/machine-id" };
  for (gsize i = 0; i < G_N_ELEMENTS (machine_ids); i++)
    if (unlinkat (rootfd, machine_ids[i], 0) < 0 && errno != ENOENT)
      return pl_sysroot_throw_errno (error, "Removing", machine_ids[i]);
  /* The mount points a deployment needs, whatever the packages made */
  static const char *const mounts[] = { "boot", "dev", "proc", "sys", "var" };
  for (gsize i = 0; i < G_N_ELEMENTS (mounts); i++)
    if (mkdirat (rootfd, mounts[i], 0755) < 0 && errno != EEXIST)
      return pl_sysroot_throw_errno (error, "Creating", mounts[i]);
  return TRUE;
}

/* Points PATH at TARGET with one rename (PATH is absent or a symlink). */
static gboolean
replace_with_symlink (int rootfd, const char *path, const char *target, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s/.%s.plinth-tmp", dir, base);
  (void) unlinkat (rootfd, tmp, 0);
  if (symlinkat (target, rootfd, tmp) < 0)
    return pl_sysroot_throw_errno (error, "Creating symlink", tmp);
  if (renameat (rootfd, tmp, rootfd, path) < 0)
    {
      int errsv = errno;
      (void) unlinkat (rootfd, tmp, 0);
      errno = errsv;
      return pl_sysroot_throw_errno (error, "Creating symlink", path);
    }
  return TRUE;
}

gboolean
pl_postprocess_ostree_links (int rootfd, GCancellable *cancellable, GError **error)
{
  if (!check_links (rootfd, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (ostree_links); i++)
    {
      const char *path = ostree_links[i].path, *target = ostree_links[i].target;
      char buf[PATH_MAX];
      ssize_t n = readlinkat (rootfd, path, buf, sizeof buf - 1);
      if (n >= 0 && (buf[n] = '\0', g_str_equal (buf, target)))
        continue;
      /* check_links made sure a directory here holds nothing but directories */
      mode_t type;
      if (!file_type (rootfd, path, &type, error))
        return FALSE;
      if (type == S_IFDIR && !pl_rm_rf_at (rootfd, path, cancellable, error))
        return FALSE;
      if (!replace_with_symlink (rootfd, path, target, error))
        return FALSE;
    }
  if (mkdirat (rootfd, "sysroot", 0755) < 0 && errno != EEXIST)
    return pl_sysroot_throw_errno (error, "Creating", "sysroot");
  return TRUE;
}

gboolean
pl_postprocess_tree (int rootfd, const PlPostprocessOptions *opts, GCancellable *cancellable,
                     GError **error)
{
  if (!pl_postprocess_check (rootfd, opts, error))
    return FALSE;
  /* /etc moves before the /var rule so that owner names come from /usr/etc/passwd,
   * and the links come last because they replace directories the other rules read */
  if (!pl_kernel_relocate (rootfd, cancellable, error)
      || !pl_postprocess_clean (rootfd, cancellable, error)
      || !pl_postprocess_move_etc (rootfd, error)
      || !pl_os_release_write (rootfd, opts, error)
      || !pl_tmpfiles_from_var (rootfd, cancellable, error)
      || !pl_postprocess_ostree_links (rootfd, cancellable, error))
    return FALSE;
  return TRUE;
}
