/* The node's A/B deployments over libostree (see deployments.h for the semantics of
 * rollback on booted and non-booted sysroots). Every change takes the sysroot lock,
 * writes through libostree (which flips the boot loader entries with one rename) and
 * reloads, so the list the caller sees afterwards is what is on disk. */
#include "updater/deployments.h"

#include "lib/fsutil.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

G_DEFINE_QUARK (pl-deployments-error-quark, pl_deployments_error)

struct _PlDeployments {
  char *path;
  OstreeSysroot *sysroot;
};

void
pl_deployment_free (PlDeployment *d)
{
  if (!d)
    return;
  g_free (d->osname);
  g_free (d->commit);
  g_free (d->version);
  g_free (d->kargs);
  g_free (d);
}

void
pl_deployments_free (PlDeployments *self)
{
  if (!self)
    return;
  g_free (self->path);
  g_clear_object (&self->sysroot);
  g_free (self);
}

OstreeSysroot *
pl_deployments_get_sysroot (PlDeployments *self)
{
  return self->sysroot;
}

gboolean
pl_deployments_is_booted (PlDeployments *self)
{
  return ostree_sysroot_get_booted_deployment (self->sysroot) != NULL;
}

const char *
pl_deployments_get_path (PlDeployments *self)
{
  return self->path;
}

static gboolean
check_is_sysroot (const char *path, GError **error)
{
  PL_AUTOFD int dfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return g_set_error (error, PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_NOT_SYSROOT,
                        "Opening sysroot %s: %s", path, g_strerror (errno)), FALSE;
  struct stat st;
  const char *need[] = { "ostree/repo", "ostree/deploy" };
  for (guint i = 0; i < G_N_ELEMENTS (need); i++)
    if (fstatat (dfd, need[i], &st, 0) < 0 || !S_ISDIR (st.st_mode))
      return g_set_error (error, PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_NOT_SYSROOT,
                          "%s is not an OSTree sysroot (no %s)", path, need[i]), FALSE;
  return TRUE;
}

/* libostree's errors (G_IO_ERROR and friends) become PL_DEPLOYMENTS_ERROR_FAILED with
 * the same message, so callers assert on one domain. */
static gboolean
wrap_error (GError **error)
{
  if (error && *error && (*error)->domain != PL_DEPLOYMENTS_ERROR)
    {
      GError *e = g_error_new_literal (PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_FAILED,
                                       (*error)->message);
      g_error_free (*error);
      *error = e;
    }
  return FALSE;
}

PlDeployments *
pl_deployments_open (const char *path, GCancellable *cancellable, GError **error)
{
  if (!path)
    path = "/";
  if (!check_is_sysroot (path, error))
    return NULL;
  g_autoptr(GFile) f = g_file_new_for_path (path);
  g_autoptr(PlDeployments) self = g_new0 (PlDeployments, 1);
  self->path = g_strdup (path);
  self->sysroot = ostree_sysroot_new (f);
  if (!ostree_sysroot_load (self->sysroot, cancellable, error))
    {
      g_prefix_error (error, "Loading sysroot %s: ", path);
      wrap_error (error);
      return NULL;
    }
  return g_steal_pointer (&self);
}

/* The boot entry's kernel arguments minus ostree=, which libostree owns. */
static char *
deployment_kargs (OstreeDeployment *d)
{
  OstreeBootconfigParser *bc = ostree_deployment_get_bootconfig (d);
  const char *options = bc ? ostree_bootconfig_parser_get (bc, "options") : NULL;
  if (!options)
    return g_strdup ("");
  OstreeKernelArgs *kargs = ostree_kernel_args_new ();
  ostree_kernel_args_parse_append (kargs, options);
  /* cannot fail: the key was just looked up */
  if (ostree_kernel_args_get_last_value (kargs, "ostree"))
    (void) ostree_kernel_args_delete_key_entry (kargs, "ostree", NULL);
  char *s = ostree_kernel_args_to_string (kargs);
  ostree_kernel_args_free (kargs);
  return s;
}

