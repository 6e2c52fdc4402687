/* The release index reader, validator and writer (format: releases/FORMAT.md).
 * Parsing goes in two passes: JSON to structs (types), then one validation pass over
 * the structs (values and cross-field rules) that pl_index_validate() shares, so an
 * index built in memory by the publisher obeys exactly the rules a node enforces. */
#include "releases/index.h"
#include "lib/fsutil.h"
#include "lib/json.h"

#include <math.h>
#include <rpm/rpmver.h>
#include <string.h>

G_DEFINE_QUARK (pl-index-error-quark, pl_index_error)

#define SRC "index.json"

/* ---- constructors ---------------------------------------------------------------- */

PlDelta *
pl_delta_new (const char *from, const char *path, const char *sha256, guint64 size)
{
  PlDelta *d = g_new0 (PlDelta, 1);
  d->from = g_strdup (from);
  d->path = g_strdup (path);
  d->sha256 = g_strdup (sha256);
  d->size = size;
  return d;
}

void
pl_delta_free (PlDelta *d)
{
  if (!d)
    return;
  g_free (d->from);
  g_free (d->path);
  g_free (d->sha256);
  g_free (d);
}

PlSysext *
pl_sysext_new (const char *name, const char *version, const char *path, const char *sha256,
               guint64 size)
{
  PlSysext *s = g_new0 (PlSysext, 1);
  s->name = g_strdup (name);
  s->version = g_strdup (version);
  s->path = g_strdup (path);
  s->sha256 = g_strdup (sha256);
  s->size = size;
  return s;
}

void
pl_sysext_free (PlSysext *s)
{
  if (!s)
    return;
  g_free (s->name);
  g_free (s->version);
  g_free (s->path);
  g_free (s->sha256);
  g_free (s);
}

PlRelease *
pl_release_new (const char *version, const char *commit, gint64 timestamp)
{
  PlRelease *r = g_new0 (PlRelease, 1);
  r->version = g_strdup (version);
  r->commit = g_strdup (commit);
  r->timestamp = timestamp;
  r->deltas = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_delta_free);
  r->sysexts = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_sysext_free);
  return r;
}

void
pl_release_free (PlRelease *r)
{
  if (!r)
    return;
  g_free (r->version);
  g_free (r->commit);
  g_free (r->deadend);
  g_clear_pointer (&r->deltas, g_ptr_array_unref);
  g_clear_pointer (&r->sysexts, g_ptr_array_unref);
  g_free (r);
}

PlIndex *
pl_index_new (const char *stream, const char *arch, guint64 serial, gint64 generated,
              gint64 expires)
{
  PlIndex *idx = g_new0 (PlIndex, 1);
  idx->schema = PL_INDEX_SCHEMA;
  idx->stream = g_strdup (stream);
  idx->arch = g_strdup (arch);
  idx->serial = serial;
  idx->generated = generated;
  idx->expires = expires;
  idx->releases = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_release_free);
  return idx;
}

void
pl_index_free (PlIndex *idx)
{
  if (!idx)
    return;
  g_free (idx->stream);
  g_free (idx->arch);
  g_clear_pointer (&idx->releases, g_ptr_array_unref);
  g_free (idx);
}

/* ---- times and versions ---------------------------------------------------------- */

char *
pl_index_format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  if (dt == NULL)
    return g_strdup ("(invalid time)");
  /* not g_date_time_format ("%Y"), which does not pad years below 1000 */
  return g_strdup_printf ("%04d-%02d-%02dT%02d:%02d:%02dZ", g_date_time_get_year (dt),
                          g_date_time_get_month (dt), g_date_time_get_day_of_month (dt),
                          g_date_time_get_hour (dt), g_date_time_get_minute (dt),
                          g_date_time_get_second (dt));
}

static gboolean
digits (const char *s, int n)
{
  for (int i = 0; i < n; i++)
    if (!g_ascii_isdigit (s[i]))
      return FALSE;
  return TRUE;
}

