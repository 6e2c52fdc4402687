/* Lockfile reader and writer. The writer checks every record with the same rules as
 * the reader, so whatever plinth-build writes it can read back; the reader refuses
 * anything else (unknown fields, duplicates, malformed hashes) because a lockfile that
 * silently means something other than what its author thought defeats its purpose. */
#include "releases/lockfile.h"

#include "lib/fsutil.h"
#include "lib/json.h"

#include <string.h>

G_DEFINE_QUARK (pl-lockfile-error-quark, pl_lockfile_error)

struct _PlLockfile {
  char *arch;
  GPtrArray *packages;   /* PlPackage*, file order */
  GHashTable *by_name;   /* name -> PlPackage* in packages */
};

static const char *const top_keys[] = { "schema", "arch", "packages", NULL };
static const char *const package_keys[] = { "name", "epoch", "version", "release", "arch",
                                            "nevra", "sha256", "size", "repo", NULL };

void
pl_lockfile_free (PlLockfile *lock)
{
  if (!lock)
    return;
  g_free (lock->arch);
  g_clear_pointer (&lock->packages, g_ptr_array_unref);
  g_clear_pointer (&lock->by_name, g_hash_table_unref);
  g_free (lock);
}

static gboolean
invalid (GError **error, const char *path, const char *what)
{
  g_set_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_INVALID, "%s: %s", path, what);
  return FALSE;
}

static gboolean
all_chars (const char *s, const char *extra)
{
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && strchr (extra, *p) == NULL)
      return FALSE;
  return TRUE;
}

/* RPM's own limits: names are what rpmbuild accepts (no leading '-'); version and
 * release hold no '-' (it separates them) and no ':' (it marks the epoch). */
static gboolean
check_name (const char *path, const char *value, GError **error)
{
  if (*value == '\0' || *value == '-' || strlen (value) > 255 || !all_chars (value, "._+-"))
    return invalid (error, path, "expected an RPM name (letters, digits and \"._+-\")");
  return TRUE;
}

static gboolean
check_evr_part (const char *path, const char *value, GError **error)
{
  if (*value == '\0' || strlen (value) > 255 || !all_chars (value, "._+~^"))
    return invalid (error, path,
                    "expected letters, digits and \"._+~^\" (no \"-\" or \":\"), not empty");
  return TRUE;
}

static gboolean
check_arch (const char *path, const char *value, GError **error)
{
  if (*value == '\0' || strlen (value) > 64 || !all_chars (value, "_"))
    return invalid (error, path, "expected an architecture (letters, digits and \"_\")");
  return TRUE;
}

static gboolean
check_sha256 (const char *path, const char *value, GError **error)
{
  if (!pl_sha256_hex_valid (value))
    return invalid (error, path, "expected 64 lower-case hex digits");
  return TRUE;
}

static gboolean
check_repo (const char *path, const char *value, GError **error)
{
  if (*value == '\0' || strlen (value) > 255 || !all_chars (value, "._:-"))
    return invalid (error, path, "expected a repo id (letters, digits and \"._:-\")");
  return TRUE;
}

/* The rules both directions share; PATH is "packages[i]". */
static gboolean
check_package (const char *path, const PlPackage *pkg, GError **error)
{
  struct {
    const char *key, *value;
    gboolean (*check) (const char *, const char *, GError **);
  } fields[] = {
    { "name", pkg->name, check_name },       { "version", pkg->version, check_evr_part },
    { "release", pkg->release, check_evr_part }, { "arch", pkg->arch, check_arch },
    { "sha256", pkg->sha256, check_sha256 }, { "repo", pkg->repo_id, check_repo },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      g_autofree char *p = pl_json_path_key (path, fields[i].key);
      if (fields[i].value == NULL)
        return g_set_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_INVALID,
                            "%s: required field is missing", p), FALSE;
      if (!fields[i].check (p, fields[i].value, error))
        return FALSE;
    }
  if (pkg->epoch > G_MAXUINT32)
    {
      g_autofree char *p = pl_json_path_key (path, "epoch");
      return invalid (error, p, "expected an integer from 0 to 4294967295");
    }
  if (pkg->size > G_MAXINT64)
    {
      g_autofree char *p = pl_json_path_key (path, "size");
      return invalid (error, p, "expected a non-negative integer");
    }
  return TRUE;
}

