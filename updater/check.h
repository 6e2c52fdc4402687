/* Step 1 and 2 of the update cycle: fetch the release index of this node's stream and
 * architecture with its detached signature, verify it against the trusted keys, run the
 * node's acceptance checks (stream, arch, serial, expiry), then decide what to take:
 * the rollout policy's choice, or an exact version an admin asked for.
 *
 * pl_check_run() changes nothing on disk: a refusal leaves state, cache, repo and
 * deployments as they were. Once the caller has acted on the result, pl_check_accept()
 * records the index's serial in the state (the caller saves it) and keeps the verified
 * index, its signature and ETag in <sysroot>/var/cache/plinth/, so the next poll is a
 * conditional GET; a 304 answer re-verifies and re-checks the kept copy (its expiry
 * still applies, so a server that answers 304 forever cannot freeze a node). */
#pragma once

#include "releases/index.h"
#include "updater/rollout.h"
#include "updater/state.h"
#include "updater/updater-config.h"
#include "lib/http.h"

#include <ostree.h>

G_BEGIN_DECLS

#define PL_CHECK_ERROR (pl_check_error_quark ())
GQuark pl_check_error_quark (void);

/* Signature refusals are PL_GPG_ERROR codes (a missing index.json.asc is
 * PL_GPG_ERROR_NO_SIGNATURE); index refusals are PL_INDEX_ERROR codes; network faults
 * PL_HTTP_ERROR codes. These are the updater's own: */
typedef enum {
  PL_CHECK_ERROR_NOT_CONFIGURED,   /* no BaseURL, no machine id, ... */
  PL_CHECK_ERROR_DOWNGRADE,        /* the only candidates are older than the current release */
  PL_CHECK_ERROR_UNKNOWN_VERSION,  /* an exact version that the index does not list */
} PlCheckError;

#define PL_CHECK_CACHE_DIR "var/cache/plinth"
/* The largest index or signature accepted. */
#define PL_CHECK_INDEX_MAX_SIZE (16 * 1024 * 1024)

typedef struct {
  const PlUpdaterConfig *config;
  const char *arch;              /* resolved (pl_check_detect_arch()) */
  int root_dfd;                  /* the sysroot */
  const char *current_commit;    /* booted deployment, else the default one */
  const char *current_version;   /* its version metadata, may be NULL */
  PlState *state;                /* read only: last serial, failed releases */
  const char *version;           /* an exact version (deploy): NULL for the policy */
  double wariness;
  gint64 now;                    /* Unix seconds */
  const PlHttpOptions *http;
} PlCheckRequest;

typedef struct {
  char *index_url;
  PlIndex *index;
  gboolean not_modified;         /* the server said 304; the kept copy was used */
  char *fingerprint;             /* the key that signed the index */
  PlRolloutDecision *decision;   /* the policy's decision; NULL for an exact version */
  const PlRelease *current;      /* the current release in the index, or NULL */
  const PlRelease *target;       /* what to take; NULL: nothing */
  const PlDelta *delta;          /* a delta from the current commit to target, or NULL */
  char *summary;                 /* one sentence: what was decided and why */
  /* what pl_check_accept() keeps */
  GBytes *index_data;
  GBytes *signature;
  char *etag;
} PlCheckResult;

void pl_check_result_free (PlCheckResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlCheckResult, pl_check_result_free)

/* The kind of the decision as pl_rollout_kind_to_string() spells it, or "deploy" for an
 * exact version. */
const char *pl_check_result_kind (PlCheckResult *r);

/* The architecture: CONFIG's Arch, else COMMIT's plinth.arch metadata in REPO, else
 * uname's machine (x86_64, aarch64). */
char *pl_check_detect_arch (const PlUpdaterConfig *config, OstreeRepo *repo,
                            const char *commit);

/* CONFIG's Wariness, else pl_rollout_wariness() of ROOT_DFD/etc/machine-id. */
gboolean pl_check_wariness (const PlUpdaterConfig *config, int root_dfd, double *out_wariness,
                            GError **error);

PlCheckResult *pl_check_run (const PlCheckRequest *req, GCancellable *cancellable,
                             GError **error);

/* Records R's index serial in STATE (not saved) and keeps the index, its signature and
 * ETag under ROOT_DFD/PL_CHECK_CACHE_DIR (atomically). */
gboolean pl_check_accept (PlCheckResult *r, PlState *state, int root_dfd, GError **error);

G_END_DECLS
