/* Manifest parsing. A manifest may include others ("include": "base.json"): included
 * files are read first, then the including file's scalars override theirs and its
 * packages and repos are added, which is how a release line shares a base. */
#include "releases/manifest.h"
#include "lib/json.h"

#include <ostree.h>

#include <string.h>

G_DEFINE_QUARK (pl-manifest-error-quark, pl_manifest_error)

#define MAX_INCLUDE_DEPTH 8

static void
repo_free (PlManifestRepo *r)
{
  g_free (r->id);
  g_free (r->baseurl);
  g_strfreev (r->gpgkeys);
  g_free (r->sslcacert);
  g_free (r);
}

void
pl_manifest_free (PlManifest *m)
{
  if (!m)
    return;
  g_free (m->path);
  g_free (m->name);
  g_free (m->version);
  g_free (m->arch);
  g_free (m->ref);
  g_free (m->os_id);
  g_free (m->os_name);
  g_free (m->pretty_name);
  g_free (m->variant_id);
  g_clear_pointer (&m->repos, g_ptr_array_unref);
  g_strfreev (m->packages);
  g_free (m);
}

const PlManifestRepo *
pl_manifest_repo_find (GPtrArray *repos, const char *id)
{
  for (guint i = 0; i < repos->len; i++)
    {
      const PlManifestRepo *r = repos->pdata[i];
      if (g_str_equal (r->id, id))
        return r;
    }
  return NULL;
}

char *
pl_manifest_expand (const char *s, GHashTable *vars, const char *where, GError **error)
{
  g_autoptr(GString) out = g_string_new (NULL);
  for (const char *p = s; *p;)
    {
      if (p[0] != '$' || p[1] != '{')
        {
          g_string_append_c (out, *p++);
          continue;
        }
      const char *end = strchr (p + 2, '}');
      if (!end)
        return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                            "%s: unterminated ${ in \"%s\"", where, s), NULL;
      g_autofree char *name = g_strndup (p + 2, end - (p + 2));
      const char *val = vars ? g_hash_table_lookup (vars, name) : NULL;
      if (!val)
        return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_UNDEFINED,
                            "%s: variable ${%s} is not defined (pass --define %s=VALUE)",
                            where, name, name), NULL;
      g_string_append (out, val);
      p = end + 1;
    }
  return g_string_free (g_steal_pointer (&out), FALSE);
}

static gboolean
valid_id (const char *s)
{
  if (!s || !*s)
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("._-", *p))
      return FALSE;
  return TRUE;
}

/* Replaces *DEST with a copy of SRC when SRC is set (later layers win). */
static void
take_string (char **dest, const char *src)
{
  if (src)
    {
      g_free (*dest);
      *dest = g_strdup (src);
    }
}

static gboolean
parse_repo (json_object *obj, const char *path, GHashTable *vars, PlManifestRepo **out,
            GError **error)
{
  static const char *const keys[] = { "id", "baseurl", "gpgkey", "gpgkeys", "unsigned",
                                      "sslcacert", NULL };
  const char *id = NULL, *baseurl = NULL, *gpgkey = NULL, *sslcacert = NULL;
  g_auto(GStrv) gpgkeys = NULL;
  gboolean is_unsigned = FALSE;
  if (json_object_get_type (obj) != json_type_object)
    return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_TYPE, "%s: expected an object",
                        path), FALSE;
  if (!pl_json_check_keys (obj, path, keys, error)
      || !pl_json_get_string (obj, path, "id", TRUE, &id, error)
      || !pl_json_get_string (obj, path, "baseurl", TRUE, &baseurl, error)
      || !pl_json_get_string (obj, path, "gpgkey", FALSE, &gpgkey, error)
      || !pl_json_get_strv (obj, path, "gpgkeys", FALSE, &gpgkeys, error)
      || !pl_json_get_bool (obj, path, "unsigned", FALSE, &is_unsigned, error)
      || !pl_json_get_string (obj, path, "sslcacert", FALSE, &sslcacert, error))
    return FALSE;
  if (!valid_id (id))
    return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                        "%s.id: \"%s\" is not a valid repo id (letters, digits, . _ -)", path,
                        id), FALSE;
  g_autoptr(GPtrArray) keylist = g_ptr_array_new_with_free_func (g_free);
  if (gpgkey)
    g_ptr_array_add (keylist, g_strdup (gpgkey));
  for (char **k = gpgkeys; k && *k; k++)
    g_ptr_array_add (keylist, g_strdup (*k));
  if (!is_unsigned && keylist->len == 0)
    return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                        "%s: a signed repo needs \"gpgkey\" (or set \"unsigned\": true)", path),
           FALSE;

  g_autofree char *where = g_strdup_printf ("%s.baseurl", path);
  g_autofree char *url = pl_manifest_expand (baseurl, vars, where, error);
  if (!url)
    return FALSE;
  while (g_str_has_suffix (url, "/") && strlen (url) > 1)
    url[strlen (url) - 1] = '\0';
  for (guint i = 0; i < keylist->len; i++)
    {
      g_autofree char *kwhere = g_strdup_printf ("%s.gpgkey", path);
      char *k = pl_manifest_expand (keylist->pdata[i], vars, kwhere, error);
      if (!k)
        return FALSE;
      g_free (keylist->pdata[i]);
      keylist->pdata[i] = k;
    }
  g_ptr_array_add (keylist, NULL);
  g_autofree char *cacert = NULL;
  if (sslcacert)
    {
      g_autofree char *cwhere = g_strdup_printf ("%s.sslcacert", path);
      cacert = pl_manifest_expand (sslcacert, vars, cwhere, error);
      if (!cacert)
        return FALSE;
    }

  PlManifestRepo *r = g_new0 (PlManifestRepo, 1);
  r->id = g_strdup (id);
  r->baseurl = g_steal_pointer (&url);
  r->gpgkeys = (char **) g_ptr_array_free (g_steal_pointer (&keylist), FALSE);
  r->is_unsigned = is_unsigned;
  r->sslcacert = g_steal_pointer (&cacert);
  *out = r;
  return TRUE;
}

