/* The agent's persistent state (var/lib/plinth/state.json): strict reader, atomic
 * writer, and the small mutations the agent and plinthctl make. */
#include "updater/state.h"

#include "lib/fsutil.h"
#include "lib/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>

G_DEFINE_QUARK (pl-state-error-quark, pl_state_error)

static const char *const kind_names[] = { "update", "deploy", "rollback", "failed", "reset" };

const char *
pl_history_kind_to_string (PlHistoryKind kind)
{
  if (kind < 0 || (gsize) kind >= G_N_ELEMENTS (kind_names))
    return "invalid";
  return kind_names[kind];
}

PlHistoryKind
pl_history_kind_from_string (const char *s)
{
  for (gsize i = 0; s && i < G_N_ELEMENTS (kind_names); i++)
    if (g_str_equal (s, kind_names[i]))
      return (PlHistoryKind) i;
  return PL_HISTORY_KIND_INVALID;
}

static void
failed_free (PlFailedRelease *f)
{
  g_free (f->version);
  g_free (f->commit);
  g_free (f->reason);
  g_free (f);
}

static void
history_free (PlHistoryEntry *h)
{
  g_free (h->from_version);
  g_free (h->from_commit);
  g_free (h->to_version);
  g_free (h->to_commit);
  g_free (h->detail);
  g_free (h);
}

PlState *
pl_state_new (void)
{
  PlState *s = g_new0 (PlState, 1);
  s->last_index_serial = -1;
  s->failed = g_ptr_array_new_with_free_func ((GDestroyNotify) failed_free);
  s->history = g_ptr_array_new_with_free_func ((GDestroyNotify) history_free);
  return s;
}

void
pl_state_free (PlState *s)
{
  if (!s)
    return;
  g_free (s->last_check_result);
  g_free (s->staged_version);
  g_free (s->staged_commit);
  g_ptr_array_unref (s->failed);
  g_ptr_array_unref (s->history);
  g_free (s);
}

static gboolean
value_error (GError **error, const char *path, const char *key, const char *what)
{
  g_autofree char *p = pl_json_path_key (path, key);
  return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_VALUE, "%s: %s", p, what), FALSE;
}

/* An optional string, copied. */
static gboolean
get_str (json_object *o, const char *path, const char *key, gboolean required, char **out,
         GError **error)
{
  const char *s = NULL;
  if (!pl_json_get_string (o, path, key, required, &s, error))
    return FALSE;
  *out = g_strdup (s);
  return TRUE;
}

static gboolean
get_commit (json_object *o, const char *path, const char *key, gboolean required, char **out,
            GError **error)
{
  g_autofree char *c = NULL;
  if (!get_str (o, path, key, required, &c, error))
    return FALSE;
  if (c && !pl_sha256_hex_valid (c))
    return value_error (error, path, key, "expected a commit checksum (64 lower-case hex)");
  *out = g_steal_pointer (&c);
  return TRUE;
}

static gboolean
get_time (json_object *o, const char *path, const char *key, gboolean required, gint64 *out,
          GError **error)
{
  if (!pl_json_get_int64 (o, path, key, required, out, error))
    return FALSE;
  if (*out < 0)
    return value_error (error, path, key, "a time (Unix seconds) cannot be negative");
  return TRUE;
}

