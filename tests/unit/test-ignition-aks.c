/* Tests for ignition/aksnodeconfig.c and ignition/detect.c: the version gate,
 * both field spellings, the files each field becomes, and kind detection. */
#include "ignition/aksnodeconfig.h"
#include "ignition/detect.h"
#include "lib/json.h"

#include <string.h>

#define PEM "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"

static PlPlanFile *
find_file (PlPlan *plan, const char *path)
{
  for (guint i = 0; i < plan->files->len; i++)
    if (g_str_equal (((PlPlanFile *) plan->files->pdata[i])->path, path))
      return plan->files->pdata[i];
  g_error ("no file %s in the plan", path);
  return NULL;
}

static char *
text_of (PlPlan *plan, const char *path)
{
  GBytes *b = find_file (plan, path)->contents->data;
  return g_strndup (g_bytes_get_data (b, NULL), g_bytes_get_size (b));
}

static void
test_version (void)
{
  static const char *const bad[] = { "{}", "{\"version\":\"v2\"}", "{\"version\":1}",
                                     "{\"version\":\"V1\",\"kubernetes_ca_cert\":\"x\"}" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_null (pl_aks_compile (bad[i], strlen (bad[i]), &error));
      g_assert_error (error, PL_AKS_ERROR, PL_AKS_ERROR_VERSION);
      g_assert_true (g_str_has_prefix (error->message, "version: "));
    }
}

static void
test_full (void)
{
  g_autofree char *ca64 = g_base64_encode ((const guchar *) PEM, strlen (PEM));
  g_autofree char *json = g_strdup_printf (
      "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"%s\",\"unknown_field\":[1],"
      "\"apiServerConfig\":{\"apiServerName\":\"api.test\"},"
      "\"bootstrapping_config\":{\"tls_bootstrapping_token\":\"t.k\"},"
      "\"kubelet_config\":{\"kubelet_flags\":{\"--b\":\"2\",\"--a\":\"1\"},"
      "\"kubelet_node_labels\":{\"z\":\"1\",\"a\":\"2\"}},"
      "\"custom_linux_os_config\":{\"sysctl_config\":{\"net_core_somaxconn\":1024,"
      "\"fs_file_max\":\"9999999\",\"kernel_threads_max\":7}},"
      "\"azure_private_registry_server\":\"reg.example\","
      "\"cluster_config\":{\"vm_type\":1}}", ca64);
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = pl_aks_compile (json, strlen (json), &error);
  g_assert_no_error (error);
  g_autofree char *ca = text_of (plan, "/etc/kubernetes/certs/ca.crt");
  g_assert_cmpstr (ca, ==, PEM);
  g_autofree char *kubelet = text_of (plan, "/etc/default/kubelet");
  g_assert_cmpstr (kubelet, ==, "KUBELET_FLAGS=--a=1 --b=2\nKUBELET_NODE_LABELS=a=2,z=1\n");
  g_autofree char *kc = text_of (plan, "/var/lib/kubelet/bootstrap-kubeconfig");
  g_assert_nonnull (strstr (kc, "server: https://api.test:443\n"));
  g_assert_nonnull (strstr (kc, "token: \"t.k\"\n"));
  g_assert_cmpint (find_file (plan, "/var/lib/kubelet/bootstrap-kubeconfig")->mode, ==, 0600);
  g_autofree char *sysctl = text_of (plan, "/etc/sysctl.d/60-aks-node.conf");
  g_assert_nonnull (strstr (sysctl, "net.core.somaxconn = 1024\n"));
  g_assert_null (strstr (sysctl, "net.core.somaxconn = 16384\n"));
  g_assert_nonnull (strstr (sysctl, "net.ipv4.ip_forward = 1\n"));
  g_assert_nonnull (strstr (sysctl, "fs.file-max = 9999999\n"));
  g_assert_nonnull (strstr (sysctl, "kernel.threads-max = 7\n"));
  g_autofree char *toml = text_of (plan, "/etc/containerd/config.toml");
  g_assert_nonnull (strstr (toml, "sandbox_image = \"" PL_AKS_DEFAULT_SANDBOX_IMAGE "\""));
  g_assert_nonnull (strstr (toml, "SystemdCgroup = true"));
  g_assert_nonnull (strstr (toml, "config_path = \"/etc/containerd/certs.d\""));
  g_autofree char *hosts = text_of (plan, "/etc/containerd/certs.d/reg.example/hosts.toml");
  g_assert_nonnull (strstr (hosts, "server = \"https://reg.example\""));
  g_autofree char *azure = text_of (plan, "/etc/kubernetes/azure.json");
  g_autoptr(json_object) aj = pl_json_parse (azure, strlen (azure), "azure.json", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (json_object_get_string (json_object_object_get (aj, "vmType")), ==, "standard");
  g_assert_cmpint (find_file (plan, "/etc/kubernetes/azure.json")->mode, ==, 0600);
  /* no proxy configured: no drop-ins */
  g_assert_cmpuint (plan->units->len, ==, 0);
}

static void
test_invalid_fields (void)
{
  static const char *const cases[][2] = {
    { "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"bm90IGEgY2VydA==\"}",
      "kubernetes_ca_cert: base64 that does not decode to a PEM" },
    { "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"" "-----BEGIN X\"}",
      "api_server_config.api_server_name: required" },
    { "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"-----BEGIN X\",\"api_server_config\":"
      "{\"api_server_name\":\"a/b\"}}", "api_server_config.api_server_name: \"a/b\" is not" },
    { "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"-----BEGIN X\",\"api_server_config\":"
      "{\"api_server_name\":\"a\"},\"kubelet_config\":{\"kubelet_flags\":{\"--x\":\"a b\"}}}",
      "kubelet_config.kubelet_flags.--x: spaces" },
    { "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"-----BEGIN X\",\"api_server_config\":"
      "{\"api_server_name\":\"a\"},\"azure_private_registry_server\":\"https://x\"}",
      "azure_private_registry_server: \"https://x\" is not a registry host name" },
    { "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"-----BEGIN X\",\"api_server_config\":"
      "{\"api_server_name\":\"a\"},\"custom_linux_os_config\":{\"sysctl_config\":"
      "{\"vm_swappiness\":[1]}}}",
      "custom_linux_os_config.sysctl_config.vm_swappiness: expected a number" },
    { "{\"version\":\"v1\",\"kubernetes_ca_cert\":[]}", "kubernetes_ca_cert: expected a string" },
  };
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_null (pl_aks_compile (cases[i][0], strlen (cases[i][0]), &error));
      g_assert_error (error, PL_AKS_ERROR, PL_AKS_ERROR_INVALID);
      if (!g_str_has_prefix (error->message, cases[i][1]))
        g_error ("case %u: \"%s\" does not start with \"%s\"", i, error->message, cases[i][1]);
    }
}

