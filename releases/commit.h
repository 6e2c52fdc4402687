/* Commits a composed root to an OSTree repo with Plinth's metadata, signs it, and
 * only then moves the ref, so a failed signature leaves the ref where it was. */
#pragma once

#include <ostree.h>

G_BEGIN_DECLS

typedef struct {
  const char *ref;
  const char *subject;
  GVariant *metadata;          /* a{sv}, floating or owned by the caller */
  guint64 timestamp;           /* commit time (seconds); 0: now */
  const char *gpg_key_id;      /* NULL: unsigned */
  const char *gpg_homedir;     /* NULL: gpg's default */
  gboolean consume;            /* the tree may be taken apart as it is committed */
} PlCommitOptions;

/* Opens the repo at PATH, creating it in MODE when it does not exist. */
OstreeRepo *pl_repo_open_or_create (const char *path, OstreeRepoMode mode,
                                    GCancellable *cancellable, GError **error);

gboolean pl_commit_tree (OstreeRepo *repo, int rootfd, const PlCommitOptions *opts,
                         char **out_checksum, GCancellable *cancellable, GError **error);

G_END_DECLS
