/* Brings the resolved RPMs to local disk, verified against the repo metadata's
 * SHA-256. Local (file://) repos are used in place; remote ones go through a cache
 * keyed by checksum, so a second compose downloads nothing. */
#pragma once

#include <gio/gio.h>
#include "releases/manifest.h"

G_BEGIN_DECLS

#define PL_PKGFETCH_ERROR (pl_pkgfetch_error_quark ())
GQuark pl_pkgfetch_error_quark (void);

typedef enum {
  PL_PKGFETCH_ERROR_CHECKSUM,   /* the file differs from what the metadata says */
  PL_PKGFETCH_ERROR_DOWNLOAD,   /* could not be fetched */
} PlPkgfetchError;

typedef struct {
  guint n_cached;      /* found in the cache */
  guint n_local;       /* used in place from a file:// repo */
  guint n_downloaded;
  guint64 bytes_downloaded;
} PlPkgfetchStats;

/* Sets local_path on every PlPackage of PKGS. REPOS: PlManifestRepo* to look ids up. */
gboolean pl_pkgfetch_all (GPtrArray *pkgs, GPtrArray *repos, const char *cachedir,
                          PlPkgfetchStats *out_stats, GCancellable *cancellable,
                          GError **error);

G_END_DECLS
