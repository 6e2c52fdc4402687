/* The executor. Two passes over the plan: `check` resolves and inspects everything
 * without writing (and is all a dry run does); `write` then makes the changes in an
 * order where each step can rely on the previous ones: user database, home
 * directories, directories (shallowest first), files, links, units, hostname, kernel
 * arguments. A failure in the write pass can only be an I/O error of the system. */
#include "ignition/apply.h"
#include "ignition/rootfs.h"
#include "ignition/units.h"
#include "ignition/userdb.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (pl-apply-error-quark, pl_apply_error)

typedef struct {
  gint64 uid, gid;
} Ids;

typedef struct {
  int root_fd;
  PlPlan *plan;
  PlUserdb *db;
  GPtrArray *changes;
  Ids *file_ids, *dir_ids, *link_ids;
  GPtrArray *unit_links;     /* per unit: GPtrArray of PlUnitLink*, or NULL */
  GCancellable *cancellable;
} Ctx;

static void
unref_links (gpointer links)
{
  if (links)
    g_ptr_array_unref (links);
}

static void
ctx_clear (Ctx *c)
{
  g_clear_pointer (&c->db, pl_userdb_free);
  g_free (c->file_ids);
  g_free (c->dir_ids);
  g_free (c->link_ids);
  g_clear_pointer (&c->unit_links, g_ptr_array_unref);
}

static void
change (Ctx *c, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
change (Ctx *c, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_ptr_array_add (c->changes, g_strdup_vprintf (fmt, ap));
  va_end (ap);
}

static const char *const unit_dirs[] = { "/etc/systemd/system", "/usr/lib/systemd/system",
                                         "/lib/systemd/system", NULL };

/* ---- checks ---- */

static gboolean
check_not_under_link (Ctx *c, const char *path, const char *origin, GError **error)
{
  for (guint i = 0; i < c->plan->links->len; i++)
    {
      PlPlanLink *l = c->plan->links->pdata[i];
      if (g_str_has_prefix (path, l->path) && path[strlen (l->path)] == '/')
        return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_CONFLICT,
                            "%s: %s lies under the link %s (%s); writing through links is "
                            "not supported", origin, path, l->path, l->origin), FALSE;
    }
  return TRUE;
}

static gboolean
exists_error (const char *origin, const char *path, const char *what, GError **error)
{
  return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_EXISTS,
                      "%s: %s already exists (%s) and overwrite is false", origin, path, what),
         FALSE;
}

static gboolean
same_contents (Ctx *c, const char *path, GBytes *want)
{
  g_autoptr(GBytes) have = NULL;
  if (!pl_rootfs_read (c->root_fd, path, g_bytes_get_size (want) + 1, &have, NULL))
    return FALSE;
  return g_bytes_equal (have, want);
}

static gboolean
check_file (Ctx *c, guint idx, GError **error)
{
  PlPlanFile *f = c->plan->files->pdata[idx];
  if (f->contents && !f->contents->data)
    return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_UNRESOLVED,
                        "%s.contents: not fetched yet", f->origin), FALSE;
  for (guint j = 0; j < f->append->len; j++)
    if (!((PlSource *) f->append->pdata[j])->data)
      return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_UNRESOLVED,
                          "%s.append[%u]: not fetched yet", f->origin, j), FALSE;
  if (!pl_userdb_resolve_owner (c->db, &f->owner, f->origin, &c->file_ids[idx].uid,
                                &c->file_ids[idx].gid, error)
      || !check_not_under_link (c, f->path, f->origin, error))
    return FALSE;
  gboolean exists;
  struct stat st;
  if (!pl_rootfs_lstat (c->root_fd, f->path, &exists, &st, error))
    return g_prefix_error (error, "%s: ", f->origin), FALSE;
  if (!exists)
    return TRUE;
  if (S_ISDIR (st.st_mode))
    return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_EXISTS,
                        "%s: %s is a directory, not replaced by a file", f->origin, f->path),
           FALSE;
  if (!S_ISREG (st.st_mode) && !f->overwrite)
    return exists_error (f->origin, f->path, "not a regular file", error);
  if (!S_ISREG (st.st_mode) && !f->contents)
    return exists_error (f->origin, f->path, "not a regular file", error);
  /* Rewriting a file with the bytes it already has is harmless: a re-run succeeds */
  if (f->contents && !f->overwrite && !same_contents (c, f->path, f->contents->data))
    return exists_error (f->origin, f->path, "with other contents", error);
  return TRUE;
}

