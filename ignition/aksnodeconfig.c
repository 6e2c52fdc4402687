/* aksnodeconfig.v1 into a plan. What each file holds follows what AgentBaker's
 * provisioning scripts write on Ubuntu and Azure Linux nodes, reduced to what the
 * config carries; docs/provision.md lists the mapping field by field. */
#include "ignition/aksnodeconfig.h"
#include "lib/json.h"

#include <string.h>

G_DEFINE_QUARK (pl-aks-error-quark, pl_aks_error)

/* The AKS sysctl defaults every node gets (REFERENCE.md), before configured ones */
static const char *const default_sysctls[][2] = {
  { "net.ipv4.ip_forward", "1" },
  { "net.bridge.bridge-nf-call-iptables", "1" },
  { "net.core.somaxconn", "16384" },
  { "net.ipv4.neigh.default.gc_thresh1", "4096" },
  { "net.ipv4.neigh.default.gc_thresh2", "8192" },
  { "net.ipv4.neigh.default.gc_thresh3", "16384" },
};

/* sysctl_config fields and the keys they set. The names are not a mechanical
 * translation (kernel.threads-max, tcpkeepalive_intvl), hence a table. */
static const char *const sysctl_fields[][2] = {
  { "net_core_somaxconn", "net.core.somaxconn" },
  { "net_core_netdev_max_backlog", "net.core.netdev_max_backlog" },
  { "net_core_rmem_default", "net.core.rmem_default" },
  { "net_core_rmem_max", "net.core.rmem_max" },
  { "net_core_wmem_default", "net.core.wmem_default" },
  { "net_core_wmem_max", "net.core.wmem_max" },
  { "net_core_optmem_max", "net.core.optmem_max" },
  { "net_ipv4_tcp_max_syn_backlog", "net.ipv4.tcp_max_syn_backlog" },
  { "net_ipv4_tcp_max_tw_buckets", "net.ipv4.tcp_max_tw_buckets" },
  { "net_ipv4_tcp_fin_timeout", "net.ipv4.tcp_fin_timeout" },
  { "net_ipv4_tcp_keepalive_time", "net.ipv4.tcp_keepalive_time" },
  { "net_ipv4_tcp_keepalive_probes", "net.ipv4.tcp_keepalive_probes" },
  { "net_ipv4_tcpkeepalive_intvl", "net.ipv4.tcp_keepalive_intvl" },
  { "net_ipv4_tcp_tw_reuse", "net.ipv4.tcp_tw_reuse" },
  { "net_ipv4_ip_local_port_range", "net.ipv4.ip_local_port_range" },
  { "net_ipv4_neigh_default_gc_thresh1", "net.ipv4.neigh.default.gc_thresh1" },
  { "net_ipv4_neigh_default_gc_thresh2", "net.ipv4.neigh.default.gc_thresh2" },
  { "net_ipv4_neigh_default_gc_thresh3", "net.ipv4.neigh.default.gc_thresh3" },
  { "net_netfilter_nf_conntrack_max", "net.netfilter.nf_conntrack_max" },
  { "net_netfilter_nf_conntrack_buckets", "net.netfilter.nf_conntrack_buckets" },
  { "fs_inotify_max_user_watches", "fs.inotify.max_user_watches" },
  { "fs_file_max", "fs.file-max" },
  { "fs_aio_max_nr", "fs.aio-max-nr" },
  { "fs_nr_open", "fs.nr_open" },
  { "kernel_threads_max", "kernel.threads-max" },
  { "vm_max_map_count", "vm.max_map_count" },
  { "vm_swappiness", "vm.swappiness" },
  { "vm_vfs_cache_pressure", "vm.vfs_cache_pressure" },
};

/* "kubelet_config" -> "kubeletConfig" (protojson's JSON name) */
static char *
camel_of (const char *snake)
{
  GString *s = g_string_new (NULL);
  for (const char *p = snake; *p; p++)
    {
      if (*p == '_' && p[1])
        g_string_append_c (s, g_ascii_toupper (*++p));
      else
        g_string_append_c (s, *p);
    }
  return g_string_free (s, FALSE);
}

/* The value of KEY in OBJ by either spelling; NULL when absent or null. */
static json_object *
field (json_object *obj, const char *key)
{
  json_object *v = NULL;
  if (!obj)
    return NULL;
  if (json_object_object_get_ex (obj, key, &v) && v)
    return v;
  g_autofree char *camel = camel_of (key);
  if (json_object_object_get_ex (obj, camel, &v) && v)
    return v;
  return NULL;
}

