/* The rollout decision (see rollout.h). The walk goes up from the booted release in
 * version order and stops at the first barrier, because a barrier is a release every
 * node must boot before anything newer (a migration step, a format change). */
#include "updater/rollout.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK (pl-rollout-error-quark, pl_rollout_error)

static const char *const kind_names[] = {
  [PL_ROLLOUT_KIND_UPDATE] = "update",
  [PL_ROLLOUT_KIND_UP_TO_DATE] = "up-to-date",
  [PL_ROLLOUT_KIND_WAIT_ROLLOUT] = "wait-rollout",
  [PL_ROLLOUT_KIND_DEADEND] = "deadend",
  [PL_ROLLOUT_KIND_BOOTED_UNKNOWN] = "booted-unknown",
  [PL_ROLLOUT_KIND_BLOCKED] = "blocked",
};

const char *
pl_rollout_kind_to_string (PlRolloutKind kind)
{
  if (kind < 0 || (gsize) kind >= G_N_ELEMENTS (kind_names))
    return "invalid";
  return kind_names[kind];
}

PlRolloutKind
pl_rollout_kind_from_string (const char *s)
{
  for (gsize i = 0; s && i < G_N_ELEMENTS (kind_names); i++)
    if (strcmp (s, kind_names[i]) == 0)
      return (PlRolloutKind) i;
  return PL_ROLLOUT_KIND_INVALID;
}

void
pl_rollout_decision_free (PlRolloutDecision *d)
{
  if (!d)
    return;
  g_free (d->reason);
  g_free (d);
}

double
pl_rollout_wariness (const char *machine_id, const char *stream)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);
  g_checksum_update (sum, (const guchar *) machine_id, strlen (machine_id));
  g_checksum_update (sum, (const guchar *) "\n", 1);
  g_checksum_update (sum, (const guchar *) stream, strlen (stream));
  guint8 digest[32];
  gsize len = sizeof digest;
  g_checksum_get_digest (sum, digest, &len);
  guint64 v = 0;
  for (int i = 0; i < 8; i++)
    v = (v << 8) | digest[i];
  /* A double holds 53 bits; v / 2^64 could round up to exactly 1.0. */
  return (double) (v >> 11) / 9007199254740992.0; /* 2^53 */
}

double
pl_rollout_throttle (const PlRelease *r, gint64 now)
{
  if (!r->has_rollout)
    return 1.0;
  if (now < r->rollout.start)
    return 0.0;
  double p0 = CLAMP (r->rollout.start_percentage / 100.0, 0.0, 1.0);
  double span = (double) r->rollout.duration_minutes * 60.0;
  if (span <= 0)
    return 1.0;
  double t = (double) (now - r->rollout.start) / span;
  return MIN (1.0, p0 + (1.0 - p0) * t);
}

gboolean
pl_rollout_eligible (const PlRelease *r, double wariness, gint64 now)
{
  if (r->has_rollout && now < r->rollout.start)
    return FALSE;
  return pl_rollout_throttle (r, now) >= wariness;
}

gint64
pl_rollout_reach_time (const PlRelease *r, double wariness)
{
  if (!r->has_rollout)
    return G_MININT64;
  double p0 = CLAMP (r->rollout.start_percentage / 100.0, 0.0, 1.0);
  double span = (double) r->rollout.duration_minutes * 60.0;
  if (wariness <= p0 || span <= 0 || p0 >= 1.0)
    return r->rollout.start;
  gint64 t = r->rollout.start + (gint64) ceil ((wariness - p0) / (1.0 - p0) * span);
  /* Rounding in the division above can be one second off either way: name exactly the
   * first second at which pl_rollout_eligible() agrees. */
  while (!pl_rollout_eligible (r, wariness, t))
    t++;
  while (t > r->rollout.start && pl_rollout_eligible (r, wariness, t - 1))
    t--;
  return t;
}

static int
compare_releases (gconstpointer a, gconstpointer b)
{
  const PlRelease *ra = *(PlRelease *const *) a;
  const PlRelease *rb = *(PlRelease *const *) b;
  return pl_version_compare (ra->version, rb->version);
}

static PlRolloutDecision *
decision_new (PlRolloutKind kind, const PlRelease *booted, const PlRelease *target,
              double wariness, char *reason)
{
  PlRolloutDecision *d = g_new0 (PlRolloutDecision, 1);
  d->kind = kind;
  d->booted = booted;
  d->target = target;
  d->wariness = wariness;
  d->reason = reason;
  return d;
}

static gboolean
is_failed (GHashTable *failed, const PlRelease *r)
{
  return failed && g_hash_table_contains (failed, r->version);
}

