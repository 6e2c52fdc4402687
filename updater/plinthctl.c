/* plinthctl: the node admin's CLI. Parses arguments and calls the updater library;
 * each verb is one function with its options and help beside it. Works without the
 * daemon: it reads the sysroot and the agent's state directly. See docs/plinthctl.md
 * (exit codes there). */
#include "updater/check.h"
#include "updater/deployments.h"
#include "updater/fetch.h"
#include "updater/state.h"
#include "updater/updater-config.h"
#include "updater/status.h"
#include "lib/json.h"
#include "lib/log.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define EXIT_NO_ROLLBACK 3

/* journal MESSAGE_IDs (stable: people search for them) */
#define PL_MSGID_ROLLBACK "30483103719e4ea989b42e4ef8411137"
#define PL_MSGID_STATE_RESET "cc873a9a473042808a7177049bafa1bb"
#define PL_MSGID_UPDATE_STAGED "21ed9f6c3e634f7793ef68ee73c43009"
#define PL_MSGID_UPDATE_REFUSED "91bc70a260df45cf9db800d2603c4aa9"

typedef struct {
  const char *name;
  const char *summary;
  int (*fn) (int argc, char **argv);
  gboolean debug_only;   /* shown and accepted only with PLINTH_DEBUG=deploy */
} Verb;

/* options every verb takes (before or after the verb) */
static char *opt_sysroot;
static char *opt_os;

static GOptionEntry global_entries[] = {
  { "sysroot", 0, 0, G_OPTION_ARG_FILENAME, &opt_sysroot, "Act on the OSTree sysroot at DIR (default: $PLINTH_SYSROOT, else /)", "DIR" },
  { "os", 0, 0, G_OPTION_ARG_STRING, &opt_os, "Operating system name (stateroot) (default: the booted one, else plinth)", "NAME" },
  { NULL }
};

static gboolean
debug_enabled (const char *what)
{
  const char *env = g_getenv ("PLINTH_DEBUG");
  if (!env)
    return FALSE;
  g_auto(GStrv) parts = g_strsplit (env, ",", -1);
  return g_strv_contains ((const char *const *) parts, what);
}

static gint64
now_seconds (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

static const char *
sysroot_path (void)
{
  if (opt_sysroot)
    return opt_sysroot;
  const char *env = g_getenv ("PLINTH_SYSROOT");
  return env && *env ? env : "/";
}

/* Parses the verb's options (with the global ones); FALSE: usage error, reported. */
static gboolean
parse_options (const char *params, const char *summary, const char *description,
               GOptionEntry *entries, int *argc, char ***argv)
{
  g_autoptr(GOptionContext) ctx = g_option_context_new (params);
  g_option_context_set_summary (ctx, summary);
  g_option_context_set_description (ctx, description);
  if (entries)
    g_option_context_add_main_entries (ctx, entries, NULL);
  /* listed with the verb's own, so --help shows them where people look */
  g_option_context_add_main_entries (ctx, global_entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (ctx, argc, argv, &error))
    {
      pl_err ("%s", error->message);
      return FALSE;
    }
  return TRUE;
}

typedef struct {
  PlDeployments *deployments;
  GPtrArray *list;
  const char *osname;
  int root_dfd;
} Node;

static void
node_clear (Node *n)
{
  g_clear_pointer (&n->list, g_ptr_array_unref);
  g_clear_pointer (&n->deployments, pl_deployments_free);
  if (n->root_dfd >= 0)
    close (n->root_dfd);
  n->root_dfd = -1;
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Node, node_clear)

static char *
booted_osname (PlDeployments *d)
{
  OstreeDeployment *b = ostree_sysroot_get_booted_deployment (pl_deployments_get_sysroot (d));
  return b ? g_strdup (ostree_deployment_get_osname (b)) : NULL;
}

static gboolean
node_open (Node *n, GError **error)
{
  const char *path = sysroot_path ();
  n->deployments = pl_deployments_open (path, NULL, error);
  if (!n->deployments)
    return FALSE;
  if (!opt_os)
    opt_os = booted_osname (n->deployments);
  if (!opt_os)
    opt_os = g_strdup ("plinth");
  n->osname = opt_os;
  n->list = pl_deployments_list (n->deployments, n->osname);
  n->root_dfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (n->root_dfd < 0)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Opening %s: %s",
                        path, g_strerror (errno)), FALSE;
  return TRUE;
}

