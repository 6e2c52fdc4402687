/* Node-side rollout policy: which release of a signed index this node may take now.
 * Pure logic (no I/O, the clock is a parameter) so every rule is unit-tested with a
 * fixed time. The model is Fedora CoreOS's: each node has a stable wariness in [0,1);
 * a release's throttle rises linearly from its start percentage to 100% over its
 * duration, and the node may take the release once throttle >= wariness. Barriers are
 * passed through, never jumped; dead ends are never left automatically; a release that
 * failed on this node is never retried automatically. */
#pragma once

#include "releases/index.h"

G_BEGIN_DECLS

#define PL_ROLLOUT_ERROR (pl_rollout_error_quark ())
GQuark pl_rollout_error_quark (void);

typedef enum {
  PL_ROLLOUT_ERROR_INVALID_ARGS,   /* wariness outside [0,1], no booted commit */
} PlRolloutError;

typedef enum {
  PL_ROLLOUT_KIND_INVALID = -1,
  PL_ROLLOUT_KIND_UPDATE,          /* target is the release to take now */
  PL_ROLLOUT_KIND_UP_TO_DATE,      /* nothing newer this node may take */
  PL_ROLLOUT_KIND_WAIT_ROLLOUT,    /* target is newer, its rollout reaches us at wait_until */
  PL_ROLLOUT_KIND_DEADEND,         /* the booted release is a dead end: stay */
  PL_ROLLOUT_KIND_BOOTED_UNKNOWN,  /* the booted commit is not in the index: no automatic move */
  PL_ROLLOUT_KIND_BLOCKED,         /* the next barrier failed on this node: cannot go past it */
} PlRolloutKind;

const char *pl_rollout_kind_to_string (PlRolloutKind kind);
/* PL_ROLLOUT_KIND_INVALID for unknown strings. */
PlRolloutKind pl_rollout_kind_from_string (const char *s);

typedef struct {
  PlRolloutKind kind;
  const PlRelease *booted;   /* owned by the index; NULL for BOOTED_UNKNOWN */
  const PlRelease *target;   /* owned by the index; set for UPDATE, WAIT_ROLLOUT, BLOCKED */
  gint64 wait_until;         /* WAIT_ROLLOUT: when target's throttle reaches the wariness */
  double wariness;
  char *reason;              /* one sentence for status output and the journal */
} PlRolloutDecision;

void pl_rollout_decision_free (PlRolloutDecision *decision);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlRolloutDecision, pl_rollout_decision_free)

/* SHA-256 of MACHINE_ID "\n" STREAM; the first 8 bytes (big-endian) as a fraction of
 * 2^64, truncated to 53 bits so the double is always < 1. */
double pl_rollout_wariness (const char *machine_id, const char *stream);

/* The share of nodes that may take R at NOW (Unix seconds): 1 without a rollout
 * block, 0 before the start, start_percentage/100 at the start, rising linearly to 1
 * at start + duration. */
double pl_rollout_throttle (const PlRelease *r, gint64 now);

/* Whether a node with WARINESS may take R at NOW: the rollout has started and
 * throttle >= wariness. */
gboolean pl_rollout_eligible (const PlRelease *r, double wariness, gint64 now);

/* When R's throttle first reaches WARINESS (its start time at the earliest). */
gint64 pl_rollout_reach_time (const PlRelease *r, double wariness);

/* Decides for a node booted into BOOTED_COMMIT. FAILED_VERSIONS (may be NULL) holds the
 * versions (as keys) that failed on this node. The decision's release pointers borrow
 * from IDX. */
gboolean pl_rollout_choose (PlIndex *idx, const char *booted_commit, double wariness,
                            gint64 now, GHashTable *failed_versions,
                            PlRolloutDecision **out_decision, GError **error);

G_END_DECLS