static gboolean
parse_failed (json_object *arr, PlState *s, GError **error)
{
  for (gsize i = 0; i < json_object_array_length (arr); i++)
    {
      g_autofree char *p = pl_json_path_index ("failed", i);
      json_object *o = json_object_array_get_idx (arr, i);
      if (!json_object_is_type (o, json_type_object))
        return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_TYPE,
                            "%s: expected an object", p), FALSE;
      PlFailedRelease *f = g_new0 (PlFailedRelease, 1);
      g_ptr_array_add (s->failed, f);
      if (!get_str (o, p, "version", FALSE, &f->version, error)
          || !get_commit (o, p, "commit", TRUE, &f->commit, error)
          || !get_str (o, p, "reason", TRUE, &f->reason, error)
          || !get_time (o, p, "time", TRUE, &f->time, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_history (json_object *arr, PlState *s, GError **error)
{
  for (gsize i = 0; i < json_object_array_length (arr); i++)
    {
      g_autofree char *p = pl_json_path_index ("history", i);
      json_object *o = json_object_array_get_idx (arr, i);
      if (!json_object_is_type (o, json_type_object))
        return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_TYPE,
                            "%s: expected an object", p), FALSE;
      PlHistoryEntry *h = g_new0 (PlHistoryEntry, 1);
      g_ptr_array_add (s->history, h);
      const char *kind = NULL;
      if (!pl_json_get_string (o, p, "kind", TRUE, &kind, error))
        return FALSE;
      h->kind = pl_history_kind_from_string (kind);
      if (h->kind == PL_HISTORY_KIND_INVALID)
        return value_error (error, p, "kind", "unknown kind (expected update, deploy, "
                                              "rollback, failed or reset)");
      if (!get_time (o, p, "time", TRUE, &h->time, error)
          || !get_str (o, p, "from_version", FALSE, &h->from_version, error)
          || !get_commit (o, p, "from_commit", FALSE, &h->from_commit, error)
          || !get_str (o, p, "to_version", FALSE, &h->to_version, error)
          || !get_commit (o, p, "to_commit", FALSE, &h->to_commit, error)
          || !get_str (o, p, "detail", FALSE, &h->detail, error))
        return FALSE;
    }
  /* an older writer may have kept more; the bound holds from here on */
  if (s->history->len > PL_STATE_HISTORY_MAX)
    g_ptr_array_set_size (s->history, PL_STATE_HISTORY_MAX);
  return TRUE;
}

static gboolean
parse_doc (json_object *root, PlState *s, GError **error)
{
  if (!json_object_is_type (root, json_type_object))
    return g_set_error (error, PL_JSON_ERROR, PL_JSON_ERROR_TYPE,
                        "expected a JSON object at the top level"), FALSE;
  gint64 schema = 0;
  if (!pl_json_get_int64 (root, "", "schema", TRUE, &schema, error))
    return FALSE;
  if (schema < 1)
    return value_error (error, "", "schema", "must be 1 or more");
  if (schema > PL_STATE_SCHEMA)
    return g_set_error (error, PL_STATE_ERROR, PL_STATE_ERROR_UNSUPPORTED,
                        "schema %" G_GINT64_FORMAT " is newer than this agent reads (%d)",
                        schema, PL_STATE_SCHEMA), FALSE;
  if (!pl_json_get_int64 (root, "", "last_index_serial", FALSE, &s->last_index_serial, error))
    return FALSE;
  if (s->last_index_serial < -1)
    return value_error (error, "", "last_index_serial", "must be -1 (none) or more");
  json_object *check = NULL, *staged = NULL, *failed = NULL, *history = NULL;
  if (!pl_json_get_object (root, "", "last_check", FALSE, &check, error)
      || !pl_json_get_object (root, "", "staged", FALSE, &staged, error)
      || !pl_json_get_array (root, "", "failed", FALSE, &failed, error)
      || !pl_json_get_array (root, "", "history", FALSE, &history, error))
    return FALSE;
  if (check && (!get_time (check, "last_check", "time", TRUE, &s->last_check_time, error)
                || !get_str (check, "last_check", "result", TRUE, &s->last_check_result,
                             error)))
    return FALSE;
  if (staged && (!get_str (staged, "staged", "version", FALSE, &s->staged_version, error)
                 || !get_commit (staged, "staged", "commit", TRUE, &s->staged_commit, error)
                 || !get_time (staged, "staged", "time", TRUE, &s->staged_time, error)))
    return FALSE;
  if (failed && !parse_failed (failed, s, error))
    return FALSE;
  if (history && !parse_history (history, s, error))
    return FALSE;
  return TRUE;
}

PlState *
pl_state_parse (const char *data, gsize len, const char *source, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(PlState) s = pl_state_new ();
  g_autoptr(json_object) root = pl_json_parse (data, len, source, &local_error);
  if (root && parse_doc (root, s, &local_error))
    return g_steal_pointer (&s);
  /* one domain for the caller: a bad document is CORRUPT, whatever the parser said */
  int code = local_error->domain == PL_STATE_ERROR ? local_error->code
                                                    : PL_STATE_ERROR_CORRUPT;
  if (root)
    g_set_error (error, PL_STATE_ERROR, code, "%s: %s", source, local_error->message);
  else
    g_set_error_literal (error, PL_STATE_ERROR, code, local_error->message);
  return NULL;
}

static void
add_str (json_object *o, const char *key, const char *val)
{
  if (val)
    json_object_object_add (o, key, json_object_new_string (val));
}

char *
pl_state_to_json (PlState *s)
{
  g_autoptr(json_object) root = json_object_new_object ();
  json_object_object_add (root, "schema", json_object_new_int (PL_STATE_SCHEMA));
  json_object_object_add (root, "last_index_serial",
                          json_object_new_int64 (s->last_index_serial));
  if (s->last_check_result)
    {
      json_object *c = json_object_new_object ();
      json_object_object_add (c, "time", json_object_new_int64 (s->last_check_time));
      add_str (c, "result", s->last_check_result);
      json_object_object_add (root, "last_check", c);
    }
  if (s->staged_commit)
    {
      json_object *st = json_object_new_object ();
      add_str (st, "version", s->staged_version);
      add_str (st, "commit", s->staged_commit);
      json_object_object_add (st, "time", json_object_new_int64 (s->staged_time));
      json_object_object_add (root, "staged", st);
    }
  json_object *failed = json_object_new_array ();
  for (guint i = 0; i < s->failed->len; i++)
    {
      PlFailedRelease *f = s->failed->pdata[i];
      json_object *o = json_object_new_object ();
      add_str (o, "version", f->version);
      add_str (o, "commit", f->commit);
      add_str (o, "reason", f->reason);
      json_object_object_add (o, "time", json_object_new_int64 (f->time));
      json_object_array_add (failed, o);
    }
  json_object_object_add (root, "failed", failed);
  json_object *history = json_object_new_array ();
  for (guint i = 0; i < s->history->len; i++)
    {
      PlHistoryEntry *h = s->history->pdata[i];
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "time", json_object_new_int64 (h->time));
      add_str (o, "kind", pl_history_kind_to_string (h->kind));
      add_str (o, "from_version", h->from_version);
      add_str (o, "from_commit", h->from_commit);
      add_str (o, "to_version", h->to_version);
      add_str (o, "to_commit", h->to_commit);
      add_str (o, "detail", h->detail);
      json_object_array_add (history, o);
    }
  json_object_object_add (root, "history", history);
  return pl_json_to_string_pretty (root);
}

PlState *
pl_state_load_at (int root_dfd, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local_error = NULL;
  if (!pl_file_read_at (root_dfd, PL_STATE_FILE, PL_STATE_MAX_SIZE, &data, &len,
                        &local_error))
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return pl_state_new ();
      /* the history is bounded, so an oversized file is damage, not growth */
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_MESSAGE_TOO_LARGE))
        return g_set_error (error, PL_STATE_ERROR, PL_STATE_ERROR_CORRUPT, "%s",
                            local_error->message), NULL;
      g_set_error (error, PL_STATE_ERROR, PL_STATE_ERROR_IO, "Reading state: %s",
                   local_error->message);
      return NULL;
    }
  return pl_state_parse (data, len, "/" PL_STATE_FILE, error);
}

