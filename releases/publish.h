/* Publishing: adds a signed OSTree commit as a release to a static release site, the
 * plain files a web server, a CDN or a USB stick serves to nodes:
 *
 *   SITE/repo/                              archive-mode OSTree repo (fallback pull)
 *   SITE/<stream>/<arch>/index.json(.asc)   the signed release index (releases/FORMAT.md)
 *   SITE/<stream>/<arch>/deltas/A-B.delta   single-file static deltas to each release
 *
 * Every refusal (unknown ref, unsigned commit, wrong arch, duplicate or backwards
 * version, a site that is not what it claims) happens before the site is touched. */
#pragma once

#include "releases/index.h"

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_PUBLISH_ERROR (pl_publish_error_quark ())
GQuark pl_publish_error_quark (void);

typedef enum {
  PL_PUBLISH_ERROR_INVALID_ARGUMENT,  /* bad stream/arch name, rollout values, ... */
  PL_PUBLISH_ERROR_UNKNOWN_REF,       /* the ref (or checksum) is not in the source repo */
  PL_PUBLISH_ERROR_NO_VERSION,        /* the commit has no `version` metadata */
  PL_PUBLISH_ERROR_WRONG_ARCH,        /* the commit's plinth.arch is not --arch */
  PL_PUBLISH_ERROR_UNSIGNED,          /* no valid signature by a key of the publisher */
  PL_PUBLISH_ERROR_DUPLICATE_VERSION, /* the version is in the index with another commit */
  PL_PUBLISH_ERROR_DUPLICATE_COMMIT,  /* the commit is in the index as another version */
  PL_PUBLISH_ERROR_DOWNGRADE,         /* lower than the newest release (no allow_downgrade) */
  PL_PUBLISH_ERROR_BAD_SITE,          /* the existing site is inconsistent or not ours */
} PlPublishError;

typedef struct {
  const char *repo_path;      /* source OSTree repo (the build's) */
  const char *ref;            /* ref or commit checksum in it */
  const char *site_path;      /* the site's top directory (created if absent) */
  const char *stream;
  const char *arch;
  gboolean has_rollout;
  PlRollout rollout;
  gboolean barrier;
  const char *deadend;        /* NULL: not a dead end */
  guint expires_days;         /* > 0 */
  guint deltas_from;          /* deltas from up to this many earlier releases */
  gboolean allow_downgrade;   /* accept a version below the newest release */
  const char *gpg_key_id;     /* signs the index and the summary (required) */
  const char *gpg_homedir;    /* GnuPG home holding it (required) */
  gint64 now;                 /* Unix seconds; 0: the real clock */
} PlPublishOptions;

typedef struct {
  char *from_version;
  PlDelta *delta;             /* as listed in the index */
  gboolean created;           /* FALSE: kept from an earlier publish of this release */
} PlPublishedDelta;

typedef struct {
  char *stream;
  char *arch;
  char *version;
  char *commit;
  char *site_ref;             /* the ref moved in SITE/repo, NULL if not moved */
  char *index_path;           /* SITE/<stream>/<arch>/index.json */
  guint64 serial;
  gint64 generated;
  gint64 expires;
  gboolean republished;       /* the same version and commit were already listed */
  GPtrArray *deltas;          /* PlPublishedDelta */
} PlPublishResult;

void pl_publish_result_free (PlPublishResult *res);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlPublishResult, pl_publish_result_free)

/* Publishes OPTS->ref from OPTS->repo_path to the site (see the top of this file and
 * docs/plinth-build.md for the order of the steps and why). */
gboolean pl_publish (const PlPublishOptions *opts, PlPublishResult **out_result,
                     GCancellable *cancellable, GError **error);

/* The pure part of a publish, exposed for unit tests: puts NEW_RELEASE (taken over)
 * into IDX, or, when IDX already lists the same version with the same commit, copies its
 * rollout, barrier and dead-end onto that entry and keeps its deltas. Refuses
 * DUPLICATE_VERSION (same version by rpm comparison, other commit), DUPLICATE_COMMIT and
 * DOWNGRADE (below the newest release unless ALLOW_DOWNGRADE); IDX is unchanged then.
 * OUT_FROM receives the releases (owned by IDX) a delta should come from: up to
 * DELTAS_FROM of the highest versions below the new one, newest first, including those
 * that already have a delta. */
gboolean pl_publish_plan (PlIndex *idx, PlRelease *new_release, guint deltas_from,
                          gboolean allow_downgrade, PlRelease **out_release,
                          GPtrArray **out_from, gboolean *out_republished, GError **error);

/* "deltas/FROM-TO.delta", relative to the <stream>/<arch> directory. */
char *pl_publish_delta_path (const char *from_version, const char *to_version);

G_END_DECLS
