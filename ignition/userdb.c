/* User database of a target root. The files are kept as lines so comments and entries
 * Plinth does not touch are written back byte for byte; changes are in memory until
 * the executor publishes each dirty file atomically. */
#include "ignition/userdb.h"
#include "ignition/rootfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

G_DEFINE_QUARK (pl-userdb-error-quark, pl_userdb_error)

#define N_FILES 4
#define FIRST_ID 1000
#define LAST_ID 60000

typedef struct {
  GPtrArray *lines;    /* char*, without newline */
  gboolean exists;
  gboolean dirty;
  mode_t mode;
  gint64 uid, gid;
} DbFile;

struct _PlUserdb {
  DbFile files[N_FILES];
};

static const char *const paths[N_FILES] = { "/etc/passwd", "/etc/group", "/etc/shadow",
                                            "/etc/gshadow" };
static const int nfields[N_FILES] = { 7, 4, 9, 4 };

const char *
pl_userdb_path (PlUserdbFile file)
{
  return paths[file];
}

void
pl_userdb_free (PlUserdb *db)
{
  if (!db)
    return;
  for (int i = 0; i < N_FILES; i++)
    g_clear_pointer (&db->files[i].lines, g_ptr_array_unref);
  g_free (db);
}

static gboolean
is_entry (const char *line)
{
  return *line && *line != '#';
}

static gboolean
load_file (int root_fd, PlUserdb *db, int i, GError **error)
{
  DbFile *f = &db->files[i];
  f->lines = g_ptr_array_new_with_free_func (g_free);
  f->mode = (i >= PL_USERDB_SHADOW) ? 0000 : 0644;
  f->uid = 0;
  f->gid = 0;
  gboolean exists = FALSE;
  struct stat st;
  if (!pl_rootfs_lstat (root_fd, paths[i], &exists, &st, error))
    return FALSE;
  if (!exists)
    return TRUE;
  g_autoptr(GBytes) data = NULL;
  if (!pl_rootfs_read (root_fd, paths[i], 16 * 1024 * 1024, &data, error))
    return FALSE;
  f->exists = TRUE;
  f->mode = st.st_mode & 07777;
  f->uid = st.st_uid;
  f->gid = st.st_gid;
  gsize len;
  const char *s = g_bytes_get_data (data, &len);
  g_autofree char *text = g_strndup (s ? s : "", len);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  guint n = g_strv_length (lines);
  for (guint j = 0; j < n; j++)
    {
      /* the split leaves an empty last element after the final newline */
      if (j == n - 1 && *lines[j] == '\0')
        break;
      const char *line = lines[j];
      if (is_entry (line))
        {
          g_auto(GStrv) fields = g_strsplit (line, ":", -1);
          if ((int) g_strv_length (fields) < nfields[i] - (i == PL_USERDB_SHADOW ? 1 : 0)
              || !*fields[0])
            return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_SYNTAX,
                                "%s line %u: expected %d fields separated by \":\"",
                                paths[i], j + 1, nfields[i]), FALSE;
        }
      g_ptr_array_add (f->lines, g_strdup (line));
    }
  return TRUE;
}

PlUserdb *
pl_userdb_load (int root_fd, GError **error)
{
  g_autoptr(PlUserdb) db = g_new0 (PlUserdb, 1);
  for (int i = 0; i < N_FILES; i++)
    if (!load_file (root_fd, db, i, error))
      return g_prefix_error (error, "Reading the root's user database: "), NULL;
  return g_steal_pointer (&db);
}

/* Index of the line whose first field is NAME, or -1. */
static int
find (DbFile *f, const char *name)
{
  gsize n = strlen (name);
  for (guint i = 0; i < f->lines->len; i++)
    {
      const char *line = f->lines->pdata[i];
      if (strncmp (line, name, n) == 0 && line[n] == ':')
        return (int) i;
    }
  return -1;
}

static char *
field (const char *line, int idx)
{
  g_auto(GStrv) fields = g_strsplit (line, ":", -1);
  if ((int) g_strv_length (fields) <= idx)
    return g_strdup ("");
  return g_strdup (fields[idx]);
}

static void
set_field (DbFile *f, int line_idx, int idx, const char *value)
{
  g_auto(GStrv) fields = g_strsplit (f->lines->pdata[line_idx], ":", -1);
  guint n = g_strv_length (fields);
  if ((int) n <= idx)
    return;
  g_free (fields[idx]);
  fields[idx] = g_strdup (value);
  g_free (f->lines->pdata[line_idx]);
  f->lines->pdata[line_idx] = g_strjoinv (":", fields);
  f->dirty = TRUE;
}

gboolean
pl_userdb_lookup_user (PlUserdb *db, const char *name, guint32 *out_uid, guint32 *out_gid,
                       const char **out_home)
{
  DbFile *f = &db->files[PL_USERDB_PASSWD];
  int i = find (f, name);
  if (i < 0)
    return FALSE;
  g_auto(GStrv) fields = g_strsplit (f->lines->pdata[i], ":", -1);
  if (out_uid)
    *out_uid = (guint32) strtoul (fields[2], NULL, 10);
  if (out_gid)
    *out_gid = (guint32) strtoul (fields[3], NULL, 10);
  /* Interned so callers need not free it: homes are few */
  if (out_home)
    *out_home = g_intern_string (fields[5]);
  return TRUE;
}

