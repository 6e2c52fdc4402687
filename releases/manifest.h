/* The image manifest: what to compose (repos, packages, identity of the image). JSON,
 * read with json-c; docs/manifest.md is the user's reference. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_MANIFEST_ERROR (pl_manifest_error_quark ())
GQuark pl_manifest_error_quark (void);

typedef enum {
  PL_MANIFEST_ERROR_INVALID,     /* a field is missing, mistyped or out of range */
  PL_MANIFEST_ERROR_UNDEFINED,   /* a ${variable} that nobody defined */
  PL_MANIFEST_ERROR_INCLUDE,     /* include loop or unreadable include */
} PlManifestError;

typedef struct {
  char *id;
  char *baseurl;        /* variables expanded; no trailing slash */
  char **gpgkeys;       /* key URLs (file:// or https://), may be empty */
  gboolean is_unsigned; /* packages need no signature (digests are still checked) */
  char *sslcacert;      /* CA bundle for https:// (path), or NULL for the system's */
} PlManifestRepo;

typedef struct {
  char *path;           /* the top manifest file */
  char *name;           /* image name, e.g. "plinth-aks" */
  char *version;        /* image version, e.g. "43.20261121.0" */
  char *arch;           /* rpm arch, e.g. "x86_64" */
  char *ref;            /* OSTree ref; variables expanded */
  char *os_id;
  char *os_name;
  char *pretty_name;    /* may be NULL */
  char *variant_id;     /* may be NULL */
  GPtrArray *repos;     /* PlManifestRepo* */
  char **packages;      /* names, provides or "name OP evr" */
  gboolean documentation;
} PlManifest;

void pl_manifest_free (PlManifest *m);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlManifest, pl_manifest_free)

/* Loads PATH (and what it includes). DEFINES maps variable names to values for
 * ${name} in baseurl, gpgkey and ref; ${basearch} and ${manifestdir} are built in.
 * VERSION_OVERRIDE, if not NULL, replaces the manifest's version. */
PlManifest *pl_manifest_load (const char *path, GHashTable *defines,
                              const char *version_override, GError **error);

/* Same, from a string; BASE_DIR stands for ${manifestdir} and resolves includes. */
PlManifest *pl_manifest_load_data (const char *data, gsize len, const char *source,
                                   const char *base_dir, GHashTable *defines,
                                   const char *version_override, GError **error);

/* The repo with ID among REPOS (PlManifestRepo*), or NULL. */
const PlManifestRepo *pl_manifest_repo_find (GPtrArray *repos, const char *id);

/* Expands ${name} references in S; an undefined name is an error naming WHERE. */
char *pl_manifest_expand (const char *s, GHashTable *vars, const char *where, GError **error);

G_END_DECLS
