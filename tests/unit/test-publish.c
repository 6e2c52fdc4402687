/* Tests for the pure part of releases/publish.c: which release a publish adds or
 * refreshes, what it refuses, and which earlier releases get a delta. The steps that
 * need OSTree and GnuPG are covered by tests/integration/test-publish.sh. */
#include "releases/publish.h"

#define C1 "1111111111111111111111111111111111111111111111111111111111111111"
#define C2 "2222222222222222222222222222222222222222222222222222222222222222"
#define C3 "3333333333333333333333333333333333333333333333333333333333333333"
#define C4 "4444444444444444444444444444444444444444444444444444444444444444"
#define H1 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static PlIndex *
index_with (const char *const *versions, const char *const *commits)
{
  PlIndex *idx = pl_index_new ("stable", "x86_64", 3, 1000, 2000);
  for (guint i = 0; versions[i]; i++)
    g_ptr_array_add (idx->releases, pl_release_new (versions[i], commits[i], 100 + i));
  return idx;
}

static PlIndex *
three (void)
{
  const char *v[] = { "1.0", "2.0", "3.0", NULL };
  const char *c[] = { C1, C2, C3, NULL };
  return index_with (v, c);
}

static char *
from_versions (GPtrArray *from)
{
  g_autoptr(GString) s = g_string_new (NULL);
  for (guint i = 0; i < from->len; i++)
    g_string_append_printf (s, "%s%s", i ? " " : "", ((PlRelease *) from->pdata[i])->version);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static void
test_first_release (void)
{
  g_autoptr(PlIndex) idx = pl_index_new ("stable", "x86_64", 0, 1000, 2000);
  PlRelease *rel = NULL;
  g_autoptr(GPtrArray) from = NULL;
  gboolean again = TRUE;
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_publish_plan (idx, pl_release_new ("1.0", C1, 5), 3, FALSE, &rel, &from,
                                  &again, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (idx->releases->len, ==, 1);
  g_assert_true (rel == idx->releases->pdata[0]);
  g_assert_cmpuint (from->len, ==, 0);
  g_assert_false (again);
}

static void
test_deltas_from_newest_previous (void)
{
  g_autoptr(PlIndex) idx = three ();
  PlRelease *rel = NULL;
  g_autoptr(GPtrArray) from = NULL;
  gboolean again = TRUE;
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_publish_plan (idx, pl_release_new ("4.0", C4, 5), 2, FALSE, &rel, &from,
                                  &again, &error));
  g_assert_no_error (error);
  g_autofree char *fv = from_versions (from);
  g_assert_cmpstr (fv, ==, "3.0 2.0");
  g_assert_cmpstr (rel->version, ==, "4.0");
  g_assert_cmpuint (idx->releases->len, ==, 4);
  g_assert_false (again);

  /* versions compare as rpm does: 10.0 is newer than 9.0 */
  const char *v[] = { "9.0", "10.0", "1.0", NULL };
  const char *c[] = { C1, C2, C3, NULL };
  g_autoptr(PlIndex) idx2 = index_with (v, c);
  g_autoptr(GPtrArray) from2 = NULL;
  g_assert_true (pl_publish_plan (idx2, pl_release_new ("10.1", C4, 5), 3, FALSE, &rel, &from2,
                                  &again, &error));
  g_autofree char *fv2 = from_versions (from2);
  g_assert_cmpstr (fv2, ==, "10.0 9.0 1.0");
}

static void
test_deltas_from_zero (void)
{
  g_autoptr(PlIndex) idx = three ();
  PlRelease *rel = NULL;
  g_autoptr(GPtrArray) from = NULL;
  gboolean again;
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_publish_plan (idx, pl_release_new ("4.0", C4, 5), 0, FALSE, &rel, &from,
                                  &again, &error));
  g_assert_cmpuint (from->len, ==, 0);
}

/* A refusal leaves the index exactly as it was. */
static void
expect_refused (const char *version, const char *commit, gboolean allow_downgrade, int code,
                const char *needle)
{
  g_autoptr(PlIndex) idx = three ();
  g_autofree char *before = pl_index_to_json (idx);
  PlRelease *rel = NULL;
  g_autoptr(GPtrArray) from = NULL;
  gboolean again = FALSE;
  g_autoptr(GError) error = NULL;
  g_assert_false (pl_publish_plan (idx, pl_release_new (version, commit, 5), 3, allow_downgrade,
                                   &rel, &from, &again, &error));
  g_assert_error (error, PL_PUBLISH_ERROR, code);
  g_assert_nonnull (strstr (error->message, needle));
  g_assert_null (from);
  g_autofree char *after = pl_index_to_json (idx);
  g_assert_cmpstr (before, ==, after);
}