/* The lib/json getters speak PL_JSON_ERROR; a lockfile error keeps their message. */
static gboolean
from_json_error (GError *json_error, GError **error)
{
  PlLockfileError code = json_error->code == PL_JSON_ERROR_SYNTAX ? PL_LOCKFILE_ERROR_SYNTAX
                                                                   : PL_LOCKFILE_ERROR_INVALID;
  g_set_error_literal (error, PL_LOCKFILE_ERROR, code, json_error->message);
  g_error_free (json_error);
  return FALSE;
}

static gboolean
check_keys (json_object *obj, const char *path, const char *const *allowed, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  if (pl_json_check_keys (obj, path, allowed, &local_error))
    return TRUE;
  g_set_error_literal (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_UNKNOWN_FIELD,
                       local_error->message);
  return FALSE;
}

static gboolean
get_string (json_object *obj, const char *path, const char *key, char **out, GError **error)
{
  GError *local_error = NULL;
  const char *s = NULL;
  if (!pl_json_get_string (obj, path, key, TRUE, &s, &local_error))
    return from_json_error (local_error, error);
  /* C strings end at the first NUL; one inside would silently shorten the value */
  if ((size_t) json_object_get_string_len (json_object_object_get (obj, key)) != strlen (s))
    {
      g_autofree char *p = pl_json_path_key (path, key);
      return invalid (error, p, "contains a NUL character");
    }
  *out = g_strdup (s);
  return TRUE;
}

static gboolean
get_uint (json_object *obj, const char *path, const char *key, guint64 max,
          const char *range, guint64 *out, GError **error)
{
  GError *local_error = NULL;
  gint64 v = 0;
  if (!pl_json_get_int64 (obj, path, key, TRUE, &v, &local_error))
    return from_json_error (local_error, error);
  /* json-c saturates out-of-range integers at INT64_MAX */
  if (v < 0 || (guint64) v > max || v == G_MAXINT64)
    {
      g_autofree char *p = pl_json_path_key (path, key);
      return invalid (error, p, range);
    }
  *out = (guint64) v;
  return TRUE;
}

static PlPackage *
parse_package (json_object *obj, const char *path, GError **error)
{
  if (!json_object_is_type (obj, json_type_object))
    return invalid (error, path, "expected an object"), NULL;
  if (!check_keys (obj, path, package_keys, error))
    return NULL;
  g_autoptr(PlPackage) pkg = pl_package_new ();
  g_autofree char *nevra = NULL;
  if (!get_string (obj, path, "name", &pkg->name, error)
      || !get_uint (obj, path, "epoch", G_MAXUINT32,
                       "expected an integer from 0 to 4294967295", &pkg->epoch, error)
      || !get_string (obj, path, "version", &pkg->version, error)
      || !get_string (obj, path, "release", &pkg->release, error)
      || !get_string (obj, path, "arch", &pkg->arch, error)
      || !get_string (obj, path, "nevra", &nevra, error)
      || !get_string (obj, path, "sha256", &pkg->sha256, error)
      || !get_uint (obj, path, "size", G_MAXINT64 - 1, "expected a non-negative integer",
                       &pkg->size, error)
      || !get_string (obj, path, "repo", &pkg->repo_id, error)
      || !check_package (path, pkg, error))
    return NULL;
  /* nevra is redundant on purpose (humans grep for it): it must agree */
  g_autofree char *want = pl_package_nevra (pkg);
  if (!g_str_equal (nevra, want))
    {
      g_autofree char *p = pl_json_path_key (path, "nevra");
      g_autofree char *what = g_strdup_printf ("\"%s\" does not match the fields (\"%s\")",
                                               nevra, want);
      return invalid (error, p, what), NULL;
    }
  return g_steal_pointer (&pkg);
}

