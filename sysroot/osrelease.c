/* os-release(5): the image names itself in /usr/lib/os-release; /etc/os-release is a
 * relative symlink so it stays right in every deployment whatever /etc becomes. */
#include "sysroot/osrelease.h"

#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static gboolean
is_bare_safe (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '_' && *p != '-')
      return FALSE;
  return TRUE;
}

char *
pl_os_release_quote (const char *value)
{
  if (is_bare_safe (value))
    return g_strdup (value);
  GString *s = g_string_new ("\"");
  for (const char *p = value; *p; p++)
    {
      if (strchr ("$\"\\`", *p))
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

static gboolean
fail (GError **error, const char *field, const char *what)
{
  g_set_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_INVALID_OPTION,
               "os-release %s: %s", field, what);
  return FALSE;
}

/* Values must be UTF-8 without control characters: os-release is read by shells and
 * by parsers that do not handle line breaks inside values. */
static gboolean
check_text (const char *field, const char *value, gboolean required, GError **error)
{
  if (value == NULL || *value == '\0')
    return required ? fail (error, field, "required value is missing or empty") : TRUE;
  if (!g_utf8_validate (value, -1, NULL))
    return fail (error, field, "not valid UTF-8");
  for (const char *p = value; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f)
      return fail (error, field, "contains a control character");
  return TRUE;
}

/* ID, VARIANT_ID and VERSION_ID are identifiers: os-release(5) allows 0-9, a-z, ".",
 * "_" and "-" only. */
static gboolean
check_identifier (const char *field, const char *value, gboolean required, GError **error)
{
  if (!check_text (field, value, required, error))
    return FALSE;
  if (value == NULL || *value == '\0')
    return TRUE;
  for (const char *p = value; *p; p++)
    if (!(g_ascii_islower (*p) || g_ascii_isdigit (*p) || strchr ("._-", *p)))
      {
        g_autofree char *msg = g_strdup_printf (
            "\"%s\" may only hold lower-case letters, digits, \".\", \"_\" and \"-\"", value);
        return fail (error, field, msg);
      }
  return TRUE;
}

static gboolean
is_valid_key (const char *key, gsize len)
{
  if (len == 0 || !g_ascii_isupper (key[0]))
    return FALSE;
  for (gsize i = 0; i < len; i++)
    if (!g_ascii_isupper (key[i]) && !g_ascii_isdigit (key[i]) && key[i] != '_')
      return FALSE;
  return TRUE;
}

static void
append (GString *out, GPtrArray *keys, const char *key, const char *value)
{
  g_autofree char *q = pl_os_release_quote (value);
  g_string_append_printf (out, "%s=%s\n", key, q);
  g_ptr_array_add (keys, g_strdup (key));
}

char *
pl_os_release_render (const PlPostprocessOptions *opts, GError **error)
{
  if (!check_identifier ("ID", opts->os_id, TRUE, error)
      || !check_text ("NAME", opts->os_name, TRUE, error)
      || !check_identifier ("VERSION_ID", opts->version, TRUE, error)
      || !check_text ("PRETTY_NAME", opts->pretty_name, FALSE, error)
      || !check_identifier ("VARIANT_ID", opts->variant_id, FALSE, error))
    return NULL;

  g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autofree char *pretty = opts->pretty_name && *opts->pretty_name
                                ? g_strdup (opts->pretty_name)
                                : g_strdup_printf ("%s %s", opts->os_name, opts->version);
  append (out, keys, "NAME", opts->os_name);
  append (out, keys, "ID", opts->os_id);
  append (out, keys, "VERSION", opts->version);
  append (out, keys, "VERSION_ID", opts->version);
  append (out, keys, "PRETTY_NAME", pretty);
  if (opts->variant_id && *opts->variant_id)
    append (out, keys, "VARIANT_ID", opts->variant_id);
  append (out, keys, "IMAGE_VERSION", opts->version);

  for (gsize i = 0; opts->extra_os_release && opts->extra_os_release[i]; i++)
    {
      const char *line = opts->extra_os_release[i];
      g_autofree char *field = g_strdup_printf ("extra line %zu", i + 1);
      const char *eq = strchr (line, '=');
      if (eq == NULL || !is_valid_key (line, eq - line))
        {
          g_autofree char *msg = g_strdup_printf (
              "\"%s\" is not KEY=VALUE with KEY of A-Z, 0-9 and \"_\"", line);
          return fail (error, field, msg), NULL;
        }
      g_autofree char *key = g_strndup (line, eq - line);
      if (g_ptr_array_find_with_equal_func (keys, key, g_str_equal, NULL))
        {
          g_autofree char *msg = g_strdup_printf ("%s is already set", key);
          return fail (error, field, msg), NULL;
        }
      if (!check_text (key, eq + 1, TRUE, error))
        return NULL;
      append (out, keys, key, eq + 1);
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

/* Points DIR/os-release at TARGET with one rename, whatever was there before. */
static gboolean
link_os_release (int rootfd, const char *dir, GError **error)
{
  const char *target = "../usr/lib/os-release";
  g_autofree char *path = g_build_filename (dir, "os-release", NULL);
  char buf[PATH_MAX];
  ssize_t n = readlinkat (rootfd, path, buf, sizeof buf - 1);
  if (n >= 0 && (buf[n] = '\0', g_str_equal (buf, target)))
    return TRUE;
  struct stat st;
  if (fstatat (rootfd, path, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
    return g_set_error (error, PL_POSTPROCESS_ERROR, PL_POSTPROCESS_ERROR_BAD_TREE,
                        "/%s is a directory, expected a file or symlink", path), FALSE;
  g_autofree char *tmp = g_build_filename (dir, ".os-release.plinth-tmp", NULL);
  (void) unlinkat (rootfd, tmp, 0);
  if (symlinkat (target, rootfd, tmp) < 0 || renameat (rootfd, tmp, rootfd, path) < 0)
    {
      int errsv = errno;
      (void) unlinkat (rootfd, tmp, 0);
      return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errsv),
                          "Linking /%s: %s", path, g_strerror (errsv)), FALSE;
    }
  return TRUE;
}

gboolean
pl_os_release_write (int rootfd, const PlPostprocessOptions *opts, GError **error)
{
  g_autofree char *text = pl_os_release_render (opts, error);
  if (text == NULL)
    return FALSE;
  if (!pl_mkdir_p_at (rootfd, "usr/lib", 0755, error)
      || !pl_file_replace_at (rootfd, PL_OS_RELEASE_PATH, text, strlen (text), 0644, error))
    return FALSE;
  struct stat st;
  const char *dir = fstatat (rootfd, "usr/etc", &st, AT_SYMLINK_NOFOLLOW) == 0 ? "usr/etc"
                                                                                : "etc";
  if (!pl_mkdir_p_at (rootfd, dir, 0755, error))
    return FALSE;
  return link_os_release (rootfd, dir, error);
}