static void
node_reload (Node *n)
{
  g_clear_pointer (&n->list, g_ptr_array_unref);
  n->list = pl_deployments_list (n->deployments, n->osname);
}

static const PlDeployment *
node_next_boot (Node *n)
{
  if (n->list->len == 0)
    return NULL;
  const PlDeployment *d = n->list->pdata[0];
  return d->is_default ? d : NULL;
}

static void
print_json (json_object *o)
{
  g_autofree char *s = pl_json_to_string_pretty (o);
  fputs (s, stdout);
}

static char *
format_time (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);
  return dt ? g_date_time_format (dt, "%Y-%m-%d %H:%M:%S UTC") : g_strdup ("?");
}

/* Publishes status.json and the .prom file; failure is a warning, since the verb's own
 * job (showing or changing the boot order) is done. */
static void
publish_status (Node *n, const PlStatus *st)
{
  g_autoptr(GError) error = NULL;
  if (!pl_status_write_at (st, n->root_dfd, &error))
    pl_warn ("%s", error->message);
}

static void
status_init (PlStatus *st, Node *n, PlState *state, const char *state_error)
{
  *st = (PlStatus) { .osname = n->osname, .sysroot = pl_deployments_get_path (n->deployments),
                     .sysroot_booted = pl_deployments_is_booted (n->deployments),
                     .deployments = n->list, .state = state, .state_error = state_error,
                     .now = now_seconds () };
}

static void
print_status_human (const PlStatus *st)
{
  printf ("Sysroot %s (%s), OS %s\n", st->sysroot,
          st->sysroot_booted ? "booted" : "not booted", st->osname);
  if (st->deployments->len == 0)
    printf ("  no deployments\n");
  for (guint i = 0; i < st->deployments->len; i++)
    {
      const PlDeployment *d = st->deployments->pdata[i];
      g_autoptr(GPtrArray) tags = g_ptr_array_new ();
      if (d->is_default)
        g_ptr_array_add (tags, "next boot");
      if (d->booted)
        g_ptr_array_add (tags, "booted");
      if (d->staged)
        g_ptr_array_add (tags, "staged");
      if (d->pending)
        g_ptr_array_add (tags, "pending");
      if (d->rollback)
        g_ptr_array_add (tags, "rollback");
      g_ptr_array_add (tags, NULL);
      g_autofree char *t = g_strjoinv (", ", (char **) tags->pdata);
      printf ("%c %-12s %s.%d%s%s%s\n", d->booted ? '*' : ' ',
              d->version ? d->version : "(no version)", d->commit, d->serial,
              *t ? "  (" : "", t, *t ? ")" : "");
      if (*d->kargs)
        printf ("    kernel arguments: %s\n", d->kargs);
    }
  PlState *s = st->state;
  if (st->state_error)
    printf ("State: %s\n", st->state_error);
  if (!s)
    return;
  if (s->last_check_result)
    {
      g_autofree char *t = format_time (s->last_check_time);
      printf ("Last check: %s: %s\n", t, s->last_check_result);
    }
  else
    printf ("Last check: never\n");
  if (s->staged_commit)
    {
      g_autofree char *t = format_time (s->staged_time);
      printf ("Staged by the agent: %s (%s) at %s\n",
              s->staged_version ? s->staged_version : "?", s->staged_commit, t);
    }
  printf ("Failed releases: %s\n", s->failed->len ? "" : "none");
  for (guint i = 0; i < s->failed->len; i++)
    {
      PlFailedRelease *f = s->failed->pdata[i];
      g_autofree char *t = format_time (f->time);
      printf ("  %s (%s) at %s: %s\n", f->version ? f->version : "?", f->commit, t, f->reason);
    }
}

