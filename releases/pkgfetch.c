/* RPM download and verification. */
#include "releases/pkgfetch.h"
#include "releases/package.h"
#include "lib/fsutil.h"
#include "lib/http.h"

#include <errno.h>
#include <fcntl.h>

G_DEFINE_QUARK (pl-pkgfetch-error-quark, pl_pkgfetch_error)

static gboolean
verify (const PlPackage *pkg, int dfd, const char *path, GCancellable *cancellable,
        GError **error)
{
  g_autofree char *actual = NULL;
  guint64 size = 0;
  if (!pl_file_sha256_at (dfd, path, &actual, &size, cancellable, error))
    return FALSE;
  if (g_ascii_strcasecmp (actual, pkg->sha256) != 0)
    {
      g_autofree char *nevra = pl_package_nevra (pkg);
      return g_set_error (error, PL_PKGFETCH_ERROR, PL_PKGFETCH_ERROR_CHECKSUM,
                          "Package %s from repo %s (%s): SHA-256 is %s, but the repo "
                          "metadata says %s: the file is corrupted or was tampered with",
                          nevra, pkg->repo_id, pkg->location, actual, pkg->sha256), FALSE;
    }
  return TRUE;
}

static gboolean
fetch_one (PlPackage *pkg, const PlManifestRepo *repo, int cache_dfd, const char *cachedir,
           PlPkgfetchStats *stats, GCancellable *cancellable, GError **error)
{
  if (g_str_has_prefix (repo->baseurl, "file://"))
    {
      g_autofree char *path = g_strconcat (repo->baseurl + strlen ("file://"), "/",
                                           pkg->location, NULL);
      if (!verify (pkg, AT_FDCWD, path, cancellable, error))
        return FALSE;
      pkg->local_path = g_steal_pointer (&path);
      stats->n_local++;
      return TRUE;
    }

  g_autofree char *name = g_strconcat (pkg->sha256, ".rpm", NULL);
  if (faccessat (cache_dfd, name, F_OK, 0) == 0)
    {
      if (verify (pkg, cache_dfd, name, cancellable, NULL))
        {
          pkg->local_path = g_build_filename (cachedir, name, NULL);
          stats->n_cached++;
          return TRUE;
        }
      (void) unlinkat (cache_dfd, name, 0);
    }
  g_autofree char *url = g_strconcat (repo->baseurl, "/", pkg->location, NULL);
  PlHttpOptions opts = { .retries = 3, .retry_base_ms = 200, .max_size = pkg->size,
                         .connect_timeout_secs = 15, .ca_file = repo->sslcacert };
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GError) local_error = NULL;
  if (!pl_http_download (url, cache_dfd, name, TRUE, &opts, &res, cancellable, &local_error))
    {
      g_autofree char *nevra = pl_package_nevra (pkg);
      return g_set_error (error, PL_PKGFETCH_ERROR, PL_PKGFETCH_ERROR_DOWNLOAD,
                          "Downloading %s from repo %s: %s", nevra, repo->id,
                          local_error->message), FALSE;
    }
  if (!verify (pkg, cache_dfd, name, cancellable, error))
    {
      (void) unlinkat (cache_dfd, name, 0);
      return FALSE;
    }
  pkg->local_path = g_build_filename (cachedir, name, NULL);
  stats->n_downloaded++;
  stats->bytes_downloaded += res.bytes_transferred;
  return TRUE;
}

gboolean
pl_pkgfetch_all (GPtrArray *pkgs, GPtrArray *repos, const char *cachedir,
                 PlPkgfetchStats *out_stats, GCancellable *cancellable, GError **error)
{
  PlPkgfetchStats stats = { 0 };
  g_autofree char *dir = g_build_filename (cachedir, "packages", NULL);
  if (!pl_mkdir_p_at (AT_FDCWD, dir, 0755, error))
    return FALSE;
  PL_AUTOFD int dfd = -1;
  if (!pl_opendirat (AT_FDCWD, dir, TRUE, &dfd, error))
    return FALSE;
  for (guint i = 0; i < pkgs->len; i++)
    {
      PlPackage *pkg = pkgs->pdata[i];
      const PlManifestRepo *repo = pl_manifest_repo_find (repos, pkg->repo_id);
      g_assert (repo != NULL);
      if (!fetch_one (pkg, repo, dfd, dir, &stats, cancellable, error))
        return FALSE;
    }
  if (out_stats)
    *out_stats = stats;
  return TRUE;
}
