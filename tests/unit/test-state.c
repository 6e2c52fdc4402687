/* Tests for updater/state.c (round trip, strict loading with path-naming errors,
 * tolerance of unknown keys, bounded history, recovery of a corrupt file) and
 * updater/status.c (JSON and Prometheus output, atomic publication). */
#include "updater/state.h"
#include "updater/status.h"
#include "lib/fsutil.h"
#include "lib/json.h"

#include <fcntl.h>
#include <glib/gstdio.h>

#define C1 "1111111111111111111111111111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222222222222222222222222222"

typedef struct {
  char *dir;
  int dfd;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp ("plinth-state-XXXXXX", &error);
  g_assert_no_error (error);
  f->dfd = open (f->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_cmpint (f->dfd, >=, 0);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_rm_rf_at (AT_FDCWD, f->dir, NULL, &error));
  close (f->dfd);
  g_free (f->dir);
}

static void
write_state (Fixture *f, const char *text)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_mkdir_p_at (f->dfd, PL_STATE_DIR, 0755, &error));
  g_assert_true (pl_file_replace_at (f->dfd, PL_STATE_FILE, text, strlen (text), 0644, &error));
  g_assert_no_error (error);
}

static char *
read_rel (Fixture *f, const char *path)
{
  g_autoptr(GError) error = NULL;
  char *data = NULL;
  gsize len = 0;
  g_assert_true (pl_file_read_at (f->dfd, path, 0, &data, &len, &error));
  g_assert_no_error (error);
  return data;
}

static void
test_missing_is_fresh (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlState) s = pl_state_load_at (f->dfd, &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->last_index_serial, ==, -1);
  g_assert_cmpuint (s->failed->len, ==, 0);
  g_assert_cmpuint (s->history->len, ==, 0);
  g_assert_null (s->staged_commit);
}

static void
test_round_trip (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlState) s = pl_state_new ();
  s->last_index_serial = 42;
  pl_state_set_last_check (s, 1700000000, "up to date");
  pl_state_set_staged (s, "2.0", C2, 1700000100);
  pl_state_add_history (s, 1700000100, PL_HISTORY_KIND_UPDATE, "1.0", C1, "2.0", C2, NULL);
  pl_state_add_failed (s, "2.0", C2, "did not reach health", 1700000200);
  pl_state_add_history (s, 1700000300, PL_HISTORY_KIND_ROLLBACK, "2.0", C2, "1.0", C1,
                        "by admin");
  g_assert_true (pl_state_save_at (s, f->dfd, &error));
  g_assert_no_error (error);

  g_autoptr(PlState) t = pl_state_load_at (f->dfd, &error);
  g_assert_no_error (error);
  g_assert_cmpint (t->last_index_serial, ==, 42);
  g_assert_cmpint (t->last_check_time, ==, 1700000000);
  g_assert_cmpstr (t->last_check_result, ==, "up to date");
  g_assert_cmpstr (t->staged_version, ==, "2.0");
  g_assert_cmpstr (t->staged_commit, ==, C2);
  g_assert_cmpint (t->staged_time, ==, 1700000100);
  g_assert_cmpuint (t->failed->len, ==, 1);
  PlFailedRelease *fr = t->failed->pdata[0];
  g_assert_cmpstr (fr->version, ==, "2.0");
  g_assert_cmpstr (fr->commit, ==, C2);
  g_assert_cmpstr (fr->reason, ==, "did not reach health");
  g_assert_cmpint (fr->time, ==, 1700000200);
  /* newest first: rollback, failed, update */
  g_assert_cmpuint (t->history->len, ==, 3);
  PlHistoryEntry *h0 = t->history->pdata[0], *h1 = t->history->pdata[1],
                 *h2 = t->history->pdata[2];
  g_assert_cmpint (h0->kind, ==, PL_HISTORY_KIND_ROLLBACK);
  g_assert_cmpstr (h0->from_commit, ==, C2);
  g_assert_cmpstr (h0->to_version, ==, "1.0");
  g_assert_cmpstr (h0->detail, ==, "by admin");
  g_assert_cmpint (h1->kind, ==, PL_HISTORY_KIND_FAILED);
  g_assert_cmpint (h2->kind, ==, PL_HISTORY_KIND_UPDATE);
  g_assert_null (h2->detail);
  g_assert_true (pl_state_is_failed (t, C2));
  g_assert_false (pl_state_is_failed (t, C1));
  g_autoptr(GHashTable) fv = pl_state_failed_versions (t);
  g_assert_true (g_hash_table_contains (fv, "2.0"));
  g_assert_cmpuint (g_hash_table_size (fv), ==, 1);

  /* the serialization is stable: saving what was loaded gives the same bytes */
  g_autofree char *a = pl_state_to_json (s);
  g_autofree char *b = pl_state_to_json (t);
  g_assert_cmpstr (a, ==, b);
  g_autofree char *on_disk = read_rel (f, PL_STATE_FILE);
  g_assert_cmpstr (on_disk, ==, a);
}

