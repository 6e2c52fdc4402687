/* Tests for updater/rollout.c with a fixed clock: the throttle curve, wariness, the
 * release walk (barriers, dead ends, failed releases) and the fleet-wide fraction. */
#include "updater/rollout.h"

#include <string.h>

#define T0 ((gint64) 1795200000) /* 2026-11-20T18:40:00Z, the clock of these tests */
#define MIN_S 60

static char *
commit_for (const char *version)
{
  /* a distinct 64-hex commit per version */
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, version, -1);
  return g_steal_pointer (&sum);
}

static PlRelease *
add (PlIndex *idx, const char *version)
{
  g_autofree char *c = commit_for (version);
  PlRelease *r = pl_release_new (version, c, T0 - 86400);
  g_ptr_array_add (idx->releases, r);
  return r;
}

static void
set_rollout (PlRelease *r, gint64 start, guint64 minutes, double pct)
{
  r->has_rollout = TRUE;
  r->rollout.start = start;
  r->rollout.duration_minutes = minutes;
  r->rollout.start_percentage = pct;
}

static PlIndex *
new_index (void)
{
  return pl_index_new ("stable", "x86_64", 1, T0 - 3600, T0 + 7 * 86400);
}

static PlRolloutDecision *
choose (PlIndex *idx, const char *booted_version, double wariness, gint64 now,
        GHashTable *failed)
{
  g_autofree char *c = commit_for (booted_version);
  g_autoptr(GError) error = NULL;
  PlRolloutDecision *d = NULL;
  g_assert_true (pl_index_validate (idx, &error));
  g_assert_no_error (error);
  g_assert_true (pl_rollout_choose (idx, c, wariness, now, failed, &d, &error));
  g_assert_no_error (error);
  g_assert_nonnull (d);
  g_assert_nonnull (d->reason);
  return d;
}

static void
assert_decision (PlRolloutDecision *d, PlRolloutKind kind, const char *target_version)
{
  if (d->kind != kind)
    g_error ("expected %s, got %s (%s)", pl_rollout_kind_to_string (kind),
             pl_rollout_kind_to_string (d->kind), d->reason);
  if (target_version == NULL)
    g_assert_null (d->target);
  else
    {
      g_assert_nonnull (d->target);
      g_assert_cmpstr (d->target->version, ==, target_version);
    }
}