static PlLockfile *
parse_root (json_object *root, GError **error)
{
  if (!json_object_is_type (root, json_type_object))
    return invalid (error, "(top level)", "expected an object"), NULL;
  if (!check_keys (root, "", top_keys, error))
    return NULL;
  GError *local_error = NULL;
  gint64 schema = 0;
  if (!pl_json_get_int64 (root, "", "schema", TRUE, &schema, &local_error))
    return from_json_error (local_error, error), NULL;
  if (schema != PL_LOCKFILE_SCHEMA)
    return g_set_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_SCHEMA,
                        "schema: version %" G_GINT64_FORMAT " is not supported (this "
                        "plinth-build reads version %d)", schema, PL_LOCKFILE_SCHEMA), NULL;
  g_autoptr(PlLockfile) lock = g_new0 (PlLockfile, 1);
  lock->packages = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_package_free);
  lock->by_name = g_hash_table_new (g_str_hash, g_str_equal);
  json_object *arr = NULL;
  if (!get_string (root, "", "arch", &lock->arch, error) || !check_arch ("arch", lock->arch, error))
    return NULL;
  if (!pl_json_get_array (root, "", "packages", TRUE, &arr, &local_error))
    return from_json_error (local_error, error), NULL;
  gsize n = json_object_array_length (arr);
  g_autoptr(GHashTable) index_of = g_hash_table_new (g_str_hash, g_str_equal);
  for (gsize i = 0; i < n; i++)
    {
      g_autofree char *path = pl_json_path_index ("packages", i);
      PlPackage *pkg = parse_package (json_object_array_get_idx (arr, i), path, error);
      if (!pkg)
        return NULL;
      g_ptr_array_add (lock->packages, pkg);
      gpointer first = NULL;
      if (g_hash_table_lookup_extended (index_of, pkg->name, NULL, &first))
        return g_set_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_DUPLICATE,
                            "%s.name: \"%s\" is locked twice (also packages[%u])", path,
                            pkg->name, GPOINTER_TO_UINT (first)), NULL;
      g_hash_table_insert (index_of, pkg->name, GUINT_TO_POINTER ((guint) i));
      g_hash_table_insert (lock->by_name, pkg->name, pkg);
    }
  return g_steal_pointer (&lock);
}

PlLockfile *
pl_lockfile_parse (const char *data, gsize len, const char *source, GError **error)
{
  GError *local_error = NULL;
  g_autoptr(json_object) root = pl_json_parse (data, len, source, &local_error);
  if (root == NULL)
    return from_json_error (local_error, error), NULL;
  PlLockfile *lock = parse_root (root, error);
  if (lock == NULL)
    g_prefix_error (error, "%s: ", source);
  return lock;
}

PlLockfile *
pl_lockfile_load (int dfd, const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!pl_file_read_at (dfd, path, PL_LOCKFILE_MAX_SIZE, &data, &len, error))
    return g_prefix_error (error, "Reading the lockfile: "), NULL;
  return pl_lockfile_parse (data, len, path, error);
}

const char *
pl_lockfile_get_arch (PlLockfile *lock)
{
  return lock->arch;
}

guint
pl_lockfile_get_n_packages (PlLockfile *lock)
{
  return lock->packages->len;
}

const PlPackage *
pl_lockfile_get_package (PlLockfile *lock, guint i)
{
  g_return_val_if_fail (i < lock->packages->len, NULL);
  return lock->packages->pdata[i];
}

gboolean
pl_lockfile_lookup (PlLockfile *lock, const char *name, const PlPackage **out_pkg)
{
  const PlPackage *pkg = g_hash_table_lookup (lock->by_name, name);
  if (pkg == NULL)
    return FALSE;
  if (out_pkg)
    *out_pkg = pkg;
  return TRUE;
}

