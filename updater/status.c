/* Status serializers: JSON and Prometheus text, and their atomic publication under
 * <sysroot>/run/plinth/. */
#include "updater/status.h"

#include "lib/fsutil.h"
#include "lib/json.h"

G_DEFINE_QUARK (pl-status-error-quark, pl_status_error)

static json_object *
deployment_to_json (const PlDeployment *d)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "osname", json_object_new_string (d->osname));
  json_object_object_add (o, "version", pl_json_string_or_null (d->version));
  json_object_object_add (o, "commit", json_object_new_string (d->commit));
  json_object_object_add (o, "serial", json_object_new_int (d->serial));
  json_object_object_add (o, "index", json_object_new_int (d->index));
  json_object_object_add (o, "default", json_object_new_boolean (d->is_default));
  json_object_object_add (o, "booted", json_object_new_boolean (d->booted));
  json_object_object_add (o, "staged", json_object_new_boolean (d->staged));
  json_object_object_add (o, "pending", json_object_new_boolean (d->pending));
  json_object_object_add (o, "rollback", json_object_new_boolean (d->rollback));
  json_object_object_add (o, "kernel_arguments", json_object_new_string (d->kargs));
  return o;
}

/* The first deployment with the flag at OFFSET set, or NULL. */
static const PlDeployment *
find_flag (const PlStatus *st, gsize offset)
{
  for (guint i = 0; st->deployments && i < st->deployments->len; i++)
    {
      const PlDeployment *d = st->deployments->pdata[i];
      if (G_STRUCT_MEMBER (gboolean, d, offset))
        return d;
    }
  return NULL;
}

static const PlDeployment *
next_boot (const PlStatus *st)
{
  /* the first listed deployment of the OS boots next when it is the sysroot's default */
  if (st->deployments && st->deployments->len > 0)
    {
      const PlDeployment *d = st->deployments->pdata[0];
      if (d->is_default)
        return d;
    }
  return NULL;
}

static json_object *
opt_deployment (const PlDeployment *d)
{
  return d ? deployment_to_json (d) : NULL;
}

json_object *
pl_status_to_json (const PlStatus *st)
{
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "os", pl_json_string_or_null (st->osname));
  json_object_object_add (o, "sysroot", pl_json_string_or_null (st->sysroot));
  json_object_object_add (o, "sysroot_booted", json_object_new_boolean (st->sysroot_booted));
  json_object_object_add (o, "generated", json_object_new_int64 (st->now));
  json_object_object_add (o, "booted",
                          opt_deployment (find_flag (st, G_STRUCT_OFFSET (PlDeployment, booted))));
  json_object_object_add (o, "staged",
                          opt_deployment (find_flag (st, G_STRUCT_OFFSET (PlDeployment, staged))));
  json_object_object_add (o, "next_boot", opt_deployment (next_boot (st)));
  json_object_object_add (o, "rollback",
                          opt_deployment (find_flag (st, G_STRUCT_OFFSET (PlDeployment, rollback))));
  json_object *list = json_object_new_array ();
  for (guint i = 0; st->deployments && i < st->deployments->len; i++)
    json_object_array_add (list, deployment_to_json (st->deployments->pdata[i]));
  json_object_object_add (o, "deployments", list);

  json_object *policy = NULL;
  if (st->policy_kind)
    {
      policy = json_object_new_object ();
      json_object_object_add (policy, "decision", json_object_new_string (st->policy_kind));
      json_object_object_add (policy, "reason", pl_json_string_or_null (st->policy_reason));
    }
  json_object_object_add (o, "policy", policy);

  PlState *s = st->state;
  json_object *check = NULL;
  if (s && s->last_check_result)
    {
      check = json_object_new_object ();
      json_object_object_add (check, "time", json_object_new_int64 (s->last_check_time));
      json_object_object_add (check, "result", json_object_new_string (s->last_check_result));
    }
  json_object_object_add (o, "last_check", check);
  json_object_object_add (o, "last_index_serial",
                          s && s->last_index_serial >= 0
                              ? json_object_new_int64 (s->last_index_serial) : NULL);
  json_object *staged_rec = NULL;
  if (s && s->staged_commit)
    {
      staged_rec = json_object_new_object ();
      json_object_object_add (staged_rec, "version", pl_json_string_or_null (s->staged_version));
      json_object_object_add (staged_rec, "commit", json_object_new_string (s->staged_commit));
      json_object_object_add (staged_rec, "time", json_object_new_int64 (s->staged_time));
    }
  json_object_object_add (o, "staged_by_agent", staged_rec);
  json_object *failed = json_object_new_array ();
  for (guint i = 0; s && i < s->failed->len; i++)
    {
      PlFailedRelease *f = s->failed->pdata[i];
      json_object *fo = json_object_new_object ();
      json_object_object_add (fo, "version", pl_json_string_or_null (f->version));
      json_object_object_add (fo, "commit", json_object_new_string (f->commit));
      json_object_object_add (fo, "reason", json_object_new_string (f->reason));
      json_object_object_add (fo, "time", json_object_new_int64 (f->time));
      json_object_array_add (failed, fo);
    }
  json_object_object_add (o, "failed_releases", failed);
  json_object_object_add (o, "state_error", pl_json_string_or_null (st->state_error));
  return o;
}

