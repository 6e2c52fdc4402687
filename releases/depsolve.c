/* libsolv depsolving. Traps worth knowing (see REFERENCE.md): Debian's libsolv must be
 * told it is resolving RPMs (pool_setdisttype) before the arch is set, and file
 * provides need pool_addfileprovides before whatprovides is built. */
#include "releases/depsolve.h"
#include "releases/package.h"

#include <solv/pool.h>
#include <solv/poolarch.h>
#include <solv/repo.h>
#include <solv/repo_rpmmd.h>
#include <solv/selection.h>
#include <solv/solv_xfopen.h>
#include <solv/solver.h>
#include <solv/transaction.h>
#include <errno.h>
#include <string.h>

G_DEFINE_QUARK (pl-depsolve-error-quark, pl_depsolve_error)

struct PlDepsolver {
  Pool *pool;
  char *arch;
  gboolean whatprovides_ready;
};

typedef Queue PlSolvQueue;
static void
queue_free_wrapper (Queue *q)
{
  queue_free (q);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PlSolvQueue, queue_free_wrapper)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Solver, solver_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Transaction, transaction_free)

PlDepsolver *
pl_depsolver_new (const char *arch)
{
  PlDepsolver *d = g_new0 (PlDepsolver, 1);
  d->pool = pool_create ();
  pool_setdisttype (d->pool, DISTTYPE_RPM);
  pool_setarch (d->pool, arch);
  d->arch = g_strdup (arch);
  return d;
}

void
pl_depsolver_free (PlDepsolver *d)
{
  if (!d)
    return;
  pool_free (d->pool);
  g_free (d->arch);
  g_free (d);
}

static gboolean
add_rpmmd_file (Repo *repo, const char *path, int flags, GError **error)
{
  FILE *fp = solv_xfopen (path, "r");
  if (!fp)
    return g_set_error (error, PL_DEPSOLVE_ERROR, PL_DEPSOLVE_ERROR_METADATA,
                        "Opening %s: %s", path, g_strerror (errno)), FALSE;
  int rc = repo_add_rpmmd (repo, fp, NULL, flags);
  fclose (fp);
  if (rc != 0)
    return g_set_error (error, PL_DEPSOLVE_ERROR, PL_DEPSOLVE_ERROR_METADATA, "Reading %s: %s",
                        path, pool_errstr (repo->pool)), FALSE;
  return TRUE;
}

gboolean
pl_depsolver_add_repo (PlDepsolver *d, const PlRpmmdFiles *files, GError **error)
{
  Repo *repo = repo_create (d->pool, files->repo->id);
  repo->appdata = (void *) files->repo;
  if (!add_rpmmd_file (repo, files->primary_path, 0, error))
    return g_prefix_error (error, "Repo %s: ", files->repo->id), FALSE;
  if (files->filelists_path
      && !add_rpmmd_file (repo, files->filelists_path, REPO_EXTEND_SOLVABLES,
                          error))
    return g_prefix_error (error, "Repo %s: ", files->repo->id), FALSE;
  repo_internalize (repo);
  d->whatprovides_ready = FALSE;
  return TRUE;
}

static void
ensure_whatprovides (PlDepsolver *d)
{
  if (d->whatprovides_ready)
    return;
  pool_addfileprovides (d->pool);
  pool_createwhatprovides (d->pool);
  d->whatprovides_ready = TRUE;
}

/* Splits libsolv's "[epoch:]version-release" */
static void
split_evr (const char *evr, PlPackage *pkg)
{
  const char *colon = strchr (evr, ':');
  const char *vr = evr;
  if (colon)
    {
      pkg->epoch = g_ascii_strtoull (evr, NULL, 10);
      vr = colon + 1;
    }
  const char *dash = strrchr (vr, '-');
  pkg->version = dash ? g_strndup (vr, dash - vr) : g_strdup (vr);
  pkg->release = g_strdup (dash ? dash + 1 : "");
}