static gboolean
get_string (json_object *obj, const char *path, const char *key, const char **out,
            GError **error)
{
  json_object *v = field (obj, key);
  *out = NULL;
  if (!v)
    return TRUE;
  if (json_object_get_type (v) != json_type_string)
    return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID, "%s%s%s: expected a string",
                        path, *path ? "." : "", key), FALSE;
  *out = json_object_get_string (v);
  if (**out == '\0')
    *out = NULL;
  return TRUE;
}

static gboolean
get_object (json_object *obj, const char *path, const char *key, json_object **out,
            GError **error)
{
  json_object *v = field (obj, key);
  *out = NULL;
  if (!v)
    return TRUE;
  if (json_object_get_type (v) != json_type_object)
    return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                        "%s%s%s: expected an object", path, *path ? "." : "", key), FALSE;
  *out = v;
  return TRUE;
}

static gint
compare_strings (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* A proto map<string,string> as "k=v" strings sorted by key, joined with SEP. */
static gboolean
get_map (json_object *obj, const char *path, const char *key, const char *sep,
         char **out, GError **error)
{
  json_object *m = NULL;
  if (!get_object (obj, path, key, &m, error))
    return FALSE;
  g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func (g_free);
  if (m)
    {
      json_object_object_foreach (m, k, v)
        {
          if (!v || json_object_get_type (v) != json_type_string)
            return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                                "%s.%s.%s: expected a string", path, key, k), FALSE;
          const char *val = json_object_get_string (v);
          if (strpbrk (k, " \t\n\"'\\$`") || strpbrk (val, " \t\n\"'\\$`"))
            return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                                "%s.%s.%s: spaces, quotes and shell characters are not "
                                "allowed", path, key, k), FALSE;
          g_ptr_array_add (items, g_strdup_printf ("%s=%s", k, val));
        }
    }
  g_ptr_array_sort (items, compare_strings);
  g_ptr_array_add (items, NULL);
  *out = g_strjoinv (sep, (char **) items->pdata);
  return TRUE;
}

static gboolean
reject_specials (const char *path, const char *value, GError **error)
{
  if (value && strpbrk (value, "\n\"\\"))
    return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                        "%s: must not contain newlines, quotes or backslashes", path), FALSE;
  return TRUE;
}

static gboolean
add_ca_cert (PlPlan *plan, const char *cert, GError **error)
{
  g_autofree char *pem = NULL;
  /* AgentBaker carries the CA base64-encoded; PEM as is is accepted too */
  if (g_str_has_prefix (cert, "-----BEGIN"))
    pem = g_strdup (cert);
  else
    {
      gsize len = 0;
      for (const char *p = cert; *p; p++)
        if (!(g_ascii_isalnum (*p) || *p == '+' || *p == '/' || *p == '=' || g_ascii_isspace (*p)))
          return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                              "kubernetes_ca_cert: neither PEM nor base64"), FALSE;
      guchar *raw = g_base64_decode (cert, &len);
      pem = g_strndup (raw ? (char *) raw : "", len);
      g_free (raw);
      if (!g_str_has_prefix (pem, "-----BEGIN"))
        return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                            "kubernetes_ca_cert: base64 that does not decode to a PEM "
                            "certificate"), FALSE;
    }
  if (!g_str_has_suffix (pem, "\n"))
    {
      char *t = g_strconcat (pem, "\n", NULL);
      g_free (pem);
      pem = t;
    }
  pl_plan_add_text (plan, "kubernetes_ca_cert", "/etc/kubernetes/certs/ca.crt", pem, 0644);
  return TRUE;
}