static gboolean
check_dir (Ctx *c, guint idx, GError **error)
{
  PlPlanDir *d = c->plan->dirs->pdata[idx];
  if (!pl_userdb_resolve_owner (c->db, &d->owner, d->origin, &c->dir_ids[idx].uid,
                                &c->dir_ids[idx].gid, error)
      || !check_not_under_link (c, d->path, d->origin, error))
    return FALSE;
  gboolean exists;
  struct stat st;
  if (!pl_rootfs_lstat (c->root_fd, d->path, &exists, &st, error))
    return g_prefix_error (error, "%s: ", d->origin), FALSE;
  if (exists && !S_ISDIR (st.st_mode) && !d->overwrite)
    return exists_error (d->origin, d->path, "not a directory", error);
  return TRUE;
}

static gboolean
plan_has_file (Ctx *c, const char *path)
{
  for (guint i = 0; i < c->plan->files->len; i++)
    if (g_str_equal (((PlPlanFile *) c->plan->files->pdata[i])->path, path))
      return TRUE;
  return FALSE;
}

static gboolean
check_link (Ctx *c, guint idx, GError **error)
{
  PlPlanLink *l = c->plan->links->pdata[idx];
  if (!pl_userdb_resolve_owner (c->db, &l->owner, l->origin, &c->link_ids[idx].uid,
                                &c->link_ids[idx].gid, error)
      || !check_not_under_link (c, l->path, l->origin, error))
    return FALSE;
  gboolean exists;
  struct stat st;
  if (!pl_rootfs_lstat (c->root_fd, l->path, &exists, &st, error))
    return g_prefix_error (error, "%s: ", l->origin), FALSE;
  if (exists && S_ISDIR (st.st_mode))
    return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_EXISTS,
                        "%s: %s is a directory, not replaced by a link", l->origin, l->path),
           FALSE;
  if (exists && !l->overwrite)
    {
      char buf[4096];
      PL_AUTOFD int dfd = -1;
      g_autofree char *base = NULL;
      ssize_t n = -1;
      if (S_ISLNK (st.st_mode)
          && pl_rootfs_open_parent (c->root_fd, l->path, FALSE, 0, &dfd, &base, NULL)
          && dfd >= 0)
        n = readlinkat (dfd, base, buf, sizeof buf - 1);
      if (l->hard || n < 0 || (buf[n] = '\0', !g_str_equal (buf, l->target)))
        return exists_error (l->origin, l->path, "with another target", error);
    }
  if (l->hard)
    {
      gboolean texists;
      struct stat tst;
      if (!pl_rootfs_lstat (c->root_fd, l->target, &texists, &tst, error))
        return g_prefix_error (error, "%s.target: ", l->origin), FALSE;
      if (!texists && !plan_has_file (c, l->target))
        return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_CONFLICT,
                            "%s.target: %s does not exist", l->origin, l->target), FALSE;
      if (texists && S_ISDIR (tst.st_mode))
        return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_CONFLICT,
                            "%s.target: %s is a directory", l->origin, l->target), FALSE;
    }
  return TRUE;
}

/* Finds NAME's unit file for enabling: given contents, else the root's unit dirs. */
static gboolean
find_unit (Ctx *c, PlPlanUnit *u, char **out_path, char **out_text, GError **error)
{
  if (u->contents)
    {
      *out_path = g_strconcat ("/etc/systemd/system/", u->name, NULL);
      *out_text = g_strdup (u->contents);
      return TRUE;
    }
  g_autofree char *template = pl_unit_template_of (u->name);
  const char *names[] = { u->name, template, NULL };
  for (const char *const *n = names; *n; n++)
    for (const char *const *d = unit_dirs; *d; d++)
      {
        g_autofree char *path = g_strconcat (*d, "/", *n, NULL);
        g_autoptr(GBytes) data = NULL;
        g_autoptr(GError) local_error = NULL;
        if (!pl_rootfs_read (c->root_fd, path, 1024 * 1024, &data, &local_error))
          {
            if (g_error_matches (local_error, PL_ROOTFS_ERROR, PL_ROOTFS_ERROR_ESCAPE))
              return g_propagate_error (error, g_steal_pointer (&local_error)), FALSE;
            continue;
          }
        *out_path = g_steal_pointer (&path);
        const char *d = g_bytes_get_data (data, NULL);
        *out_text = g_strndup (d ? d : "", g_bytes_get_size (data));
        return TRUE;
      }
  return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_UNIT_NOT_FOUND,
                      "%s: unit %s has no contents and is not in the root's unit "
                      "directories", u->origin, u->name), FALSE;
}