static PlPackage *
package_from_solvable (Pool *pool, Id p)
{
  Solvable *s = pool_id2solvable (pool, p);
  PlPackage *pkg = pl_package_new ();
  pkg->name = g_strdup (pool_id2str (pool, s->name));
  split_evr (pool_id2str (pool, s->evr), pkg);
  pkg->arch = g_strdup (pool_id2str (pool, s->arch));
  pkg->license = g_strdup (solvable_lookup_str (s, SOLVABLE_LICENSE));
  pkg->summary = g_strdup (solvable_lookup_str (s, SOLVABLE_SUMMARY));
  Id type = 0;
  const char *sum = solvable_lookup_checksum (s, SOLVABLE_CHECKSUM, &type);
  if (sum && type == REPOKEY_TYPE_SHA256)
    pkg->sha256 = g_strdup (sum);
  pkg->size = solvable_lookup_num (s, SOLVABLE_DOWNLOADSIZE, 0);
  pkg->installsize = solvable_lookup_num (s, SOLVABLE_INSTALLSIZE, 0);
  pkg->repo_id = g_strdup (s->repo->name);
  unsigned int medianr = 0;
  pkg->location = g_strdup (solvable_get_location (s, &medianr));
  return pkg;
}

static gboolean
check_checksums (GPtrArray *pkgs, GError **error)
{
  for (guint i = 0; i < pkgs->len; i++)
    {
      PlPackage *pkg = pkgs->pdata[i];
      if (!pkg->sha256)
        {
          g_autofree char *nevra = pl_package_nevra (pkg);
          return g_set_error (error, PL_DEPSOLVE_ERROR, PL_DEPSOLVE_ERROR_METADATA,
                              "Repo %s: %s has no SHA-256 checksum in its metadata "
                              "(recreate the repo with createrepo_c's default sha256)",
                              pkg->repo_id, nevra), FALSE;
        }
    }
  return TRUE;
}

static char *
repo_list (Pool *pool)
{
  g_autoptr(GString) s = g_string_new (NULL);
  Repo *repo;
  int i;
  FOR_REPOS (i, repo)
    g_string_append_printf (s, "%s%s", s->len ? ", " : "", repo->name);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* Runs the solver on JOB; on problems, an error in libsolv's words. */
static gboolean
solve (PlDepsolver *d, Queue *job, GPtrArray **out_packages, GError **error)
{
  g_autoptr(Solver) solv = solver_create (d->pool);
  /* An immutable base image carries what it asks for, not what packages merely suggest */
  solver_set_flag (solv, SOLVER_FLAG_IGNORE_RECOMMENDED, 1);
  if (solver_solve (solv, job) != 0)
    {
      g_autoptr(GString) msg = g_string_new ("Cannot resolve the requested packages:");
      Id problem = 0;
      while ((problem = solver_next_problem (solv, problem)) != 0)
        g_string_append_printf (msg, "\n  - %s", solver_problem2str (solv, problem));
      return g_set_error_literal (error, PL_DEPSOLVE_ERROR, PL_DEPSOLVE_ERROR_UNSATISFIABLE,
                                  msg->str), FALSE;
    }
  g_autoptr(Transaction) trans = solver_create_transaction (solv);
  g_autoptr(GPtrArray) pkgs = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_package_free);
  for (int i = 0; i < trans->steps.count; i++)
    {
      Id p = trans->steps.elements[i];
      if (transaction_type (trans, p, SOLVER_TRANSACTION_SHOW_ACTIVE) == SOLVER_TRANSACTION_INSTALL)
        g_ptr_array_add (pkgs, package_from_solvable (d->pool, p));
    }
  pl_package_array_sort (pkgs);
  if (!check_checksums (pkgs, error))
    return FALSE;
  *out_packages = g_steal_pointer (&pkgs);
  return TRUE;
}

