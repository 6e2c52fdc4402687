/* Config kind detection. Deliberately shallow: it only looks at the top-level keys,
 * and leaves every judgement about validity to the parser of the detected kind, so
 * a broken Ignition config gets Ignition's error and not "unknown kind". */
#include "ignition/detect.h"
#include "lib/json.h"

#include <string.h>

G_DEFINE_QUARK (pl-detect-error-quark, pl_detect_error)

static const char *const kind_names[] = { "invalid", "empty", "ignition", "aksnodeconfig",
                                          NULL };

const char *
pl_config_kind_to_string (PlConfigKind kind)
{
  if ((guint) kind >= G_N_ELEMENTS (kind_names) - 1)
    return "invalid";
  return kind_names[kind];
}

PlConfigKind
pl_config_kind_from_string (const char *s)
{
  for (guint i = 1; s && kind_names[i]; i++)
    if (g_str_equal (s, kind_names[i]))
      return (PlConfigKind) i;
  return PL_CONFIG_KIND_INVALID;
}

/* Top-level fields of aksnodeconfig.v1 (proto and JSON spellings) that mark one */
static const char *const aks_fields[] = {
  "kubernetes_version", "kubernetesVersion", "kubernetes_ca_cert", "kubernetesCaCert",
  "api_server_config", "apiServerConfig", "bootstrapping_config", "bootstrappingConfig",
  "kubelet_config", "kubeletConfig", "containerd_config", "containerdConfig",
  "cluster_config", "clusterConfig", "auth_config", "authConfig", NULL
};

gboolean
pl_detect_config_kind (const char *data, gsize len, const char *source,
                       PlConfigKind *out_kind, GError **error)
{
  gsize i = 0;
  while (i < len && (g_ascii_isspace (data[i]) || data[i] == '\0'))
    i++;
  if (i == len)
    {
      *out_kind = PL_CONFIG_KIND_EMPTY;
      return TRUE;
    }
  if (data[i] != '{')
    return g_set_error (error, PL_DETECT_ERROR, PL_DETECT_ERROR_UNKNOWN,
                        "%s: not a config Plinth knows (expected an Ignition or AKS node "
                        "config JSON object; it starts with \"%.16s\")", source, data + i),
           FALSE;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(json_object) root = pl_json_parse (data, len, source, &local_error);
  if (!root)
    return g_set_error (error, PL_DETECT_ERROR, PL_DETECT_ERROR_UNKNOWN, "%s",
                        local_error->message), FALSE;
  json_object *ign = NULL;
  if (json_object_object_get_ex (root, "ignition", &ign))
    {
      *out_kind = PL_CONFIG_KIND_IGNITION;
      return TRUE;
    }
  json_object *version = NULL;
  if (json_object_object_get_ex (root, "version", &version))
    for (const char *const *f = aks_fields; *f; f++)
      if (json_object_object_get_ex (root, *f, NULL))
        {
          *out_kind = PL_CONFIG_KIND_AKSNODECONFIG;
          return TRUE;
        }
  return g_set_error (error, PL_DETECT_ERROR, PL_DETECT_ERROR_UNKNOWN,
                      "%s: a JSON object that is neither an Ignition config (no "
                      "\"ignition\" field) nor an AKS node config (no \"version\" with "
                      "aksnodeconfig.v1 fields)", source), FALSE;
}
