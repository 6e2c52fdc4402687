/* Step 3 of the update cycle: get a release's commit into the sysroot's repo, verified.
 *
 * With a delta from the current commit listed in the signed index, that one file is
 * downloaded with libcurl into <sysroot>/var/cache/plinth/deltas/ (resumable across
 * runs with HTTP ranges, bandwidth cap, proxy, progress), cut off as soon as it grows
 * past the size the index gives, checked against the index's size and SHA-256 BEFORE
 * libostree sees it, applied with ostree_repo_static_delta_execute_offline(), and the
 * commit it produced is checked to be the release's and to carry a valid signature by a
 * trusted key (ostree_repo_verify_commit_ext() with a keyring made of the trusted key
 * files); a commit that fails is deleted again. Without a delta, the commit is pulled
 * by checksum from <base>/repo with GPG verification on a transient remote whose keys
 * are the trusted key files. libostree 2022.7's HTTP pull does not use a delta's data,
 * which is why the delta is carried by hand. */
#pragma once

#include "releases/index.h"
#include "lib/http.h"

#include <ostree.h>

G_BEGIN_DECLS

#define PL_FETCH_ERROR (pl_fetch_error_quark ())
GQuark pl_fetch_error_quark (void);

typedef enum {
  PL_FETCH_ERROR_TOO_LARGE,       /* the delta grew past the size in the index */
  PL_FETCH_ERROR_SIZE_MISMATCH,   /* the delta is shorter than the index says */
  PL_FETCH_ERROR_HASH_MISMATCH,   /* the delta's SHA-256 differs from the index's */
  PL_FETCH_ERROR_APPLY,           /* libostree could not apply the delta */
  PL_FETCH_ERROR_WRONG_COMMIT,    /* the delta did not produce the release's commit */
  PL_FETCH_ERROR_BAD_COMMIT_SIGNATURE, /* the commit has no valid signature by a trusted key */
  PL_FETCH_ERROR_PULL,            /* the fallback pull failed */
  PL_FETCH_ERROR_NO_KEYS,         /* no trusted key files */
} PlFetchError;

#define PL_FETCH_DELTA_DIR "var/cache/plinth/deltas"
/* The transient remote used for the fallback pull (removed afterwards). */
#define PL_FETCH_REMOTE "plinth-update"

typedef struct {
  const char *base_url;              /* the site: <base>/<stream>/<arch>/, <base>/repo */
  const char *stream;
  const char *arch;
  const char *const *key_dirs;       /* trusted *.asc / *.gpg key files */
  const PlHttpOptions *http;         /* proxy, cap, retries, progress (max_size is set here) */
  guint network_retries;             /* for the pull */
  int root_dfd;                      /* the sysroot (the delta cache lives under it) */
  OstreeRepo *repo;                  /* the sysroot's repo */
} PlFetchRequest;

typedef enum {
  PL_FETCH_METHOD_INVALID = -1,
  PL_FETCH_METHOD_PRESENT,           /* the commit was already in the repo */
  PL_FETCH_METHOD_DELTA,
  PL_FETCH_METHOD_PULL,
} PlFetchMethod;

const char *pl_fetch_method_to_string (PlFetchMethod m);

typedef struct {
  PlFetchMethod method;
  guint64 bytes;                     /* bytes received in this run (delta or pull) */
  gboolean resumed;                  /* a partial delta from an earlier run was continued */
} PlFetchResult;

/* Makes TARGET's commit present and verified in REQ->repo, by DELTA (may be NULL) or a
 * pull. Leaves no ref behind: the caller deploys the commit, which keeps it. */
gboolean pl_fetch_release (const PlFetchRequest *req, const PlRelease *target,
                           const PlDelta *delta, PlFetchResult *out_result,
                           GCancellable *cancellable, GError **error);

/* Whether COMMIT in REPO has a valid signature by a key in KEY_DIRS. */
gboolean pl_fetch_verify_commit (OstreeRepo *repo, const char *commit,
                                 const char *const *key_dirs, GCancellable *cancellable,
                                 GError **error);

G_END_DECLS
