/* Azure WireServer: the goal state (GET /machine/?comp=goalstate) and the health
 * report (POST /machine/?comp=health) that tells Azure the VM is provisioned (Ready)
 * or failed (NotReady / ProvisioningFailed). Every request carries
 * x-ms-version: 2012-11-30 and bypasses proxies; failures are retried with backoff. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_WIRESERVER_ERROR (pl_wireserver_error_quark ())
GQuark pl_wireserver_error_quark (void);

typedef enum {
  PL_WIRESERVER_ERROR_PARSE,   /* the goal state is not XML or lacks a field */
  PL_WIRESERVER_ERROR_HTTP,    /* the server could not be reached or kept refusing */
} PlWireserverError;

#define PL_WIRESERVER_DEFAULT_URL "http://168.63.129.16"
#define PL_WIRESERVER_DESCRIPTION_MAX 3600

typedef struct {
  char *incarnation;
  char *container_id;
  char *instance_id;
} PlGoalState;

void pl_goal_state_free (PlGoalState *gs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlGoalState, pl_goal_state_free)

PlGoalState *pl_goal_state_parse (const char *xml, gsize len, GError **error);

/* The Health document; DESCRIPTION (NotReady only) is cut to
 * PL_WIRESERVER_DESCRIPTION_MAX characters and XML-escaped. */
char *pl_wireserver_health_xml (const PlGoalState *gs, gboolean ready,
                                const char *description);

typedef struct {
  const char *base_url;     /* NULL: PL_WIRESERVER_DEFAULT_URL */
  guint attempts;           /* 0: 10 */
  guint retry_base_ms;      /* 0: 1000, doubled per attempt, at most 30 s */
} PlWireserverOptions;

PlGoalState *pl_wireserver_get_goal_state (const PlWireserverOptions *opts,
                                           GCancellable *cancellable, GError **error);

/* Fetches the goal state, then posts Ready or NotReady with DESCRIPTION. */
gboolean pl_wireserver_report_health (const PlWireserverOptions *opts, gboolean ready,
                                      const char *description, GCancellable *cancellable,
                                      GError **error);

G_END_DECLS