static gboolean
add_kubelet (PlPlan *plan, json_object *root, const char **out_sandbox, GError **error)
{
  json_object *kc = NULL;
  const char *version = NULL;
  g_autofree char *flags = NULL, *labels = NULL;
  if (!get_object (root, "", "kubelet_config", &kc, error)
      || !get_string (root, "", "kubernetes_version", &version, error)
      || !get_map (kc, "kubelet_config", "kubelet_flags", " ", &flags, error)
      || !get_map (kc, "kubelet_config", "kubelet_node_labels", ",", &labels, error)
      || !reject_specials ("kubernetes_version", version, error))
    return FALSE;
  /* The pause image kubelet is told about is the one containerd must pin */
  json_object *fm = field (kc, "kubelet_flags");
  json_object *img = fm ? field (fm, "--pod-infra-container-image") : NULL;
  *out_sandbox = img && json_object_get_type (img) == json_type_string
                     ? json_object_get_string (img) : PL_AKS_DEFAULT_SANDBOX_IMAGE;
  g_autofree char *text = g_strdup_printf ("KUBELET_FLAGS=%s\nKUBELET_NODE_LABELS=%s\n%s%s%s",
                                           flags, labels, version ? "KUBERNETES_VERSION=" : "",
                                           version ? version : "", version ? "\n" : "");
  pl_plan_add_text (plan, "kubelet_config", "/etc/default/kubelet", text, 0644);
  return TRUE;
}

static gboolean
add_bootstrap (PlPlan *plan, json_object *root, GError **error)
{
  json_object *api = NULL, *boot = NULL;
  const char *server = NULL, *token = NULL;
  if (!get_object (root, "", "api_server_config", &api, error)
      || !get_object (root, "", "bootstrapping_config", &boot, error)
      || !get_string (api, "api_server_config", "api_server_name", &server, error)
      || !get_string (boot, "bootstrapping_config", "tls_bootstrapping_token", &token, error)
      || !reject_specials ("api_server_config.api_server_name", server, error)
      || !reject_specials ("bootstrapping_config.tls_bootstrapping_token", token, error))
    return FALSE;
  if (!server)
    return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                        "api_server_config.api_server_name: required"), FALSE;
  if (strpbrk (server, " /:@"))
    return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                        "api_server_config.api_server_name: \"%s\" is not a host name",
                        server), FALSE;
  g_autoptr(GString) s = g_string_new (NULL);
  g_string_append_printf (s,
                          "apiVersion: v1\n"
                          "kind: Config\n"
                          "clusters:\n"
                          "- name: localcluster\n"
                          "  cluster:\n"
                          "    certificate-authority: /etc/kubernetes/certs/ca.crt\n"
                          "    server: https://%s:443\n"
                          "users:\n"
                          "- name: kubelet-bootstrap\n"
                          "  user:\n", server);
  if (token)
    g_string_append_printf (s, "    token: \"%s\"\n", token);
  else
    g_string_append (s, "    {}\n");
  g_string_append (s,
                   "contexts:\n"
                   "- context:\n"
                   "    cluster: localcluster\n"
                   "    user: kubelet-bootstrap\n"
                   "  name: bootstrap-context\n"
                   "current-context: bootstrap-context\n");
  pl_plan_add_text (plan, "bootstrapping_config", "/var/lib/kubelet/bootstrap-kubeconfig",
                    s->str, 0600);
  return TRUE;
}

static void
set_str (json_object *out, const char *key, const char *value)
{
  json_object_object_add (out, key, json_object_new_string (value ? value : ""));
}

