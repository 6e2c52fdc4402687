/* The /var rule. A deployment gets an empty /var of its own (OSTree never updates
 * /var), so what the packages installed there must be recreated on the node by
 * systemd-tmpfiles instead: directories become `d` lines with their mode and owner by
 * name, symlinks `L` lines, and regular files are moved (renameat, so owner, mode and
 * xattrs stay) to /usr/share/factory/var and copied back by `C` lines. Caches, logs
 * and dnf state of the install are dropped, as rpm-ostree does. */
#include "sysroot/tmpfiles.h"

#include "sysroot/postprocess-private.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#define MAX_DB_SIZE (16 * 1024 * 1024)

typedef struct {
  int rootfd;
  GHashTable *users;   /* uid -> name */
  GHashTable *groups;  /* gid -> name */
  GHashTable *covered; /* paths that other tmpfiles.d files already create */
  GTree *lines;        /* path -> line */
  GCancellable *cancellable;
  gboolean dry_run;    /* only check that every name can be written */
} Ctx;

/* The directories the OSTree symlinks point to (rpm-ostree's integration set). */
static const char *const ostree_dirs[] = {
  "d /var/home 0755 root root -",
  "d /var/mnt 0755 root root -",
  "d /var/opt 0755 root root -",
  "d /var/roothome 0700 root root -",
  "d /var/srv 0755 root root -",
  "d /var/usrlocal 0755 root root -",
  "d /var/usrlocal/bin 0755 root root -",
  "d /var/usrlocal/etc 0755 root root -",
  "d /var/usrlocal/games 0755 root root -",
  "d /var/usrlocal/include 0755 root root -",
  "d /var/usrlocal/lib 0755 root root -",
  "d /var/usrlocal/man 0755 root root -",
  "d /var/usrlocal/sbin 0755 root root -",
  "d /var/usrlocal/share 0755 root root -",
  "d /var/usrlocal/src 0755 root root -",
  "d /run/media 0755 root root -",
};

static gboolean
has_control (const char *s)
{
  for (const guchar *p = (const guchar *) s; *p; p++)
    if (*p < 0x20 || *p == 0x7f)
      return TRUE;
  return FALSE;
}

/* systemd-tmpfiles splits a line shell-style (quotes, backslash escapes) but, up to
 * systemd 252 at least, does not read C escapes such as \x20 in the path, so quoting
 * is the one spelling every version reads alike. */
char *
pl_tmpfiles_quote_path (const char *path)
{
  if (has_control (path))
    return NULL;
  gboolean plain = *path != '\0';
  for (const char *p = path; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("/._+@:,=~^-%", *p))
      plain = FALSE;
  GString *out = g_string_new (plain ? NULL : "\"");
  for (const char *p = path; *p; p++)
    {
      if (*p == '%')
        g_string_append_c (out, '%');
      else if (*p == '"' || *p == '\\')
        g_string_append_c (out, '\\');
      g_string_append_c (out, *p);
    }
  if (!plain)
    g_string_append_c (out, '"');
  return g_string_free (out, FALSE);
}