/* A label value in the exposition format: backslash, quote and newline escaped. */
static void
append_label (GString *out, const char *name, const char *value, gboolean first)
{
  g_string_append_printf (out, "%s%s=\"", first ? "" : ",", name);
  for (const char *p = value ? value : ""; *p; p++)
    {
      if (*p == '\\')
        g_string_append (out, "\\\\");
      else if (*p == '"')
        g_string_append (out, "\\\"");
      else if (*p == '\n')
        g_string_append (out, "\\n");
      else
        g_string_append_c (out, *p);
    }
  g_string_append_c (out, '"');
}

static void
header (GString *out, const char *name, const char *help)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static void
info_metric (GString *out, const char *name, const char *help, const PlDeployment *d)
{
  header (out, name, help);
  if (!d)
    return;
  g_string_append_printf (out, "%s{", name);
  append_label (out, "os", d->osname, TRUE);
  append_label (out, "version", d->version ? d->version : "", FALSE);
  append_label (out, "commit", d->commit, FALSE);
  g_string_append (out, "} 1\n");
}

char *
pl_status_to_prometheus (const PlStatus *st)
{
  GString *out = g_string_new (NULL);
  info_metric (out, "plinth_booted_info", "The booted deployment (absent when the sysroot "
               "is not the running system).",
               find_flag (st, G_STRUCT_OFFSET (PlDeployment, booted)));
  info_metric (out, "plinth_next_boot_info", "The deployment that boots next.",
               next_boot (st));
  info_metric (out, "plinth_staged_info", "The staged deployment, if any.",
               find_flag (st, G_STRUCT_OFFSET (PlDeployment, staged)));
  info_metric (out, "plinth_rollback_info", "The deployment a rollback would boot next.",
               find_flag (st, G_STRUCT_OFFSET (PlDeployment, rollback)));
  header (out, "plinth_deployments", "Number of deployments.");
  g_string_append_printf (out, "plinth_deployments %u\n",
                          st->deployments ? st->deployments->len : 0);
  PlState *s = st->state;
  header (out, "plinth_update_failed_releases", "Releases recorded as failed on this node.");
  g_string_append_printf (out, "plinth_update_failed_releases %u\n", s ? s->failed->len : 0);
  header (out, "plinth_last_check_timestamp_seconds",
          "When the agent last checked for updates (0: never).");
  g_string_append_printf (out, "plinth_last_check_timestamp_seconds %" G_GINT64_FORMAT "\n",
                          s && s->last_check_result ? s->last_check_time : 0);
  header (out, "plinth_last_index_serial", "Serial of the last accepted release index "
          "(-1: none).");
  g_string_append_printf (out, "plinth_last_index_serial %" G_GINT64_FORMAT "\n",
                          s ? s->last_index_serial : -1);
  header (out, "plinth_state_ok", "1 when the agent's state file was read cleanly.");
  g_string_append_printf (out, "plinth_state_ok %d\n", s && !st->state_error ? 1 : 0);
  header (out, "plinth_status_generated_timestamp_seconds", "When this file was written.");
  g_string_append_printf (out, "plinth_status_generated_timestamp_seconds %" G_GINT64_FORMAT
                          "\n", st->now);
  return g_string_free (out, FALSE);
}

gboolean
pl_status_write_at (const PlStatus *st, int root_dfd, GError **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(json_object) o = pl_status_to_json (st);
  g_autofree char *json = pl_json_to_string_pretty (o);
  g_autofree char *prom = pl_status_to_prometheus (st);
  if (!pl_mkdir_p_at (root_dfd, PL_STATUS_DIR, 0755, &local_error)
      || !pl_file_replace_at (root_dfd, PL_STATUS_JSON, json, strlen (json), 0644,
                              &local_error)
      || !pl_file_replace_at (root_dfd, PL_STATUS_PROM, prom, strlen (prom), 0644,
                              &local_error))
    return g_set_error (error, PL_STATUS_ERROR, PL_STATUS_ERROR_IO,
                        "Publishing status under /%s: %s", PL_STATUS_DIR,
                        local_error->message), FALSE;
  return TRUE;
}