static int
verb_status (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the status as JSON", NULL },
    { NULL }
  };
  if (!parse_options ("- show the deployments and the update state",
                      "Shows the deployments (booted, staged, next boot, rollback) with their\n"
                      "versions, the last update check and the releases that failed here.",
                      "Also publishes the status as /run/plinth/status.json and\n"
                      "/run/plinth/plinth.prom under the sysroot. A corrupt state file is\n"
                      "reported (state_error) and left alone; see docs/plinthctl.md.",
                      entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    return pl_err ("usage: plinthctl status [--json]"), EXIT_USAGE;
  g_auto(Node) n = { .root_dfd = -1 };
  g_autoptr(GError) error = NULL;
  if (!node_open (&n, &error))
    return pl_err ("%s", error->message), EXIT_FAILURE;
  g_autoptr(PlState) state = pl_state_load_at (n.root_dfd, &error);
  g_autofree char *state_error = NULL;
  if (!state)
    {
      state_error = g_strdup_printf ("%s (left as is; the next change sets it aside as "
                                     "state.json.bad and starts afresh)", error->message);
      pl_warn ("%s", state_error);
      g_clear_error (&error);
    }
  PlStatus st;
  status_init (&st, &n, state, state_error);
  publish_status (&n, &st);
  if (json)
    {
      g_autoptr(json_object) o = pl_status_to_json (&st);
      print_json (o);
    }
  else
    print_status_human (&st);
  return EXIT_SUCCESS;
}

/* The state for a change: a corrupt file is set aside (and said so), I/O errors fail. */
static PlState *
load_state_for_change (Node *n, GError **error)
{
  g_autofree char *recovered = NULL;
  PlState *s = pl_state_recover_at (n->root_dfd, now_seconds (), &recovered, error);
  if (s && recovered)
    pl_log_event (PL_LOG_WARNING, PL_MSGID_STATE_RESET,
                  "State file was corrupt and was set aside as /%s.bad; starting afresh "
                  "(failed-release records are lost): %s", PL_STATE_FILE, recovered);
  return s;
}

/* Keeps the agent's staged record only while that commit is still deployed. */
static void
forget_vanished_staged (Node *n, PlState *s)
{
  if (!s->staged_commit)
    return;
  for (guint i = 0; i < n->list->len; i++)
    if (g_str_equal (((PlDeployment *) n->list->pdata[i])->commit, s->staged_commit))
      return;
  pl_state_set_staged (s, NULL, NULL, 0);
}

/* Records the change in the state and publishes the status; returns the exit code.
 * DONE is printed unless ANNOUNCED (already logged as an event, which goes to stderr). */
static int
finish_change (Node *n, PlState *state, gboolean json, const char *done, gboolean announced)
{
  g_autoptr(GError) error = NULL;
  forget_vanished_staged (n, state);
  gboolean saved = pl_state_save_at (state, n->root_dfd, &error);
  if (!saved)
    pl_err ("%s, but recording it failed: %s", done, error->message);
  PlStatus st;
  status_init (&st, n, state, NULL);
  publish_status (n, &st);
  if (json)
    {
      g_autoptr(json_object) o = pl_status_to_json (&st);
      print_json (o);
    }
  else if (!announced)
    printf ("%s\n", done);
  return saved ? EXIT_SUCCESS : EXIT_FAILURE;
}

static int
verb_rollback (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the resulting status as JSON", NULL },
    { NULL }
  };
  if (!parse_options ("- make the other deployment the next boot",
                      "Makes the other deployment the next boot. On a booted system: a staged\n"
                      "or pending update is undone (the booted deployment boots again); else the\n"
                      "previous deployment becomes the next boot. On a sysroot that is not booted\n"
                      "the first two deployments swap, so a second rollback undoes the first.",
                      "Records the rollback in the history. Exit status 3: nothing to roll back to.",
                      entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    return pl_err ("usage: plinthctl rollback [--json]"), EXIT_USAGE;
  g_auto(Node) n = { .root_dfd = -1 };
  g_autoptr(GError) error = NULL;
  if (!node_open (&n, &error))
    return pl_err ("%s", error->message), EXIT_FAILURE;
  g_autoptr(PlState) state = load_state_for_change (&n, &error);
  if (!state)
    return pl_err ("%s", error->message), EXIT_FAILURE;
  const PlDeployment *before = node_next_boot (&n);
  g_autofree char *from_version = before && before->version ? g_strdup (before->version) : NULL;
  g_autofree char *from_commit = before ? g_strdup (before->commit) : NULL;
  g_autoptr(PlDeployment) target = NULL;
  if (!pl_deployments_rollback (n.deployments, n.osname, &target, NULL, &error))
    {
      pl_err ("Rollback: %s", error->message);
      return g_error_matches (error, PL_DEPLOYMENTS_ERROR, PL_DEPLOYMENTS_ERROR_NO_ROLLBACK)
                 ? EXIT_NO_ROLLBACK : EXIT_FAILURE;
    }
  node_reload (&n);
  const char *to_version = target && target->version ? target->version : NULL;
  pl_state_add_history (state, now_seconds (), PL_HISTORY_KIND_ROLLBACK, from_version,
                        from_commit, to_version, target ? target->commit : NULL, NULL);
  g_autofree char *done = g_strdup_printf ("Rolled back: next boot is %s (%s)",
                                           to_version ? to_version : "(no version)",
                                           target ? target->commit : "?");
  pl_log_event (PL_LOG_NOTICE, PL_MSGID_ROLLBACK, "%s", done);
  return finish_change (&n, state, json, done, TRUE);
}

static void
print_history_human (PlState *s)
{
  if (s->history->len == 0)
    printf ("No history.\n");
  for (guint i = 0; i < s->history->len; i++)
    {
      PlHistoryEntry *h = s->history->pdata[i];
      g_autofree char *t = format_time (h->time);
      printf ("%s  %-8s", t, pl_history_kind_to_string (h->kind));
      if (h->from_commit)
        printf (" %s (%.12s) ->", h->from_version ? h->from_version : "?", h->from_commit);
      if (h->to_commit)
        printf (" %s (%.12s)", h->to_version ? h->to_version : "?", h->to_commit);
      if (h->detail)
        printf ("  %s", h->detail);
      printf ("\n");
    }
}

static int
verb_history (int argc, char **argv)
{
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the history as JSON", NULL },
    { NULL }
  };
  if (!parse_options ("- show updates and rollbacks, newest first",
                      "Shows the updates, deploys, rollbacks and failed releases recorded on\n"
                      "this node, newest first (at most 64 entries are kept).",
                      "A corrupt state file is an error (exit 1) naming the file and field;\n"
                      "the file is left as is.",
                      entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    return pl_err ("usage: plinthctl history [--json]"), EXIT_USAGE;
  g_auto(Node) n = { .root_dfd = -1 };
  g_autoptr(GError) error = NULL;
  if (!node_open (&n, &error))
    return pl_err ("%s", error->message), EXIT_FAILURE;
  g_autoptr(PlState) state = pl_state_load_at (n.root_dfd, &error);
  if (!state)
    return pl_err ("%s", error->message), EXIT_FAILURE;
  if (json)
    {
      /* the history array exactly as stored */
      g_autofree char *all = pl_state_to_json (state);
      g_autoptr(json_object) o = pl_json_parse (all, strlen (all), "state", NULL);
      json_object *h = json_object_object_get (o, "history");
      print_json (h);
    }
  else
    print_history_human (state);
  return EXIT_SUCCESS;
}

/* ---- check, update, deploy: the update cycle ------------------------------------ */

typedef enum { CYCLE_CHECK, CYCLE_UPDATE, CYCLE_DEPLOY } CycleMode;

typedef struct {
  CycleMode mode;
  const char *version;   /* CYCLE_DEPLOY: the exact release */
  gboolean reboot_now;   /* --now: reboot after staging, whatever the strategy */
  gboolean json;
} CycleArgs;

static void
progress_bar (guint64 done, guint64 total, gpointer user_data)
{
  gint64 *last = user_data;
  gint64 now = g_get_monotonic_time ();
  if (now - *last < G_USEC_PER_SEC / 10 && done != total)
    return;
  *last = now;
  if (total > 0)
    fprintf (stderr, "\rDownloading: %" G_GUINT64_FORMAT " of %" G_GUINT64_FORMAT " bytes (%d%%)",
             done, total, (int) (done * 100 / total));
  else
    fprintf (stderr, "\rDownloading: %" G_GUINT64_FORMAT " bytes", done);
  if (total > 0 && done >= total)
    fputc ('\n', stderr);
}

/* The deployment an update starts from: the booted one, else the next boot. */
static const PlDeployment *
node_current (Node *n)
{
  for (guint i = 0; i < n->list->len; i++)
    if (((PlDeployment *) n->list->pdata[i])->booted)
      return n->list->pdata[i];
  return node_next_boot (n);
}

static json_object *
release_json (const char *version, const char *commit)
{
  if (!commit)
    return NULL;
  json_object *o = json_object_new_object ();
  json_object_object_add (o, "version", pl_json_string_or_null (version));
  json_object_object_add (o, "commit", json_object_new_string (commit));
  return o;
}

static int
run_reboot (const PlUpdaterConfig *config)
{
  const char *argv[] = { "/bin/sh", "-c", config->reboot_command, NULL };
  g_autoptr(GError) error = NULL;
  int status = 0;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL,
                     NULL, NULL, &status, &error)
      || !g_spawn_check_wait_status (status, &error))
    return pl_err ("Staged, but the reboot command \"%s\" failed: %s", config->reboot_command,
                   error->message), EXIT_FAILURE;
  return EXIT_SUCCESS;
}

/* libostree g_print()s chatter ("Freed objects: ...") while deploying; stdout is kept
 * for what the verb prints (--json must stay parseable). Set after option parsing, so
 * --help still goes to stdout. */
static void
print_to_stderr (const char *s)
{
  fputs (s, stderr);
}

static int
run_cycle (const CycleArgs *a)
{
  g_set_print_handler (print_to_stderr);
  g_auto(Node) n = { .root_dfd = -1 };
  g_autoptr(GError) error = NULL;
  if (!node_open (&n, &error))
    return pl_err ("%s", error->message), EXIT_FAILURE;
  g_autoptr(PlUpdaterConfig) config = pl_updater_config_load (sysroot_path (), &error);
  if (!config)
    return pl_err ("%s", error->message), EXIT_FAILURE;
  for (char **w = config->warnings; w && *w; w++)
    pl_warn ("%s", *w);
  g_autoptr(PlState) state = load_state_for_change (&n, &error);
  if (!state)
    return pl_err ("%s", error->message), EXIT_FAILURE;
  const PlDeployment *cur = node_current (&n);
  if (!cur)
    return pl_err ("No deployment of OS \"%s\" to update from", n.osname), EXIT_FAILURE;
  g_autofree char *cur_commit = g_strdup (cur->commit);
  g_autofree char *cur_version = g_strdup (cur->version);
  OstreeRepo *repo = ostree_sysroot_repo (pl_deployments_get_sysroot (n.deployments));
  g_autofree char *arch = pl_check_detect_arch (config, repo, cur_commit);
  double wariness = 0.0;
  if (!a->version && !pl_check_wariness (config, n.root_dfd, &wariness, &error))
    return pl_err ("%s", error->message), EXIT_FAILURE;

  gint64 last_progress = 0;
  PlHttpOptions http = {
    .proxy = config->proxy, .max_bytes_per_sec = config->max_bytes_per_sec,
    .retries = config->retries, .ca_file = config->ca_file,
    .progress = (!a->json && isatty (STDERR_FILENO)) ? progress_bar : NULL,
    .progress_data = &last_progress,
  };
  gint64 now = now_seconds ();
  PlCheckRequest req = {
    .config = config, .arch = arch, .root_dfd = n.root_dfd, .current_commit = cur_commit,
    .current_version = cur_version, .state = state, .version = a->version,
    .wariness = wariness, .now = now, .http = &http,
  };
  /* A refusal changes nothing: no state, no cache, no repo, no deployment. */
  g_autoptr(PlCheckResult) r = pl_check_run (&req, NULL, &error);
  if (!r)
    return pl_log_event (PL_LOG_ERROR, PL_MSGID_UPDATE_REFUSED, "%s", error->message),
           EXIT_FAILURE;

  const PlRelease *target = r->target;
  gboolean present = FALSE;
  if (target)
    (void) ostree_repo_has_object (repo, OSTREE_OBJECT_TYPE_COMMIT, target->commit, &present,
                                   NULL, NULL);
  PlFetchResult fetched = { .method = !target ? PL_FETCH_METHOD_INVALID
                                      : present ? PL_FETCH_METHOD_PRESENT
                                      : r->delta ? PL_FETCH_METHOD_DELTA : PL_FETCH_METHOD_PULL };
  gboolean staged = FALSE;
  if (target && a->mode != CYCLE_CHECK)
    {
      PlFetchRequest freq = {
        .base_url = config->base_url, .stream = config->stream, .arch = arch,
        .key_dirs = (const char *const *) config->key_dirs, .http = &http,
        .network_retries = config->retries, .root_dfd = n.root_dfd, .repo = repo,
      };
      if (!pl_fetch_release (&freq, target, r->delta, &fetched, NULL, &error))
        return pl_log_event (PL_LOG_ERROR, PL_MSGID_UPDATE_REFUSED, "Release %s: %s",
                             target->version, error->message), EXIT_FAILURE;
      g_autoptr(PlDeployment) d = NULL;
      if (!pl_deployments_deploy_commit (n.deployments, n.osname, target->commit, TRUE, &d,
                                         NULL, &error))
        return pl_err ("Deploying release %s: %s", target->version, error->message),
               EXIT_FAILURE;
      node_reload (&n);
      staged = TRUE;
      pl_state_add_history (state, now, a->mode == CYCLE_DEPLOY ? PL_HISTORY_KIND_DEPLOY
                                                                : PL_HISTORY_KIND_UPDATE,
                            cur_version, cur_commit, target->version, target->commit,
                            pl_fetch_method_to_string (fetched.method));
      pl_state_set_staged (state, target->version, target->commit, now);
    }

  if (!pl_check_accept (r, state, n.root_dfd, &error))
    pl_warn ("Keeping the verified release index: %s", error->message);
  g_clear_error (&error);
  g_autofree char *result = g_strdup_printf ("%s: %s", pl_check_result_kind (r), r->summary);
  pl_state_set_last_check (state, now, result);
  forget_vanished_staged (&n, state);
  gboolean saved = pl_state_save_at (state, n.root_dfd, &error);
  if (!saved)
    pl_err ("Recording the update state failed: %s", error->message);
  PlStatus st;
  status_init (&st, &n, state, NULL);
  st.policy_kind = pl_check_result_kind (r);
  st.policy_reason = r->summary;
  publish_status (&n, &st);

  gboolean reboot = staged && (a->reboot_now || config->strategy == PL_UPDATE_STRATEGY_IMMEDIATE);
  gboolean know_bytes = fetched.method == PL_FETCH_METHOD_DELTA || fetched.method == PL_FETCH_METHOD_PRESENT;
  guint64 bytes = a->mode == CYCLE_CHECK || !staged
                      ? (fetched.method == PL_FETCH_METHOD_DELTA ? r->delta->size : 0)
                      : fetched.bytes;
  if (a->json)
    {
      g_autoptr(json_object) o = json_object_new_object ();
      json_object_object_add (o, "decision", json_object_new_string (pl_check_result_kind (r)));
      json_object_object_add (o, "reason", json_object_new_string (r->summary));
      json_object_object_add (o, "index_serial", json_object_new_int64 ((gint64) r->index->serial));
      json_object_object_add (o, "index_not_modified", json_object_new_boolean (r->not_modified));
      json_object_object_add (o, "current", release_json (cur_version, cur_commit));
      json_object_object_add (o, "target", target ? release_json (target->version, target->commit) : NULL);
      json_object_object_add (o, "method", json_object_new_string (
          target ? pl_fetch_method_to_string (fetched.method) : "none"));
      json_object_object_add (o, "download_bytes", target && (know_bytes || staged)
                                  ? json_object_new_int64 ((gint64) bytes) : NULL);
      json_object_object_add (o, "resumed", json_object_new_boolean (fetched.resumed));
      json_object_object_add (o, "staged", json_object_new_boolean (staged));
      json_object_object_add (o, "reboot", json_object_new_boolean (reboot));
      print_json (o);
    }
  else if (!target)
    printf ("No update: %s\n", r->summary);
  else if (!staged)
    {
      printf ("Would take release %s (%s) from %s: %s\n", target->version, target->commit,
              cur_version ? cur_version : "(no version)", r->summary);
      if (fetched.method == PL_FETCH_METHOD_PULL)
        printf ("Download: an object pull from %s/repo (size not known in advance)\n",
                config->base_url);
      else
        printf ("Download: %" G_GUINT64_FORMAT " bytes (%s)\n", bytes,
                fetched.method == PL_FETCH_METHOD_DELTA ? "static delta" : "already present");
    }
  if (staged)
    pl_log_event (PL_LOG_NOTICE, PL_MSGID_UPDATE_STAGED,
                  "%s release %s (%s) as the next boot (%s, %" G_GUINT64_FORMAT " bytes%s)",
                  a->mode == CYCLE_DEPLOY ? "Deployed" : "Staged", target->version,
                  target->commit, pl_fetch_method_to_string (fetched.method), fetched.bytes,
                  fetched.resumed ? ", resumed" : "");
  if (!saved)
    return EXIT_FAILURE;
  if (reboot)
    return run_reboot (config);
  return EXIT_SUCCESS;
}

static int
verb_check (int argc, char **argv)
{
  CycleArgs a = { .mode = CYCLE_CHECK };
  GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &a.json, "Print the decision as JSON", NULL },
    { NULL }
  };
  if (!parse_options ("- say what would be taken now and how much it would download",
                      "Fetches and verifies the release index, runs the rollout policy and\n"
                      "prints the release this node would take now and the bytes to download.",
                      "Records the accepted index serial and the decision; changes no\n"
                      "deployment. A refused index (signature, serial, expiry, stream, arch)\n"
                      "changes nothing and exits 1. See docs/plinthctl.md.",
                      entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    return pl_err ("usage: plinthctl check [--json]"), EXIT_USAGE;
  return run_cycle (&a);
}

static int
verb_update (int argc, char **argv)
{
  CycleArgs a = { .mode = CYCLE_UPDATE };
  GOptionEntry entries[] = {
    { "now", 0, 0, G_OPTION_ARG_NONE, &a.reboot_now, "Reboot into the update once staged", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &a.json, "Print the result as JSON", NULL },
    { NULL }
  };
  if (!parse_options ("- fetch, verify and stage the release the policy picks",
                      "Checks (as 'check'), then fetches the release (a static delta from the\n"
                      "current commit when the index has one, else a GPG-verified pull),\n"
                      "verifies it and stages it as the next boot, keeping the current\n"
                      "deployment as the fallback.",
                      "Then the strategy applies: 'immediate' runs the reboot command;\n"
                      "'manual' and 'off' wait. --now reboots whatever the strategy.",
                      entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 1)
    return pl_err ("usage: plinthctl update [--now] [--json]"), EXIT_USAGE;
  return run_cycle (&a);
}

static int
verb_deploy (int argc, char **argv)
{
  CycleArgs a = { .mode = CYCLE_DEPLOY };
  GOptionEntry entries[] = {
    { "now", 0, 0, G_OPTION_ARG_NONE, &a.reboot_now, "Reboot into it once staged", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &a.json, "Print the result as JSON", NULL },
    { NULL }
  };
  if (!parse_options ("VERSION - fetch, verify and stage an exact release",
                      "Like 'update', but takes release VERSION of the index whatever the\n"
                      "rollout policy says, older releases included (a downgrade is the\n"
                      "admin's choice) and releases that failed here.",
                      "The index and the release are verified exactly as for 'update'.",
                      entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2)
    return pl_err ("usage: plinthctl deploy [--now] [--json] VERSION"), EXIT_USAGE;
  a.version = argv[1];
  return run_cycle (&a);
}

/* Test hook (PLINTH_DEBUG=deploy): deploys a commit already in the sysroot's repo, the
 * step the agent takes after fetching, so the integration tests can drive it. */
static int
verb_debug_deploy (int argc, char **argv)
{
  gboolean no_kargs = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    { "no-kargs", 0, 0, G_OPTION_ARG_NONE, &no_kargs, "Do not carry kernel arguments over", NULL },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the resulting status as JSON", NULL },
    { NULL }
  };
  if (!parse_options ("COMMIT - deploy a commit from the sysroot's repo (test hook)",
                      "Deploys COMMIT as the next boot, keeping the merge deployment as the\n"
                      "fallback (staged on a booted system).",
                      "Only with PLINTH_DEBUG=deploy.", entries, &argc, &argv))
    return EXIT_USAGE;
  if (argc != 2)
    return pl_err ("usage: plinthctl debug-deploy COMMIT"), EXIT_USAGE;
  g_auto(Node) n = { .root_dfd = -1 };
  g_autoptr(GError) error = NULL;
  if (!node_open (&n, &error))
    return pl_err ("%s", error->message), EXIT_FAILURE;
  g_autoptr(PlState) state = load_state_for_change (&n, &error);
  if (!state)
    return pl_err ("%s", error->message), EXIT_FAILURE;
  const PlDeployment *before = node_next_boot (&n);
  g_autofree char *from_version = before && before->version ? g_strdup (before->version) : NULL;
  g_autofree char *from_commit = before ? g_strdup (before->commit) : NULL;
  g_autoptr(PlDeployment) d = NULL;
  if (!pl_deployments_deploy_commit (n.deployments, n.osname, argv[1], !no_kargs, &d, NULL,
                                     &error))
    return pl_err ("%s", error->message), EXIT_FAILURE;
  node_reload (&n);
  gint64 now = now_seconds ();
  const char *version = d ? d->version : NULL;
  pl_state_add_history (state, now, PL_HISTORY_KIND_UPDATE, from_version, from_commit,
                        version, argv[1], NULL);
  pl_state_set_staged (state, version, argv[1], now);
  g_autofree char *done = g_strdup_printf ("Deployed %s (%s) as the next boot",
                                           version ? version : "(no version)", argv[1]);
  return finish_change (&n, state, json, done, FALSE);
}

static const Verb verbs[] = {
  { "status", "Show the deployments and the update state", verb_status, FALSE },
  { "rollback", "Make the other deployment the next boot", verb_rollback, FALSE },
  { "history", "Show updates and rollbacks, newest first", verb_history, FALSE },
  { "check", "Say what would be taken now and how much it would download", verb_check, FALSE },
  { "update", "Fetch, verify and stage the release the policy picks", verb_update, FALSE },
  { "deploy", "Fetch, verify and stage an exact release (downgrades too)", verb_deploy, FALSE },
  { "debug-deploy", "Deploy a commit from the sysroot's repo (test hook)", verb_debug_deploy, TRUE },
  { NULL }
};

static void
usage (FILE *f)
{
  fprintf (f, "Usage: plinthctl [--sysroot DIR] [--os NAME] VERB [OPTIONS]\n\n"
              "Shows and changes the update state of this node. Works without the daemon.\n\n"
              "Verbs:\n");
  for (const Verb *v = verbs; v->name; v++)
    if (!v->debug_only || debug_enabled ("deploy"))
      fprintf (f, "  %-10s %s\n", v->name, v->summary);
  fprintf (f, "\nGlobal options (before or after the verb):\n"
              "  --sysroot DIR  the OSTree sysroot (default: $PLINTH_SYSROOT, else /)\n"
              "  --os NAME      the OS (stateroot) (default: the booted one, else plinth)\n"
              "\n'plinthctl VERB --help' describes a verb. Exit status: 0 success, 1 failure,\n"
              "2 usage error, 3 nothing to roll back to. See docs/plinthctl.md.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("plinthctl");
  /* global options may come before the verb: move them after it */
  int first = 1;
  while (first < argc && argv[first][0] == '-' && !g_str_equal (argv[first], "--help")
         && !g_str_equal (argv[first], "-h"))
    {
      gboolean takes_value = (g_str_equal (argv[first], "--sysroot")
                              || g_str_equal (argv[first], "--os"));
      first += takes_value ? 2 : 1;
    }
  if (first >= argc || g_str_equal (argv[first], "--help") || g_str_equal (argv[first], "-h"))
    {
      gboolean help = first < argc;
      usage (help ? stdout : stderr);
      return help ? EXIT_SUCCESS : EXIT_USAGE;
    }
  for (const Verb *v = verbs; v->name; v++)
    if (g_str_equal (argv[first], v->name) && (!v->debug_only || debug_enabled ("deploy")))
      {
        /* argv for the verb: "plinthctl VERB", then the globals, then the rest */
        g_autoptr(GPtrArray) args = g_ptr_array_new ();
        g_autofree char *name = g_strdup_printf ("plinthctl %s", v->name);
        g_ptr_array_add (args, name);
        for (int i = 1; i < first; i++)
          g_ptr_array_add (args, argv[i]);
        for (int i = first + 1; i < argc; i++)
          g_ptr_array_add (args, argv[i]);
        g_ptr_array_add (args, NULL);
        int vargc = args->len - 1;
        char **vargv = (char **) args->pdata;
        return v->fn (vargc, vargv);
      }
  pl_err ("Unknown verb \"%s\" (see plinthctl --help)", argv[first]);
  return EXIT_USAGE;
}
