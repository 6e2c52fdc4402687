/* Tells which kind of config some bytes are, from their content alone: an Ignition
 * config (a JSON object with "ignition": {"version": ...}), an AKS node config (a
 * JSON object with "version" and at least one aksnodeconfig.v1 field), or empty
 * (nothing but white space). Anything else is an error saying what was seen. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_DETECT_ERROR (pl_detect_error_quark ())
GQuark pl_detect_error_quark (void);

typedef enum {
  PL_DETECT_ERROR_UNKNOWN,   /* neither kind */
} PlDetectError;

typedef enum {
  PL_CONFIG_KIND_INVALID = 0,
  PL_CONFIG_KIND_EMPTY,
  PL_CONFIG_KIND_IGNITION,
  PL_CONFIG_KIND_AKSNODECONFIG,
} PlConfigKind;

const char *pl_config_kind_to_string (PlConfigKind kind);
PlConfigKind pl_config_kind_from_string (const char *s);

/* SOURCE names where DATA came from, for the message. */
gboolean pl_detect_config_kind (const char *data, gsize len, const char *source,
                                PlConfigKind *out_kind, GError **error);

G_END_DECLS