gboolean
pl_index_parse_time (const char *s, gint64 *out_time)
{
  /* Strict shape YYYY-MM-DDTHH:MM:SS[.frac]Z; GDateTime alone would also take local
   * times and offsets, and an index must not depend on the reader's time zone. */
  if (s == NULL || strlen (s) < 20)
    return FALSE;
  if (!digits (s, 4) || s[4] != '-' || !digits (s + 5, 2) || s[7] != '-'
      || !digits (s + 8, 2) || s[10] != 'T' || !digits (s + 11, 2) || s[13] != ':'
      || !digits (s + 14, 2) || s[16] != ':' || !digits (s + 17, 2))
    return FALSE;
  const char *p = s + 19;
  if (*p == '.')
    {
      p++;
      if (!g_ascii_isdigit (*p))
        return FALSE;
      while (g_ascii_isdigit (*p))
        p++;
    }
  if (strcmp (p, "Z") != 0)
    return FALSE;
  int y = atoi (s), mo = atoi (s + 5), d = atoi (s + 8);
  int h = atoi (s + 11), mi = atoi (s + 14), sec = atoi (s + 17);
  /* Before 1970 an index cannot have been made; keeping times non-negative keeps
   * the arithmetic of expiry and rollouts simple. */
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59 || y < 1970)
    return FALSE;
  g_autoptr(GDateTime) dt = g_date_time_new_utc (y, mo, d, h, mi, sec);
  if (dt == NULL || g_date_time_get_day_of_month (dt) != d)
    return FALSE;
  *out_time = g_date_time_to_unix (dt);
  return TRUE;
}

int
pl_version_compare (const char *a, const char *b)
{
  return rpmvercmp (a, b);
}

static int
compare_releases (gconstpointer a, gconstpointer b)
{
  const PlRelease *ra = *(PlRelease *const *) a;
  const PlRelease *rb = *(PlRelease *const *) b;
  return pl_version_compare (ra->version, rb->version);
}

/* ---- validation ------------------------------------------------------------------ */

static gboolean
invalid (GError **error, const char *path, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
invalid (GError **error, const char *path, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_INVALID, SRC ": %s: %s", path, msg);
  return FALSE;
}

/* Names used in URLs and file names: stream, arch, sysext name. */
static gboolean
is_name (const char *s)
{
  if (s == NULL || *s == '\0' || strlen (s) > 64 || !g_ascii_isalnum (*s))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("._-", *p))
      return FALSE;
  return TRUE;
}

/* Characters rpm versions use; a version also names files and appears in messages. */
static gboolean
is_version (const char *s)
{
  if (s == NULL || *s == '\0' || strlen (s) > 128 || !g_ascii_isalnum (*s))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("._+~^-", *p))
      return FALSE;
  return TRUE;
}

/* A path below the stream/arch directory: relative, no "..", ".", empty components or
 * control characters, so a node can never be sent outside the site. */
static const char *
path_problem (const char *s)
{
  if (s == NULL || *s == '\0')
    return "must not be empty";
  if (strlen (s) > 4096)
    return "is longer than 4096 bytes";
  if (*s == '/')
    return "must be relative (no leading '/')";
  for (const char *p = s; *p; p++)
    if ((guchar) *p < 0x20 || *p == 0x7f || *p == '\\')
      return "contains a control character or backslash";
  g_auto(GStrv) parts = g_strsplit (s, "/", -1);
  for (char **p = parts; *p; p++)
    {
      if (strcmp (*p, "..") == 0)
        return "must not contain '..'";
      if (**p == '\0' || strcmp (*p, ".") == 0)
        return "must not contain empty or '.' components";
    }
  return NULL;
}

static gboolean
check_file_ref (const char *path, const char *file_path, const char *sha256, GError **error)
{
  const char *problem = path_problem (file_path);
  if (problem)
    return invalid (error, path, "path \"%s\" %s", file_path ? file_path : "", problem);
  if (!pl_sha256_hex_valid (sha256))
    return invalid (error, path, "sha256 must be 64 lower-case hex digits");
  return TRUE;
}