static void
test_throttle_curve (void)
{
  g_autoptr(PlIndex) idx = new_index ();
  PlRelease *r = add (idx, "2");
  g_assert_cmpfloat (pl_rollout_throttle (r, T0), ==, 1.0); /* no rollout: everyone */
  set_rollout (r, T0, 100, 10);
  struct { gint64 at; double want; } pts[] = {
    { T0 - 1, 0.0 },          { T0, 0.10 },              { T0 + 10 * MIN_S, 0.19 },
    { T0 + 50 * MIN_S, 0.55 }, { T0 + 90 * MIN_S, 0.91 }, { T0 + 100 * MIN_S, 1.0 },
    { T0 + 1000 * MIN_S, 1.0 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (pts); i++)
    g_assert_cmpfloat_with_epsilon (pl_rollout_throttle (r, pts[i].at), pts[i].want, 1e-9);

  /* wariness 0 does not get a release before it starts */
  g_assert_false (pl_rollout_eligible (r, 0.0, T0 - 1));
  g_assert_true (pl_rollout_eligible (r, 0.0, T0));
  g_assert_true (pl_rollout_eligible (r, 0.10, T0));
  g_assert_false (pl_rollout_eligible (r, 0.11, T0));

  /* the reach time is the first second the node is eligible */
  gint64 at = pl_rollout_reach_time (r, 0.55);
  g_assert_cmpint (at, ==, T0 + 50 * MIN_S);
  g_assert_true (pl_rollout_eligible (r, 0.55, at));
  g_assert_false (pl_rollout_eligible (r, 0.55, at - 1));
  g_assert_cmpint (pl_rollout_reach_time (r, 0.05), ==, T0);

  /* zero duration: all at once at the start */
  set_rollout (r, T0, 0, 0);
  g_assert_cmpfloat (pl_rollout_throttle (r, T0 - 1), ==, 0.0);
  g_assert_cmpfloat (pl_rollout_throttle (r, T0), ==, 1.0);
}

static void
test_wariness (void)
{
  /* reference values from an independent implementation (Python hashlib) */
  const char *id = "0123456789abcdef0123456789abcdef";
  g_assert_cmpfloat_with_epsilon (pl_rollout_wariness (id, "stable"), 0.019146012177345684,
                                  1e-15);
  g_assert_cmpfloat_with_epsilon (pl_rollout_wariness (id, "beta"), 0.4367689254027859, 1e-15);
  g_assert_cmpfloat (pl_rollout_wariness (id, "stable"), ==, pl_rollout_wariness (id, "stable"));
  for (int i = 0; i < 1000; i++)
    {
      g_autofree char *m = g_strdup_printf ("m%d", i);
      double w = pl_rollout_wariness (m, "stable");
      g_assert_cmpfloat (w, >=, 0.0);
      g_assert_cmpfloat (w, <, 1.0);
    }
}

static void
test_simple_update (void)
{
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  add (idx, "3");
  add (idx, "2");
  g_autoptr(PlRolloutDecision) d = choose (idx, "1", 0.5, T0, NULL);
  assert_decision (d, PL_ROLLOUT_KIND_UPDATE, "3");
  g_assert_cmpstr (d->booted->version, ==, "1");
  g_assert_nonnull (strstr (d->reason, "release 3 reached this node (wariness 0.50"));

  g_autoptr(PlRolloutDecision) top = choose (idx, "3", 0.5, T0, NULL);
  assert_decision (top, PL_ROLLOUT_KIND_UP_TO_DATE, NULL);
  g_assert_cmpstr (top->reason, ==, "release 3 is the newest release");
}

static void
test_rollout_gates (void)
{
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  PlRelease *r2 = add (idx, "2");
  PlRelease *r3 = add (idx, "3");
  set_rollout (r2, T0 - 100 * MIN_S, 100, 0);   /* done: everyone */
  set_rollout (r3, T0, 100, 0);                 /* starting now */

  g_autoptr(PlRolloutDecision) d = choose (idx, "1", 0.5, T0 + 10 * MIN_S, NULL);
  assert_decision (d, PL_ROLLOUT_KIND_UPDATE, "2");

  /* on 2, 3 has not reached wariness 0.5 yet: wait, and say until when */
  g_autoptr(PlRolloutDecision) w = choose (idx, "2", 0.5, T0 + 10 * MIN_S, NULL);
  assert_decision (w, PL_ROLLOUT_KIND_WAIT_ROLLOUT, "3");
  g_assert_cmpint (w->wait_until, ==, T0 + 50 * MIN_S);
  g_autofree char *at = pl_index_format_time (T0 + 50 * MIN_S);
  g_autofree char *want = g_strdup_printf ("release 3 reaches this node (wariness 0.50) at %s",
                                           at);
  g_assert_cmpstr (w->reason, ==, want);

  /* the same node at the reach time takes it; a node just below the throttle too */
  g_autoptr(PlRolloutDecision) later = choose (idx, "2", 0.5, T0 + 50 * MIN_S, NULL);
  assert_decision (later, PL_ROLLOUT_KIND_UPDATE, "3");
  g_autoptr(PlRolloutDecision) early = choose (idx, "2", 0.09, T0 + 10 * MIN_S, NULL);
  assert_decision (early, PL_ROLLOUT_KIND_UPDATE, "3");
}

static void
test_one_barrier (void)
{
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  add (idx, "2")->barrier = TRUE;
  add (idx, "3");
  g_autoptr(PlRolloutDecision) d = choose (idx, "1", 0.3, T0, NULL);
  assert_decision (d, PL_ROLLOUT_KIND_UPDATE, "2");
  g_assert_nonnull (strstr (d->reason, "barrier"));
  g_autoptr(PlRolloutDecision) d2 = choose (idx, "2", 0.3, T0, NULL);
  assert_decision (d2, PL_ROLLOUT_KIND_UPDATE, "3");
}

static void
test_two_barriers (void)
{
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  add (idx, "2")->barrier = TRUE;
  add (idx, "3")->barrier = TRUE;
  add (idx, "4");
  g_autoptr(PlRolloutDecision) a = choose (idx, "1", 0.3, T0, NULL);
  assert_decision (a, PL_ROLLOUT_KIND_UPDATE, "2");
  g_autoptr(PlRolloutDecision) b = choose (idx, "2", 0.3, T0, NULL);
  assert_decision (b, PL_ROLLOUT_KIND_UPDATE, "3");
  g_autoptr(PlRolloutDecision) c = choose (idx, "3", 0.3, T0, NULL);
  assert_decision (c, PL_ROLLOUT_KIND_UPDATE, "4");
}

static void
test_barrier_not_yet_rolled_out (void)
{
  /* a barrier whose rollout has not reached us blocks everything above it, even a
   * release that everyone may take */
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  set_rollout (add (idx, "2"), T0 + 3600, 60, 0);
  ((PlRelease *) idx->releases->pdata[1])->barrier = TRUE;
  add (idx, "3");
  g_autoptr(PlRolloutDecision) d = choose (idx, "1", 0.2, T0, NULL);
  assert_decision (d, PL_ROLLOUT_KIND_WAIT_ROLLOUT, "2");
  g_assert_cmpint (d->wait_until, ==, T0 + 3600 + 12 * MIN_S);
}

static void
test_deadend (void)
{
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  PlRelease *r2 = add (idx, "2");
  r2->deadend = g_strdup ("moves to stream stable-2");
  add (idx, "3");
  /* a dead end is no barrier: nodes below it may go past it */
  g_autoptr(PlRolloutDecision) a = choose (idx, "1", 0.3, T0, NULL);
  assert_decision (a, PL_ROLLOUT_KIND_UPDATE, "3");
  /* the newest release may itself be a dead end: nodes go there, and are told */
  PlRelease *r3 = pl_index_find_release (idx, "3");
  r3->deadend = g_strdup ("end of the line");
  g_autoptr(PlRolloutDecision) last = choose (idx, "1", 0.3, T0, NULL);
  assert_decision (last, PL_ROLLOUT_KIND_UPDATE, "3");
  g_assert_nonnull (strstr (last->reason, "it is a dead end: end of the line"));
  /* a node on the dead end stays, and says why */
  g_autoptr(PlRolloutDecision) b = choose (idx, "2", 0.3, T0, NULL);
  assert_decision (b, PL_ROLLOUT_KIND_DEADEND, NULL);
  g_assert_cmpstr (b->booted->version, ==, "2");
  g_assert_cmpstr (b->reason, ==, "release 2 is a dead end (moves to stream stable-2); "
                                  "staying on it until an admin moves this node");
}

static void
test_failed_skipped (void)
{
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  add (idx, "2");
  add (idx, "3");
  g_autoptr(GHashTable) failed = g_hash_table_new (g_str_hash, g_str_equal);
  g_hash_table_add (failed, "3");
  g_autoptr(PlRolloutDecision) a = choose (idx, "1", 0.3, T0, failed);
  assert_decision (a, PL_ROLLOUT_KIND_UPDATE, "2");
  g_autoptr(PlRolloutDecision) b = choose (idx, "2", 0.3, T0, failed);
  assert_decision (b, PL_ROLLOUT_KIND_UP_TO_DATE, NULL);
  g_assert_nonnull (strstr (b->reason, "1 newer release(s) failed here"));

  /* a failed barrier blocks what lies beyond it */
  ((PlRelease *) idx->releases->pdata[1])->barrier = TRUE;
  g_hash_table_remove_all (failed);
  g_hash_table_add (failed, "2");
  g_autoptr(PlRolloutDecision) c = choose (idx, "1", 0.3, T0, failed);
  assert_decision (c, PL_ROLLOUT_KIND_BLOCKED, "2");
  g_assert_nonnull (strstr (c->reason, "barrier release 2 failed on this node"));
}

static void
test_booted_unknown_and_bad_args (void)
{
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  g_autoptr(PlRolloutDecision) d = choose (idx, "0.9", 0.3, T0, NULL);
  assert_decision (d, PL_ROLLOUT_KIND_BOOTED_UNKNOWN, NULL);
  g_assert_null (d->booted);
  g_assert_nonnull (strstr (d->reason, "is not in the index of stream stable"));

  g_autoptr(GError) error = NULL;
  PlRolloutDecision *out = NULL;
  g_assert_false (pl_rollout_choose (idx, "abc", 1.5, T0, NULL, &out, &error));
  g_assert_error (error, PL_ROLLOUT_ERROR, PL_ROLLOUT_ERROR_INVALID_ARGS);
  g_assert_null (out);
  g_clear_error (&error);
  g_assert_false (pl_rollout_choose (idx, "", 0.5, T0, NULL, &out, &error));
  g_assert_error (error, PL_ROLLOUT_ERROR, PL_ROLLOUT_ERROR_INVALID_ARGS);
}

static void
test_kind_strings (void)
{
  for (int k = PL_ROLLOUT_KIND_UPDATE; k <= PL_ROLLOUT_KIND_BLOCKED; k++)
    {
      const char *s = pl_rollout_kind_to_string (k);
      g_assert_cmpstr (s, !=, "invalid");
      g_assert_cmpint (pl_rollout_kind_from_string (s), ==, k);
    }
  g_assert_cmpstr (pl_rollout_kind_to_string (PL_ROLLOUT_KIND_INVALID), ==, "invalid");
  g_assert_cmpstr (pl_rollout_kind_to_string (99), ==, "invalid");
  g_assert_cmpint (pl_rollout_kind_from_string ("nope"), ==, PL_ROLLOUT_KIND_INVALID);
  g_assert_cmpint (pl_rollout_kind_from_string (NULL), ==, PL_ROLLOUT_KIND_INVALID);
  g_assert_cmpstr (pl_rollout_kind_to_string (PL_ROLLOUT_KIND_WAIT_ROLLOUT), ==,
                   "wait-rollout");
}

static void
test_fleet_fraction (void)
{
  /* 10,000 machine ids in the systemd machine-id form: the share of eligible nodes
   * follows the throttle within one percentage point */
  g_autoptr(PlIndex) idx = new_index ();
  add (idx, "1");
  PlRelease *r = add (idx, "2");
  set_rollout (r, T0, 1000, 0);
  const int n = 10000;
  double *w = g_new (double, n);
  for (int i = 0; i < n; i++)
    {
      g_autofree char *seed = g_strdup_printf ("node-%d", i);
      g_autofree char *mid = g_compute_checksum_for_string (G_CHECKSUM_MD5, seed, -1);
      w[i] = pl_rollout_wariness (mid, "stable");
    }
  g_autofree char *booted = commit_for ("1");
  double targets[] = { 0.10, 0.50, 0.90 };
  for (gsize t = 0; t < G_N_ELEMENTS (targets); t++)
    {
      gint64 now = T0 + (gint64) (targets[t] * 1000 * MIN_S);
      double throttle = pl_rollout_throttle (r, now);
      g_assert_cmpfloat_with_epsilon (throttle, targets[t], 1e-9);
      int updating = 0;
      for (int i = 0; i < n; i++)
        {
          g_autoptr(PlRolloutDecision) d = NULL;
          g_assert_true (pl_rollout_choose (idx, booted, w[i], now, NULL, &d, NULL));
          if (d->kind == PL_ROLLOUT_KIND_UPDATE)
            updating++;
          else
            g_assert_cmpint (d->kind, ==, PL_ROLLOUT_KIND_WAIT_ROLLOUT);
        }
      double frac = (double) updating / n;
      g_test_message ("throttle %.2f: %d of %d nodes update (%.4f)", throttle, updating, n,
                      frac);
      g_assert_cmpfloat (ABS (frac - throttle), <=, 0.01);
    }
  g_free (w);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/rollout/throttle-curve", test_throttle_curve);
  g_test_add_func ("/rollout/wariness", test_wariness);
  g_test_add_func ("/rollout/simple-update", test_simple_update);
  g_test_add_func ("/rollout/rollout-gates", test_rollout_gates);
  g_test_add_func ("/rollout/one-barrier", test_one_barrier);
  g_test_add_func ("/rollout/two-barriers", test_two_barriers);
  g_test_add_func ("/rollout/barrier-not-yet-rolled-out", test_barrier_not_yet_rolled_out);
  g_test_add_func ("/rollout/deadend", test_deadend);
  g_test_add_func ("/rollout/failed-skipped", test_failed_skipped);
  g_test_add_func ("/rollout/booted-unknown-and-bad-args", test_booted_unknown_and_bad_args);
  g_test_add_func ("/rollout/kind-strings", test_kind_strings);
  g_test_add_func ("/rollout/fleet-fraction", test_fleet_fraction);
  return g_test_run ();
}
