/* Tests for ignition/ovf.c, ignition/wireserver.c and the parsing helpers of
 * ignition/sources.c: ovf-env.xml fields, goal state fields, the Health document
 * (escaping, truncation) and kernel command line values. */
#include "ignition/ovf.h"
#include "ignition/sources.h"
#include "ignition/wireserver.h"

#include <glib/gstdio.h>
#include <string.h>

static const char ovf_xml[] =
  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
  "<Environment xmlns=\"http://schemas.dmtf.org/ovf/environment/1\" "
  "xmlns:wa=\"http://schemas.microsoft.com/windowsazure\">\n"
  " <wa:ProvisioningSection><wa:LinuxProvisioningConfigurationSet>\n"
  "  <wa:HostName> node-7 </wa:HostName><wa:UserName>azureuser</wa:UserName>\n"
  "  <wa:UserPassword>ignored</wa:UserPassword>\n"
  "  <wa:SSH><wa:PublicKeys>\n"
  "   <wa:PublicKey><wa:Path>/home/azureuser/.ssh/authorized_keys</wa:Path>"
  "<wa:Value>ssh-ed25519 AAAA one</wa:Value></wa:PublicKey>\n"
  "   <wa:PublicKey><wa:Fingerprint>ABCDEF</wa:Fingerprint><wa:Path>/x</wa:Path></wa:PublicKey>\n"
  "   <wa:PublicKey><wa:Value>ssh-rsa BBBB two</wa:Value></wa:PublicKey>\n"
  "  </wa:PublicKeys></wa:SSH>\n"
  "  <wa:CustomData>eyJpZ25pdGlvbiI6e319</wa:CustomData>\n"
  " </wa:LinuxProvisioningConfigurationSet></wa:ProvisioningSection>\n"
  "</Environment>\n";

static void
test_ovf_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlOvfEnv) env = pl_ovf_parse (ovf_xml, strlen (ovf_xml), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (env->hostname, ==, "node-7");
  g_assert_cmpstr (env->username, ==, "azureuser");
  g_assert_cmpuint (env->ssh_keys->len, ==, 2);
  g_assert_cmpstr (env->ssh_keys->pdata[0], ==, "ssh-ed25519 AAAA one");
  g_assert_cmpstr (env->ssh_keys->pdata[1], ==, "ssh-rsa BBBB two");
  g_assert_cmpuint (env->fingerprint_only, ==, 1);
  g_assert_cmpmem (g_bytes_get_data (env->custom_data, NULL),
                   g_bytes_get_size (env->custom_data), "{\"ignition\":{}}", 15);

  g_autoptr(PlPlan) plan = pl_ovf_to_plan (env);
  g_assert_cmpstr (plan->hostname, ==, "node-7");
  PlPlanUser *u = plan->users->pdata[0];
  g_assert_cmpstr (u->name, ==, "azureuser");
  g_assert_true (u->sudo);
  g_assert_cmpuint (g_strv_length (u->ssh_keys), ==, 2);
  g_assert_cmpuint (env->ssh_keys->len, ==, 2);
}

static void
test_ovf_errors (void)
{
  static const char *const bad[] = {
    "<Environment><HostName>a</HostName>",                       /* truncated */
    "<Environment><HostName>a b</HostName></Environment>",         /* not a host name */
    "<Environment><UserName>../root</UserName></Environment>",     /* not a user name */
    "<Environment><CustomData>@@@</CustomData></Environment>",     /* not base64 */
    "not xml at all <",
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      g_assert_null (pl_ovf_parse (bad[i], strlen (bad[i]), &error));
      g_assert_error (error, PL_OVF_ERROR, PL_OVF_ERROR_PARSE);
      g_assert_true (g_str_has_prefix (error->message, "ovf-env.xml: "));
    }
  g_autoptr(GError) error = NULL;
  GBytes *xml = NULL;
  g_assert_false (pl_ovf_read_media ("/nonexistent/media", &xml, NULL, &error));
  g_assert_error (error, PL_OVF_ERROR, PL_OVF_ERROR_NOT_FOUND);
}

