/* The compose pipeline. Each phase is its own module; this file only sequences them,
 * times them, and keeps the invariant that nothing reaches the repo's refs unless
 * every earlier phase succeeded. */
#include "releases/compose.h"
#include "releases/commit.h"
#include "releases/depsolve.h"
#include "releases/lockfile.h"
#include "releases/manifest.h"
#include "releases/package.h"
#include "releases/pkgfetch.h"
#include "releases/rpminstall.h"
#include "releases/rpmmd.h"
#include "releases/sbom.h"
#include "sysroot/kernel.h"
#include "sysroot/postprocess.h"
#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

void
pl_compose_result_free (PlComposeResult *r)
{
  if (!r)
    return;
  g_free (r->ref);
  g_free (r->checksum);
  g_free (r->version);
  g_free (r->arch);
  g_free (r->sbom_path);
  g_free (r->sbom_sha256);
  g_free (r->lockfile_path);
  g_free (r->kernel_version);
  g_free (r->gpg_key_id);
  g_free (r->workdir);
  g_clear_pointer (&r->warnings, g_ptr_array_unref);
  g_free (r);
}

/* A staging directory removed when it goes out of scope. */
typedef struct {
  char *path;
} StagingDir;

static void
staging_dir_clear (StagingDir *s)
{
  if (s->path)
    (void) pl_rm_rf_at (AT_FDCWD, s->path, NULL, NULL);
  g_clear_pointer (&s->path, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (StagingDir, staging_dir_clear)

static double
seconds_since (gint64 start)
{
  return (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
}

static gboolean
resolve (const PlManifest *m, const PlComposeOptions *opts, GPtrArray **out_pkgs,
         GCancellable *cancellable, GError **error)
{
  g_autoptr(PlDepsolver) solver = pl_depsolver_new (m->arch);
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_rpmmd_files_free);
  for (guint i = 0; i < m->repos->len; i++)
    {
      PlRpmmdFiles *f = pl_rpmmd_fetch (m->repos->pdata[i], opts->cachedir, cancellable, error);
      if (!f)
        return FALSE;
      g_ptr_array_add (files, f);
      if (!pl_depsolver_add_repo (solver, f, error))
        return FALSE;
    }
  if (!opts->lockfile)
    return pl_depsolver_resolve (solver, (const char *const *) m->packages, out_pkgs, error);

  g_autoptr(PlLockfile) lock = pl_lockfile_load (AT_FDCWD, opts->lockfile, error);
  if (!lock)
    return FALSE;
  if (!g_str_equal (pl_lockfile_get_arch (lock), m->arch))
    return g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                        "%s: lockfile is for %s, the manifest for %s", opts->lockfile,
                        pl_lockfile_get_arch (lock), m->arch), FALSE;
  g_autoptr(GPtrArray) locked = pl_lockfile_to_packages (lock);
  return pl_depsolver_resolve_locked (solver, locked, out_pkgs, error);
}

/* Commit metadata: what `ostree show` and the node's status report about an image. */
static GVariant *
build_metadata (const PlManifest *m, GPtrArray *pkgs, const char *sbom_sha256,
                const char *kver)
{
  g_autoptr(GVariantBuilder) b = g_variant_builder_new (G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (b, "{sv}", "version", g_variant_new_string (m->version));
  g_variant_builder_add (b, "{sv}", "plinth.name", g_variant_new_string (m->name));
  g_variant_builder_add (b, "{sv}", "plinth.arch", g_variant_new_string (m->arch));
  g_variant_builder_add (b, "{sv}", "plinth.sbom-sha256", g_variant_new_string (sbom_sha256));
  g_autoptr(GPtrArray) nevras = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < pkgs->len; i++)
    g_ptr_array_add (nevras, pl_package_nevra (pkgs->pdata[i]));
  g_variant_builder_add (b, "{sv}", "plinth.packages",
                         g_variant_new_strv ((const char *const *) nevras->pdata, nevras->len));
  if (kver)
    {
      g_variant_builder_add (b, "{sv}", "ostree.bootable", g_variant_new_boolean (TRUE));
      g_variant_builder_add (b, "{sv}", "ostree.linux", g_variant_new_string (kver));
    }
  return g_variant_ref_sink (g_variant_builder_end (b));
}

static gboolean
install_and_postprocess (const PlManifest *m, const PlComposeOptions *opts, GPtrArray *pkgs,
                         const char *root, PlComposeResult *res, GCancellable *cancellable,
                         GError **error)
{
  gint64 t = g_get_monotonic_time ();
  PlRpmInstallOptions iopts = { .documentation = m->documentation,
                                .install_time = opts->source_date_epoch };
  if (!pl_rpm_install (root, pkgs, m->repos, &iopts, &res->warnings, cancellable, error))
    return g_prefix_error (error, "Installing packages: "), FALSE;
  res->t_install = seconds_since (t);

  t = g_get_monotonic_time ();
  PL_AUTOFD int rootfd = -1;
  if (!pl_opendirat (AT_FDCWD, root, TRUE, &rootfd, error))
    return FALSE;
  PlPostprocessOptions popts = { .os_id = m->os_id, .os_name = m->os_name,
                                 .version = m->version, .pretty_name = m->pretty_name,
                                 .variant_id = m->variant_id };
  if (!pl_postprocess_tree (rootfd, &popts, cancellable, error))
    return g_prefix_error (error, "Post-processing the tree: "), FALSE;
  if (!pl_kernel_find (rootfd, &res->kernel_version, error))
    return FALSE;
  res->t_postprocess = seconds_since (t);
  return TRUE;
}

static gboolean
write_outputs (const PlComposeOptions *opts, const PlManifest *m, GPtrArray *pkgs,
               const char *sbom_json, PlComposeResult *res, GError **error)
{
  if (opts->sbom_path)
    res->sbom_path = g_strdup (opts->sbom_path);
  else
    {
      g_autofree char *dir = g_build_filename (opts->repo_path, "sbom", NULL);
      if (!pl_mkdir_p_at (AT_FDCWD, dir, 0755, error))
        return FALSE;
      g_autofree char *name = g_strconcat (res->checksum, ".spdx.json", NULL);
      res->sbom_path = g_build_filename (dir, name, NULL);
    }
  if (!pl_file_replace_at (AT_FDCWD, res->sbom_path, sbom_json, strlen (sbom_json), 0644, error))
    return g_prefix_error (error, "Writing the SBOM: "), FALSE;
  if (opts->write_lockfile)
    {
      if (!pl_lockfile_write (AT_FDCWD, opts->write_lockfile, m->arch, pkgs, error))
        return g_prefix_error (error, "Writing the lockfile: "), FALSE;
      res->lockfile_path = g_strdup (opts->write_lockfile);
    }
  return TRUE;
}

/* Where to stage the root when the user did not say: in memory when the installed
 * tree fits with a wide margin (creating thousands of inodes on a disk filesystem is
 * most of an install's time), else /var/tmp. */
static const char *
choose_workdir (GPtrArray *pkgs)
{
  guint64 need = 0;
  for (guint i = 0; i < pkgs->len; i++)
    need += ((PlPackage *) pkgs->pdata[i])->installsize;
  struct statvfs st;
  if (statvfs ("/dev/shm", &st) == 0 && access ("/dev/shm", W_OK) == 0)
    {
      guint64 avail = (guint64) st.f_bavail * st.f_frsize;
      if (avail > 4 * need + 512 * 1024 * 1024ULL)
        return "/dev/shm";
    }
  return "/var/tmp";
}

gboolean
pl_compose_tree (const PlComposeOptions *opts, PlComposeResult **out_result,
                 GCancellable *cancellable, GError **error)
{
  gint64 t_start = g_get_monotonic_time ();
  g_autoptr(PlManifest) m = pl_manifest_load (opts->manifest_path, opts->defines,
                                              opts->version, error);
  if (!m)
    return FALSE;
  /* Open the repo first: a typo in --repo should not cost a whole compose */
  g_autoptr(OstreeRepo) repo = pl_repo_open_or_create (opts->repo_path,
                                                       OSTREE_REPO_MODE_ARCHIVE, cancellable,
                                                       error);
  if (!repo)
    return FALSE;

  g_autoptr(PlComposeResult) res = g_new0 (PlComposeResult, 1);
  g_autoptr(GPtrArray) pkgs = NULL;
  gint64 t = g_get_monotonic_time ();
  if (!resolve (m, opts, &pkgs, cancellable, error))
    return FALSE;
  res->t_resolve = seconds_since (t);

  t = g_get_monotonic_time ();
  if (!pl_pkgfetch_all (pkgs, m->repos, opts->cachedir, NULL, cancellable, error))
    return FALSE;
  res->t_fetch = seconds_since (t);

  g_auto(StagingDir) staging = { NULL };
  res->workdir = g_strdup (opts->workdir ? opts->workdir : choose_workdir (pkgs));
  g_autofree char *tmpl = g_build_filename (res->workdir,
                                            "plinth-compose-XXXXXX", NULL);
  if (!g_mkdtemp_full (tmpl, 0755))
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                        "Creating a staging directory %s: %s", tmpl, g_strerror (errno)), FALSE;
  staging.path = g_strdup (tmpl);
  if (!install_and_postprocess (m, opts, pkgs, staging.path, res, cancellable, error))
    return FALSE;

  gint64 created = opts->source_date_epoch > 0 ? opts->source_date_epoch
                                               : g_get_real_time () / G_USEC_PER_SEC;
  g_autofree char *sbom = pl_sbom_to_json (m->name, m->version, m->arch, pkgs, created);
  res->sbom_sha256 = pl_sha256_hex (sbom, strlen (sbom));

  t = g_get_monotonic_time ();
  PL_AUTOFD int rootfd = -1;
  if (!pl_opendirat (AT_FDCWD, staging.path, TRUE, &rootfd, error))
    return FALSE;
  g_autoptr(GVariant) metadata = build_metadata (m, pkgs, res->sbom_sha256, res->kernel_version);
  g_autofree char *subject = g_strdup_printf ("%s %s", m->name, m->version);
  PlCommitOptions copts = { .ref = m->ref, .subject = subject, .metadata = metadata,
                            .timestamp = opts->source_date_epoch > 0 ? opts->source_date_epoch : 0,
                            .gpg_key_id = opts->gpg_key_id, .gpg_homedir = opts->gpg_homedir,
                            .consume = TRUE };
  if (!pl_commit_tree (repo, rootfd, &copts, &res->checksum, cancellable, error))
    return FALSE;
  res->t_commit = seconds_since (t);

  res->ref = g_strdup (m->ref);
  res->version = g_strdup (m->version);
  res->arch = g_strdup (m->arch);
  res->n_packages = pkgs->len;
  res->signed_ = opts->gpg_key_id != NULL;
  res->gpg_key_id = g_strdup (opts->gpg_key_id);
  if (!write_outputs (opts, m, pkgs, sbom, res, error))
    return FALSE;
  res->t_total = seconds_since (t_start);
  *out_result = g_steal_pointer (&res);
  return TRUE;
}