/* The range pl_index_parse_time() accepts: 1970 to the end of 9999. */
static gboolean
time_ok (gint64 t)
{
  return t >= 0 && t <= G_GINT64_CONSTANT (253402300799);
}

static gboolean
validate_release (PlRelease *r, const char *path, GError **error)
{
  if (!is_version (r->version))
    return invalid (error, path,
                    "version \"%s\" must start with a letter or digit and use only "
                    "letters, digits and ._+~^- (at most 128)",
                    r->version ? r->version : "");
  if (!pl_sha256_hex_valid (r->commit))
    return invalid (error, path, "commit must be 64 lower-case hex digits");
  if (!time_ok (r->timestamp))
    return invalid (error, path, "timestamp is not between 1970 and 9999");
  if (r->has_rollout)
    {
      if (!time_ok (r->rollout.start))
        return invalid (error, path, "rollout.start is not between 1970 and 9999");
      if (!isfinite (r->rollout.start_percentage) || r->rollout.start_percentage < 0
          || r->rollout.start_percentage > 100)
        return invalid (error, path, "rollout.start_percentage must be between 0 and 100");
      if (r->rollout.duration_minutes > G_MAXINT32)
        return invalid (error, path, "rollout.duration_minutes is too large");
    }
  if (r->deadend && *r->deadend == '\0')
    return invalid (error, path, "deadend must be a non-empty reason when present");

  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < r->deltas->len; i++)
    {
      PlDelta *d = r->deltas->pdata[i];
      g_autofree char *dp = g_strdup_printf ("%s.deltas[%u]", path, i);
      if (!pl_sha256_hex_valid (d->from))
        return invalid (error, dp, "from must be 64 lower-case hex digits");
      if (strcmp (d->from, r->commit) == 0)
        return invalid (error, dp, "from is the release's own commit");
      if (!g_hash_table_add (seen, d->from))
        return invalid (error, dp, "a second delta from %.12s", d->from);
      if (!check_file_ref (dp, d->path, d->sha256, error))
        return FALSE;
    }
  g_hash_table_remove_all (seen);
  for (guint i = 0; i < r->sysexts->len; i++)
    {
      PlSysext *s = r->sysexts->pdata[i];
      g_autofree char *sp = g_strdup_printf ("%s.sysexts[%u]", path, i);
      if (!is_name (s->name))
        return invalid (error, sp, "name \"%s\" must use only letters, digits and ._-",
                        s->name ? s->name : "");
      if (!is_version (s->version))
        return invalid (error, sp, "version \"%s\" is not a valid version",
                        s->version ? s->version : "");
      if (!g_hash_table_add (seen, s->name))
        return invalid (error, sp, "a second sysext named \"%s\"", s->name);
      if (!check_file_ref (sp, s->path, s->sha256, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_schema (PlIndex *idx, GError **error)
{
  if (idx->schema > PL_INDEX_SCHEMA)
    return g_set_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_UNSUPPORTED_SCHEMA,
                        SRC ": schema %u is newer than this reader understands (%d); "
                        "update Plinth first", idx->schema, PL_INDEX_SCHEMA), FALSE;
  if (idx->schema < 1)
    return invalid (error, "schema", "must be at least 1");
  return TRUE;
}

gboolean
pl_index_validate (PlIndex *idx, GError **error)
{
  if (!check_schema (idx, error))
    return FALSE;
  if (!is_name (idx->stream))
    return invalid (error, "stream", "must use only letters, digits and ._- (at most 64)");
  if (!is_name (idx->arch))
    return invalid (error, "arch", "must use only letters, digits and ._- (at most 64)");
  if (!time_ok (idx->generated) || !time_ok (idx->expires))
    return invalid (error, "generated", "times must lie between 1970 and 9999");
  if (idx->expires <= idx->generated)
    return invalid (error, "expires", "must be later than generated");

  g_autoptr(GHashTable) commits = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < idx->releases->len; i++)
    {
      PlRelease *r = idx->releases->pdata[i];
      g_autofree char *path = g_strdup_printf ("releases[%u]", i);
      if (!validate_release (r, path, error))
        return FALSE;
      if (!g_hash_table_add (commits, r->commit))
        return invalid (error, path, "commit %.12s is listed by another release too",
                        r->commit);
      for (guint j = 0; j < i; j++)
        {
          PlRelease *o = idx->releases->pdata[j];
          if (pl_version_compare (o->version, r->version) == 0)
            return invalid (error, path, "version %s equals that of releases[%u] (%s)",
                            r->version, j, o->version);
        }
    }
  g_ptr_array_sort (idx->releases, compare_releases);
  return TRUE;
}

/* ---- parsing --------------------------------------------------------------------- */

/* JSON-level errors (types, missing fields) become INVALID with the file name. */
static gboolean
json_fail (GError **error, GError *json_error)
{
  g_set_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_INVALID, SRC ": %s",
               json_error->message);
  g_error_free (json_error);
  return FALSE;
}