char *
pl_tmpfiles_escape_argument (const char *s)
{
  gsize len = strlen (s);
  if (len == 0 || has_control (s) || g_ascii_isspace (s[0]) || g_ascii_isspace (s[len - 1]))
    return NULL;
  GString *out = g_string_new (NULL);
  for (const char *p = s; *p; p++)
    {
      if (*p == '%' || *p == '\\')
        g_string_append_c (out, *p);
      g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* The path field of a tmpfiles.d LINE, unquoted, with "%%" read as "%": the key lines
 * are compared by. NULL when the line has none. */
static char *
line_path (const char *line)
{
  const char *p = line;
  while (*p && !g_ascii_isspace (*p))
    p++;
  while (*p && g_ascii_isspace (*p))
    p++;
  if (*p == '\0')
    return NULL;
  GString *out = g_string_new (NULL);
  gboolean quoted = FALSE;
  for (; *p; p++)
    {
      if (*p == '"')
        quoted = !quoted;
      else if (*p == '\\' && p[1])
        g_string_append_c (out, *++p);
      else if (*p == '%' && p[1] == '%')
        g_string_append_c (out, *p++);
      else if (!quoted && g_ascii_isspace (*p))
        break;
      else
        g_string_append_c (out, *p);
    }
  return g_string_free (out, FALSE);
}

/* Reads name:x:id: lines of the tree's passwd or group files into ids; earlier files
 * win. /usr/etc is where the tree's /etc lives once moved. */
static gboolean
load_ids (int rootfd, const char *file, GHashTable *ids, GError **error)
{
  static const char *const dirs[] = { "usr/etc", "etc", "usr/lib" };
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autofree char *path = g_build_filename (dirs[i], file, NULL);
      g_autofree char *data = NULL;
      g_autoptr(GError) local_error = NULL;
      if (!pl_file_read_at (rootfd, path, MAX_DB_SIZE, &data, NULL, &local_error))
        {
          if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
            continue;
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_auto(GStrv) lines = g_strsplit (data, "\n", -1);
      for (gsize j = 0; lines[j]; j++)
        {
          g_auto(GStrv) f = g_strsplit (lines[j], ":", 4);
          if (g_strv_length (f) < 3 || *f[0] == '\0' || strpbrk (f[0], " \t\\%") != NULL)
            continue;
          char *end = NULL;
          guint64 id = g_ascii_strtoull (f[2], &end, 10);
          if (end == f[2] || *end != '\0' || id > G_MAXUINT32)
            continue;
          gpointer key = GUINT_TO_POINTER ((guint) id);
          if (!g_hash_table_contains (ids, key))
            g_hash_table_insert (ids, key, g_strdup (f[0]));
        }
    }
  return TRUE;
}

static char *
id_name (GHashTable *ids, guint id)
{
  const char *name = g_hash_table_lookup (ids, GUINT_TO_POINTER (id));
  return name ? g_strdup (name) : g_strdup_printf ("%u", id);
}

/* Reads the creating lines of a tmpfiles.d file: path -> line. */
static gboolean
read_conf (int rootfd, const char *path, GHashTable *covered, GTree *lines, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GError) local_error = NULL;
  if (!pl_file_read_at (rootfd, path, MAX_DB_SIZE, &data, NULL, &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return TRUE;
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  g_auto(GStrv) all = g_strsplit (data, "\n", -1);
  for (gsize i = 0; all[i]; i++)
    {
      g_autofree char *line = g_strstrip (g_strdup (all[i]));
      if (*line == '\0' || *line == '#')
        continue;
      g_autofree char *path = line_path (line);
      if (path == NULL)
        continue;
      /* only types that create something make our line redundant */
      if (covered && strchr ("fFwdDvqQpLcbC", line[0]))
        g_hash_table_add (covered, g_strdup (path));
      if (lines)
        g_tree_insert (lines, g_steal_pointer (&path), g_strdup (line));
    }
  return TRUE;
}

/* The paths other tmpfiles.d files (from the packages) already create. */
static gboolean
load_covered (Ctx *ctx, GError **error)
{
  static const char *const dirs[] = { "usr/lib/tmpfiles.d", "usr/etc/tmpfiles.d" };
  for (gsize i = 0; i < G_N_ELEMENTS (dirs); i++)
    {
      g_autoptr(GPtrArray) names = NULL;
      if (!pl_sysroot_list_dir (ctx->rootfd, dirs[i], &names, error))
        return FALSE;
      for (guint j = 0; j < names->len; j++)
        {
          g_autofree char *p = g_build_filename (dirs[i], names->pdata[j], NULL);
          if (!g_str_has_suffix (p, ".conf") || g_str_equal (p, PL_TMPFILES_VAR_CONF))
            continue;
          if (!read_conf (ctx->rootfd, p, ctx->covered, NULL, error))
            return FALSE;
        }
    }
  return TRUE;
}

static void
add_line (Ctx *ctx, const char *path, char *line /* owned */)
{
  g_tree_insert (ctx->lines, g_strdup (path), line);
}

static gboolean
unrepresentable (GError **error, const char *path)
{
  g_autofree char *printable = g_strescape (path, NULL);
  g_set_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_BAD_TREE,
               "%s: a name with control characters or surrounding blanks cannot be "
               "written to tmpfiles.d", printable);
  return FALSE;
}

/* Subtrees that are state of the install, not of the image. */
static gboolean
is_dropped (const char *parent, const char *rel, const struct stat *st)
{
  if (g_str_equal (parent, "var/cache") || g_str_equal (parent, "var/log")
      || g_str_equal (parent, "var/tmp") || g_str_equal (rel, "var/lib/dnf"))
    return TRUE;
  /* the clean rule already moved a real /var/lib/rpm to /usr/lib/sysimage/rpm */
  return g_str_equal (rel, "var/lib/rpm") && S_ISDIR (st->st_mode);
}

static gboolean
move_to_factory (Ctx *ctx, const char *rel, char **out_dest, GError **error)
{
  g_autofree char *dest = g_build_filename (PL_TMPFILES_FACTORY, rel, NULL);
  g_autofree char *dir = g_path_get_dirname (dest);
  if (!pl_mkdir_p_at (ctx->rootfd, dir, 0755, error))
    return FALSE;
  if (renameat (ctx->rootfd, rel, ctx->rootfd, dest) < 0)
    return pl_sysroot_throw_errno (error, "Moving into the factory", rel);
  *out_dest = g_steal_pointer (&dest);
  return TRUE;
}

static gboolean
walk (Ctx *ctx, const char *dir, GError **error)
{
  g_autoptr(GPtrArray) names = NULL;
  if (!pl_sysroot_list_dir (ctx->rootfd, dir, &names, error))
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      if (g_cancellable_set_error_if_cancelled (ctx->cancellable, error))
        return FALSE;
      g_autofree char *rel = g_build_filename (dir, names->pdata[i], NULL);
      g_autofree char *abs = g_strconcat ("/", rel, NULL);
      struct stat st;
      if (fstatat (ctx->rootfd, rel, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return pl_sysroot_throw_errno (error, "Inspecting", rel);
      if (is_dropped (dir, rel, &st))
        continue;
      g_autofree char *epath = pl_tmpfiles_quote_path (abs);
      if (epath == NULL)
        return unrepresentable (error, abs);
      g_autofree char *user = id_name (ctx->users, st.st_uid);
      g_autofree char *group = id_name (ctx->groups, st.st_gid);
      guint mode = st.st_mode & 07777;
      switch (st.st_mode & S_IFMT)
        {
        case S_IFDIR:
          add_line (ctx, abs, g_strdup_printf ("d %s %04o %s %s -", epath, mode, user, group));
          if (!walk (ctx, rel, error))
            return FALSE;
          break;
        case S_IFLNK:
          {
            char target[PATH_MAX];
            ssize_t n = readlinkat (ctx->rootfd, rel, target, sizeof target - 1);
            if (n < 0)
              return pl_sysroot_throw_errno (error, "Reading symlink", rel);
            target[n] = '\0';
            g_autofree char *etarget = pl_tmpfiles_escape_argument (target);
            if (etarget == NULL)
              return unrepresentable (error, abs);
            add_line (ctx, abs, g_strdup_printf ("L %s - - - - %s", epath, etarget));
            break;
          }
        case S_IFREG:
          {
            g_autofree char *factory = g_strconcat ("/" PL_TMPFILES_FACTORY "/", rel, NULL);
            g_autofree char *edest = pl_tmpfiles_escape_argument (factory);
            g_autofree char *dest = NULL;
            if (edest == NULL)
              return unrepresentable (error, abs);
            if (!ctx->dry_run && !move_to_factory (ctx, rel, &dest, error))
              return FALSE;
            add_line (ctx, abs, g_strdup_printf ("C %s - - - - %s", epath, edest));
            break;
          }
        case S_IFIFO:
          add_line (ctx, abs, g_strdup_printf ("p %s %04o %s %s -", epath, mode, user, group));
          break;
        case S_IFCHR:
        case S_IFBLK:
          add_line (ctx, abs, g_strdup_printf ("%c %s %04o %s %s - %u:%u",
                                               S_ISCHR (st.st_mode) ? 'c' : 'b', epath, mode,
                                               user, group, major (st.st_rdev),
                                               minor (st.st_rdev)));
          break;
        default:
          /* sockets belong to a running service, not to the image */
          break;
        }
    }
  return TRUE;
}

static gint
compare_paths (gconstpointer a, gconstpointer b, gpointer data)
{
  return strcmp (a, b);
}

typedef struct {
  GString *out;
  GHashTable *covered;
} Render;

static gboolean
render_line (gpointer key, gpointer value, gpointer data)
{
  Render *r = data;
  if (!g_hash_table_contains (r->covered, key))
    g_string_append_printf (r->out, "%s\n", (const char *) value);
  return FALSE;
}

gboolean
pl_tmpfiles_from_var (int rootfd, GCancellable *cancellable, GError **error)
{
  g_autoptr(GHashTable) users = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) groups = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) covered = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GTree) lines = g_tree_new_full (compare_paths, NULL, g_free, g_free);
  Ctx ctx = { rootfd, users, groups, covered, lines, cancellable, FALSE };

  if (!load_ids (rootfd, "passwd", users, error) || !load_ids (rootfd, "group", groups, error)
      || !load_covered (&ctx, error))
    return FALSE;
  /* Lines of an earlier run first, so a second run over an emptied /var keeps them */
  if (!read_conf (rootfd, PL_TMPFILES_VAR_CONF, NULL, lines, error))
    return FALSE;
  for (gsize i = 0; i < G_N_ELEMENTS (ostree_dirs); i++)
    {
      g_autofree char *path = line_path (ostree_dirs[i]);
      if (!g_tree_lookup (lines, path))
        g_tree_insert (lines, g_steal_pointer (&path), g_strdup (ostree_dirs[i]));
    }
  if (!walk (&ctx, "var", error))
    {
      g_prefix_error (error, "Translating /var to tmpfiles.d: ");
      return FALSE;
    }

  g_autoptr(GString) out = g_string_new (
      "# Generated by plinth-build from what the packages installed in /var: OSTree\n"
      "# deploys an empty /var, so systemd-tmpfiles recreates it (docs/sysroot.md).\n");
  Render r = { out, covered };
  g_tree_foreach (lines, render_line, &r);
  if (!pl_mkdir_p_at (rootfd, "usr/lib/tmpfiles.d", 0755, error)
      || !pl_file_replace_at (rootfd, PL_TMPFILES_VAR_CONF, out->str, out->len, 0644, error))
    return FALSE;

  g_autoptr(GPtrArray) names = NULL;
  if (!pl_sysroot_list_dir (rootfd, "var", &names, error))
    return FALSE;
  for (guint i = 0; i < names->len; i++)
    {
      g_autofree char *p = g_build_filename ("var", names->pdata[i], NULL);
      if (!pl_rm_rf_at (rootfd, p, cancellable, error))
        return FALSE;
    }
  if (mkdirat (rootfd, "var", 0755) < 0 && errno != EEXIST)
    return pl_sysroot_throw_errno (error, "Creating", "var");
  return TRUE;
}

gboolean
pl_tmpfiles_check_var (int rootfd, GError **error)
{
  g_autoptr(GHashTable) ids = g_hash_table_new (NULL, NULL);
  g_autoptr(GTree) lines = g_tree_new_full (compare_paths, NULL, g_free, g_free);
  Ctx ctx = { rootfd, ids, ids, NULL, lines, NULL, TRUE };
  return walk (&ctx, "var", error);
}
