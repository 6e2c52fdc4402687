/* The node's update status for people and tools: one object built from the
 * deployments, the agent's state and the last policy decision, serialized as JSON
 * (`plinthctl status --json`, /run/plinth/status.json) and as Prometheus text
 * exposition format (/run/plinth/plinth.prom, for node_exporter's textfile
 * collector). Both files are published atomically under the sysroot, so a reader sees
 * the old status or the new one. See docs/plinthctl.md for every field and metric. */
#pragma once

#include "updater/deployments.h"
#include "updater/state.h"

#include <json-c/json.h>

G_BEGIN_DECLS

#define PL_STATUS_ERROR (pl_status_error_quark ())
GQuark pl_status_error_quark (void);

typedef enum {
  PL_STATUS_ERROR_IO,   /* could not publish a status file */
} PlStatusError;

#define PL_STATUS_DIR "run/plinth"
#define PL_STATUS_JSON "run/plinth/status.json"
#define PL_STATUS_PROM "run/plinth/plinth.prom"

typedef struct {
  const char *osname;        /* the OS shown (NULL: every OS) */
  const char *sysroot;       /* its path, for the reader */
  gboolean sysroot_booted;   /* whether the running system booted from it */
  GPtrArray *deployments;    /* PlDeployment in boot order (borrowed) */
  PlState *state;            /* borrowed; NULL when it could not be read */
  const char *state_error;   /* why state is NULL or was reset (may be NULL) */
  const char *policy_kind;   /* pl_rollout_kind_to_string() of the last decision, or NULL */
  const char *policy_reason; /* its sentence, or NULL */
  gint64 now;                /* when this status was made (Unix seconds) */
} PlStatus;

/* The status as a JSON object (caller owns). */
json_object *pl_status_to_json (const PlStatus *status);
/* The status as Prometheus text exposition format (version 0.0.4). */
char *pl_status_to_prometheus (const PlStatus *status);
/* Writes ROOT_DFD/PL_STATUS_JSON and ROOT_DFD/PL_STATUS_PROM atomically. */
gboolean pl_status_write_at (const PlStatus *status, int root_dfd, GError **error);

G_END_DECLS
