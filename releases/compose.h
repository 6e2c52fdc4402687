/* `plinth-build tree`: manifest -> depsolve -> download -> install -> post-process ->
 * OSTree commit (+ signature) -> SBOM and lockfile. Everything that can fail on bad
 * input fails before the commit, so a failed compose leaves the repo's refs as they
 * were. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

typedef struct {
  const char *manifest_path;
  GHashTable *defines;            /* --define NAME=VALUE for ${NAME} in the manifest */
  const char *version;            /* overrides the manifest's version, or NULL */
  const char *repo_path;          /* OSTree repo (created as archive-z2 if absent) */
  const char *gpg_key_id;
  const char *gpg_homedir;
  const char *lockfile;           /* compose exactly these packages, or NULL */
  const char *write_lockfile;     /* record what was installed, or NULL */
  const char *cachedir;           /* metadata and package cache */
  const char *workdir;            /* where the staging root is made; NULL: /dev/shm when
                                   * the tree fits with room to spare, else /var/tmp */
  const char *sbom_path;          /* NULL: REPO/sbom/<commit>.spdx.json */
  gint64 source_date_epoch;       /* > 0: commit and install time, for reproducibility */
} PlComposeOptions;

typedef struct {
  char *ref;
  char *checksum;
  char *version;
  char *arch;
  guint n_packages;
  char *sbom_path;
  char *sbom_sha256;
  char *lockfile_path;            /* written lockfile, or NULL */
  char *kernel_version;           /* NULL for a tree without a kernel */
  gboolean signed_;
  char *gpg_key_id;
  GPtrArray *warnings;            /* what rpm warned about */
  char *workdir;                  /* where the root was staged */
  /* seconds spent per phase, for benchmarks */
  double t_resolve, t_fetch, t_install, t_postprocess, t_commit, t_total;
} PlComposeResult;

void pl_compose_result_free (PlComposeResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlComposeResult, pl_compose_result_free)

gboolean pl_compose_tree (const PlComposeOptions *opts, PlComposeResult **out_result,
                          GCancellable *cancellable, GError **error);

G_END_DECLS
