/* The executor: carries a provisioning plan out in a target root, all or nothing.
 * Everything that can be checked is checked before the first write: the plan's paths,
 * owners (resolved in the root's own user database), existing nodes against
 * `overwrite`, symlinks that would lead out of the root, units to enable, and (by the
 * caller, pl_fetch_resolve_plan) every remote content and hash. Only then are the
 * user database, directories, files, links, units, hostname and kernel arguments
 * written, each file atomically. */
#pragma once

#include "ignition/plan.h"

G_BEGIN_DECLS

#define PL_APPLY_ERROR (pl_apply_error_quark ())
GQuark pl_apply_error_quark (void);

typedef enum {
  PL_APPLY_ERROR_EXISTS,        /* a node exists and overwrite is false */
  PL_APPLY_ERROR_UNRESOLVED,    /* a file whose contents were not fetched yet */
  PL_APPLY_ERROR_UNIT_NOT_FOUND,/* enabling a unit that is neither given nor in the root */
  PL_APPLY_ERROR_CONFLICT,      /* entries of the plan contradict each other */
} PlApplyError;

/* Where kernel arguments are recorded for the boot side to apply (one per line,
 * "+ARG" to add, "-ARG" to remove). */
#define PL_APPLY_KARGS_PATH "/var/lib/plinth/provision/kernel-args"

typedef struct {
  gboolean dry_run;      /* check everything, write nothing */
} PlApplyOptions;

/* Applies PLAN to ROOT_FD. OUT_CHANGES (optional) receives one line per change made
 * (or, in a dry run, that would be made): "file /etc/x", "user core", ... */
gboolean pl_apply_plan (int root_fd, PlPlan *plan, const PlApplyOptions *opts,
                        GPtrArray **out_changes, GCancellable *cancellable, GError **error);

G_END_DECLS