static gboolean
check_path_safe (Ctx *c, const char *path, const char *origin, GError **error)
{
  gboolean exists;
  struct stat st;
  if (!pl_rootfs_lstat (c->root_fd, path, &exists, &st, error))
    return g_prefix_error (error, "%s: ", origin), FALSE;
  if (exists && S_ISDIR (st.st_mode))
    return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_EXISTS,
                        "%s: %s is a directory", origin, path), FALSE;
  return TRUE;
}

static gboolean
check_unit (Ctx *c, guint idx, GError **error)
{
  PlPlanUnit *u = c->plan->units->pdata[idx];
  g_autofree char *unit_path = g_strconcat ("/etc/systemd/system/", u->name, NULL);
  if (u->mask && u->contents)
    return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_CONFLICT,
                        "%s: a masked unit cannot have contents", u->origin), FALSE;
  if (!check_path_safe (c, unit_path, u->origin, error))
    return FALSE;
  for (guint j = 0; j < u->dropins->len; j++)
    {
      PlPlanDropin *d = u->dropins->pdata[j];
      g_autofree char *p = g_strdup_printf ("%s.d/%s", unit_path, d->name);
      if (!check_path_safe (c, p, u->origin, error))
        return FALSE;
    }
  if (u->enabled == -1)
    return TRUE;
  g_autofree char *path = NULL;
  g_autofree char *text = NULL;
  if (!find_unit (c, u, &path, &text, error))
    return FALSE;
  g_autoptr(PlUnitInstall) inst = pl_unit_parse_install (u->name, text, error);
  if (!inst)
    return g_prefix_error (error, "%s: ", u->origin), FALSE;
  GPtrArray *links = pl_unit_enable_links (u->name, path, inst);
  c->unit_links->pdata[idx] = links;
  if (links->len == 0 && u->enabled == 1)
    pl_plan_warn (c->plan, "%s: %s has no [Install] section to enable it by", u->origin,
                  u->name);
  for (guint j = 0; j < links->len; j++)
    if (!check_path_safe (c, ((PlUnitLink *) links->pdata[j])->path, u->origin, error))
      return FALSE;
  return TRUE;
}

static char *
home_of (Ctx *c, PlPlanUser *u)
{
  const char *home = NULL;
  if (!pl_userdb_lookup_user (c->db, u->name, NULL, NULL, &home) || !home || home[0] != '/')
    return NULL;
  return g_strdup (home);
}

