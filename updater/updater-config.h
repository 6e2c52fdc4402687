/* The update agent's settings (plinthctl check/update/deploy, plinth-updated), read with
 * lib/config from <sysroot>/usr/lib/plinth/updater.conf.d/ then
 * <sysroot>/etc/plinth/updater.conf.d/. Every key and its default is in the schema in
 * updater-config.c and in docs/plinthctl.md ("Configuration"). Paths in the settings
 * (key directories) are inside the sysroot, so a test sysroot in a temp directory
 * carries its own keys. */
#pragma once

#include "lib/config.h"

G_BEGIN_DECLS

#define PL_UPDATER_CONFIG_ERROR (pl_updater_config_error_quark ())
GQuark pl_updater_config_error_quark (void);

typedef enum {
  PL_UPDATER_CONFIG_ERROR_BAD_VALUE,  /* a value lib/config accepts but the updater cannot use */
} PlUpdaterConfigError;

typedef enum {
  PL_UPDATE_STRATEGY_INVALID = -1,
  PL_UPDATE_STRATEGY_IMMEDIATE,  /* stage, then reboot at once */
  PL_UPDATE_STRATEGY_MANUAL,     /* stage, then wait for the admin to reboot */
  PL_UPDATE_STRATEGY_OFF,        /* the agent does not update by itself */
} PlUpdateStrategy;

const char *pl_update_strategy_to_string (PlUpdateStrategy s);
PlUpdateStrategy pl_update_strategy_from_string (const char *s);

typedef struct {
  char *base_url;              /* NULL: not configured (check/update refuse) */
  char *stream;
  char *arch;                  /* NULL: taken from the deployed commit, else uname */
  char **key_dirs;             /* absolute paths, already under the sysroot */
  gboolean has_wariness;       /* the admin set Wariness */
  double wariness;
  PlUpdateStrategy strategy;
  guint64 poll_interval_usec;
  char *reboot_command;        /* run through /bin/sh -c */
  guint64 max_bytes_per_sec;   /* 0: no cap */
  char *proxy;                 /* NULL: libcurl's environment defaults */
  char *ca_file;               /* NULL: the system's CAs (a host path, not under the sysroot) */
  guint retries;
  char **warnings;             /* unknown keys etc., for the program to log */
} PlUpdaterConfig;

void pl_updater_config_free (PlUpdaterConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlUpdaterConfig, pl_updater_config_free)

/* The schema (for docs and tests). */
const PlConfigSchema *pl_updater_config_schema (void);

/* Loads the updater's config for the sysroot at SYSROOT ("/" on a node). */
PlUpdaterConfig *pl_updater_config_load (const char *sysroot, GError **error);

G_END_DECLS
