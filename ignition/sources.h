/* Where the first-boot config comes from, tried in order:
 *   1. plinth.config.url= on the kernel command line (http, https, file:// or a path),
 *   2. QEMU fw_cfg (opt/<vendor>/config),
 *   3. Azure IMDS user data (base64),
 *   4. Azure OVF provisioning media: ovf-env.xml CustomData, or CustomData.bin,
 *   5. the image's defaults.
 * The OVF media is read whenever it is there, since it also carries the hostname and
 * the admin user; what was read is cached in the root because Azure ejects the media. */
#pragma once

#include "ignition/ovf.h"

G_BEGIN_DECLS

#define PL_SOURCES_ERROR (pl_sources_error_quark ())
GQuark pl_sources_error_quark (void);

typedef enum {
  PL_SOURCES_ERROR_INVALID,   /* a source answered with something unusable */
  PL_SOURCES_ERROR_FETCH,     /* a named source (command line URL) could not be read */
} PlSourcesError;

#define PL_SOURCES_DEFAULT_CMDLINE "/proc/cmdline"
#define PL_SOURCES_DEFAULT_FW_CFG "/sys/firmware/qemu_fw_cfg/by_name/opt/org.plinth/config/raw"
#define PL_SOURCES_DEFAULT_IMDS "http://169.254.169.254"
#define PL_SOURCES_DEFAULT_OVF "/dev/sr0"
#define PL_SOURCES_DEFAULTS_PATH "/usr/lib/plinth/provision/default.json"
#define PL_SOURCES_CACHE_DIR "/var/lib/plinth/provision"

typedef struct {
  const char *cmdline_path;    /* NULL: default; "" skips the source */
  const char *fw_cfg_path;
  const char *imds_url;        /* base URL */
  const char *ovf_path;        /* directory, ISO image file or device */
  guint imds_attempts;         /* 0: 10 */
  guint imds_retry_base_ms;    /* 0: 500 */
  guint64 max_size;            /* of a config; 0: 64 MiB */
} PlSourceOptions;

typedef struct {
  char *source;        /* "cmdline", "fw_cfg", "imds", "ovf", "defaults", "none" */
  char *detail;        /* the URL or path it was read from */
  GBytes *config;      /* never NULL; empty when no source had a config */
  PlOvfEnv *ovf;       /* the OVF environment, if there was media (or a cache) */
  GPtrArray *notes;    /* char*: sources that were tried and why they gave nothing */
} PlSourceResult;

void pl_source_result_free (PlSourceResult *r);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlSourceResult, pl_source_result_free)

/* The value of KEY= in a kernel command line, or NULL. */
char *pl_sources_cmdline_value (const char *cmdline, const char *key);

/* GETs IMDS user data and decodes it; empty user data gives an empty GBytes. */
GBytes *pl_sources_imds_user_data (const PlSourceOptions *opts, GCancellable *cancellable,
                                   GError **error);

/* Finds the config. ROOT_FD is the target root, where the OVF cache and the image
 * defaults live. */
PlSourceResult *pl_sources_find (const PlSourceOptions *opts, int root_fd,
                                 GCancellable *cancellable, GError **error);

G_END_DECLS