static gboolean
check_users (Ctx *c, GError **error)
{
  for (guint i = 0; i < c->plan->groups->len; i++)
    if (!pl_userdb_add_group (c->db, c->plan->groups->pdata[i], error))
      return FALSE;
  for (guint i = 0; i < c->plan->users->len; i++)
    {
      PlPlanUser *u = c->plan->users->pdata[i];
      if (!pl_userdb_add_user (c->db, u, error))
        return FALSE;
      g_autofree char *home = home_of (c, u);
      if (!home)
        return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_CONFLICT,
                            "%s: user %s has no absolute home directory", u->origin, u->name),
               FALSE;
      g_autofree char *keys = g_strconcat (home, "/.ssh/authorized_keys.d/ignition", NULL);
      g_autofree char *clean = pl_plan_clean_path (u->origin, keys, error);
      if (!clean || !check_path_safe (c, clean, u->origin, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_all (Ctx *c, GError **error)
{
  PlPlan *plan = c->plan;
  if (!pl_plan_validate (plan, error))
    return FALSE;
  c->db = pl_userdb_load (c->root_fd, error);
  if (!c->db || !check_users (c, error))
    return FALSE;
  c->file_ids = g_new0 (Ids, plan->files->len + 1);
  c->dir_ids = g_new0 (Ids, plan->dirs->len + 1);
  c->link_ids = g_new0 (Ids, plan->links->len + 1);
  c->unit_links = g_ptr_array_new_with_free_func (unref_links);
  g_ptr_array_set_size (c->unit_links, plan->units->len);
  for (guint i = 0; i < plan->dirs->len; i++)
    if (!check_dir (c, i, error))
      return FALSE;
  for (guint i = 0; i < plan->files->len; i++)
    if (!check_file (c, i, error))
      return FALSE;
  for (guint i = 0; i < plan->links->len; i++)
    if (!check_link (c, i, error))
      return FALSE;
  for (guint i = 0; i < plan->units->len; i++)
    if (!check_unit (c, i, error))
      return FALSE;
  if (plan->hostname
      && (!*plan->hostname || strlen (plan->hostname) > 64
          || strpbrk (plan->hostname, " \t\n/")))
    return g_set_error (error, PL_APPLY_ERROR, PL_APPLY_ERROR_CONFLICT,
                        "hostname \"%s\" is not valid", plan->hostname), FALSE;
  return !g_cancellable_set_error_if_cancelled (c->cancellable, error);
}

/* ---- writes ---- */

static gboolean
write_userdb (Ctx *c, GError **error)
{
  for (PlUserdbFile f = PL_USERDB_PASSWD; f <= PL_USERDB_GSHADOW; f++)
    {
      if (!pl_userdb_is_dirty (c->db, f))
        continue;
      g_autofree char *text = pl_userdb_render (c->db, f);
      mode_t mode;
      gint64 uid, gid;
      pl_userdb_file_attrs (c->db, f, &mode, &uid, &gid);
      if (!pl_rootfs_write (c->root_fd, pl_userdb_path (f), text, strlen (text), mode, uid,
                            gid, error))
        return FALSE;
      change (c, "file %s", pl_userdb_path (f));
    }
  return TRUE;
}

static gboolean
write_users (Ctx *c, GError **error)
{
  for (guint i = 0; i < c->plan->users->len; i++)
    {
      PlPlanUser *u = c->plan->users->pdata[i];
      guint32 uid, gid;
      pl_userdb_lookup_user (c->db, u->name, &uid, &gid, NULL);
      g_autofree char *home = home_of (c, u);
      gboolean exists;
      struct stat st;
      if (!pl_rootfs_lstat (c->root_fd, home, &exists, &st, error))
        return FALSE;
      /* No skeleton: a home Plinth makes is private and empty */
      if (!exists && !pl_rootfs_mkdir (c->root_fd, home, 0700, uid, gid, error))
        return FALSE;
      change (c, "user %s", u->name);
      if (u->ssh_keys && *u->ssh_keys)
        {
          g_autofree char *ssh = g_strconcat (home, "/.ssh", NULL);
          g_autofree char *dir = g_strconcat (ssh, "/authorized_keys.d", NULL);
          g_autofree char *file = g_strconcat (dir, "/ignition", NULL);
          g_autofree char *joined = g_strjoinv ("\n", u->ssh_keys);
          g_autofree char *text = g_strconcat (joined, "\n", NULL);
          if (!pl_rootfs_mkdir (c->root_fd, ssh, 0700, uid, gid, error)
              || !pl_rootfs_mkdir (c->root_fd, dir, 0700, uid, gid, error)
              || !pl_rootfs_write (c->root_fd, file, text, strlen (text), 0600, uid, gid,
                                   error))
            return FALSE;
          change (c, "file %s", file);
        }
      if (u->sudo)
        {
          g_autofree char *path = g_strdup_printf ("/etc/sudoers.d/90-plinth-%s", u->name);
          g_autofree char *text = g_strdup_printf ("%s ALL=(ALL) NOPASSWD:ALL\n", u->name);
          if (!pl_rootfs_write (c->root_fd, path, text, strlen (text), 0440, 0, 0, error))
            return FALSE;
          change (c, "file %s", path);
        }
    }
  return TRUE;
}

static guint
depth (const char *path)
{
  guint n = 0;
  for (; *path; path++)
    n += *path == '/';
  return n;
}

static gint
by_depth (gconstpointer a, gconstpointer b)
{
  const PlPlanDir *x = *(PlPlanDir *const *) a, *y = *(PlPlanDir *const *) b;
  return (gint) depth (x->path) - (gint) depth (y->path);
}

static gboolean
write_dirs (Ctx *c, GError **error)
{
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  g_autoptr(GHashTable) index = g_hash_table_new (NULL, NULL);
  for (guint i = 0; i < c->plan->dirs->len; i++)
    {
      g_ptr_array_add (order, c->plan->dirs->pdata[i]);
      g_hash_table_insert (index, c->plan->dirs->pdata[i], GUINT_TO_POINTER (i));
    }
  g_ptr_array_sort (order, by_depth);
  for (guint k = 0; k < order->len; k++)
    {
      PlPlanDir *d = order->pdata[k];
      Ids *ids = &c->dir_ids[GPOINTER_TO_UINT (g_hash_table_lookup (index, d))];
      gboolean exists;
      struct stat st;
      if (!pl_rootfs_lstat (c->root_fd, d->path, &exists, &st, error))
        return FALSE;
      if (exists && !S_ISDIR (st.st_mode) && !pl_rootfs_unlink (c->root_fd, d->path, error))
        return FALSE;
      if (!pl_rootfs_mkdir (c->root_fd, d->path, d->mode >= 0 ? d->mode : 0755,
                            ids->uid >= 0 ? ids->uid : 0, ids->gid >= 0 ? ids->gid : 0,
                            error))
        return FALSE;
      change (c, "directory %s", d->path);
    }
  return TRUE;
}

static gboolean
write_file (Ctx *c, guint idx, GError **error)
{
  PlPlanFile *f = c->plan->files->pdata[idx];
  Ids *ids = &c->file_ids[idx];
  gboolean exists;
  struct stat st;
  if (!pl_rootfs_lstat (c->root_fd, f->path, &exists, &st, error))
    return FALSE;
  gboolean keep_old = exists && S_ISREG (st.st_mode) && !f->contents;
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  if (f->contents)
    g_byte_array_append (buf, g_bytes_get_data (f->contents->data, NULL),
                         g_bytes_get_size (f->contents->data));
  else if (keep_old)
    {
      g_autoptr(GBytes) old = NULL;
      if (!pl_rootfs_read (c->root_fd, f->path, 0, &old, error))
        return FALSE;
      g_byte_array_append (buf, g_bytes_get_data (old, NULL), g_bytes_get_size (old));
    }
  for (guint j = 0; j < f->append->len; j++)
    {
      GBytes *a = ((PlSource *) f->append->pdata[j])->data;
      g_byte_array_append (buf, g_bytes_get_data (a, NULL), g_bytes_get_size (a));
    }
  /* Unset mode and owner: an existing file keeps its own, a new one gets Ignition's
   * defaults (0644, root) */
  mode_t mode = f->mode >= 0 ? (mode_t) f->mode : keep_old ? (st.st_mode & 07777) : 0644;
  gint64 uid = ids->uid >= 0 ? ids->uid : keep_old ? (gint64) st.st_uid : 0;
  gint64 gid = ids->gid >= 0 ? ids->gid : keep_old ? (gint64) st.st_gid : 0;
  if (!pl_rootfs_write (c->root_fd, f->path, buf->data, buf->len, mode, uid, gid, error))
    return FALSE;
  change (c, "file %s", f->path);
  return TRUE;
}

static gboolean
write_link (Ctx *c, guint idx, GError **error)
{
  PlPlanLink *l = c->plan->links->pdata[idx];
  Ids *ids = &c->link_ids[idx];
  gboolean ok = l->hard ? pl_rootfs_hardlink (c->root_fd, l->path, l->target, error)
                        : pl_rootfs_symlink (c->root_fd, l->path, l->target,
                                             ids->uid >= 0 ? ids->uid : 0,
                                             ids->gid >= 0 ? ids->gid : 0, error);
  if (ok)
    change (c, "%s %s -> %s", l->hard ? "hardlink" : "symlink", l->path, l->target);
  return ok;
}

static gboolean
write_unit (Ctx *c, guint idx, GError **error)
{
  PlPlanUnit *u = c->plan->units->pdata[idx];
  g_autofree char *unit_path = g_strconcat ("/etc/systemd/system/", u->name, NULL);
  if (u->contents)
    {
      if (!pl_rootfs_write (c->root_fd, unit_path, u->contents, strlen (u->contents), 0644, 0,
                            0, error))
        return FALSE;
      change (c, "file %s", unit_path);
    }
  for (guint j = 0; j < u->dropins->len; j++)
    {
      PlPlanDropin *d = u->dropins->pdata[j];
      g_autofree char *p = g_strdup_printf ("%s.d/%s", unit_path, d->name);
      if (!pl_rootfs_write (c->root_fd, p, d->contents, strlen (d->contents), 0644, 0, 0,
                            error))
        return FALSE;
      change (c, "file %s", p);
    }
  if (u->mask)
    {
      if (!pl_rootfs_symlink (c->root_fd, unit_path, "/dev/null", 0, 0, error))
        return FALSE;
      change (c, "mask %s", u->name);
    }
  GPtrArray *links = c->unit_links->pdata[idx];
  for (guint j = 0; links && j < links->len; j++)
    {
      PlUnitLink *l = links->pdata[j];
      gboolean ok = u->enabled == 1
                        ? pl_rootfs_symlink (c->root_fd, l->path, l->target, 0, 0, error)
                        : pl_rootfs_unlink (c->root_fd, l->path, error);
      if (!ok)
        return FALSE;
      change (c, "%s %s", u->enabled == 1 ? "enable" : "disable", l->path);
    }
  return TRUE;
}

static gboolean
write_rest (Ctx *c, GError **error)
{
  PlPlan *plan = c->plan;
  if (plan->hostname)
    {
      g_autofree char *text = g_strconcat (plan->hostname, "\n", NULL);
      if (!pl_rootfs_write (c->root_fd, "/etc/hostname", text, strlen (text), 0644, 0, 0,
                            error))
        return FALSE;
      change (c, "file /etc/hostname");
    }
  if (plan->kargs_add->len + plan->kargs_del->len > 0)
    {
      g_autoptr(GString) s = g_string_new (NULL);
      for (guint i = 0; i < plan->kargs_add->len; i++)
        g_string_append_printf (s, "+%s\n", (char *) plan->kargs_add->pdata[i]);
      for (guint i = 0; i < plan->kargs_del->len; i++)
        g_string_append_printf (s, "-%s\n", (char *) plan->kargs_del->pdata[i]);
      if (!pl_rootfs_write (c->root_fd, PL_APPLY_KARGS_PATH, s->str, s->len, 0644, 0, 0,
                            error))
        return FALSE;
      change (c, "file %s", PL_APPLY_KARGS_PATH);
    }
  return TRUE;
}

static gboolean
write_all (Ctx *c, GError **error)
{
  if (!write_userdb (c, error) || !write_users (c, error) || !write_dirs (c, error))
    return FALSE;
  for (guint i = 0; i < c->plan->files->len; i++)
    if (!write_file (c, i, error))
      return FALSE;
  for (guint i = 0; i < c->plan->links->len; i++)
    if (!write_link (c, i, error))
      return FALSE;
  for (guint i = 0; i < c->plan->units->len; i++)
    if (!write_unit (c, i, error))
      return FALSE;
  return write_rest (c, error);
}

gboolean
pl_apply_plan (int root_fd, PlPlan *plan, const PlApplyOptions *opts,
               GPtrArray **out_changes, GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func (g_free);
  Ctx c = { .root_fd = root_fd, .plan = plan, .changes = changes,
            .cancellable = cancellable };
  gboolean ok = check_all (&c, error);
  if (ok && !(opts && opts->dry_run))
    {
      ok = write_all (&c, error);
      if (!ok)
        g_prefix_error (error, "Writing (the root may be partly provisioned): ");
    }
  ctx_clear (&c);
  if (!ok)
    return FALSE;
  if (out_changes)
    *out_changes = g_steal_pointer (&changes);
  return TRUE;
}