static char *
commit_version (OstreeRepo *repo, const char *commit)
{
  g_autoptr(GVariant) cv = NULL;
  if (!ostree_repo_load_commit (repo, commit, &cv, NULL, NULL))
    return NULL;
  g_autoptr(GVariant) meta = g_variant_get_child_value (cv, 0);
  const char *version = NULL;
  if (!g_variant_lookup (meta, "version", "&s", &version))
    return NULL;
  return g_strdup (version);
}

/* Which deployment of OSNAME a rollback would make the default (NULL: none), given the
 * sysroot's current list. Shared by the listing (its "rollback" flag) and the action. */
static OstreeDeployment *
rollback_target (PlDeployments *self, const char *osname, GPtrArray *all)
{
  OstreeDeployment *booted = ostree_sysroot_get_booted_deployment (self->sysroot);
  g_autoptr(GPtrArray) mine = g_ptr_array_new ();
  for (guint i = 0; i < all->len; i++)
    {
      OstreeDeployment *d = all->pdata[i];
      if (ostree_deployment_is_staged (d))
        continue;
      if (!osname || g_str_equal (ostree_deployment_get_osname (d), osname))
        g_ptr_array_add (mine, d);
    }
  if (mine->len == 0)
    return NULL;
  OstreeDeployment *first = all->pdata[0];
  if (booted)
    {
      /* a staged or pending update is undone by booting the booted one again */
      if (!ostree_deployment_equal (first, booted))
        return (!osname || g_str_equal (ostree_deployment_get_osname (booted), osname))
                   ? booted : NULL;
      for (guint i = 0; i < mine->len; i++)
        if (!ostree_deployment_equal (mine->pdata[i], booted))
          return mine->pdata[i];
      return NULL;
    }
  /* Not booted: the OS's second deployment; if the OS's first one is not the sysroot's
   * default (another OS boots first), the OS's first one. */
  if (!ostree_deployment_equal (first, mine->pdata[0]))
    return mine->pdata[0];
  return mine->len > 1 ? mine->pdata[1] : NULL;
}

GPtrArray *
pl_deployments_list (PlDeployments *self, const char *osname)
{
  g_autoptr(GPtrArray) all = ostree_sysroot_get_deployments (self->sysroot);
  OstreeDeployment *booted = ostree_sysroot_get_booted_deployment (self->sysroot);
  OstreeRepo *repo = ostree_sysroot_repo (self->sysroot);
  OstreeDeployment *rb = rollback_target (self, osname, all);
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_deployment_free);
  gboolean before_booted = TRUE;
  for (guint i = 0; i < all->len; i++)
    {
      OstreeDeployment *d = all->pdata[i];
      gboolean is_booted = booted && ostree_deployment_equal (d, booted);
      if (is_booted)
        before_booted = FALSE;
      if (osname && !g_str_equal (ostree_deployment_get_osname (d), osname))
        continue;
      PlDeployment *p = g_new0 (PlDeployment, 1);
      p->osname = g_strdup (ostree_deployment_get_osname (d));
      p->commit = g_strdup (ostree_deployment_get_csum (d));
      p->version = commit_version (repo, p->commit);
      p->serial = ostree_deployment_get_deployserial (d);
      p->index = i;
      p->kargs = deployment_kargs (d);
      p->is_default = i == 0;
      p->booted = is_booted;
      p->staged = ostree_deployment_is_staged (d);
      p->pending = booted && before_booted;
      p->rollback = rb && ostree_deployment_equal (d, rb);
      g_ptr_array_add (out, p);
    }
  return out;
}

static PlDeployment *
find_listed (PlDeployments *self, OstreeDeployment *d)
{
  g_autoptr(GPtrArray) list = pl_deployments_list (self, NULL);
  for (guint i = 0; i < list->len; i++)
    {
      PlDeployment *p = list->pdata[i];
      if (g_str_equal (p->commit, ostree_deployment_get_csum (d))
          && p->serial == ostree_deployment_get_deployserial (d)
          && g_str_equal (p->osname, ostree_deployment_get_osname (d)))
        return g_ptr_array_steal_index (list, i);
    }
  return NULL;
}

