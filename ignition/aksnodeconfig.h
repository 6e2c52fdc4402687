/* AKS node configs (AgentBaker's aksnodeconfig.v1 Configuration, as JSON) compiled
 * into the same provisioning plan as Ignition configs: the kubelet's environment
 * file, bootstrap kubeconfig and cluster CA, azure.json, containerd's config and
 * registry hosts, sysctls, kernel modules and proxy drop-ins. Field names are the
 * proto names (snake_case); protojson's lowerCamelCase spellings are accepted too.
 * Unknown fields are ignored; a version other than "v1" fails at once. */
#pragma once

#include "ignition/plan.h"

G_BEGIN_DECLS

#define PL_AKS_ERROR (pl_aks_error_quark ())
GQuark pl_aks_error_quark (void);

typedef enum {
  PL_AKS_ERROR_VERSION,    /* "version" missing or not "v1" */
  PL_AKS_ERROR_INVALID,    /* a field has a value that cannot be used */
} PlAksError;

/* The pause image used when kubelet_flags has no --pod-infra-container-image. */
#define PL_AKS_DEFAULT_SANDBOX_IMAGE "mcr.microsoft.com/oss/kubernetes/pause:3.6"

PlPlan *pl_aks_compile (const char *data, gsize len, GError **error);

G_END_DECLS