static gboolean
get_str (json_object *o, const char *path, const char *key, gboolean required, char **out,
         GError **error)
{
  const char *s = NULL;
  GError *local = NULL;
  if (!pl_json_get_string (o, path, key, required, &s, &local))
    return json_fail (error, local);
  if (s == NULL)
    return TRUE;
  json_object *v = json_object_object_get (o, key);
  if ((gsize) json_object_get_string_len (v) != strlen (s))
    {
      g_autofree char *p = pl_json_path_key (path, key);
      return invalid (error, p, "contains a NUL character");
    }
  *out = g_strdup (s);
  return TRUE;
}

static gboolean
get_uint (json_object *o, const char *path, const char *key, gboolean required,
          guint64 *out, GError **error)
{
  gint64 v = 0;
  GError *local = NULL;
  json_object *jv = NULL;
  if (!json_object_object_get_ex (o, key, &jv) || jv == NULL)
    {
      if (!pl_json_get_int64 (o, path, key, required, &v, &local))
        return json_fail (error, local);
      return TRUE;
    }
  if (!pl_json_get_int64 (o, path, key, required, &v, &local))
    return json_fail (error, local);
  if (v < 0)
    {
      g_autofree char *p = pl_json_path_key (path, key);
      return invalid (error, p, "must not be negative");
    }
  *out = json_object_get_uint64 (jv);
  return TRUE;
}

static gboolean
get_time (json_object *o, const char *path, const char *key, gboolean required,
          gint64 *out, GError **error)
{
  g_autofree char *s = NULL;
  if (!get_str (o, path, key, required, &s, error))
    return FALSE;
  if (s == NULL)
    return TRUE;
  if (!pl_index_parse_time (s, out))
    {
      g_autofree char *p = pl_json_path_key (path, key);
      return invalid (error, p, "\"%s\" is not an RFC 3339 UTC time "
                      "(YYYY-MM-DDTHH:MM:SSZ)", s);
    }
  return TRUE;
}

static gboolean
get_bool (json_object *o, const char *path, const char *key, gboolean *out, GError **error)
{
  GError *local = NULL;
  if (!pl_json_get_bool (o, path, key, FALSE, out, &local))
    return json_fail (error, local);
  return TRUE;
}

/* The array KEY (NULL when optional and absent), checked to hold only objects. */
static gboolean
get_objects (json_object *o, const char *path, const char *key, gboolean required,
             json_object **out_arr, GError **error)
{
  GError *local = NULL;
  json_object *arr = NULL;
  if (!pl_json_get_array (o, path, key, required, &arr, &local))
    return json_fail (error, local);
  for (size_t i = 0; arr && i < json_object_array_length (arr); i++)
    {
      json_object *el = json_object_array_get_idx (arr, i);
      if (el == NULL || json_object_get_type (el) != json_type_object)
        {
          g_autofree char *p = pl_json_path_key (path, key);
          g_autofree char *pi = pl_json_path_index (p, i);
          return invalid (error, pi, "expected an object");
        }
    }
  *out_arr = arr;
  return TRUE;
}