static gboolean
check_osname (PlDeployments *self, const char *osname, GError **error)
{
  if (!osname || !*osname || strchr (osname, '/') || g_str_equal (osname, ".")
      || g_str_equal (osname, ".."))
    return g_set_error (error, PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_INVALID_ARGS,
                        "Invalid OS name \"%s\"", osname ? osname : ""), FALSE;
  return TRUE;
}

/* Takes the sysroot lock and reloads, so decisions are made on the current list. */
static gboolean
lock_and_reload (PlDeployments *self, GCancellable *cancellable, GError **error)
{
  if (!ostree_sysroot_lock (self->sysroot, error))
    return g_prefix_error (error, "Locking sysroot %s: ", self->path), FALSE;
  if (!ostree_sysroot_load (self->sysroot, cancellable, error))
    {
      ostree_sysroot_unlock (self->sysroot);
      return g_prefix_error (error, "Reloading sysroot %s: ", self->path), FALSE;
    }
  return TRUE;
}

static gboolean
unlock_and_reload (PlDeployments *self, gboolean ok, GCancellable *cancellable,
                   GError **error)
{
  ostree_sysroot_unlock (self->sysroot);
  if (!ok)
    return FALSE;
  /* a failed reload must not hide a successful change: report it as such */
  if (!ostree_sysroot_load (self->sysroot, cancellable, error))
    return g_prefix_error (error, "Reloading sysroot %s after the change: ", self->path),
           FALSE;
  return TRUE;
}

static gboolean
do_rollback (PlDeployments *self, const char *osname, OstreeDeployment **out_target,
             GCancellable *cancellable, GError **error)
{
  g_autoptr(GPtrArray) all = ostree_sysroot_get_deployments (self->sysroot);
  gboolean have_mine = FALSE;
  for (guint i = 0; i < all->len && !have_mine; i++)
    have_mine = g_str_equal (ostree_deployment_get_osname (all->pdata[i]), osname);
  if (!have_mine)
    return g_set_error (error, PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_NO_DEPLOYMENTS,
                        "No deployments of OS \"%s\" in %s", osname, self->path), FALSE;
  OstreeDeployment *target = rollback_target (self, osname, all);
  if (!target)
    return g_set_error (error, PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_NO_ROLLBACK,
                        "OS \"%s\" has only one deployment: nothing to roll back to",
                        osname), FALSE;
  /* the target first, then the rest in their order; a staged deployment not first is
   * dropped by libostree (that is the "discard the staged update" case) */
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (g_object_unref);
  g_ptr_array_add (order, g_object_ref (target));
  for (guint i = 0; i < all->len; i++)
    {
      OstreeDeployment *d = all->pdata[i];
      if (ostree_deployment_equal (d, target) || ostree_deployment_is_staged (d))
        continue;
      g_ptr_array_add (order, g_object_ref (d));
    }
  if (!ostree_sysroot_write_deployments (self->sysroot, order, cancellable, error))
    return g_prefix_error (error, "Writing the new boot order: "), FALSE;
  *out_target = g_object_ref (target);
  return TRUE;
}

gboolean
pl_deployments_rollback (PlDeployments *self, const char *osname,
                         PlDeployment **out_new_default, GCancellable *cancellable,
                         GError **error)
{
  if (!check_osname (self, osname, error))
    return FALSE;
  if (!lock_and_reload (self, cancellable, error))
    return wrap_error (error);
  g_autoptr(OstreeDeployment) target = NULL;
  gboolean ok = do_rollback (self, osname, &target, cancellable, error);
  if (!unlock_and_reload (self, ok, cancellable, error))
    return wrap_error (error);
  if (out_new_default)
    *out_new_default = find_listed (self, target);
  return TRUE;
}