static PlPackage *
copy_package (const PlPackage *src)
{
  PlPackage *p = pl_package_new ();
  p->name = g_strdup (src->name);
  p->epoch = src->epoch;
  p->version = g_strdup (src->version);
  p->release = g_strdup (src->release);
  p->arch = g_strdup (src->arch);
  p->license = g_strdup (src->license);
  p->summary = g_strdup (src->summary);
  p->sha256 = g_strdup (src->sha256);
  p->size = src->size;
  p->repo_id = g_strdup (src->repo_id);
  p->location = g_strdup (src->location);
  p->local_path = g_strdup (src->local_path);
  return p;
}

GPtrArray *
pl_lockfile_to_packages (PlLockfile *lock)
{
  GPtrArray *out = g_ptr_array_new_full (lock->packages->len, (GDestroyNotify) pl_package_free);
  for (guint i = 0; i < lock->packages->len; i++)
    g_ptr_array_add (out, copy_package (lock->packages->pdata[i]));
  return out;
}

char *
pl_lockfile_to_json (const char *arch, GPtrArray *packages, GError **error)
{
  if (arch == NULL || !check_arch ("arch", arch, error))
    return g_prefix_error (error, "Writing the lockfile: "), NULL;
  /* sort a view, not the caller's array */
  g_autoptr(GPtrArray) sorted = g_ptr_array_new (); /* a view: frees nothing */
  for (guint i = 0; packages && i < packages->len; i++)
    g_ptr_array_add (sorted, packages->pdata[i]);
  pl_package_array_sort (sorted);
  g_autoptr(json_object) root = json_object_new_object ();
  json_object *arr = json_object_new_array ();
  json_object_object_add (root, "schema", json_object_new_int (PL_LOCKFILE_SCHEMA));
  json_object_object_add (root, "arch", json_object_new_string (arch));
  json_object_object_add (root, "packages", arr);
  for (guint i = 0; i < sorted->len; i++)
    {
      const PlPackage *pkg = sorted->pdata[i];
      g_autofree char *path = pl_json_path_index ("packages", i);
      if (!check_package (path, pkg, error))
        return g_prefix_error (error, "Writing the lockfile: "), NULL;
      if (i > 0 && g_str_equal (pkg->name, ((PlPackage *) sorted->pdata[i - 1])->name))
        return g_set_error (error, PL_LOCKFILE_ERROR, PL_LOCKFILE_ERROR_DUPLICATE,
                            "Writing the lockfile: %s.name: \"%s\" is in the set twice", path,
                            pkg->name), NULL;
      g_autofree char *nevra = pl_package_nevra (pkg);
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "name", json_object_new_string (pkg->name));
      json_object_object_add (o, "epoch", json_object_new_int64 ((gint64) pkg->epoch));
      json_object_object_add (o, "version", json_object_new_string (pkg->version));
      json_object_object_add (o, "release", json_object_new_string (pkg->release));
      json_object_object_add (o, "arch", json_object_new_string (pkg->arch));
      json_object_object_add (o, "nevra", json_object_new_string (nevra));
      json_object_object_add (o, "sha256", json_object_new_string (pkg->sha256));
      json_object_object_add (o, "size", json_object_new_int64 ((gint64) pkg->size));
      json_object_object_add (o, "repo", json_object_new_string (pkg->repo_id));
      json_object_array_add (arr, o);
    }
  return pl_json_to_string_pretty (root);
}

gboolean
pl_lockfile_write (int dfd, const char *path, const char *arch, GPtrArray *packages,
                   GError **error)
{
  g_autofree char *text = pl_lockfile_to_json (arch, packages, error);
  if (text == NULL)
    return FALSE;
  return pl_file_replace_at (dfd, path, text, strlen (text), 0644, error);
}
