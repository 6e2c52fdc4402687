/* The node's A/B deployments: a thin layer over libostree's OstreeSysroot for one
 * sysroot path ("/" on a node, a temp directory in tests). It lists the deployments
 * with the flags an admin cares about, makes the other deployment the next boot
 * (rollback), and deploys a commit as the new default while keeping the booted (or, on
 * a sysroot that is not booted, the current default) one as the fallback.
 *
 * Two cases, because libostree has two: on a booted OSTree system a new deployment is
 * *staged* (finished at shutdown by ostree-finalize-staged.service); on a sysroot that
 * is not booted (a test sysroot, an image being built) it is deployed and written at
 * once, as `ostree admin deploy` without --stage does. See docs/plinthctl.md. */
#pragma once

#include <ostree.h>

G_BEGIN_DECLS

#define PL_DEPLOYMENTS_ERROR (pl_deployments_error_quark ())
GQuark pl_deployments_error_quark (void);

typedef enum {
  PL_DEPLOYMENTS_ERROR_NOT_SYSROOT,    /* the path is not an OSTree sysroot */
  PL_DEPLOYMENTS_ERROR_NO_DEPLOYMENTS, /* nothing deployed (for this OS) */
  PL_DEPLOYMENTS_ERROR_NO_ROLLBACK,    /* only one deployment: nothing to roll back to */
  PL_DEPLOYMENTS_ERROR_COMMIT_MISSING, /* the commit to deploy is not in the sysroot's repo */
  PL_DEPLOYMENTS_ERROR_INVALID_ARGS,   /* a malformed checksum or OS name */
  PL_DEPLOYMENTS_ERROR_FAILED,         /* libostree refused (message says why) */
} PlDeploymentsError;

typedef struct {
  char *osname;
  char *commit;        /* 64 hex */
  char *version;       /* commit metadata "version"; NULL if absent or commit pruned */
  int serial;          /* deployment serial (the ".N" in <csum>.N) */
  guint index;         /* position in the sysroot's list: 0 boots next */
  char *kargs;         /* kernel arguments of its boot entry (without ostree=); may be "" */
  gboolean is_default; /* index 0: the next boot */
  gboolean booted;     /* the running deployment */
  gboolean staged;     /* staged, to be finished at shutdown */
  gboolean pending;    /* booted system: sorts before the booted one (boots next) */
  gboolean rollback;   /* what pl_deployments_rollback() would make the next boot */
} PlDeployment;

void pl_deployment_free (PlDeployment *d);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlDeployment, pl_deployment_free)

typedef struct _PlDeployments PlDeployments;

/* Opens and loads the sysroot at PATH (NULL: "/"). */
PlDeployments *pl_deployments_open (const char *path, GCancellable *cancellable,
                                     GError **error);
void pl_deployments_free (PlDeployments *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlDeployments, pl_deployments_free)

OstreeSysroot *pl_deployments_get_sysroot (PlDeployments *self);
/* Whether the running system was booted from this sysroot. */
gboolean pl_deployments_is_booted (PlDeployments *self);
const char *pl_deployments_get_path (PlDeployments *self);

/* The deployments of OSNAME (NULL: all), in boot order, as PlDeployment. */
GPtrArray *pl_deployments_list (PlDeployments *self, const char *osname);

/* Makes the other deployment of OSNAME the next boot, by reordering the list with
 * ostree_sysroot_write_deployments():
 *  - booted, with a staged deployment: the staged one is discarded (the booted one or
 *    whatever followed it boots next);
 *  - booted, default is not the booted one (an update is pending): the booted one
 *    becomes the default again;
 *  - booted and default: the first other deployment of OSNAME becomes the default;
 *  - not booted (test sysroot, image): the second deployment of OSNAME moves to the
 *    front, so with an A/B pair a rollback swaps them and a second one swaps back.
 * OUT_NEW_DEFAULT (optional) receives the deployment that boots next. */
gboolean pl_deployments_rollback (PlDeployments *self, const char *osname,
                                  PlDeployment **out_new_default,
                                  GCancellable *cancellable, GError **error);

/* Deploys COMMIT (already in the sysroot's repo) for OSNAME as the next boot. The merge
 * deployment (the booted one, else the current default) supplies /etc and, when
 * KEEP_KARGS, the kernel arguments; it stays as the fallback and every other
 * deployment of OSNAME is removed, then unreferenced objects are pruned. Staged on a
 * booted system, deployed at once otherwise. */
gboolean pl_deployments_deploy_commit (PlDeployments *self, const char *osname,
                                       const char *commit, gboolean keep_kargs,
                                       PlDeployment **out_deployment,
                                       GCancellable *cancellable, GError **error);

G_END_DECLS