static gboolean
add_azure_json (PlPlan *plan, json_object *root, GError **error)
{
  json_object *auth = NULL, *cluster = NULL, *net = NULL, *lb = NULL;
  if (!get_object (root, "", "auth_config", &auth, error)
      || !get_object (root, "", "cluster_config", &cluster, error)
      || !get_object (cluster, "cluster_config", "cluster_network_config", &net, error)
      || !get_object (cluster, "cluster_config", "load_balancer_config", &lb, error))
    return FALSE;
  static const char *const strs[][3] = {
    /* JSON key in azure.json, object, field */
    { "tenantId", "auth", "tenant_id" },
    { "subscriptionId", "auth", "subscription_id" },
    { "aadClientId", "auth", "service_principal_id" },
    { "aadClientSecret", "auth", "service_principal_secret" },
    { "resourceGroup", "cluster", "resource_group" },
    { "location", "cluster", "location" },
    { "subnetName", "net", "subnet" },
    { "securityGroupName", "net", "security_group_name" },
    { "vnetName", "net", "vnet_name" },
    { "vnetResourceGroup", "net", "vnet_resource_group" },
    { "routeTableName", "net", "route_table" },
    { "primaryAvailabilitySetName", "cluster", "primary_availability_set" },
    { "primaryScaleSetName", "cluster", "primary_scale_set" },
    { "userAssignedIdentityID", "auth", "assigned_identity_id" },
  };
  g_autoptr(json_object) out = json_object_new_object ();
  set_str (out, "cloud", "AzurePublicCloud");
  for (gsize i = 0; i < G_N_ELEMENTS (strs); i++)
    {
      json_object *src = g_str_equal (strs[i][1], "auth") ? auth
                         : g_str_equal (strs[i][1], "net") ? net : cluster;
      const char *v = NULL;
      if (!get_string (src, strs[i][1], strs[i][2], &v, error))
        return FALSE;
      set_str (out, strs[i][0], v);
    }
  json_object *vm = field (cluster, "vm_type");
  const char *vmtype = "vmss";
  if (vm && (json_object_get_int (vm) == 1
             || g_strcmp0 (json_object_get_string (vm), "VM_TYPE_STANDARD") == 0))
    vmtype = "standard";
  set_str (out, "vmType", vmtype);
  json_object *b = field (auth, "use_managed_identity_extension");
  json_object_object_add (out, "useManagedIdentityExtension",
                          json_object_new_boolean (b && json_object_get_boolean (b)));
  b = field (cluster, "use_instance_metadata");
  json_object_object_add (out, "useInstanceMetadata",
                          json_object_new_boolean (b && json_object_get_boolean (b)));
  json_object *sku = field (lb, "load_balancer_sku");
  gboolean standard = sku && (json_object_get_int (sku) == 2
                              || g_strcmp0 (json_object_get_string (sku),
                                            "LOAD_BALANCER_SKU_STANDARD") == 0);
  set_str (out, "loadBalancerSku", standard ? "standard" : "basic");
  g_autofree char *text = pl_json_to_string_pretty (out);
  pl_plan_add_text (plan, "auth_config", "/etc/kubernetes/azure.json", text, 0600);
  return TRUE;
}

static gboolean
add_containerd (PlPlan *plan, json_object *root, const char *sandbox, GError **error)
{
  json_object *cc = NULL;
  const char *mirror = NULL, *private_reg = NULL;
  if (!get_object (root, "", "containerd_config", &cc, error)
      || !get_string (root, "", "bootstrap_profile_container_registry_server", &mirror, error)
      || !get_string (root, "", "azure_private_registry_server", &private_reg, error)
      || !reject_specials ("sandbox image", sandbox, error))
    return FALSE;
  json_object *v2 = field (cc, "is_containerd_v2");
  gboolean is_v2 = v2 && json_object_get_boolean (v2);
  g_autofree char *toml = NULL;
  if (is_v2)
    toml = g_strdup_printf (
        "version = 3\n"
        "oom_score = -999\n"
        "\n"
        "[plugins.\"io.containerd.cri.v1.images\"]\n"
        "  [plugins.\"io.containerd.cri.v1.images\".pinned_images]\n"
        "    sandbox = \"%s\"\n"
        "  [plugins.\"io.containerd.cri.v1.images\".registry]\n"
        "    config_path = \"/etc/containerd/certs.d\"\n"
        "\n"
        "[plugins.\"io.containerd.cri.v1.runtime\".containerd]\n"
        "  default_runtime_name = \"runc\"\n"
        "  [plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.runc]\n"
        "    runtime_type = \"io.containerd.runc.v2\"\n"
        "    [plugins.\"io.containerd.cri.v1.runtime\".containerd.runtimes.runc.options]\n"
        "      BinaryName = \"/usr/bin/runc\"\n"
        "      SystemdCgroup = true\n", sandbox);
  else
    toml = g_strdup_printf (
        "version = 2\n"
        "oom_score = -999\n"
        "\n"
        "[plugins.\"io.containerd.grpc.v1.cri\"]\n"
        "  sandbox_image = \"%s\"\n"
        "  [plugins.\"io.containerd.grpc.v1.cri\".containerd]\n"
        "    default_runtime_name = \"runc\"\n"
        "    [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc]\n"
        "      runtime_type = \"io.containerd.runc.v2\"\n"
        "      [plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.runc.options]\n"
        "        BinaryName = \"/usr/bin/runc\"\n"
        "        SystemdCgroup = true\n"
        "  [plugins.\"io.containerd.grpc.v1.cri\".registry]\n"
        "    config_path = \"/etc/containerd/certs.d\"\n", sandbox);
  pl_plan_add_text (plan, "containerd_config", "/etc/containerd/config.toml", toml, 0644);

  /* Network-isolated clusters pull MCR content through the bootstrap registry */
  const char *regs[][3] = { { "bootstrap_profile_container_registry_server",
                              "mcr.microsoft.com", mirror },
                            { "azure_private_registry_server", private_reg, private_reg } };
  for (gsize i = 0; i < G_N_ELEMENTS (regs); i++)
    {
      const char *name = regs[i][1], *host = regs[i][2];
      if (!host)
        continue;
      if (strpbrk (host, " \"\n\\") || strstr (host, "..") || host[0] == '/'
          || g_str_has_prefix (host, "http"))
        return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                            "%s: \"%s\" is not a registry host name", regs[i][0], host),
               FALSE;
      g_autofree char *path = g_strdup_printf ("/etc/containerd/certs.d/%s/hosts.toml", name);
      /* A repository path on the mirror goes after /v2/ and needs override_path, as
       * containerd otherwise appends /v2/ itself */
      const char *slash = strchr (host, '/');
      g_autofree char *endpoint =
          slash ? g_strdup_printf ("https://%.*s/v2%s", (int) (slash - host), host, slash)
                : g_strdup_printf ("https://%s", host);
      g_autofree char *text = g_strdup_printf (
          "server = \"https://%s\"\n"
          "\n"
          "[host.\"%s\"]\n"
          "  capabilities = [\"pull\", \"resolve\"]\n%s", name, endpoint,
          slash ? "  override_path = true\n" : "");
      pl_plan_add_text (plan, regs[i][0], path, text, 0644);
    }
  return TRUE;
}

