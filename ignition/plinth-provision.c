/* plinth-provision: the first-boot provisioner's command line. It only parses
 * options and strings the library together: find the config, detect its kind,
 * compile it into a plan, add what the Azure OVF media asks for, fetch remote
 * contents, apply all or nothing, and optionally report to the Azure WireServer. */
#include "ignition/aksnodeconfig.h"
#include "ignition/apply.h"
#include "ignition/detect.h"
#include "ignition/fetch.h"
#include "ignition/ignition-config.h"
#include "ignition/rootfs.h"
#include "ignition/sources.h"
#include "ignition/userdb.h"
#include "ignition/units.h"
#include "ignition/wireserver.h"
#include "lib/fsutil.h"
#include "lib/http.h"
#include "lib/json.h"
#include "lib/log.h"

#include <gio/gunixinputstream.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Exit codes (docs/provision.md) */
enum {
  EXIT_OK = 0,
  EXIT_USAGE = 1,
  EXIT_CONFIG = 2,    /* the config is invalid or refused */
  EXIT_FETCH = 3,     /* a source or remote contents could not be fetched */
  EXIT_APPLY = 4,     /* the root refused the plan (unsafe path, exists, I/O) */
  EXIT_REPORT = 5,    /* provisioned, but reporting to the WireServer failed */
};

#define MSG_PROVISIONED "5c1f8a3e2b9d4e61a0f7c3d2b1e4a9f0"
#define MSG_FAILED "9b2e7d41c6a84f0e8d3b5a1c7e2f6d90"

static const char help_text[] =
  "Usage: plinth-provision [OPTION...]\n"
  "\n"
  "Provisions a machine on its first boot: reads an Ignition (spec 3.0.0 to 3.5.0)\n"
  "or AKS node config (aksnodeconfig.v1), checks all of it, fetches and verifies\n"
  "every remote file, then writes files, directories, links, units, users, groups,\n"
  "hostname and kernel arguments into the root, all or nothing.\n"
  "\n"
  "Options:\n"
  "  --root DIR            root to provision (default /)\n"
  "  --config FILE         read the config from FILE (\"-\": standard input) instead\n"
  "                        of searching the sources\n"
  "  --source auto         search the sources in order: kernel command line,\n"
  "                        QEMU fw_cfg, Azure IMDS user data, Azure OVF media,\n"
  "                        image defaults (the default without --config)\n"
  "  --cmdline FILE        kernel command line to read plinth.config.url= from\n"
  "                        (default /proc/cmdline; \"\" skips)\n"
  "  --fw-cfg PATH         QEMU fw_cfg blob (default\n"
  "                        " PL_SOURCES_DEFAULT_FW_CFG ")\n"
  "  --imds-url URL        Azure IMDS base URL (default " PL_SOURCES_DEFAULT_IMDS ";\n"
  "                        \"\" skips)\n"
  "  --ovf PATH            OVF media: directory, ISO image or device (default\n"
  "                        " PL_SOURCES_DEFAULT_OVF "; \"\" skips)\n"
  "  --wireserver-url URL  Azure WireServer base URL (default " PL_WIRESERVER_DEFAULT_URL ")\n"
  "  --report-ready        report Ready (or NotReady with the error) to the WireServer\n"
  "  --max-file-size N     limit for one file's contents after decompression, bytes\n"
  "                        (default 64 MiB)\n"
  "  --dry-run             check everything, write nothing\n"
  "  --json                print the outcome as JSON on standard output\n"
  "  -v, --verbose         say more\n"
  "  -h, --help            show this help\n"
  "\n"
  "Exit status: 0 provisioned; 1 usage; 2 invalid or refused config; 3 a source or\n"
  "remote contents could not be fetched; 4 the root refused the plan (unsafe path,\n"
  "existing file, I/O error); 5 provisioned but the WireServer report failed.\n"
  "Test switch: PLINTH_DEBUG=fast-retries shortens retry delays to milliseconds.\n"
  "See docs/provision.md.\n";