static PlRelease *
parse_release (json_object *o, const char *path, GError **error)
{
  g_autoptr(PlRelease) r = pl_release_new (NULL, NULL, 0);
  if (!get_str (o, path, "version", TRUE, &r->version, error)
      || !get_str (o, path, "commit", TRUE, &r->commit, error)
      || !get_time (o, path, "timestamp", TRUE, &r->timestamp, error)
      || !get_bool (o, path, "barrier", &r->barrier, error)
      || !get_str (o, path, "deadend", FALSE, &r->deadend, error))
    return NULL;

  GError *local = NULL;
  json_object *ro = NULL;
  if (!pl_json_get_object (o, path, "rollout", FALSE, &ro, &local))
    return json_fail (error, local), NULL;
  if (ro)
    {
      g_autofree char *rp = pl_json_path_key (path, "rollout");
      r->has_rollout = TRUE;
      if (!get_time (ro, rp, "start", TRUE, &r->rollout.start, error)
          || !get_uint (ro, rp, "duration_minutes", TRUE, &r->rollout.duration_minutes, error))
        return NULL;
      if (!pl_json_get_double (ro, rp, "start_percentage", FALSE,
                               &r->rollout.start_percentage, &local))
        return json_fail (error, local), NULL;
    }

  json_object *arr = NULL;
  if (!get_objects (o, path, "deltas", FALSE, &arr, error))
    return NULL;
  for (size_t i = 0; arr && i < json_object_array_length (arr); i++)
    {
      json_object *d = json_object_array_get_idx (arr, i);
      g_autofree char *dp = g_strdup_printf ("%s.deltas[%zu]", path, i);
      g_autoptr(PlDelta) delta = g_new0 (PlDelta, 1);
      if (!get_str (d, dp, "from", TRUE, &delta->from, error)
          || !get_str (d, dp, "path", TRUE, &delta->path, error)
          || !get_str (d, dp, "sha256", TRUE, &delta->sha256, error)
          || !get_uint (d, dp, "size", TRUE, &delta->size, error))
        return NULL;
      g_ptr_array_add (r->deltas, g_steal_pointer (&delta));
    }
  arr = NULL;
  if (!get_objects (o, path, "sysexts", FALSE, &arr, error))
    return NULL;
  for (size_t i = 0; arr && i < json_object_array_length (arr); i++)
    {
      json_object *s = json_object_array_get_idx (arr, i);
      g_autofree char *sp = g_strdup_printf ("%s.sysexts[%zu]", path, i);
      g_autoptr(PlSysext) sysext = g_new0 (PlSysext, 1);
      if (!get_str (s, sp, "name", TRUE, &sysext->name, error)
          || !get_str (s, sp, "version", TRUE, &sysext->version, error)
          || !get_str (s, sp, "path", TRUE, &sysext->path, error)
          || !get_str (s, sp, "sha256", TRUE, &sysext->sha256, error)
          || !get_uint (s, sp, "size", TRUE, &sysext->size, error))
        return NULL;
      g_ptr_array_add (r->sysexts, g_steal_pointer (&sysext));
    }
  return g_steal_pointer (&r);
}