gboolean
pl_depsolver_resolve (PlDepsolver *d, const char *const *requests, GPtrArray **out_packages,
                      GError **error)
{
  ensure_whatprovides (d);
  g_auto(PlSolvQueue) job;
  queue_init (&job);
  for (const char *const *r = requests; *r; r++)
    {
      g_auto(PlSolvQueue) sel;
      queue_init (&sel);
      int flags = SELECTION_NAME | SELECTION_PROVIDES | SELECTION_REL | SELECTION_DOTARCH
                  | SELECTION_CANON | SELECTION_FILELIST;
      selection_make (d->pool, &sel, *r, flags);
      if (sel.count == 0)
        {
          g_autofree char *repos = repo_list (d->pool);
          return g_set_error (error, PL_DEPSOLVE_ERROR, PL_DEPSOLVE_ERROR_UNKNOWN_PACKAGE,
                              "No package matches \"%s\" in the repos (%s)", *r, repos), FALSE;
        }
      for (int i = 0; i < sel.count; i += 2)
        queue_push2 (&job, sel.elements[i] | SOLVER_INSTALL, sel.elements[i + 1]);
    }
  return solve (d, &job, out_packages, error);
}

/* Finds the solvable with exactly PKG's NEVRA and checksum. */
static Id
find_locked (PlDepsolver *d, const PlPackage *pkg, gboolean *out_checksum_differs)
{
  g_autofree char *evr = pl_package_evr (pkg);
  Id name = pool_str2id (d->pool, pkg->name, 0);
  Id evrid = pool_str2id (d->pool, evr, 0);
  Id arch = pool_str2id (d->pool, pkg->arch, 0);
  *out_checksum_differs = FALSE;
  if (!name || !evrid || !arch)
    return 0;
  Pool *pool = d->pool; /* FOR_PROVIDES expects a variable named pool */
  Id p, pp;
  FOR_PROVIDES (p, pp, name)
    {
      Solvable *s = pool_id2solvable (d->pool, p);
      if (s->name != name || s->evr != evrid || s->arch != arch)
        continue;
      Id type = 0;
      const char *sum = solvable_lookup_checksum (s, SOLVABLE_CHECKSUM, &type);
      if (sum && g_ascii_strcasecmp (sum, pkg->sha256) == 0)
        return p;
      *out_checksum_differs = TRUE;
    }
  return 0;
}

gboolean
pl_depsolver_resolve_locked (PlDepsolver *d, GPtrArray *locked, GPtrArray **out_packages,
                             GError **error)
{
  ensure_whatprovides (d);
  g_auto(PlSolvQueue) job;
  queue_init (&job);
  g_autoptr(GString) missing = g_string_new (NULL);
  for (guint i = 0; i < locked->len; i++)
    {
      const PlPackage *pkg = locked->pdata[i];
      gboolean differs = FALSE;
      Id p = find_locked (d, pkg, &differs);
      g_autofree char *nevra = pl_package_nevra (pkg);
      if (!p)
        g_string_append_printf (missing, "\n  - %s%s", nevra,
                                differs ? " (present, but its checksum differs from the lockfile)"
                                        : " (in no repo)");
      else
        queue_push2 (&job, SOLVER_INSTALL | SOLVER_SOLVABLE, p);
    }
  if (missing->len)
    return g_set_error (error, PL_DEPSOLVE_ERROR, PL_DEPSOLVE_ERROR_LOCKED_MISSING,
                        "Locked packages not available:%s", missing->str), FALSE;
  g_autoptr(GPtrArray) pkgs = NULL;
  if (!solve (d, &job, &pkgs, error))
    return FALSE;
  if (pkgs->len != locked->len)
    {
      g_autoptr(GString) extra = g_string_new (NULL);
      g_autoptr(GHashTable) want = g_hash_table_new (g_str_hash, g_str_equal);
      for (guint i = 0; i < locked->len; i++)
        g_hash_table_add (want, ((PlPackage *) locked->pdata[i])->name);
      for (guint i = 0; i < pkgs->len; i++)
        {
          PlPackage *pkg = pkgs->pdata[i];
          if (!g_hash_table_contains (want, pkg->name))
            {
              g_autofree char *nevra = pl_package_nevra (pkg);
              g_string_append_printf (extra, "\n  - %s", nevra);
            }
        }
      return g_set_error (error, PL_DEPSOLVE_ERROR, PL_DEPSOLVE_ERROR_LOCKED_MISSING,
                          "The locked set is incomplete: it also needs%s", extra->str), FALSE;
    }
  *out_packages = g_steal_pointer (&pkgs);
  return TRUE;
}