static void
test_proxy (void)
{
  const char *json = "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"-----BEGIN X\","
                     "\"api_server_config\":{\"api_server_name\":\"a\"},"
                     "\"http_proxy_config\":{\"https_proxy\":\"http://p:3128\","
                     "\"no_proxy_entries\":[\"a\",\"10.0.0.0/8\"]}}";
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = pl_aks_compile (json, strlen (json), &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->units->len, ==, 2);
  PlPlanUnit *k = plan->units->pdata[0];
  g_assert_cmpstr (k->name, ==, "kubelet.service");
  g_assert_null (k->contents);
  PlPlanDropin *d = k->dropins->pdata[0];
  g_assert_cmpstr (d->contents, ==,
                   "[Service]\nEnvironment=\"HTTPS_PROXY=http://p:3128\" \"https_proxy=http://p:3128\"\n"
                   "Environment=\"NO_PROXY=a,10.0.0.0/8\" \"no_proxy=a,10.0.0.0/8\"\n");
}

static void
test_detect (void)
{
  static const struct { const char *in; PlConfigKind kind; } ok[] = {
    { "", PL_CONFIG_KIND_EMPTY },
    { " \n\t\r\n", PL_CONFIG_KIND_EMPTY },
    { "{\"ignition\":{\"version\":\"3.4.0\"}}", PL_CONFIG_KIND_IGNITION },
    { "{\"ignition\":{}}", PL_CONFIG_KIND_IGNITION },
    { "{\"version\":\"v1\",\"kubernetes_ca_cert\":\"x\"}", PL_CONFIG_KIND_AKSNODECONFIG },
    { "{\"version\":\"v9\",\"kubeletConfig\":{}}", PL_CONFIG_KIND_AKSNODECONFIG },
  };
  for (guint i = 0; i < G_N_ELEMENTS (ok); i++)
    {
      PlConfigKind kind = PL_CONFIG_KIND_INVALID;
      g_autoptr(GError) error = NULL;
      g_assert_true (pl_detect_config_kind (ok[i].in, strlen (ok[i].in), "t", &kind, &error));
      g_assert_no_error (error);
      g_assert_cmpint (kind, ==, ok[i].kind);
    }
  static const char *const bad[] = { "#cloud-config\n", "{\"version\":\"v1\"}", "[1]",
                                     "{\"a\":", "variant: fcos" };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      PlConfigKind kind;
      g_autoptr(GError) error = NULL;
      g_assert_false (pl_detect_config_kind (bad[i], strlen (bad[i]), "src", &kind, &error));
      g_assert_error (error, PL_DETECT_ERROR, PL_DETECT_ERROR_UNKNOWN);
      g_assert_true (g_str_has_prefix (error->message, "src: "));
    }
  g_assert_cmpstr (pl_config_kind_to_string (PL_CONFIG_KIND_AKSNODECONFIG), ==, "aksnodeconfig");
  g_assert_cmpint (pl_config_kind_from_string ("ignition"), ==, PL_CONFIG_KIND_IGNITION);
  g_assert_cmpint (pl_config_kind_from_string ("nope"), ==, PL_CONFIG_KIND_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/aks/version", test_version);
  g_test_add_func ("/aks/full", test_full);
  g_test_add_func ("/aks/invalid-fields", test_invalid_fields);
  g_test_add_func ("/aks/proxy", test_proxy);
  g_test_add_func ("/aks/detect", test_detect);
  return g_test_run ();
}