gboolean
pl_userdb_lookup_group (PlUserdb *db, const char *name, guint32 *out_gid)
{
  DbFile *f = &db->files[PL_USERDB_GROUP];
  int i = find (f, name);
  if (i < 0)
    return FALSE;
  g_autofree char *gid = field (f->lines->pdata[i], 2);
  if (out_gid)
    *out_gid = (guint32) strtoul (gid, NULL, 10);
  return TRUE;
}

static gboolean
id_taken (DbFile *f, int idx, guint32 id)
{
  for (guint i = 0; i < f->lines->len; i++)
    {
      const char *line = f->lines->pdata[i];
      if (!is_entry (line))
        continue;
      g_autofree char *v = field (line, idx);
      if (*v && strtoul (v, NULL, 10) == id)
        return TRUE;
    }
  return FALSE;
}

static guint32
next_free (DbFile *f, int idx)
{
  guint32 id = FIRST_ID;
  while (id < LAST_ID && id_taken (f, idx, id))
    id++;
  return id;
}

static gboolean
check_name (const char *what, const char *origin, const char *name, GError **error)
{
  gboolean ok = name && *name && strlen (name) <= 32 && name[0] != '-';
  for (const char *p = name; ok && *p; p++)
    if (!(g_ascii_isalnum (*p) || *p == '_' || *p == '-' || *p == '.'
          || (*p == '$' && p[1] == '\0')))
      ok = FALSE;
  if (!ok)
    return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_INVALID,
                        "%s: \"%s\" is not a valid %s name", origin, name ? name : "", what),
           FALSE;
  return TRUE;
}

/* Free text going into a colon-separated file: no colon, no newline. */
static gboolean
check_text (const char *origin, const char *key, const char *value, GError **error)
{
  if (value && strpbrk (value, ":\n"))
    return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_INVALID,
                        "%s.%s: must not contain \":\" or a newline", origin, key), FALSE;
  return TRUE;
}

static void
add_line (PlUserdb *db, PlUserdbFile file, char *line)
{
  DbFile *f = &db->files[file];
  g_ptr_array_add (f->lines, line);
  f->dirty = TRUE;
}

gboolean
pl_userdb_add_group (PlUserdb *db, const PlPlanGroup *group, GError **error)
{
  if (!check_name ("group", group->origin, group->name, error)
      || !check_text (group->origin, "passwordHash", group->password_hash, error))
    return FALSE;
  DbFile *gf = &db->files[PL_USERDB_GROUP];
  guint32 existing;
  if (pl_userdb_lookup_group (db, group->name, &existing))
    {
      if (group->gid >= 0 && existing != group->gid)
        return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_CONFLICT,
                            "%s: group \"%s\" exists with gid %u, not %" G_GINT64_FORMAT,
                            group->origin, group->name, existing, group->gid), FALSE;
      return TRUE;
    }
  guint32 gid = group->gid >= 0 ? (guint32) group->gid : next_free (gf, 2);
  if (group->gid >= 0 && id_taken (gf, 2, gid))
    return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_CONFLICT,
                        "%s.gid: %u is already used by another group", group->origin, gid),
           FALSE;
  gboolean gshadow = db->files[PL_USERDB_GSHADOW].exists;
  const char *hash = group->password_hash ? group->password_hash : "!";
  const char *field1 = gshadow || !group->password_hash ? "x" : group->password_hash;
  add_line (db, PL_USERDB_GROUP, g_strdup_printf ("%s:%s:%u:", group->name, field1, gid));
  if (gshadow)
    add_line (db, PL_USERDB_GSHADOW, g_strdup_printf ("%s:%s::", group->name, hash));
  return TRUE;
}

/* Adds NAME to the member list (4th field) of GROUP in FILE. */
static void
add_member (PlUserdb *db, PlUserdbFile file, const char *group, const char *name)
{
  DbFile *f = &db->files[file];
  int i = find (f, group);
  if (i < 0)
    return;
  g_autofree char *members = field (f->lines->pdata[i], 3);
  g_auto(GStrv) list = g_strsplit (members, ",", -1);
  if (g_strv_contains ((const char *const *) list, name))
    return;
  g_autofree char *updated = *members ? g_strconcat (members, ",", name, NULL)
                                      : g_strdup (name);
  set_field (f, i, 3, updated);
}

static gboolean
add_memberships (PlUserdb *db, const PlPlanUser *user, GError **error)
{
  for (char **g = user->groups; g && *g; g++)
    {
      if (!pl_userdb_lookup_group (db, *g, NULL))
        return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_NO_SUCH_GROUP,
                            "%s.groups: group \"%s\" does not exist in the root",
                            user->origin, *g), FALSE;
      add_member (db, PL_USERDB_GROUP, *g, user->name);
      add_member (db, PL_USERDB_GSHADOW, *g, user->name);
    }
  return TRUE;
}