static gboolean
add_sysctls (PlPlan *plan, json_object *root, GError **error)
{
  json_object *os = NULL, *sc = NULL;
  if (!get_object (root, "", "custom_linux_os_config", &os, error)
      || !get_object (os, "custom_linux_os_config", "sysctl_config", &sc, error))
    return FALSE;
  g_autoptr(GPtrArray) keys = g_ptr_array_new ();
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (gsize i = 0; i < G_N_ELEMENTS (default_sysctls); i++)
    {
      g_ptr_array_add (keys, (gpointer) default_sysctls[i][0]);
      g_hash_table_insert (values, (gpointer) default_sysctls[i][0],
                           g_strdup (default_sysctls[i][1]));
    }
  for (gsize i = 0; sc && i < G_N_ELEMENTS (sysctl_fields); i++)
    {
      json_object *v = field (sc, sysctl_fields[i][0]);
      if (!v)
        continue;
      const char *key = sysctl_fields[i][1];
      char *val;
      switch (json_object_get_type (v))
        {
        case json_type_int:
          val = g_strdup_printf ("%" G_GINT64_FORMAT, json_object_get_int64 (v));
          break;
        case json_type_boolean:
          val = g_strdup (json_object_get_boolean (v) ? "1" : "0");
          break;
        case json_type_string:
          /* protojson writes int64 as strings; port ranges are "a b" */
          val = g_strdup (json_object_get_string (v));
          if (!*val || strpbrk (val, "\n=\\\"") )
            {
              g_free (val);
              return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                                  "custom_linux_os_config.sysctl_config.%s: not a valid value",
                                  sysctl_fields[i][0]), FALSE;
            }
          break;
        default:
          return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                              "custom_linux_os_config.sysctl_config.%s: expected a number",
                              sysctl_fields[i][0]), FALSE;
        }
      if (!g_hash_table_contains (values, key))
        g_ptr_array_add (keys, (gpointer) key);
      g_hash_table_insert (values, (gpointer) key, val);
    }
  g_autoptr(GString) s = g_string_new ("# Written by plinth-provision from the AKS node "
                                       "config\n");
  for (guint i = 0; i < keys->len; i++)
    g_string_append_printf (s, "%s = %s\n", (char *) keys->pdata[i],
                            (char *) g_hash_table_lookup (values, keys->pdata[i]));
  pl_plan_add_text (plan, "custom_linux_os_config", "/etc/sysctl.d/60-aks-node.conf", s->str,
                    0644);
  pl_plan_add_text (plan, "(defaults)", "/etc/modules-load.d/aks-node.conf",
                    "br_netfilter\nnf_conntrack\n", 0644);
  return TRUE;
}