typedef struct {
  const char *root;
  const char *config;
  const char *source;
  const char *wireserver_url;
  gboolean report_ready;
  gboolean dry_run;
  gboolean json;
  gboolean verbose;
  guint64 max_file_size;
  PlSourceOptions src;
} Options;

static int
exit_code_for (const GError *error)
{
  GQuark d = error->domain;
  if (d == PL_FETCH_ERROR && error->code == PL_FETCH_ERROR_NETWORK)
    return EXIT_FETCH;
  if (d == PL_SOURCES_ERROR || d == PL_HTTP_ERROR || d == PL_OVF_ERROR)
    return EXIT_FETCH;
  if (d == PL_IGNITION_ERROR || d == PL_AKS_ERROR || d == PL_DETECT_ERROR
      || d == PL_JSON_ERROR || d == PL_PLAN_ERROR || d == PL_FETCH_ERROR)
    return EXIT_CONFIG;
  return EXIT_APPLY;
}

static gboolean
parse_args (int argc, char **argv, Options *o, GError **error)
{
  for (int i = 1; i < argc; i++)
    {
      const char *a = argv[i];
      const char **target = NULL;
      if (g_str_equal (a, "-h") || g_str_equal (a, "--help"))
        {
          fputs (help_text, stdout);
          exit (EXIT_OK);
        }
      else if (g_str_equal (a, "--report-ready"))
        o->report_ready = TRUE;
      else if (g_str_equal (a, "--dry-run"))
        o->dry_run = TRUE;
      else if (g_str_equal (a, "--json"))
        o->json = TRUE;
      else if (g_str_equal (a, "-v") || g_str_equal (a, "--verbose"))
        o->verbose = TRUE;
      else if (g_str_equal (a, "--root"))
        target = &o->root;
      else if (g_str_equal (a, "--config"))
        target = &o->config;
      else if (g_str_equal (a, "--source"))
        target = &o->source;
      else if (g_str_equal (a, "--cmdline"))
        target = &o->src.cmdline_path;
      else if (g_str_equal (a, "--fw-cfg"))
        target = &o->src.fw_cfg_path;
      else if (g_str_equal (a, "--imds-url"))
        target = &o->src.imds_url;
      else if (g_str_equal (a, "--ovf"))
        target = &o->src.ovf_path;
      else if (g_str_equal (a, "--wireserver-url"))
        target = &o->wireserver_url;
      else if (g_str_equal (a, "--max-file-size"))
        {
          char *end = NULL;
          if (i + 1 >= argc || (o->max_file_size = g_ascii_strtoull (argv[++i], &end, 10)) == 0
              || *end)
            return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "--max-file-size needs a positive number of bytes"), FALSE;
        }
      else
        return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION,
                            "unknown option %s (see --help)", a), FALSE;
      if (target)
        {
          if (i + 1 >= argc)
            return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                                "%s needs a value", a), FALSE;
          *target = argv[++i];
        }
    }
  if (o->source && !g_str_equal (o->source, "auto"))
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--source takes only \"auto\""), FALSE;
  if (o->source && o->config)
    return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                        "--config and --source exclude each other"), FALSE;
  return TRUE;
}

