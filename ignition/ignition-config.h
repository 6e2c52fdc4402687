/* Ignition configs, spec 3.0.0 to 3.5.0: parsed, validated and compiled into a
 * provisioning plan. Errors name the JSON path of the bad field
 * ("storage.files[3].mode: ..."). Inline (data:) contents are decoded and verified
 * here; remote contents are left for pl_fetch_resolve_plan(). */
#pragma once

#include "ignition/plan.h"
#include "ignition/fetch.h"

G_BEGIN_DECLS

#define PL_IGNITION_ERROR (pl_ignition_error_quark ())
GQuark pl_ignition_error_quark (void);

typedef enum {
  PL_IGNITION_ERROR_INVALID,      /* a field has a value the spec does not allow */
  PL_IGNITION_ERROR_VERSION,      /* ignition.version missing or not 3.0.0 - 3.5.0 */
  PL_IGNITION_ERROR_UNSUPPORTED,  /* valid Ignition that Plinth refuses (disks, merge...) */
} PlIgnitionError;

/* Compiles an Ignition config. OPTS gives the size limit for inline contents. */
PlPlan *pl_ignition_compile (const char *data, gsize len, const PlFetchOptions *opts,
                             GError **error);

/* Parses "3.x.y" into its minor number (3.4.0 -> 4); FALSE for versions outside
 * 3.0.0 - 3.5.0. */
gboolean pl_ignition_parse_version (const char *version, guint *out_minor, GError **error);

G_END_DECLS
