/* Dependency resolution with libsolv over rpm-md metadata: which packages, from which
 * repo, make the requested set installable into an empty root. */
#pragma once

#include <gio/gio.h>
#include "releases/rpmmd.h"

G_BEGIN_DECLS

#define PL_DEPSOLVE_ERROR (pl_depsolve_error_quark ())
GQuark pl_depsolve_error_quark (void);

typedef enum {
  PL_DEPSOLVE_ERROR_UNKNOWN_PACKAGE,  /* nothing matches a request */
  PL_DEPSOLVE_ERROR_UNSATISFIABLE,    /* libsolv found problems */
  PL_DEPSOLVE_ERROR_LOCKED_MISSING,   /* a locked NEVRA is in no repo, or differs */
  PL_DEPSOLVE_ERROR_METADATA,         /* metadata could not be loaded */
} PlDepsolveError;

typedef struct PlDepsolver PlDepsolver;

PlDepsolver *pl_depsolver_new (const char *arch);
void pl_depsolver_free (PlDepsolver *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlDepsolver, pl_depsolver_free)

gboolean pl_depsolver_add_repo (PlDepsolver *d, const PlRpmmdFiles *files, GError **error);

/* Resolves REQUESTS (names, provides, file paths or "name OP evr") into the full set
 * to install, as PlPackage* sorted by name. */
gboolean pl_depsolver_resolve (PlDepsolver *d, const char *const *requests,
                               GPtrArray **out_packages, GError **error);

/* Resolves exactly the packages in LOCKED (PlPackage* with name, epoch, version,
 * release, arch and sha256 set): each must exist with that checksum, and the result
 * must need nothing else. */
gboolean pl_depsolver_resolve_locked (PlDepsolver *d, GPtrArray *locked,
                                      GPtrArray **out_packages, GError **error);

G_END_DECLS