static void
test_failed_replaces_same_commit (void)
{
  g_autoptr(PlState) s = pl_state_new ();
  pl_state_add_failed (s, "2.0", C2, "first", 10);
  pl_state_add_failed (s, "2.0", C2, "second", 20);
  g_assert_cmpuint (s->failed->len, ==, 1);
  g_assert_cmpstr (((PlFailedRelease *) s->failed->pdata[0])->reason, ==, "second");
  g_assert_cmpuint (s->history->len, ==, 2);
  pl_state_set_staged (s, "2.0", C2, 5);
  pl_state_set_staged (s, NULL, NULL, 0);
  g_assert_null (s->staged_commit);
  g_assert_null (s->staged_version);
}

static void
test_history_bounded (void)
{
  g_autoptr(PlState) s = pl_state_new ();
  for (int i = 0; i < PL_STATE_HISTORY_MAX + 10; i++)
    pl_state_add_history (s, i, PL_HISTORY_KIND_ROLLBACK, NULL, C1, NULL, C2, NULL);
  g_assert_cmpuint (s->history->len, ==, PL_STATE_HISTORY_MAX);
  g_assert_cmpint (((PlHistoryEntry *) s->history->pdata[0])->time, ==,
                   PL_STATE_HISTORY_MAX + 9);
  g_assert_cmpint (((PlHistoryEntry *) s->history->pdata[PL_STATE_HISTORY_MAX - 1])->time,
                   ==, 10);

  /* a file holding more (an older writer) is cut to the bound on load */
  GString *doc = g_string_new ("{\"schema\":1,\"history\":[");
  for (int i = 0; i < PL_STATE_HISTORY_MAX + 5; i++)
    g_string_append_printf (doc, "%s{\"time\":%d,\"kind\":\"update\"}", i ? "," : "", i);
  g_string_append (doc, "]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(PlState) t = pl_state_parse (doc->str, doc->len, "t", &error);
  g_string_free (doc, TRUE);
  g_assert_no_error (error);
  g_assert_cmpuint (t->history->len, ==, PL_STATE_HISTORY_MAX);
}

static void
test_unknown_keys_ignored (void)
{
  /* a newer agent (before a rollback) may have written fields this one does not know */
  const char *doc = "{\"schema\":1,\"last_index_serial\":7,\"future\":{\"x\":1},"
                    "\"failed\":[{\"commit\":\"" C1 "\",\"reason\":\"r\",\"time\":3,"
                    "\"extra\":true}]}";
  g_autoptr(GError) error = NULL;
  g_autoptr(PlState) s = pl_state_parse (doc, strlen (doc), "t", &error);
  g_assert_no_error (error);
  g_assert_cmpint (s->last_index_serial, ==, 7);
  g_assert_cmpuint (s->failed->len, ==, 1);
  g_assert_null (((PlFailedRelease *) s->failed->pdata[0])->version);
}

static void
test_strict_errors (void)
{
  struct {
    const char *doc;
    int code;
    const char *message;
  } cases[] = {
    { "not json", PL_STATE_ERROR_CORRUPT, "s.json: not valid JSON" },
    { "[]", PL_STATE_ERROR_CORRUPT, "s.json: expected a JSON object at the top level" },
    { "{}", PL_STATE_ERROR_CORRUPT, "s.json: schema: required field is missing" },
    { "{\"schema\":0}", PL_STATE_ERROR_CORRUPT, "s.json: schema: must be 1 or more" },
    { "{\"schema\":2}", PL_STATE_ERROR_UNSUPPORTED,
      "s.json: schema 2 is newer than this agent reads (1)" },
    { "{\"schema\":1,\"last_index_serial\":\"3\"}", PL_STATE_ERROR_CORRUPT,
      "s.json: last_index_serial: expected an integer, got a string" },
    { "{\"schema\":1,\"last_index_serial\":-5}", PL_STATE_ERROR_CORRUPT,
      "s.json: last_index_serial: must be -1 (none) or more" },
    { "{\"schema\":1,\"history\":[{\"kind\":\"rollback\",\"time\":\"x\"}]}",
      PL_STATE_ERROR_CORRUPT, "s.json: history[0].time: expected an integer, got a string" },
    { "{\"schema\":1,\"history\":[{\"kind\":\"explode\",\"time\":1}]}",
      PL_STATE_ERROR_CORRUPT, "s.json: history[0].kind: unknown kind" },
    { "{\"schema\":1,\"history\":[{\"kind\":\"update\",\"time\":-1}]}",
      PL_STATE_ERROR_CORRUPT, "s.json: history[0].time: a time (Unix seconds) cannot be negative" },
    { "{\"schema\":1,\"history\":[7]}", PL_STATE_ERROR_CORRUPT,
      "s.json: history[0]: expected an object" },
    { "{\"schema\":1,\"failed\":[{\"commit\":\"abc\",\"reason\":\"r\",\"time\":1}]}",
      PL_STATE_ERROR_CORRUPT, "s.json: failed[0].commit: expected a commit checksum" },
    { "{\"schema\":1,\"failed\":[{\"commit\":\"" C1 "\",\"time\":1}]}",
      PL_STATE_ERROR_CORRUPT, "s.json: failed[0].reason: required field is missing" },
    { "{\"schema\":1,\"staged\":{\"version\":\"2\",\"time\":1}}", PL_STATE_ERROR_CORRUPT,
      "s.json: staged.commit: required field is missing" },
    { "{\"schema\":1,\"last_check\":{\"time\":1}}", PL_STATE_ERROR_CORRUPT,
      "s.json: last_check.result: required field is missing" },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(PlState) s = pl_state_parse (cases[i].doc, strlen (cases[i].doc), "s.json",
                                             &error);
      g_assert_null (s);
      g_assert_error (error, PL_STATE_ERROR, cases[i].code);
      if (!g_str_has_prefix (error->message, cases[i].message))
        g_error ("case %zu: message \"%s\" does not start with \"%s\"", i, error->message,
                 cases[i].message);
    }
}

static void
test_load_corrupt_leaves_file (Fixture *f, gconstpointer data)
{
  write_state (f, "{\"schema\":1,");
  g_autoptr(GError) error = NULL;
  g_autoptr(PlState) s = pl_state_load_at (f->dfd, &error);
  g_assert_null (s);
  g_assert_error (error, PL_STATE_ERROR, PL_STATE_ERROR_CORRUPT);
  g_assert_true (g_str_has_prefix (error->message, "/" PL_STATE_FILE ": not valid JSON"));
  g_autofree char *still = read_rel (f, PL_STATE_FILE);
  g_assert_cmpstr (still, ==, "{\"schema\":1,");
}

static void
test_recover (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *why = NULL;

  /* a good file: loaded as is, nothing recovered */
  write_state (f, "{\"schema\":1,\"last_index_serial\":9}");
  g_autoptr(PlState) ok = pl_state_recover_at (f->dfd, 100, &why, &error);
  g_assert_no_error (error);
  g_assert_null (why);
  g_assert_cmpint (ok->last_index_serial, ==, 9);

  /* a corrupt one: set aside as .bad, fresh state with a reset entry */
  write_state (f, "garbage");
  g_autoptr(PlState) s = pl_state_recover_at (f->dfd, 100, &why, &error);
  g_assert_no_error (error);
  g_assert_nonnull (why);
  g_assert_true (strstr (why, "not valid JSON") != NULL);
  g_assert_cmpint (s->last_index_serial, ==, -1);
  g_assert_cmpuint (s->history->len, ==, 1);
  PlHistoryEntry *h = s->history->pdata[0];
  g_assert_cmpint (h->kind, ==, PL_HISTORY_KIND_RESET);
  g_assert_cmpint (h->time, ==, 100);
  g_assert_true (strstr (h->detail, "state.json.bad") != NULL);
  g_autofree char *bad = read_rel (f, PL_STATE_FILE ".bad");
  g_assert_cmpstr (bad, ==, "garbage");
  g_assert_cmpint (faccessat (f->dfd, PL_STATE_FILE, F_OK, 0), <, 0);

  /* saving the fresh state makes the next load clean */
  g_assert_true (pl_state_save_at (s, f->dfd, &error));
  g_autoptr(PlState) t = pl_state_load_at (f->dfd, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (t->history->len, ==, 1);
}

static void
test_oversized_is_corrupt (Fixture *f, gconstpointer data)
{
  g_autofree char *big = g_strnfill (PL_STATE_MAX_SIZE + 10, ' ');
  write_state (f, big);
  g_autoptr(GError) error = NULL;
  g_autoptr(PlState) s = pl_state_load_at (f->dfd, &error);
  g_assert_null (s);
  g_assert_error (error, PL_STATE_ERROR, PL_STATE_ERROR_CORRUPT);
}

static void
test_kind_strings (void)
{
  for (int k = PL_HISTORY_KIND_UPDATE; k <= PL_HISTORY_KIND_RESET; k++)
    g_assert_cmpint (pl_history_kind_from_string (pl_history_kind_to_string (k)), ==, k);
  g_assert_cmpint (pl_history_kind_from_string ("nope"), ==, PL_HISTORY_KIND_INVALID);
  g_assert_cmpint (pl_history_kind_from_string (NULL), ==, PL_HISTORY_KIND_INVALID);
}

static PlDeployment *
make_deployment (const char *version, const char *commit, guint index)
{
  PlDeployment *d = g_new0 (PlDeployment, 1);
  d->osname = g_strdup ("plinth");
  d->version = g_strdup (version);
  d->commit = g_strdup (commit);
  d->index = index;
  d->kargs = g_strdup ("");
  d->is_default = index == 0;
  return d;
}

static void
test_status_outputs (Fixture *f, gconstpointer data)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_deployment_free);
  PlDeployment *a = make_deployment ("2.0", C2, 0);
  PlDeployment *b = make_deployment ("1.\"0\"", C1, 1);  /* a quote to escape */
  a->booted = TRUE;
  b->rollback = TRUE;
  g_ptr_array_add (list, a);
  g_ptr_array_add (list, b);
  g_autoptr(PlState) s = pl_state_new ();
  pl_state_set_last_check (s, 1700000000, "up to date");
  pl_state_add_failed (s, "3.0", C1, "boot failed", 1700000001);
  PlStatus st = { .osname = "plinth", .sysroot = "/", .sysroot_booted = TRUE,
                  .deployments = list, .state = s, .policy_kind = "up-to-date",
                  .policy_reason = "nothing newer", .now = 1700000500 };

  g_autoptr(json_object) o = pl_status_to_json (&st);
  json_object *booted = NULL, *rollback = NULL, *policy = NULL;
  g_assert_true (json_object_object_get_ex (o, "booted", &booted));
  g_assert_cmpstr (json_object_get_string (json_object_object_get (booted, "version")), ==, "2.0");
  g_assert_true (json_object_object_get_ex (o, "rollback", &rollback));
  g_assert_cmpstr (json_object_get_string (json_object_object_get (rollback, "commit")), ==, C1);
  g_assert_true (json_object_object_get_ex (o, "staged", NULL));
  g_assert_null (json_object_object_get (o, "staged"));
  g_assert_true (json_object_object_get_ex (o, "policy", &policy));
  g_assert_cmpstr (json_object_get_string (json_object_object_get (policy, "decision")), ==,
                   "up-to-date");
  g_assert_cmpint (json_object_array_length (json_object_object_get (o, "failed_releases")), ==, 1);
  g_assert_cmpint (json_object_get_int64 (json_object_object_get (
                       json_object_object_get (o, "last_check"), "time")), ==, 1700000000);

  g_autofree char *prom = pl_status_to_prometheus (&st);
  g_assert_nonnull (strstr (prom, "plinth_booted_info{os=\"plinth\",version=\"2.0\",commit=\"" C2 "\"} 1\n"));
  g_assert_nonnull (strstr (prom, "plinth_rollback_info{os=\"plinth\",version=\"1.\\\"0\\\"\",commit=\"" C1 "\"} 1\n"));
  g_assert_nonnull (strstr (prom, "\nplinth_update_failed_releases 1\n"));
  g_assert_nonnull (strstr (prom, "\nplinth_last_check_timestamp_seconds 1700000000\n"));
  g_assert_nonnull (strstr (prom, "\nplinth_state_ok 1\n"));
  g_assert_null (strstr (prom, "plinth_staged_info{"));
  /* every sample line has a TYPE line before it */
  g_auto(GStrv) lines = g_strsplit (prom, "\n", -1);
  for (char **l = lines; *l; l++)
    {
      if (!**l || **l == '#')
        continue;
      g_autofree char *name = g_strndup (*l, strcspn (*l, "{ "));
      g_autofree char *type_line = g_strdup_printf ("# TYPE %s gauge\n", name);
      g_assert_nonnull (strstr (prom, type_line));
    }

  /* no state (unreadable): still a status, state_ok 0 */
  PlStatus st2 = st;
  st2.state = NULL;
  st2.state_error = "corrupt";
  g_autofree char *prom2 = pl_status_to_prometheus (&st2);
  g_assert_nonnull (strstr (prom2, "\nplinth_state_ok 0\n"));
  g_assert_nonnull (strstr (prom2, "\nplinth_update_failed_releases 0\n"));

  g_autoptr(GError) error = NULL;
  g_assert_true (pl_status_write_at (&st, f->dfd, &error));
  g_assert_no_error (error);
  g_autofree char *json = read_rel (f, PL_STATUS_JSON);
  g_autoptr(json_object) back = pl_json_parse (json, strlen (json), "status.json", &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int64 (json_object_object_get (back, "generated")), ==, 1700000500);
  g_autofree char *prom_file = read_rel (f, PL_STATUS_PROM);
  g_assert_cmpstr (prom_file, ==, prom);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/state/missing-is-fresh", Fixture, NULL, fixture_setup, test_missing_is_fresh,
              fixture_teardown);
  g_test_add ("/state/round-trip", Fixture, NULL, fixture_setup, test_round_trip,
              fixture_teardown);
  g_test_add_func ("/state/failed-replaces-same-commit", test_failed_replaces_same_commit);
  g_test_add_func ("/state/history-bounded", test_history_bounded);
  g_test_add_func ("/state/unknown-keys-ignored", test_unknown_keys_ignored);
  g_test_add_func ("/state/strict-errors", test_strict_errors);
  g_test_add ("/state/load-corrupt-leaves-file", Fixture, NULL, fixture_setup,
              test_load_corrupt_leaves_file, fixture_teardown);
  g_test_add ("/state/recover", Fixture, NULL, fixture_setup, test_recover, fixture_teardown);
  g_test_add ("/state/oversized-is-corrupt", Fixture, NULL, fixture_setup,
              test_oversized_is_corrupt, fixture_teardown);
  g_test_add_func ("/state/kind-strings", test_kind_strings);
  g_test_add ("/status/outputs", Fixture, NULL, fixture_setup, test_status_outputs,
              fixture_teardown);
  return g_test_run ();
}