PlIndex *
pl_index_parse (const char *data, gsize len, GError **error)
{
  GError *local = NULL;
  g_autoptr(json_object) root = pl_json_parse (data, len, SRC, &local);
  if (root == NULL)
    {
      g_set_error_literal (error, PL_INDEX_ERROR, PL_INDEX_ERROR_INVALID, local->message);
      g_error_free (local);
      return NULL;
    }
  if (json_object_get_type (root) != json_type_object)
    return g_set_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_INVALID,
                        SRC ": expected a JSON object at the top level"), NULL;

  g_autoptr(PlIndex) idx = pl_index_new (NULL, NULL, 0, 0, 0);
  /* Schema first: a newer schema may change any other field, so its other errors
   * would only mislead. */
  guint64 schema = 0;
  if (!get_uint (root, "", "schema", TRUE, &schema, error))
    return NULL;
  idx->schema = (guint) MIN (schema, (guint64) G_MAXUINT);
  if (!check_schema (idx, error))
    return NULL;

  if (!get_str (root, "", "stream", TRUE, &idx->stream, error)
      || !get_str (root, "", "arch", TRUE, &idx->arch, error)
      || !get_uint (root, "", "serial", TRUE, &idx->serial, error)
      || !get_time (root, "", "generated", TRUE, &idx->generated, error)
      || !get_time (root, "", "expires", TRUE, &idx->expires, error))
    return NULL;

  json_object *arr = NULL;
  if (!get_objects (root, "", "releases", TRUE, &arr, error))
    return NULL;
  for (size_t i = 0; i < json_object_array_length (arr); i++)
    {
      g_autofree char *path = g_strdup_printf ("releases[%zu]", i);
      PlRelease *r = parse_release (json_object_array_get_idx (arr, i), path, error);
      if (r == NULL)
        return NULL;
      g_ptr_array_add (idx->releases, r);
    }
  if (!pl_index_validate (idx, error))
    return NULL;
  return g_steal_pointer (&idx);
}

/* ---- writing --------------------------------------------------------------------- */

static void
add_str (json_object *o, const char *key, const char *value)
{
  json_object_object_add (o, key, json_object_new_string (value ? value : ""));
}

static void
add_time (json_object *o, const char *key, gint64 t)
{
  g_autofree char *s = pl_index_format_time (t);
  add_str (o, key, s);
}

static void
add_uint (json_object *o, const char *key, guint64 v)
{
  json_object_object_add (o, key, json_object_new_uint64 (v));
}

char *
pl_index_to_json (PlIndex *idx)
{
  /* borrowed pointers: g_ptr_array_copy() would carry the free function over */
  g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new (idx->releases->len);
  for (guint i = 0; i < idx->releases->len; i++)
    g_ptr_array_add (sorted, idx->releases->pdata[i]);
  g_ptr_array_sort (sorted, compare_releases);

  g_autoptr(json_object) root = json_object_new_object ();
  json_object_object_add (root, "schema", json_object_new_int64 (idx->schema));
  add_str (root, "stream", idx->stream);
  add_str (root, "arch", idx->arch);
  add_uint (root, "serial", idx->serial);
  add_time (root, "generated", idx->generated);
  add_time (root, "expires", idx->expires);
  json_object *rels = json_object_new_array ();
  json_object_object_add (root, "releases", rels);
  for (guint i = 0; i < sorted->len; i++)
    {
      PlRelease *r = sorted->pdata[i];
      json_object *ro = json_object_new_object ();
      json_object_array_add (rels, ro);
      add_str (ro, "version", r->version);
      add_str (ro, "commit", r->commit);
      add_time (ro, "timestamp", r->timestamp);
      if (r->has_rollout)
        {
          json_object *rl = json_object_new_object ();
          json_object_object_add (ro, "rollout", rl);
          add_time (rl, "start", r->rollout.start);
          add_uint (rl, "duration_minutes", r->rollout.duration_minutes);
          double p = r->rollout.start_percentage;
          /* Whole percentages are written as integers, the usual case. */
          if (p == floor (p) && fabs (p) <= 100)
            json_object_object_add (rl, "start_percentage", json_object_new_int64 ((gint64) p));
          else
            json_object_object_add (rl, "start_percentage", json_object_new_double (p));
        }
      json_object_object_add (ro, "barrier", json_object_new_boolean (r->barrier));
      if (r->deadend)
        add_str (ro, "deadend", r->deadend);
      json_object *da = json_object_new_array ();
      json_object_object_add (ro, "deltas", da);
      for (guint j = 0; j < r->deltas->len; j++)
        {
          PlDelta *d = r->deltas->pdata[j];
          json_object *dobj = json_object_new_object ();
          json_object_array_add (da, dobj);
          add_str (dobj, "from", d->from);
          add_str (dobj, "path", d->path);
          add_str (dobj, "sha256", d->sha256);
          add_uint (dobj, "size", d->size);
        }
      json_object *sa = json_object_new_array ();
      json_object_object_add (ro, "sysexts", sa);
      for (guint j = 0; j < r->sysexts->len; j++)
        {
          PlSysext *s = r->sysexts->pdata[j];
          json_object *sobj = json_object_new_object ();
          json_object_array_add (sa, sobj);
          add_str (sobj, "name", s->name);
          add_str (sobj, "version", s->version);
          add_str (sobj, "path", s->path);
          add_str (sobj, "sha256", s->sha256);
          add_uint (sobj, "size", s->size);
        }
    }
  return pl_json_to_string_pretty (root);
}