gboolean
pl_state_save_at (PlState *s, int root_dfd, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *json = pl_state_to_json (s);
  if (!pl_mkdir_p_at (root_dfd, PL_STATE_DIR, 0755, &local_error)
      || !pl_file_replace_at (root_dfd, PL_STATE_FILE, json, strlen (json), 0644,
                              &local_error))
    return g_set_error (error, PL_STATE_ERROR, PL_STATE_ERROR_IO, "Saving state: %s",
                        local_error->message), FALSE;
  return TRUE;
}

PlState *
pl_state_recover_at (int root_dfd, gint64 now, char **out_recovered, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  PlState *s = pl_state_load_at (root_dfd, &local_error);
  if (s)
    {
      if (out_recovered)
        *out_recovered = NULL;
      return s;
    }
  if (local_error->code == PL_STATE_ERROR_IO)
    return g_propagate_error (error, g_steal_pointer (&local_error)), NULL;
  /* keep the evidence for a post-mortem; one .bad is enough (the newest) */
  if (renameat (root_dfd, PL_STATE_FILE, root_dfd, PL_STATE_FILE ".bad") < 0)
    {
      g_set_error (error, PL_STATE_ERROR, PL_STATE_ERROR_IO,
                   "Setting the corrupt state file aside as /%s.bad: %s (it was: %s)",
                   PL_STATE_FILE, g_strerror (errno), local_error->message);
      return NULL;
    }
  s = pl_state_new ();
  g_autofree char *detail = g_strdup_printf ("corrupt state set aside as /%s.bad: %s",
                                             PL_STATE_FILE, local_error->message);
  pl_state_add_history (s, now, PL_HISTORY_KIND_RESET, NULL, NULL, NULL, NULL, detail);
  if (out_recovered)
    *out_recovered = g_strdup (local_error->message);
  return s;
}