static gboolean load_into (PlManifest *m, const char *data, gsize len, const char *source,
                           const char *base_dir, GHashTable *vars, GPtrArray *packages,
                           guint depth, GError **error);

static gboolean
load_include (PlManifest *m, const char *inc, const char *source, const char *base_dir,
              GHashTable *vars, GPtrArray *packages, guint depth, GError **error)
{
  if (depth >= MAX_INCLUDE_DEPTH)
    return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INCLUDE,
                        "%s: include: nested more than %d deep (a loop?)", source,
                        MAX_INCLUDE_DEPTH), FALSE;
  g_autofree char *path = g_path_is_absolute (inc) ? g_strdup (inc)
                                                   : g_build_filename (base_dir, inc, NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local_error = NULL;
  if (!g_file_get_contents (path, &data, &len, &local_error))
    return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INCLUDE,
                        "%s: include: %s", source, local_error->message), FALSE;
  g_autofree char *dir = g_path_get_dirname (path);
  return load_into (m, data, len, path, dir, vars, packages, depth + 1, error);
}

static gboolean
load_into (PlManifest *m, const char *data, gsize len, const char *source, const char *base_dir,
           GHashTable *vars, GPtrArray *packages, guint depth, GError **error)
{
  static const char *const keys[] = { "include", "name", "version", "arch", "ref",
                                      "os-release", "repos", "packages", "documentation",
                                      NULL };
  static const char *const os_keys[] = { "id", "name", "pretty-name", "variant-id", NULL };
  g_autoptr(json_object) root = pl_json_parse (data, len, source, error);
  if (!root)
    return FALSE;
  if (json_object_get_type (root) != json_type_object)
    return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_TYPE,
                        "%s: the manifest must be a JSON object", source), FALSE;

  /* Errors below name the file, then the field */
  const char *include = NULL;
  if (!pl_json_check_keys (root, "", keys, error)
      || !pl_json_get_string (root, "", "include", FALSE, &include, error))
    return g_prefix_error (error, "%s: ", source), FALSE;
  if (include && !load_include (m, include, source, base_dir, vars, packages, depth, error))
    return FALSE;

  const char *name = NULL, *version = NULL, *arch = NULL, *ref = NULL;
  json_object *osr = NULL, *repos = NULL;
  g_auto(GStrv) pkgs = NULL;
  gboolean docs = m->documentation;
  if (!pl_json_get_string (root, "", "name", FALSE, &name, error)
      || !pl_json_get_string (root, "", "version", FALSE, &version, error)
      || !pl_json_get_string (root, "", "arch", FALSE, &arch, error)
      || !pl_json_get_string (root, "", "ref", FALSE, &ref, error)
      || !pl_json_get_object (root, "", "os-release", FALSE, &osr, error)
      || !pl_json_get_array (root, "", "repos", FALSE, &repos, error)
      || !pl_json_get_strv (root, "", "packages", FALSE, &pkgs, error)
      || !pl_json_get_bool (root, "", "documentation", FALSE, &docs, error))
    return g_prefix_error (error, "%s: ", source), FALSE;
  take_string (&m->name, name);
  take_string (&m->version, version);
  take_string (&m->arch, arch);
  take_string (&m->ref, ref);
  m->documentation = docs;

  if (osr)
    {
      const char *id = NULL, *osname = NULL, *pretty = NULL, *variant = NULL;
      if (!pl_json_check_keys (osr, "os-release", os_keys, error)
          || !pl_json_get_string (osr, "os-release", "id", FALSE, &id, error)
          || !pl_json_get_string (osr, "os-release", "name", FALSE, &osname, error)
          || !pl_json_get_string (osr, "os-release", "pretty-name", FALSE, &pretty, error)
          || !pl_json_get_string (osr, "os-release", "variant-id", FALSE, &variant, error))
        return g_prefix_error (error, "%s: ", source), FALSE;
      take_string (&m->os_id, id);
      take_string (&m->os_name, osname);
      take_string (&m->pretty_name, pretty);
      take_string (&m->variant_id, variant);
    }

  for (size_t i = 0; repos && i < json_object_array_length (repos); i++)
    {
      g_autofree char *p = pl_json_path_index ("repos", i);
      PlManifestRepo *r = NULL;
      if (!parse_repo (json_object_array_get_idx (repos, i), p, vars, &r, error))
        return g_prefix_error (error, "%s: ", source), FALSE;
      if (pl_manifest_repo_find (m->repos, r->id))
        {
          g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                       "%s: %s.id: repo \"%s\" is defined twice", source, p, r->id);
          repo_free (r);
          return FALSE;
        }
      g_ptr_array_add (m->repos, r);
    }
  for (char **p = pkgs; p && *p; p++)
    {
      if (**p == '\0')
        return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                            "%s: packages[%td]: empty package name", source, p - pkgs), FALSE;
      g_ptr_array_add (packages, g_strdup (*p));
    }
  return TRUE;
}

