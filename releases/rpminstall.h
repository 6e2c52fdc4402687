/* Installs resolved RPMs into an empty root with librpm: signatures checked against
 * each repo's own keys, one transaction, scriptlets run in a chroot of the root, and
 * a failing scriptlet fails the install naming the package. Needs root. */
#pragma once

#include <gio/gio.h>
#include "releases/manifest.h"

G_BEGIN_DECLS

#define PL_RPMINSTALL_ERROR (pl_rpminstall_error_quark ())
GQuark pl_rpminstall_error_quark (void);

typedef enum {
  PL_RPMINSTALL_ERROR_SIGNATURE,      /* unsigned, bad signature, or a key the repo does not trust */
  PL_RPMINSTALL_ERROR_KEY,            /* a repo's key could not be read */
  PL_RPMINSTALL_ERROR_PACKAGE,        /* not a readable RPM */
  PL_RPMINSTALL_ERROR_SCRIPTLET,      /* a scriptlet failed */
  PL_RPMINSTALL_ERROR_TRANSACTION,    /* rpm refused or failed the transaction */
  PL_RPMINSTALL_ERROR_PERMISSION,     /* not running as root */
} PlRpmInstallError;

/* Where installed trees keep their rpm database (Fedora's location). */
#define PL_RPMDB_PATH "/usr/lib/sysimage/rpm"

typedef struct {
  gboolean documentation;     /* install %doc files */
  gint64 install_time;        /* > 0: the transaction id / install time (SOURCE_DATE_EPOCH) */
} PlRpmInstallOptions;

/* PKGS: PlPackage* with local_path set. REPOS: PlManifestRepo*. OUT_WARNINGS (may be
 * NULL) receives what rpm warned about (strings). */
gboolean pl_rpm_install (const char *rootdir, GPtrArray *pkgs, GPtrArray *repos,
                         const PlRpmInstallOptions *opts, GPtrArray **out_warnings,
                         GCancellable *cancellable, GError **error);

G_END_DECLS