gboolean
pl_rollout_choose (PlIndex *idx, const char *booted_commit, double wariness, gint64 now,
                   GHashTable *failed_versions, PlRolloutDecision **out_decision,
                   GError **error)
{
  if (booted_commit == NULL || *booted_commit == '\0')
    return g_set_error (error, PL_ROLLOUT_ERROR, PL_ROLLOUT_ERROR_INVALID_ARGS,
                        "Choosing a release: no booted commit given"), FALSE;
  if (!(wariness >= 0.0 && wariness <= 1.0))
    return g_set_error (error, PL_ROLLOUT_ERROR, PL_ROLLOUT_ERROR_INVALID_ARGS,
                        "Choosing a release: wariness %g is outside [0, 1]", wariness),
           FALSE;

  const PlRelease *booted = pl_index_find_by_commit (idx, booted_commit);
  if (booted == NULL)
    {
      *out_decision = decision_new (
          PL_ROLLOUT_KIND_BOOTED_UNKNOWN, NULL, NULL, wariness,
          g_strdup_printf ("the booted commit %.12s is not in the index of stream %s; "
                           "not updating automatically (an admin may deploy a version "
                           "by name)", booted_commit, idx->stream));
      return TRUE;
    }
  if (booted->deadend)
    {
      *out_decision = decision_new (
          PL_ROLLOUT_KIND_DEADEND, booted, NULL, wariness,
          g_strdup_printf ("release %s is a dead end (%s); staying on it until an admin "
                           "moves this node", booted->version, booted->deadend));
      return TRUE;
    }

  /* borrowed pointers: g_ptr_array_copy() would carry the free function over */
  g_autoptr(GPtrArray) sorted = g_ptr_array_sized_new (idx->releases->len);
  for (guint i = 0; i < idx->releases->len; i++)
    g_ptr_array_add (sorted, idx->releases->pdata[i]);
  g_ptr_array_sort (sorted, compare_releases);

  const PlRelease *target = NULL;     /* highest eligible so far */
  const PlRelease *waiting = NULL;    /* the not-yet-eligible one reaching us first */
  gint64 waiting_at = G_MAXINT64;
  const PlRelease *failed_barrier = NULL;
  guint n_failed = 0;
  for (guint i = 0; i < sorted->len; i++)
    {
      const PlRelease *r = sorted->pdata[i];
      if (pl_version_compare (r->version, booted->version) <= 0)
        continue;
      if (is_failed (failed_versions, r))
        {
          n_failed++;
          /* Nothing beyond a barrier may be taken without booting it first. */
          if (r->barrier)
            {
              failed_barrier = r;
              break;
            }
          continue;
        }
      if (pl_rollout_eligible (r, wariness, now))
        target = r;
      else
        {
          gint64 at = pl_rollout_reach_time (r, wariness);
          if (waiting == NULL || at < waiting_at)
            waiting = r, waiting_at = at;
        }
      if (r->barrier)
        break;
    }

  if (target)
    {
      *out_decision = decision_new (
          PL_ROLLOUT_KIND_UPDATE, booted, target, wariness,
          g_strdup_printf ("release %s reached this node (wariness %.2f, throttle %.2f)%s%s%s",
                           target->version, wariness, pl_rollout_throttle (target, now),
                           target->barrier ? "; it is a barrier, newer releases follow "
                                             "after it is booted" : "",
                           target->deadend ? "; it is a dead end: " : "",
                           target->deadend ? target->deadend : ""));
      return TRUE;
    }
  if (waiting)
    {
      g_autofree char *at = pl_index_format_time (waiting_at);
      PlRolloutDecision *d = decision_new (
          PL_ROLLOUT_KIND_WAIT_ROLLOUT, booted, waiting, wariness,
          g_strdup_printf ("release %s reaches this node (wariness %.2f) at %s",
                           waiting->version, wariness, at));
      d->wait_until = waiting_at;
      *out_decision = d;
      return TRUE;
    }
  if (failed_barrier)
    {
      *out_decision = decision_new (
          PL_ROLLOUT_KIND_BLOCKED, booted, failed_barrier, wariness,
          g_strdup_printf ("barrier release %s failed on this node and newer releases "
                           "need it; staying on %s until an admin acts",
                           failed_barrier->version, booted->version));
      return TRUE;
    }
  *out_decision = decision_new (
      PL_ROLLOUT_KIND_UP_TO_DATE, booted, NULL, wariness,
      n_failed > 0
          ? g_strdup_printf ("release %s is the newest this node may take (%u newer "
                             "release(s) failed here and are not retried automatically)",
                             booted->version, n_failed)
          : g_strdup_printf ("release %s is the newest release", booted->version));
  return TRUE;
}