static gboolean
update_user (PlUserdb *db, const PlPlanUser *user, guint32 uid, GError **error)
{
  if (user->uid >= 0 && user->uid != uid)
    return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_CONFLICT,
                        "%s: user \"%s\" exists with uid %u, not %" G_GINT64_FORMAT,
                        user->origin, user->name, uid, user->uid), FALSE;
  if (user->password_hash)
    {
      DbFile *sf = &db->files[PL_USERDB_SHADOW];
      int i = find (sf, user->name);
      if (i >= 0)
        set_field (sf, i, 1, user->password_hash);
      else
        add_line (db, PL_USERDB_SHADOW,
                  g_strdup_printf ("%s:%s:::::::", user->name, user->password_hash));
    }
  return add_memberships (db, user, error);
}

gboolean
pl_userdb_add_user (PlUserdb *db, const PlPlanUser *user, GError **error)
{
  if (!check_name ("user", user->origin, user->name, error)
      || !check_text (user->origin, "passwordHash", user->password_hash, error)
      || !check_text (user->origin, "gecos", user->gecos, error)
      || !check_text (user->origin, "homeDir", user->home_dir, error)
      || !check_text (user->origin, "shell", user->shell, error))
    return FALSE;
  guint32 existing_uid;
  if (pl_userdb_lookup_user (db, user->name, &existing_uid, NULL, NULL))
    return update_user (db, user, existing_uid, error);

  DbFile *pf = &db->files[PL_USERDB_PASSWD];
  guint32 uid = user->uid >= 0 ? (guint32) user->uid : next_free (pf, 2);
  if (user->uid >= 0 && id_taken (pf, 2, uid))
    return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_CONFLICT,
                        "%s.uid: %u is already used by another user", user->origin, uid),
           FALSE;
  guint32 gid;
  if (user->primary_group)
    {
      if (!pl_userdb_lookup_group (db, user->primary_group, &gid))
        return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_NO_SUCH_GROUP,
                            "%s.primaryGroup: group \"%s\" does not exist in the root",
                            user->origin, user->primary_group), FALSE;
    }
  else if (!pl_userdb_lookup_group (db, user->name, &gid))
    {
      /* A group of the user's name, with the uid as gid when that is free (useradd) */
      DbFile *gf = &db->files[PL_USERDB_GROUP];
      PlPlanGroup g = { .origin = user->origin, .name = user->name,
                        .gid = id_taken (gf, 2, uid) ? next_free (gf, 2) : uid };
      if (!pl_userdb_add_group (db, &g, error))
        return FALSE;
      gid = (guint32) g.gid;
    }
  g_autofree char *home = user->home_dir ? g_strdup (user->home_dir)
                                         : g_strconcat ("/home/", user->name, NULL);
  add_line (db, PL_USERDB_PASSWD,
            g_strdup_printf ("%s:x:%u:%u:%s:%s:%s", user->name, uid, gid,
                             user->gecos ? user->gecos : "", home,
                             user->shell ? user->shell : "/bin/bash"));
  add_line (db, PL_USERDB_SHADOW,
            g_strdup_printf ("%s:%s:::::::", user->name,
                             user->password_hash ? user->password_hash : "!"));
  return add_memberships (db, user, error);
}

gboolean
pl_userdb_resolve_owner (PlUserdb *db, const PlOwner *owner, const char *origin,
                         gint64 *out_uid, gint64 *out_gid, GError **error)
{
  gint64 uid = owner->uid, gid = owner->gid;
  if (owner->user)
    {
      guint32 u;
      if (!pl_userdb_lookup_user (db, owner->user, &u, NULL, NULL))
        return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_NO_SUCH_USER,
                            "%s.user.name: user \"%s\" does not exist in the root", origin,
                            owner->user), FALSE;
      uid = u;
    }
  if (owner->group)
    {
      guint32 g;
      if (!pl_userdb_lookup_group (db, owner->group, &g))
        return g_set_error (error, PL_USERDB_ERROR, PL_USERDB_ERROR_NO_SUCH_GROUP,
                            "%s.group.name: group \"%s\" does not exist in the root",
                            origin, owner->group), FALSE;
      gid = g;
    }
  *out_uid = uid;
  *out_gid = gid;
  return TRUE;
}

gboolean
pl_userdb_is_dirty (PlUserdb *db, PlUserdbFile file)
{
  return db->files[file].dirty;
}

char *
pl_userdb_render (PlUserdb *db, PlUserdbFile file)
{
  DbFile *f = &db->files[file];
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < f->lines->len; i++)
    {
      g_string_append (s, f->lines->pdata[i]);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

void
pl_userdb_file_attrs (PlUserdb *db, PlUserdbFile file, mode_t *out_mode, gint64 *out_uid,
                      gint64 *out_gid)
{
  DbFile *f = &db->files[file];
  *out_mode = f->mode;
  *out_uid = f->uid;
  *out_gid = f->gid;
}
