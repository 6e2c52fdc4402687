/* rpm-md repositories: fetches repodata/repomd.xml, then the primary and filelists
 * metadata it points to, each verified against the checksum repomd.xml gives, into a
 * cache keyed by that checksum so an unchanged repo costs one small request. */
#pragma once

#include <gio/gio.h>
#include "releases/manifest.h"

G_BEGIN_DECLS

#define PL_RPMMD_ERROR (pl_rpmmd_error_quark ())
GQuark pl_rpmmd_error_quark (void);

typedef enum {
  PL_RPMMD_ERROR_UNREACHABLE,   /* the repo could not be read at all */
  PL_RPMMD_ERROR_INVALID,       /* repomd.xml is malformed or lacks primary metadata */
  PL_RPMMD_ERROR_CHECKSUM,      /* a metadata file does not match repomd.xml */
} PlRpmmdError;

typedef struct {
  char *type;            /* "primary", "filelists", ... */
  char *href;            /* relative to the baseurl */
  char *checksum_type;   /* "sha256", "sha512", "sha1" */
  char *checksum;
  guint64 size;          /* 0 when repomd.xml does not say */
} PlRepomdEntry;

typedef struct {
  char *revision;
  GPtrArray *entries;    /* PlRepomdEntry* */
} PlRepomd;

void pl_repomd_free (PlRepomd *md);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlRepomd, pl_repomd_free)

PlRepomd *pl_repomd_parse (const char *xml, gsize len, GError **error);
const PlRepomdEntry *pl_repomd_find (PlRepomd *md, const char *type);

/* Local, verified copies of one repo's metadata. */
typedef struct {
  const PlManifestRepo *repo;   /* borrowed */
  char *primary_path;
  char *filelists_path;         /* NULL if the repo has none */
} PlRpmmdFiles;

void pl_rpmmd_files_free (PlRpmmdFiles *f);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlRpmmdFiles, pl_rpmmd_files_free)

PlRpmmdFiles *pl_rpmmd_fetch (const PlManifestRepo *repo, const char *cachedir,
                              GCancellable *cancellable, GError **error);

/* Verifies the file at PATH against a checksum of TYPE (sha1, sha256, sha512). */
gboolean pl_checksum_file_matches (const char *path, const char *type, const char *expected,
                                   char **out_actual, GError **error);

G_END_DECLS