/* ---- lookups --------------------------------------------------------------------- */

PlRelease *
pl_index_find_release (PlIndex *idx, const char *version)
{
  g_return_val_if_fail (idx != NULL && version != NULL, NULL);
  for (guint i = 0; i < idx->releases->len; i++)
    {
      PlRelease *r = idx->releases->pdata[i];
      if (g_strcmp0 (r->version, version) == 0)
        return r;
    }
  return NULL;
}

PlRelease *
pl_index_find_by_commit (PlIndex *idx, const char *commit)
{
  g_return_val_if_fail (idx != NULL && commit != NULL, NULL);
  for (guint i = 0; i < idx->releases->len; i++)
    {
      PlRelease *r = idx->releases->pdata[i];
      if (g_strcmp0 (r->commit, commit) == 0)
        return r;
    }
  return NULL;
}

PlDelta *
pl_index_find_delta (PlRelease *release, const char *from_commit)
{
  g_return_val_if_fail (release != NULL && from_commit != NULL, NULL);
  for (guint i = 0; i < release->deltas->len; i++)
    {
      PlDelta *d = release->deltas->pdata[i];
      if (g_strcmp0 (d->from, from_commit) == 0)
        return d;
    }
  return NULL;
}

PlRelease *
pl_index_newest (PlIndex *idx)
{
  PlRelease *best = NULL;
  for (guint i = 0; i < idx->releases->len; i++)
    {
      PlRelease *r = idx->releases->pdata[i];
      if (best == NULL || pl_version_compare (r->version, best->version) > 0)
        best = r;
    }
  return best;
}

/* ---- acceptance ------------------------------------------------------------------ */

gboolean
pl_index_check (PlIndex *idx, const PlIndexCheck *ctx, GError **error)
{
  if (!check_schema (idx, error))
    return FALSE;
  if (ctx->stream && g_strcmp0 (idx->stream, ctx->stream) != 0)
    return g_set_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_WRONG_STREAM,
                        SRC ": stream is \"%s\" but this node follows \"%s\"", idx->stream,
                        ctx->stream), FALSE;
  if (ctx->arch && g_strcmp0 (idx->arch, ctx->arch) != 0)
    return g_set_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_WRONG_ARCH,
                        SRC ": arch is \"%s\" but this node is \"%s\"", idx->arch,
                        ctx->arch), FALSE;
  if (idx->serial < ctx->last_serial)
    return g_set_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_SERIAL_ROLLBACK,
                        SRC ": serial %" G_GUINT64_FORMAT " is lower than the last accepted "
                        "serial %" G_GUINT64_FORMAT " (rollback attack?)", idx->serial,
                        ctx->last_serial), FALSE;
  if (ctx->now >= idx->expires)
    {
      g_autofree char *exp = pl_index_format_time (idx->expires);
      g_autofree char *now = pl_index_format_time (ctx->now);
      return g_set_error (error, PL_INDEX_ERROR, PL_INDEX_ERROR_EXPIRED,
                          SRC ": expired at %s (now %s; freeze attack or a stalled "
                          "publisher?)", exp, now), FALSE;
    }
  return TRUE;
}