void
pl_state_add_history (PlState *s, gint64 time, PlHistoryKind kind, const char *from_version,
                      const char *from_commit, const char *to_version, const char *to_commit,
                      const char *detail)
{
  PlHistoryEntry *h = g_new0 (PlHistoryEntry, 1);
  h->time = time;
  h->kind = kind;
  h->from_version = g_strdup (from_version);
  h->from_commit = g_strdup (from_commit);
  h->to_version = g_strdup (to_version);
  h->to_commit = g_strdup (to_commit);
  h->detail = g_strdup (detail);
  g_ptr_array_insert (s->history, 0, h);
  if (s->history->len > PL_STATE_HISTORY_MAX)
    g_ptr_array_set_size (s->history, PL_STATE_HISTORY_MAX);
}

void
pl_state_add_failed (PlState *s, const char *version, const char *commit, const char *reason,
                     gint64 time)
{
  for (guint i = 0; i < s->failed->len; i++)
    if (g_str_equal (((PlFailedRelease *) s->failed->pdata[i])->commit, commit))
      {
        g_ptr_array_remove_index (s->failed, i);
        break;
      }
  PlFailedRelease *f = g_new0 (PlFailedRelease, 1);
  f->version = g_strdup (version);
  f->commit = g_strdup (commit);
  f->reason = g_strdup (reason);
  f->time = time;
  g_ptr_array_add (s->failed, f);
  pl_state_add_history (s, time, PL_HISTORY_KIND_FAILED, NULL, NULL, version, commit, reason);
}

gboolean
pl_state_is_failed (PlState *s, const char *commit)
{
  for (guint i = 0; i < s->failed->len; i++)
    if (g_str_equal (((PlFailedRelease *) s->failed->pdata[i])->commit, commit))
      return TRUE;
  return FALSE;
}

GHashTable *
pl_state_failed_versions (PlState *s)
{
  GHashTable *set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < s->failed->len; i++)
    {
      PlFailedRelease *f = s->failed->pdata[i];
      if (f->version)
        g_hash_table_add (set, g_strdup (f->version));
    }
  return set;
}

void
pl_state_set_staged (PlState *s, const char *version, const char *commit, gint64 time)
{
  g_clear_pointer (&s->staged_version, g_free);
  g_clear_pointer (&s->staged_commit, g_free);
  s->staged_time = 0;
  if (!commit)
    return;
  s->staged_version = g_strdup (version);
  s->staged_commit = g_strdup (commit);
  s->staged_time = time;
}

void
pl_state_set_last_check (PlState *s, gint64 time, const char *result)
{
  g_free (s->last_check_result);
  s->last_check_result = g_strdup (result);
  s->last_check_time = time;
}
