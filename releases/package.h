/* One installed RPM as the compose pipeline knows it: what was resolved, where it came
 * from and what its file hashed to. Shared by the depsolver, the installer, the SBOM
 * and the lockfile writers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
  char *name;
  guint64 epoch;        /* 0 when the package has none */
  char *version;
  char *release;
  char *arch;
  char *license;        /* the RPM's License tag, as written */
  char *summary;
  char *sha256;         /* hex SHA-256 of the .rpm file */
  guint64 size;         /* bytes of the .rpm file */
  guint64 installsize;  /* bytes its files take once installed (from the metadata) */
  char *repo_id;        /* manifest repo id it was taken from */
  char *location;       /* href relative to the repo's baseurl */
  char *local_path;     /* where the verified .rpm sits in the cache, once downloaded */
} PlPackage;

PlPackage *pl_package_new (void);
void pl_package_free (PlPackage *pkg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlPackage, pl_package_free)

/* "name-[epoch:]version-release.arch" */
char *pl_package_nevra (const PlPackage *pkg);
/* "[epoch:]version-release" */
char *pl_package_evr (const PlPackage *pkg);
/* Sorts a GPtrArray of PlPackage by name, then EVR string, then arch. */
void pl_package_array_sort (GPtrArray *pkgs);

G_END_DECLS