static void
test_ovf_media_dir (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("plinth-ovf-XXXXXX", &error);
  g_assert_no_error (error);
  g_autofree char *path = g_build_filename (dir, "ovf-env.xml", NULL);
  g_assert_true (g_file_set_contents (path, ovf_xml, -1, &error));
  g_autoptr(GBytes) xml = NULL;
  g_autoptr(GBytes) bin = NULL;
  g_assert_true (pl_ovf_read_media (dir, &xml, &bin, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_bytes_get_size (xml), ==, strlen (ovf_xml));
  g_assert_null (bin);
  g_unlink (path);
  g_clear_pointer (&xml, g_bytes_unref);
  g_assert_false (pl_ovf_read_media (dir, &xml, &bin, &error));
  g_assert_error (error, PL_OVF_ERROR, PL_OVF_ERROR_NOT_FOUND);
  g_rmdir (dir);
}

static const char goal_state[] =
  "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
  "<GoalState><Version>2012-11-30</Version><Incarnation>3</Incarnation>"
  "<Machine><ExpectedState>Started</ExpectedState></Machine>"
  "<Container><ContainerId>cid-1</ContainerId><RoleInstanceList><RoleInstance>"
  "<InstanceId>iid-2</InstanceId><State>Started</State>"
  "<Configuration><HostingEnvironmentConfig>x</HostingEnvironmentConfig></Configuration>"
  "</RoleInstance></RoleInstanceList></Container></GoalState>";

static void
test_goal_state (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlGoalState) gs = pl_goal_state_parse (goal_state, strlen (goal_state), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (gs->incarnation, ==, "3");
  g_assert_cmpstr (gs->container_id, ==, "cid-1");
  g_assert_cmpstr (gs->instance_id, ==, "iid-2");

  static const char *const bad[][2] = {
    { "<GoalState><Incarnation>1</Incarnation></GoalState>", "goal state: no Container/ContainerId" },
    { "<GoalState><Container><ContainerId>c</ContainerId></Container></GoalState>",
      "goal state: no GoalState/Incarnation" },
    { "<GoalState><Incarnation>1</Incarnation><Container><ContainerId>c</ContainerId>"
      "</Container><InstanceId>misplaced</InstanceId></GoalState>",
      "goal state: no RoleInstance/InstanceId" },
    { "<GoalState><Incarnation>1</Incarnation>", "goal state: " },
  };
  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) e = NULL;
      g_assert_null (pl_goal_state_parse (bad[i][0], strlen (bad[i][0]), &e));
      g_assert_error (e, PL_WIRESERVER_ERROR, PL_WIRESERVER_ERROR_PARSE);
      g_assert_true (g_str_has_prefix (e->message, bad[i][1]));
    }
}

static void
test_health_xml (void)
{
  PlGoalState gs = { .incarnation = "3", .container_id = "c<1>", .instance_id = "i&2" };
  g_autofree char *ready = pl_wireserver_health_xml (&gs, TRUE, "ignored");
  g_assert_nonnull (strstr (ready, "<GoalStateIncarnation>3</GoalStateIncarnation>"));
  g_assert_nonnull (strstr (ready, "<ContainerId>c&lt;1&gt;</ContainerId>"));
  g_assert_nonnull (strstr (ready, "<InstanceId>i&amp;2</InstanceId>"));
  g_assert_nonnull (strstr (ready, "<Health><State>Ready</State></Health>"));
  g_assert_null (strstr (ready, "Details"));

  /* 5000 characters, some multi-byte: cut to 3600 characters on a boundary */
  GString *long_msg = g_string_new ("<bad> & ");
  while (g_utf8_strlen (long_msg->str, -1) < 5000)
    g_string_append (long_msg, "é");
  g_autofree char *msg = g_string_free (long_msg, FALSE);
  g_autofree char *nr = pl_wireserver_health_xml (&gs, FALSE, msg);
  g_assert_nonnull (strstr (nr, "<State>NotReady</State><Details><SubStatus>ProvisioningFailed"
                                "</SubStatus><Description>&lt;bad&gt; &amp; é"));
  const char *d0 = strstr (nr, "<Description>") + strlen ("<Description>");
  const char *d1 = strstr (nr, "</Description>");
  g_autofree char *desc = g_strndup (d0, d1 - d0);
  g_assert_true (g_utf8_validate (desc, -1, NULL));
  /* the escaped "<bad> & " is longer than the original 8 characters */
  g_assert_cmpint (g_utf8_strlen (desc, -1), ==,
                   PL_WIRESERVER_DESCRIPTION_MAX + (strlen ("&lt;bad&gt; &amp; ") - 8));
}

static void
test_cmdline (void)
{
  g_autofree char *a = pl_sources_cmdline_value ("ro plinth.config.url=http://x/a quiet\n",
                                                 "plinth.config.url");
  g_assert_cmpstr (a, ==, "http://x/a");
  g_autofree char *b = pl_sources_cmdline_value ("plinth.config.url=1 plinth.config.url=2",
                                                 "plinth.config.url");
  g_assert_cmpstr (b, ==, "2");
  g_assert_null (pl_sources_cmdline_value ("xplinth.config.url=1 plinth.config.urlx=2",
                                           "plinth.config.url"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/azure/ovf-parse", test_ovf_parse);
  g_test_add_func ("/azure/ovf-errors", test_ovf_errors);
  g_test_add_func ("/azure/ovf-media-dir", test_ovf_media_dir);
  g_test_add_func ("/azure/goal-state", test_goal_state);
  g_test_add_func ("/azure/health-xml", test_health_xml);
  g_test_add_func ("/azure/cmdline", test_cmdline);
  return g_test_run ();
}