static gboolean
do_deploy (PlDeployments *self, const char *osname, const char *commit, gboolean keep_kargs,
           OstreeDeployment **out_new, GCancellable *cancellable, GError **error)
{
  OstreeRepo *repo = ostree_sysroot_repo (self->sysroot);
  g_autoptr(GVariant) cv = NULL;
  g_autoptr(GError) local_error = NULL;
  if (!ostree_repo_load_commit (repo, commit, &cv, NULL, &local_error))
    return g_set_error (error, PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_COMMIT_MISSING,
                        "Commit %s is not in the repo of %s: %s", commit, self->path,
                        local_error->message), FALSE;
  OstreeDeployment *booted = ostree_sysroot_get_booted_deployment (self->sysroot);
  /* booted: the booted one; else this OS's default */
  g_autoptr(OstreeDeployment) merge = ostree_sysroot_get_merge_deployment (self->sysroot,
                                                                           osname);
  /* explicit either way: NULL would make libostree inherit the merge deployment's
   * arguments, so "none" is an empty list */
  g_auto(GStrv) kargv = g_new0 (char *, 1);
  if (keep_kargs && merge)
    {
      g_autofree char *kargs = deployment_kargs (merge);
      OstreeKernelArgs *k = ostree_kernel_args_new ();
      ostree_kernel_args_parse_append (k, kargs);
      g_strfreev (kargv);
      kargv = ostree_kernel_args_to_strv (k);
      ostree_kernel_args_free (k);
    }
  g_autoptr(GKeyFile) origin = ostree_sysroot_origin_new_from_refspec (self->sysroot, commit);
  OstreeSysrootDeployTreeOpts opts = { .override_kernel_argv = kargv };
  g_autoptr(OstreeDeployment) new_deployment = NULL;
  if (booted)
    {
      if (!ostree_sysroot_stage_tree_with_options (self->sysroot, osname, commit, origin,
                                                   merge, &opts, &new_deployment,
                                                   cancellable, error))
        return g_prefix_error (error, "Staging %s: ", commit), FALSE;
      /* the finalize step at shutdown keeps only the booted and the new deployment;
       * objects no deployment or ref needs can go now */
      if (!ostree_sysroot_cleanup (self->sysroot, cancellable, error))
        return g_prefix_error (error, "Cleaning up after staging: "), FALSE;
    }
  else
    {
      if (!ostree_sysroot_deploy_tree_with_options (self->sysroot, osname, commit, origin,
                                                    merge, &opts, &new_deployment,
                                                    cancellable, error))
        return g_prefix_error (error, "Deploying %s: ", commit), FALSE;
      /* flags 0: new one first, keep the merge (and booted) deployment, drop the rest of
       * this OS, then clean up (old deployment directories, boot files, repo prune) */
      if (!ostree_sysroot_simple_write_deployment (self->sysroot, osname, new_deployment,
                                                   merge, 0, cancellable, error))
        return g_prefix_error (error, "Writing deployments: "), FALSE;
    }
  *out_new = g_steal_pointer (&new_deployment);
  return TRUE;
}

gboolean
pl_deployments_deploy_commit (PlDeployments *self, const char *osname, const char *commit,
                              gboolean keep_kargs, PlDeployment **out_deployment,
                              GCancellable *cancellable, GError **error)
{
  if (!check_osname (self, osname, error))
    return FALSE;
  if (!pl_sha256_hex_valid (commit))
    return g_set_error (error, PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_INVALID_ARGS,
                        "\"%s\" is not a commit checksum (64 lower-case hex digits)",
                        commit ? commit : ""), FALSE;
  if (!lock_and_reload (self, cancellable, error))
    return wrap_error (error);
  g_autoptr(OstreeDeployment) new_deployment = NULL;
  gboolean ok = do_deploy (self, osname, commit, keep_kargs, &new_deployment, cancellable,
                           error);
  if (!unlock_and_reload (self, ok, cancellable, error))
    return wrap_error (error);
  if (out_deployment)
    *out_deployment = find_listed (self, new_deployment);
  return TRUE;
}