static GBytes *
read_config_file (const char *path, guint64 max, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (g_str_equal (path, "-"))
    {
      g_autoptr(GInputStream) in = g_unix_input_stream_new (0, FALSE);
      g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable ();
      if (g_output_stream_splice (out, in, G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error) < 0)
        return NULL;
      return g_memory_output_stream_steal_as_bytes (G_MEMORY_OUTPUT_STREAM (out));
    }
  if (!g_file_get_contents (path, &data, &len, error))
    return NULL;
  if (len > max)
    return g_set_error (error, PL_SOURCES_ERROR, PL_SOURCES_ERROR_INVALID,
                        "%s is larger than %" G_GUINT64_FORMAT " bytes", path, max), NULL;
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

/* Adds the OVF hostname and admin user; a user the config also defines gets the
 * keys added to its entry rather than a second entry. */
static void
merge_ovf (PlPlan *plan, const PlOvfEnv *env)
{
  /* A config that writes /etc/hostname itself knows better than the platform */
  gboolean config_names_host = FALSE;
  for (guint i = 0; i < plan->files->len; i++)
    if (g_str_equal (((PlPlanFile *) plan->files->pdata[i])->path, "/etc/hostname"))
      config_names_host = TRUE;
  if (env->hostname && !plan->hostname && !config_names_host)
    plan->hostname = g_strdup (env->hostname);
  if (!env->username)
    return;
  for (guint i = 0; i < plan->users->len; i++)
    {
      PlPlanUser *u = plan->users->pdata[i];
      if (!g_str_equal (u->name, env->username))
        continue;
      g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
      if (u->ssh_keys)
        g_strv_builder_addv (b, (const char **) u->ssh_keys);
      for (guint j = 0; j < env->ssh_keys->len; j++)
        g_strv_builder_add (b, env->ssh_keys->pdata[j]);
      g_strfreev (u->ssh_keys);
      u->ssh_keys = g_strv_builder_end (b);
      u->sudo = TRUE;
      return;
    }
  g_autoptr(PlPlan) ovf = pl_ovf_to_plan (env);
  g_clear_pointer (&ovf->hostname, g_free);
  pl_plan_merge (plan, ovf);
}

typedef struct {
  char *source;
  char *detail;
  PlConfigKind kind;
  GPtrArray *changes;
  GPtrArray *warnings;
} Outcome;

static gboolean
provision (Options *o, Outcome *out, GError **error)
{
  PL_AUTOFD int root_fd = -1;
  if (!pl_rootfs_open_root (o->root, &root_fd, error))
    return FALSE;
  guint64 max = o->max_file_size ? o->max_file_size : PL_FETCH_DEFAULT_MAX_SIZE;
  o->src.max_size = MAX (max * 2, (guint64) 128 << 20);

  g_autoptr(GBytes) config = NULL;
  g_autoptr(PlSourceResult) found = NULL;
  if (o->config)
    {
      /* A config carries its files base64-encoded: give it room for that */
      config = read_config_file (o->config, MAX (max * 2, (guint64) 128 << 20), error);
      if (!config)
        return g_prefix_error (error, "Reading the config: "), FALSE;
      out->source = g_strdup ("file");
      out->detail = g_strdup (o->config);
    }
  else
    {
      found = pl_sources_find (&o->src, root_fd, NULL, error);
      if (!found)
        return g_prefix_error (error, "Finding the config: "), FALSE;
      for (guint i = 0; i < found->notes->len; i++)
        pl_debug ("%s", (char *) found->notes->pdata[i]);
      config = g_bytes_ref (found->config);
      out->source = g_strdup (found->source);
      out->detail = g_strdup (found->detail);
    }
  pl_info ("Config from %s%s%s", out->source, out->detail ? " " : "",
           out->detail ? out->detail : "");

  gsize len;
  const char *data = g_bytes_get_data (config, &len);
  g_autofree char *text = g_strndup (data ? data : "", len);
  if (!pl_detect_config_kind (text, len, out->detail ? out->detail : out->source, &out->kind,
                              error))
    return FALSE;
  PlFetchOptions fopts = { .max_size = max, .retries = 3 };
  g_autoptr(PlPlan) plan = NULL;
  switch (out->kind)
    {
    case PL_CONFIG_KIND_IGNITION:
      plan = pl_ignition_compile (text, len, &fopts, error);
      break;
    case PL_CONFIG_KIND_AKSNODECONFIG:
      plan = pl_aks_compile (text, len, error);
      break;
    default:
      plan = pl_plan_new ("empty");
      break;
    }
  if (!plan)
    return FALSE;
  if (found && found->ovf)
    merge_ovf (plan, found->ovf);
  if (!pl_fetch_resolve_plan (plan, &fopts, NULL, error))
    return FALSE;
  PlApplyOptions aopts = { .dry_run = o->dry_run };
  gboolean ok = pl_apply_plan (root_fd, plan, &aopts, &out->changes, NULL, error);
  out->warnings = g_ptr_array_ref (plan->warnings);
  return ok;
}

static void
print_json (const Options *o, const Outcome *out, const GError *error, gboolean reported)
{
  g_autoptr(json_object) j = json_object_new_object ();
  json_object_object_add (j, "ok", json_object_new_boolean (error == NULL));
  json_object_object_add (j, "dry_run", json_object_new_boolean (o->dry_run));
  json_object_object_add (j, "source", pl_json_string_or_null (out->source));
  json_object_object_add (j, "kind",
                          json_object_new_string (pl_config_kind_to_string (out->kind)));
  json_object *changes = json_object_new_array ();
  for (guint i = 0; out->changes && i < out->changes->len; i++)
    json_object_array_add (changes, json_object_new_string (out->changes->pdata[i]));
  json_object_object_add (j, "changes", changes);
  json_object *warnings = json_object_new_array ();
  for (guint i = 0; out->warnings && i < out->warnings->len; i++)
    json_object_array_add (warnings, json_object_new_string (out->warnings->pdata[i]));
  json_object_object_add (j, "warnings", warnings);
  if (error)
    json_object_object_add (j, "error", json_object_new_string (error->message));
  if (o->report_ready)
    json_object_object_add (j, "reported", json_object_new_boolean (reported));
  g_autofree char *s = pl_json_to_string_pretty (j);
  fputs (s, stdout);
}

int
main (int argc, char **argv)
{
  g_set_prgname ("plinth-provision");
  Options o = { .root = "/" };
  g_autoptr(GError) error = NULL;
  if (!parse_args (argc, argv, &o, &error))
    {
      pl_err ("%s", error->message);
      return EXIT_USAGE;
    }
  pl_log_set_verbose (o.verbose);
  if (o.json)
    pl_log_set_quiet (TRUE);
  if (g_strcmp0 (g_getenv ("PLINTH_DEBUG"), "fast-retries") == 0)
    o.src.imds_retry_base_ms = 10;

  Outcome out = { 0 };
  gboolean ok = provision (&o, &out, &error);
  int rc = EXIT_OK;
  for (guint i = 0; out.warnings && i < out.warnings->len; i++)
    pl_warn ("%s", (char *) out.warnings->pdata[i]);
  if (ok)
    {
      for (guint i = 0; o.verbose && out.changes && i < out.changes->len; i++)
        pl_debug ("%s", (char *) out.changes->pdata[i]);
      pl_log_event (PL_LOG_NOTICE, MSG_PROVISIONED, "Provisioned from %s (%s config)%s",
                    out.source, pl_config_kind_to_string (out.kind),
                    o.dry_run ? ", dry run: nothing written" : "");
    }
  else
    {
      rc = exit_code_for (error);
      pl_log_event (PL_LOG_ERROR, MSG_FAILED, "Provisioning failed: %s", error->message);
    }

  gboolean reported = FALSE;
  if (o.report_ready && !o.dry_run)
    {
      PlWireserverOptions w = { .base_url = o.wireserver_url };
      if (g_strcmp0 (g_getenv ("PLINTH_DEBUG"), "fast-retries") == 0)
        w.retry_base_ms = 10, w.attempts = 6;
      g_autoptr(GError) report_error = NULL;
      reported = pl_wireserver_report_health (&w, ok, ok ? NULL : error->message, NULL,
                                              &report_error);
      if (!reported)
        {
          pl_err ("%s", report_error->message);
          if (rc == EXIT_OK)
            rc = EXIT_REPORT;
        }
      else
        pl_info ("Reported %s to the WireServer", ok ? "Ready" : "NotReady");
    }
  if (o.json)
    print_json (&o, &out, ok ? NULL : error, reported);
  g_free (out.source);
  g_free (out.detail);
  if (out.changes)
    g_ptr_array_unref (out.changes);
  if (out.warnings)
    g_ptr_array_unref (out.warnings);
  return rc;
}
