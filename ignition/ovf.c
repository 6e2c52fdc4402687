/* ovf-env.xml parsing (GMarkup; element names are matched without their namespace
 * prefix, since Azure's documents use several prefixes for the same namespaces) and
 * reading of the provisioning media. */
#include "ignition/ovf.h"

#include <archive.h>
#include <archive_entry.h>
#include <string.h>

G_DEFINE_QUARK (pl-ovf-error-quark, pl_ovf_error)

#define MAX_XML (1024 * 1024)
#define MAX_CUSTOM_DATA (64 * 1024 * 1024)

void
pl_ovf_env_free (PlOvfEnv *env)
{
  if (!env)
    return;
  g_free (env->hostname);
  g_free (env->username);
  g_ptr_array_unref (env->ssh_keys);
  g_clear_pointer (&env->custom_data, g_bytes_unref);
  g_free (env);
}

typedef struct {
  PlOvfEnv *env;
  GString *text;
  char *custom_b64;
  char *key_value;
  gboolean key_fingerprint;
  gboolean in_public_key;
} ParseState;

static const char *
local_name (const char *name)
{
  const char *colon = strrchr (name, ':');
  return colon ? colon + 1 : name;
}

static void
on_start (GMarkupParseContext *ctx, const char *name, const char **attr_names,
          const char **attr_values, gpointer user_data, GError **error)
{
  ParseState *st = user_data;
  g_string_truncate (st->text, 0);
  if (g_str_equal (local_name (name), "PublicKey"))
    {
      st->in_public_key = TRUE;
      g_clear_pointer (&st->key_value, g_free);
      st->key_fingerprint = FALSE;
    }
}

static void
on_end (GMarkupParseContext *ctx, const char *name, gpointer user_data, GError **error)
{
  ParseState *st = user_data;
  const char *n = local_name (name);
  g_autofree char *value = g_strstrip (g_strdup (st->text->str));
  g_string_truncate (st->text, 0);
  if (g_str_equal (n, "HostName") && *value)
    g_free (st->env->hostname), st->env->hostname = g_steal_pointer (&value);
  else if (g_str_equal (n, "UserName") && *value)
    g_free (st->env->username), st->env->username = g_steal_pointer (&value);
  else if (g_str_equal (n, "CustomData") && *value)
    g_free (st->custom_b64), st->custom_b64 = g_steal_pointer (&value);
  else if (st->in_public_key && g_str_equal (n, "Value") && *value)
    g_free (st->key_value), st->key_value = g_steal_pointer (&value);
  else if (st->in_public_key && g_str_equal (n, "Fingerprint") && *value)
    st->key_fingerprint = TRUE;
  else if (g_str_equal (n, "PublicKey"))
    {
      st->in_public_key = FALSE;
      if (st->key_value)
        g_ptr_array_add (st->env->ssh_keys, g_steal_pointer (&st->key_value));
      else if (st->key_fingerprint)
        st->env->fingerprint_only++;
    }
}

static void
on_text (GMarkupParseContext *ctx, const char *text, gsize len, gpointer user_data,
         GError **error)
{
  ParseState *st = user_data;
  if (st->text->len + len > MAX_CUSTOM_DATA * 2)
    {
      g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_PARSE, "an element's text is too large");
      return;
    }
  g_string_append_len (st->text, text, len);
}

static gboolean
check_single_line (const char *what, const char *value, GError **error)
{
  if (value && strpbrk (value, "\n\r:/ \t"))
    return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_PARSE,
                        "ovf-env.xml: %s \"%s\" is not valid", what, value), FALSE;
  return TRUE;
}

PlOvfEnv *
pl_ovf_parse (const char *xml, gsize len, GError **error)
{
  static const GMarkupParser parser = { on_start, on_end, on_text, NULL, NULL };
  g_autoptr(PlOvfEnv) env = g_new0 (PlOvfEnv, 1);
  env->ssh_keys = g_ptr_array_new_with_free_func (g_free);
  ParseState st = { .env = env, .text = g_string_new (NULL) };
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &st, NULL);
  gboolean ok = len <= MAX_XML && g_markup_parse_context_parse (ctx, xml, len, error)
                && g_markup_parse_context_end_parse (ctx, error);
  if (len > MAX_XML)
    g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_PARSE, "ovf-env.xml is larger than 1 MiB");
  g_string_free (st.text, TRUE);
  g_free (st.key_value);
  g_autofree char *custom = st.custom_b64;
  if (!ok)
    {
      if (error && *error && (*error)->domain != PL_OVF_ERROR)
        {
          (*error)->domain = PL_OVF_ERROR;
          (*error)->code = PL_OVF_ERROR_PARSE;
        }
      return g_prefix_error (error, "ovf-env.xml: "), NULL;
    }
  if (!check_single_line ("HostName", env->hostname, error)
      || !check_single_line ("UserName", env->username, error))
    return NULL;
  for (guint i = 0; i < env->ssh_keys->len; i++)
    if (strpbrk (env->ssh_keys->pdata[i], "\n\r"))
      return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_PARSE,
                          "ovf-env.xml: SSH public key %u spans several lines", i), NULL;
  if (custom)
    {
      for (const char *p = custom; *p; p++)
        if (!(g_ascii_isalnum (*p) || *p == '+' || *p == '/' || *p == '='
              || g_ascii_isspace (*p)))
          return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_PARSE,
                              "ovf-env.xml: CustomData is not base64"), NULL;
      gsize n = 0;
      guchar *raw = g_base64_decode (custom, &n);
      env->custom_data = g_bytes_new_take (raw, n);
    }
  return g_steal_pointer (&env);
}