static gboolean
require_field (const char *value, const char *source, const char *field, GError **error)
{
  if (value && *value)
    return TRUE;
  return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                      "%s: %s: required field is missing", source, field), FALSE;
}

PlManifest *
pl_manifest_load_data (const char *data, gsize len, const char *source, const char *base_dir,
                       GHashTable *defines, const char *version_override, GError **error)
{
  g_autoptr(PlManifest) m = g_new0 (PlManifest, 1);
  m->repos = g_ptr_array_new_with_free_func ((GDestroyNotify) repo_free);
  m->documentation = TRUE;
  m->path = g_strdup (source);

  /* ${basearch} needs the arch, which the manifest itself sets: expand URLs after a
   * first look at "arch" (includes may set it too, so look at the merged result). */
  g_autoptr(GHashTable) vars = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (defines)
    {
      GHashTableIter it;
      gpointer k, v;
      g_hash_table_iter_init (&it, defines);
      while (g_hash_table_iter_next (&it, &k, &v))
        g_hash_table_replace (vars, g_strdup (k), g_strdup (v));
    }
  g_hash_table_replace (vars, g_strdup ("manifestdir"), g_strdup (base_dir));
  if (!g_hash_table_contains (vars, "basearch"))
    {
      g_autoptr(json_object) peek = pl_json_parse (data, len, source, NULL);
      json_object *a = NULL;
      if (peek && json_object_object_get_ex (peek, "arch", &a)
          && json_object_get_type (a) == json_type_string)
        g_hash_table_replace (vars, g_strdup ("basearch"), g_strdup (json_object_get_string (a)));
    }

  g_autoptr(GPtrArray) packages = g_ptr_array_new_with_free_func (g_free);
  if (!load_into (m, data, len, source, base_dir, vars, packages, 0, error))
    return NULL;
  if (version_override)
    take_string (&m->version, version_override);

  if (!require_field (m->name, source, "name", error)
      || !require_field (m->version, source, "version", error)
      || !require_field (m->arch, source, "arch", error)
      || !require_field (m->ref, source, "ref", error))
    return NULL;
  if (!valid_id (m->name))
    return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                        "%s: name: \"%s\" may hold only letters, digits, . _ -", source,
                        m->name), NULL;
  if (m->repos->len == 0)
    return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                        "%s: repos: at least one repository is needed", source), NULL;
  if (packages->len == 0)
    return g_set_error (error, PL_MANIFEST_ERROR, PL_MANIFEST_ERROR_INVALID,
                        "%s: packages: at least one package is needed", source), NULL;

  g_hash_table_replace (vars, g_strdup ("basearch"), g_strdup (m->arch));
  g_autofree char *ref = pl_manifest_expand (m->ref, vars, "ref", error);
  if (!ref)
    return g_prefix_error (error, "%s: ", source), NULL;
  if (!ostree_validate_rev (ref, error))
    return g_prefix_error (error, "%s: ref: ", source), NULL;
  g_free (m->ref);
  m->ref = g_steal_pointer (&ref);
  if (!m->os_id)
    m->os_id = g_strdup (m->name);
  if (!m->os_name)
    m->os_name = g_strdup (m->name);

  g_ptr_array_add (packages, NULL);
  m->packages = (char **) g_ptr_array_free (g_steal_pointer (&packages), FALSE);
  return g_steal_pointer (&m);
}

PlManifest *
pl_manifest_load (const char *path, GHashTable *defines, const char *version_override,
                  GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  g_autofree char *abs = g_canonicalize_filename (path, NULL);
  g_autofree char *dir = g_path_get_dirname (abs);
  return pl_manifest_load_data (data, len, path, dir, defines, version_override, error);
}