static gboolean
add_proxy (PlPlan *plan, json_object *root, GError **error)
{
  json_object *hp = NULL, *noproxy = NULL;
  const char *http = NULL, *https = NULL, *ca = NULL;
  if (!get_object (root, "", "http_proxy_config", &hp, error)
      || !get_string (hp, "http_proxy_config", "http_proxy", &http, error)
      || !get_string (hp, "http_proxy_config", "https_proxy", &https, error)
      || !get_string (hp, "http_proxy_config", "proxy_trusted_ca", &ca, error)
      || !reject_specials ("http_proxy_config.http_proxy", http, error)
      || !reject_specials ("http_proxy_config.https_proxy", https, error))
    return FALSE;
  if (!hp || (!http && !https))
    return TRUE;
  noproxy = field (hp, "no_proxy_entries");
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  for (gsize i = 0; noproxy && json_object_get_type (noproxy) == json_type_array
                    && i < json_object_array_length (noproxy); i++)
    {
      json_object *e = json_object_array_get_idx (noproxy, i);
      const char *s = e ? json_object_get_string (e) : NULL;
      if (!e || json_object_get_type (e) != json_type_string || strpbrk (s, " \n\"\\,"))
        return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                            "http_proxy_config.no_proxy_entries[%zu]: not a host, domain or "
                            "CIDR", i), FALSE;
      g_ptr_array_add (entries, (gpointer) s);
    }
  g_ptr_array_add (entries, NULL);
  g_autofree char *no = g_strjoinv (",", (char **) entries->pdata);
  g_autoptr(GString) s = g_string_new ("[Service]\n");
  if (http)
    g_string_append_printf (s, "Environment=\"HTTP_PROXY=%s\" \"http_proxy=%s\"\n", http, http);
  if (https)
    g_string_append_printf (s, "Environment=\"HTTPS_PROXY=%s\" \"https_proxy=%s\"\n", https,
                            https);
  if (*no)
    g_string_append_printf (s, "Environment=\"NO_PROXY=%s\" \"no_proxy=%s\"\n", no, no);
  const char *units[] = { "kubelet.service", "containerd.service" };
  for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
    {
      PlPlanUnit *u = pl_plan_add_unit (plan, "http_proxy_config", units[i]);
      pl_plan_unit_add_dropin (u, "10-http-proxy.conf", s->str);
    }
  if (ca)
    {
      gsize len = 0;
      guchar *raw = g_base64_decode (ca, &len);
      g_autofree char *pem = g_strndup (raw ? (char *) raw : "", len);
      g_free (raw);
      if (!g_str_has_prefix (pem, "-----BEGIN"))
        return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                            "http_proxy_config.proxy_trusted_ca: not a base64 PEM certificate"),
               FALSE;
      pl_plan_add_text (plan, "http_proxy_config.proxy_trusted_ca",
                        "/etc/pki/ca-trust/source/anchors/aks-proxy-ca.crt", pem, 0644);
    }
  return TRUE;
}

PlPlan *
pl_aks_compile (const char *data, gsize len, GError **error)
{
  g_autoptr(json_object) root = pl_json_parse (data, len, "AKS node config", error);
  if (!root)
    return NULL;
  if (json_object_get_type (root) != json_type_object)
    return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                        "AKS node config: expected a JSON object"), NULL;
  json_object *v = field (root, "version");
  const char *version = v && json_object_get_type (v) == json_type_string
                            ? json_object_get_string (v) : NULL;
  if (g_strcmp0 (version, "v1") != 0)
    return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_VERSION,
                        "version: \"%s\" is not supported (only \"v1\")",
                        version ? version : v ? json_object_to_json_string (v) : ""), NULL;
  g_autoptr(PlPlan) plan = pl_plan_new ("aksnodeconfig");
  const char *ca = NULL, *sandbox = NULL;
  if (!get_string (root, "", "kubernetes_ca_cert", &ca, error))
    return NULL;
  if (!ca)
    return g_set_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID,
                        "kubernetes_ca_cert: required"), NULL;
  if (!add_ca_cert (plan, ca, error) || !add_kubelet (plan, root, &sandbox, error)
      || !add_bootstrap (plan, root, error) || !add_azure_json (plan, root, error)
      || !add_containerd (plan, root, sandbox, error) || !add_sysctls (plan, root, error)
      || !add_proxy (plan, root, error))
    return NULL;
  if (!pl_plan_validate (plan, error))
    return NULL;
  return g_steal_pointer (&plan);
}
