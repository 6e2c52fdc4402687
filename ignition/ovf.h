/* Azure's OVF provisioning media: ovf-env.xml (HostName, UserName, SSH public keys,
 * CustomData) read from a mounted directory or straight from an ISO 9660 image file
 * or device through libarchive, so no mount is needed. */
#pragma once

#include "ignition/plan.h"

G_BEGIN_DECLS

#define PL_OVF_ERROR (pl_ovf_error_quark ())
GQuark pl_ovf_error_quark (void);

typedef enum {
  PL_OVF_ERROR_PARSE,      /* not well-formed XML, or a field that cannot be used */
  PL_OVF_ERROR_NOT_FOUND,  /* the media has no ovf-env.xml */
  PL_OVF_ERROR_MEDIA,      /* the media could not be read */
} PlOvfError;

typedef struct {
  char *hostname;
  char *username;
  GPtrArray *ssh_keys;     /* char*: public keys given by value */
  guint fingerprint_only;  /* keys given only by certificate fingerprint (not used) */
  GBytes *custom_data;     /* decoded CustomData, or NULL */
} PlOvfEnv;

void pl_ovf_env_free (PlOvfEnv *env);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlOvfEnv, pl_ovf_env_free)

/* Parses ovf-env.xml. */
PlOvfEnv *pl_ovf_parse (const char *xml, gsize len, GError **error);

/* Reads ovf-env.xml (and CustomData.bin when there is one) from PATH: a directory or
 * an ISO image file/device. */
gboolean pl_ovf_read_media (const char *path, GBytes **out_xml, GBytes **out_custom_bin,
                            GError **error);

/* What the OVF environment asks of the node, as a plan: the hostname and the admin
 * user with its keys and passwordless sudo (as the Azure agent sets it up). */
PlPlan *pl_ovf_to_plan (const PlOvfEnv *env);

G_END_DECLS
