/* OSTree commit. Owners, modes and xattrs (file capabilities) are read from the
 * staged tree as they are on disk, which is why composing runs as root. */
#include "releases/commit.h"

#include <errno.h>


OstreeRepo *
pl_repo_open_or_create (const char *path, OstreeRepoMode mode, GCancellable *cancellable,
                        GError **error)
{
  g_autoptr(GFile) f = g_file_new_for_path (path);
  g_autoptr(OstreeRepo) repo = ostree_repo_new (f);
  g_autofree char *config = g_build_filename (path, "config", NULL);
  if (!g_file_test (config, G_FILE_TEST_EXISTS))
    {
      if (g_mkdir_with_parents (path, 0755) < 0)
        return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                            "Creating %s: %s", path, g_strerror (errno)), NULL;
      if (!ostree_repo_create (repo, mode, cancellable, error))
        return g_prefix_error (error, "Creating OSTree repo %s: ", path), NULL;
    }
  else if (!ostree_repo_open (repo, cancellable, error))
    return g_prefix_error (error, "Opening OSTree repo %s: ", path), NULL;
  return g_steal_pointer (&repo);
}

static gboolean
write_commit (OstreeRepo *repo, int rootfd, const PlCommitOptions *opts, const char *parent,
              char **out_checksum, GCancellable *cancellable, GError **error)
{
  if (!ostree_repo_prepare_transaction (repo, NULL, cancellable, error))
    return FALSE;
  g_autoptr(OstreeMutableTree) mtree = ostree_mutable_tree_new ();
  OstreeRepoCommitModifierFlags flags = OSTREE_REPO_COMMIT_MODIFIER_FLAGS_NONE;
  if (opts->consume)
    flags |= OSTREE_REPO_COMMIT_MODIFIER_FLAGS_CONSUME;
  g_autoptr(OstreeRepoCommitModifier) modifier =
      ostree_repo_commit_modifier_new (flags, NULL, NULL, NULL);
  g_autoptr(GFile) root = NULL;
  g_autofree char *checksum = NULL;
  guint64 ts = opts->timestamp ? opts->timestamp : (guint64) (g_get_real_time () / G_USEC_PER_SEC);
  if (!ostree_repo_write_dfd_to_mtree (repo, rootfd, ".", mtree, modifier, cancellable, error)
      || !ostree_repo_write_mtree (repo, mtree, &root, cancellable, error)
      || !ostree_repo_write_commit_with_time (repo, parent, opts->subject, NULL, opts->metadata,
                                              OSTREE_REPO_FILE (root), ts, &checksum,
                                              cancellable, error)
      || !ostree_repo_commit_transaction (repo, NULL, cancellable, error))
    {
      (void) ostree_repo_abort_transaction (repo, NULL, NULL);
      return FALSE;
    }
  *out_checksum = g_steal_pointer (&checksum);
  return TRUE;
}

gboolean
pl_commit_tree (OstreeRepo *repo, int rootfd, const PlCommitOptions *opts, char **out_checksum,
                GCancellable *cancellable, GError **error)
{
  g_autofree char *parent = NULL;
  if (!ostree_repo_resolve_rev (repo, opts->ref, TRUE, &parent, error))
    return FALSE;
  g_autofree char *checksum = NULL;
  if (!write_commit (repo, rootfd, opts, parent, &checksum, cancellable, error))
    return g_prefix_error (error, "Committing to OSTree: "), FALSE;
  if (opts->gpg_key_id
      && !ostree_repo_sign_commit (repo, checksum, opts->gpg_key_id, opts->gpg_homedir,
                                   cancellable, error))
    return g_prefix_error (error, "Signing commit %s with key %s: ", checksum,
                           opts->gpg_key_id), FALSE;
  if (!ostree_repo_set_ref_immediate (repo, NULL, opts->ref, checksum, cancellable, error))
    return g_prefix_error (error, "Setting ref %s: ", opts->ref), FALSE;
  *out_checksum = g_steal_pointer (&checksum);
  return TRUE;
}