static GBytes *
read_dir_file (const char *dir, const char *const *names, gsize max, GError **error)
{
  for (const char *const *n = names; *n; n++)
    {
      g_autofree char *path = g_build_filename (dir, *n, NULL);
      g_autofree char *data = NULL;
      gsize len = 0;
      if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
        continue;
      if (!g_file_get_contents (path, &data, &len, error))
        return NULL;
      if (len > max)
        return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_MEDIA, "%s is too large", path),
               NULL;
      return g_bytes_new_take (g_steal_pointer (&data), len);
    }
  return NULL;
}

typedef struct archive PlArchive;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlArchive, archive_read_free)

/* An ISO 9660 name without directory or ";1" version, lower-cased. */
static char *
iso_basename (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  char *semi = strchr (base, ';');
  if (semi)
    *semi = '\0';
  return g_ascii_strdown (base, -1);
}

static GBytes *
read_entry (struct archive *a, gsize max, const char *path, GError **error)
{
  g_autoptr(GByteArray) buf = g_byte_array_new ();
  guint8 chunk[65536];
  for (;;)
    {
      la_ssize_t n = archive_read_data (a, chunk, sizeof chunk);
      if (n < 0)
        return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_MEDIA, "%s: %s", path,
                            archive_error_string (a)), NULL;
      if (n == 0)
        break;
      if (buf->len + (gsize) n > max)
        return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_MEDIA, "%s: too large", path),
               NULL;
      g_byte_array_append (buf, chunk, n);
    }
  return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
}

static gboolean
read_image (const char *path, GBytes **out_xml, GBytes **out_bin, GError **error)
{
  g_autoptr(PlArchive) a = archive_read_new ();
  archive_read_support_format_iso9660 (a);
  if (archive_read_open_filename (a, path, 65536) != ARCHIVE_OK)
    return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_MEDIA, "%s: %s", path,
                        archive_error_string (a)), FALSE;
  struct archive_entry *e;
  int r;
  while ((r = archive_read_next_header (a, &e)) == ARCHIVE_OK)
    {
      g_autofree char *base = iso_basename (archive_entry_pathname (e));
      if (g_str_equal (base, "ovf-env.xml") && !*out_xml)
        {
          *out_xml = read_entry (a, MAX_XML, path, error);
          if (!*out_xml)
            return FALSE;
        }
      else if (g_str_equal (base, "customdata.bin") && !*out_bin)
        {
          *out_bin = read_entry (a, MAX_CUSTOM_DATA, path, error);
          if (!*out_bin)
            return FALSE;
        }
    }
  if (r != ARCHIVE_EOF)
    return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_MEDIA, "%s: %s", path,
                        archive_error_string (a)), FALSE;
  return TRUE;
}

gboolean
pl_ovf_read_media (const char *path, GBytes **out_xml, GBytes **out_custom_bin,
                   GError **error)
{
  g_autoptr(GBytes) xml = NULL;
  g_autoptr(GBytes) bin = NULL;
  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      static const char *const xml_names[] = { "ovf-env.xml", "OVF-ENV.XML", NULL };
      static const char *const bin_names[] = { "CustomData.bin", "CUSTOMDATA.BIN", NULL };
      g_autoptr(GError) local_error = NULL;
      xml = read_dir_file (path, xml_names, MAX_XML, &local_error);
      if (!local_error)
        bin = read_dir_file (path, bin_names, MAX_CUSTOM_DATA, &local_error);
      if (local_error)
        {
          g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_MEDIA, "%s", local_error->message);
          return FALSE;
        }
    }
  else if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_NOT_FOUND, "%s: no such media",
                        path), FALSE;
  else if (!read_image (path, &xml, &bin, error))
    return FALSE;
  if (!xml)
    return g_set_error (error, PL_OVF_ERROR, PL_OVF_ERROR_NOT_FOUND,
                        "%s: no ovf-env.xml on the media", path), FALSE;
  *out_xml = g_steal_pointer (&xml);
  if (out_custom_bin)
    *out_custom_bin = g_steal_pointer (&bin);
  return TRUE;
}

PlPlan *
pl_ovf_to_plan (const PlOvfEnv *env)
{
  PlPlan *plan = pl_plan_new ("ovf");
  plan->hostname = g_strdup (env->hostname);
  if (env->username)
    {
      PlPlanUser *u = pl_plan_add_user (plan, "ovf-env.xml UserName", env->username);
      g_ptr_array_add (env->ssh_keys, NULL);
      u->ssh_keys = g_strdupv ((char **) env->ssh_keys->pdata);
      g_ptr_array_remove_index (env->ssh_keys, env->ssh_keys->len - 1);
      u->sudo = TRUE;
    }
  return plan;
}