static void
test_refusals (void)
{
  expect_refused ("3.0", C4, FALSE, PL_PUBLISH_ERROR_DUPLICATE_VERSION, "3.0 is already released");
  expect_refused ("3.00", C4, TRUE, PL_PUBLISH_ERROR_DUPLICATE_VERSION, "as 3.0");
  /* same commit under a spelling that compares equal is still another version string */
  expect_refused ("3.00", C3, FALSE, PL_PUBLISH_ERROR_DUPLICATE_VERSION, "as 3.0");
  expect_refused ("4.0", C2, FALSE, PL_PUBLISH_ERROR_DUPLICATE_COMMIT, "already released as version 2.0");
  expect_refused ("2.5", C4, FALSE, PL_PUBLISH_ERROR_DOWNGRADE, "older than the newest release 3.0");
  expect_refused ("3.0~rc1", C4, FALSE, PL_PUBLISH_ERROR_DOWNGRADE, "3.0~rc1");
}

static void
test_allow_downgrade (void)
{
  g_autoptr(PlIndex) idx = three ();
  PlRelease *rel = NULL;
  g_autoptr(GPtrArray) from = NULL;
  gboolean again;
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_publish_plan (idx, pl_release_new ("2.5", C4, 5), 3, TRUE, &rel, &from,
                                  &again, &error));
  g_assert_no_error (error);
  g_autofree char *fv = from_versions (from);
  g_assert_cmpstr (fv, ==, "2.0 1.0");
  g_assert_true (pl_index_newest (idx) != rel);
}

static void
test_republish_refreshes_flags_keeps_deltas (void)
{
  g_autoptr(PlIndex) idx = three ();
  PlRelease *r3 = idx->releases->pdata[2];
  r3->barrier = TRUE;
  r3->deadend = g_strdup ("old reason");
  g_ptr_array_add (r3->deltas, pl_delta_new (C2, "deltas/2.0-3.0.delta", H1, 42));

  PlRelease *nr = pl_release_new ("3.0", C3, 77);
  nr->has_rollout = TRUE;
  nr->rollout.start = 5000;
  nr->rollout.duration_minutes = 60;
  nr->rollout.start_percentage = 25;
  PlRelease *rel = NULL;
  g_autoptr(GPtrArray) from = NULL;
  gboolean again = FALSE;
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_publish_plan (idx, nr, 3, FALSE, &rel, &from, &again, &error));
  g_assert_no_error (error);
  g_assert_true (again);
  g_assert_true (rel == r3);
  g_assert_cmpuint (idx->releases->len, ==, 3);
  g_assert_false (rel->barrier);
  g_assert_null (rel->deadend);
  g_assert_true (rel->has_rollout);
  g_assert_cmpint (rel->rollout.start, ==, 5000);
  g_assert_cmpuint (rel->deltas->len, ==, 1);
  g_assert_nonnull (pl_index_find_delta (rel, C2));
  /* the earlier releases are still the delta sources; the caller skips existing ones */
  g_autofree char *fv = from_versions (from);
  g_assert_cmpstr (fv, ==, "2.0 1.0");
  g_assert_true (pl_index_validate (idx, &error));
}

static void
test_republish_older_release (void)
{
  /* refreshing a release below the newest is not a downgrade */
  g_autoptr(PlIndex) idx = three ();
  PlRelease *rel = NULL;
  g_autoptr(GPtrArray) from = NULL;
  gboolean again = FALSE;
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_publish_plan (idx, pl_release_new ("2.0", C2, 5), 3, FALSE, &rel, &from,
                                  &again, &error));
  g_assert_no_error (error);
  g_assert_true (again);
  g_autofree char *fv = from_versions (from);
  g_assert_cmpstr (fv, ==, "1.0");
}

static void
test_delta_path (void)
{
  g_autofree char *p = pl_publish_delta_path ("42.1", "42.2");
  g_assert_cmpstr (p, ==, "deltas/42.1-42.2.delta");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/publish/first-release", test_first_release);
  g_test_add_func ("/publish/deltas-from-newest-previous", test_deltas_from_newest_previous);
  g_test_add_func ("/publish/deltas-from-zero", test_deltas_from_zero);
  g_test_add_func ("/publish/refusals", test_refusals);
  g_test_add_func ("/publish/allow-downgrade", test_allow_downgrade);
  g_test_add_func ("/publish/republish", test_republish_refreshes_flags_keeps_deltas);
  g_test_add_func ("/publish/republish-older", test_republish_older_release);
  g_test_add_func ("/publish/delta-path", test_delta_path);
  return g_test_run ();
}
