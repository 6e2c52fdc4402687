/* plinth-build: the build host's tool. Parses arguments and calls the releases/
 * library; each verb is one function with its options and help beside it. */
#include "releases/compose.h"
#include "releases/publish.h"
#include "lib/json.h"
#include "lib/log.h"

#include <json-c/json.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>

#define EXIT_USAGE 2

typedef struct {
  const char *name;
  const char *summary;
  int (*fn) (int argc, char **argv);
} Verb;

static char *
default_cachedir (void)
{
  if (geteuid () == 0)
    return g_strdup ("/var/cache/plinth-build");
  return g_build_filename (g_get_user_cache_dir (), "plinth-build", NULL);
}

static gboolean
parse_defines (char **defs, GHashTable *out, GError **error)
{
  for (char **d = defs; d && *d; d++)
    {
      const char *eq = strchr (*d, '=');
      if (!eq || eq == *d)
        return g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
                            "--define wants NAME=VALUE, got \"%s\"", *d), FALSE;
      g_hash_table_replace (out, g_strndup (*d, eq - *d), g_strdup (eq + 1));
    }
  return TRUE;
}

static void
print_tree_result (const PlComposeResult *r, gboolean json)
{
  if (json)
    {
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "ref", json_object_new_string (r->ref));
      json_object_object_add (o, "commit", json_object_new_string (r->checksum));
      json_object_object_add (o, "version", json_object_new_string (r->version));
      json_object_object_add (o, "arch", json_object_new_string (r->arch));
      json_object_object_add (o, "packages", json_object_new_int (r->n_packages));
      json_object_object_add (o, "kernel", pl_json_string_or_null (r->kernel_version));
      json_object_object_add (o, "signed", json_object_new_boolean (r->signed_));
      json_object_object_add (o, "gpg_key", pl_json_string_or_null (r->gpg_key_id));
      json_object_object_add (o, "sbom", json_object_new_string (r->sbom_path));
      json_object_object_add (o, "workdir", json_object_new_string (r->workdir));
      json_object_object_add (o, "sbom_sha256", json_object_new_string (r->sbom_sha256));
      json_object_object_add (o, "lockfile", pl_json_string_or_null (r->lockfile_path));
      json_object *t = json_object_new_object ();
      json_object_object_add (t, "resolve", json_object_new_double (r->t_resolve));
      json_object_object_add (t, "fetch", json_object_new_double (r->t_fetch));
      json_object_object_add (t, "install", json_object_new_double (r->t_install));
      json_object_object_add (t, "postprocess", json_object_new_double (r->t_postprocess));
      json_object_object_add (t, "commit", json_object_new_double (r->t_commit));
      json_object_object_add (t, "total", json_object_new_double (r->t_total));
      json_object_object_add (o, "seconds", t);
      g_autofree char *text = pl_json_to_string_pretty (o);
      fputs (text, stdout);
      json_object_put (o);
      return;
    }
  printf ("Composed %s (%s)\n", r->version, r->arch);
  printf ("  ref        %s\n", r->ref);
  printf ("  commit     %s\n", r->checksum);
  printf ("  packages   %u\n", r->n_packages);
  printf ("  kernel     %s\n", r->kernel_version ? r->kernel_version : "(none)");
  if (r->signed_)
    printf ("  signature  signed with GPG key %s\n", r->gpg_key_id);
  else
    printf ("  signature  unsigned\n");
  printf ("  sbom       %s\n", r->sbom_path);
  if (r->lockfile_path)
    printf ("  lockfile   %s\n", r->lockfile_path);
  printf ("  seconds    resolve %.2f, fetch %.2f, install %.2f, postprocess %.2f, "
          "commit %.2f, total %.2f\n", r->t_resolve, r->t_fetch, r->t_install,
          r->t_postprocess, r->t_commit, r->t_total);
}

static int
verb_tree (int argc, char **argv)
{
  g_autofree char *repo = NULL, *key = NULL, *homedir = NULL, *lockfile = NULL;
  g_autofree char *write_lockfile = NULL, *version = NULL, *cachedir = NULL;
  g_autofree char *workdir = NULL, *sbom = NULL;
  g_auto(GStrv) defines = NULL;
  gboolean json = FALSE;
  GOptionEntry entries[] = {
    { "repo", 0, 0, G_OPTION_ARG_FILENAME, &repo, "OSTree repo to commit to (created as archive if absent)", "REPO" },
    { "gpg-sign", 0, 0, G_OPTION_ARG_STRING, &key, "Sign the commit with this GPG key", "KEYID" },
    { "gpg-homedir", 0, 0, G_OPTION_ARG_FILENAME, &homedir, "GnuPG home directory holding the key", "DIR" },
    { "lockfile", 0, 0, G_OPTION_ARG_FILENAME, &lockfile, "Compose exactly the packages in this lockfile", "FILE" },
    { "write-lockfile", 0, 0, G_OPTION_ARG_FILENAME, &write_lockfile, "Record the installed packages", "FILE" },
    { "define", 'D', 0, G_OPTION_ARG_STRING_ARRAY, &defines, "Set ${NAME} in the manifest", "NAME=VALUE" },
    { "version", 0, 0, G_OPTION_ARG_STRING, &version, "Override the manifest's version", "VERSION" },
    { "cachedir", 0, 0, G_OPTION_ARG_FILENAME, &cachedir, "Metadata and package cache", "DIR" },
    { "workdir", 0, 0, G_OPTION_ARG_FILENAME, &workdir, "Where to stage the root (default: /dev/shm if the tree fits with room to spare, else /var/tmp)", "DIR" },
    { "sbom", 0, 0, G_OPTION_ARG_FILENAME, &sbom, "Write the SBOM here (default REPO/sbom/COMMIT.spdx.json)", "FILE" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("MANIFEST - compose a root from RPMs and commit it");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
      "Resolves the manifest's packages with libsolv, installs them with librpm into a\n"
      "staging root (scriptlets run; signatures checked against each repo's key),\n"
      "post-processes it into an immutable root, and commits it to REPO with its\n"
      "version, arch, package list and SBOM checksum. Writes an SPDX 2.3 SBOM.\n"
      "Runs as root. SOURCE_DATE_EPOCH, if set, fixes the commit and install times.\n"
      "See docs/plinth-build.md and docs/manifest.md.");
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      pl_err ("%s", error->message);
      return EXIT_USAGE;
    }
  if (argc != 2 || !repo)
    {
      pl_err ("usage: plinth-build tree MANIFEST --repo REPO [OPTIONS] (see --help)");
      return EXIT_USAGE;
    }
  if ((key == NULL) != (homedir == NULL) && homedir != NULL)
    {
      pl_err ("--gpg-homedir goes with --gpg-sign");
      return EXIT_USAGE;
    }
  g_autoptr(GHashTable) defs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (!parse_defines (defines, defs, &error))
    {
      pl_err ("%s", error->message);
      return EXIT_USAGE;
    }
  if (!cachedir)
    cachedir = default_cachedir ();
  gint64 sde = 0;
  const char *sde_env = g_getenv ("SOURCE_DATE_EPOCH");
  if (sde_env && !g_ascii_string_to_signed (sde_env, 10, 1, G_MAXINT64, &sde, &error))
    {
      pl_err ("SOURCE_DATE_EPOCH: %s", error->message);
      return EXIT_USAGE;
    }
  PlComposeOptions opts = { .manifest_path = argv[1], .defines = defs, .version = version,
                            .repo_path = repo, .gpg_key_id = key, .gpg_homedir = homedir,
                            .lockfile = lockfile, .write_lockfile = write_lockfile,
                            .cachedir = cachedir, .workdir = workdir, .sbom_path = sbom,
                            .source_date_epoch = sde };
  g_autoptr(PlComposeResult) result = NULL;
  if (!pl_compose_tree (&opts, &result, NULL, &error))
    {
      pl_err ("%s", error->message);
      return EXIT_FAILURE;
    }
  for (guint i = 0; result->warnings && i < result->warnings->len; i++)
    pl_warn ("rpm: %s", (char *) result->warnings->pdata[i]);
  print_tree_result (result, json);
  return EXIT_SUCCESS;
}

static void
print_publish_result (const PlPublishResult *r, gboolean json)
{
  g_autofree char *gen = pl_index_format_time (r->generated);
  g_autofree char *exp = pl_index_format_time (r->expires);
  if (json)
    {
      json_object *o = json_object_new_object ();
      json_object_object_add (o, "stream", json_object_new_string (r->stream));
      json_object_object_add (o, "arch", json_object_new_string (r->arch));
      json_object_object_add (o, "version", json_object_new_string (r->version));
      json_object_object_add (o, "commit", json_object_new_string (r->commit));
      json_object_object_add (o, "serial", json_object_new_uint64 (r->serial));
      json_object_object_add (o, "generated", json_object_new_string (gen));
      json_object_object_add (o, "expires", json_object_new_string (exp));
      json_object_object_add (o, "republished", json_object_new_boolean (r->republished));
      json_object_object_add (o, "index", json_object_new_string (r->index_path));
      json_object_object_add (o, "ref", pl_json_string_or_null (r->site_ref));
      json_object *ds = json_object_new_array ();
      for (guint i = 0; i < r->deltas->len; i++)
        {
          const PlPublishedDelta *d = r->deltas->pdata[i];
          json_object *jd = json_object_new_object ();
          json_object_object_add (jd, "from_version", json_object_new_string (d->from_version));
          json_object_object_add (jd, "from", json_object_new_string (d->delta->from));
          json_object_object_add (jd, "path", json_object_new_string (d->delta->path));
          json_object_object_add (jd, "sha256", json_object_new_string (d->delta->sha256));
          json_object_object_add (jd, "size", json_object_new_uint64 (d->delta->size));
          json_object_object_add (jd, "created", json_object_new_boolean (d->created));
          json_object_array_add (ds, jd);
        }
      json_object_object_add (o, "deltas", ds);
      g_autofree char *text = pl_json_to_string_pretty (o);
      fputs (text, stdout);
      json_object_put (o);
      return;
    }
  printf ("%s %s (%s/%s)\n", r->republished ? "Republished" : "Published", r->version,
          r->stream, r->arch);
  printf ("  commit     %s\n", r->commit);
  printf ("  index      %s (serial %" G_GUINT64_FORMAT ", expires %s)\n", r->index_path,
          r->serial, exp);
  printf ("  ref        %s\n", r->site_ref ? r->site_ref : "(not moved: not the newest release)");
  for (guint i = 0; i < r->deltas->len; i++)
    {
      const PlPublishedDelta *d = r->deltas->pdata[i];
      printf ("  delta      from %s: %s, %" G_GUINT64_FORMAT " bytes%s\n", d->from_version,
              d->delta->path, d->delta->size, d->created ? "" : " (kept)");
    }
}

static int
verb_publish (int argc, char **argv)
{
  g_autofree char *repo = NULL, *ref = NULL, *site = NULL, *stream = NULL, *arch = NULL;
  g_autofree char *rollout_start = NULL, *deadend = NULL, *key = NULL, *homedir = NULL;
  /* sentinels: "not given", so that a negative value given is still refused */
  int rollout_hours = G_MININT, expires_days = 7, deltas_from = 3;
  double rollout_percent = -G_MAXDOUBLE;
  gboolean barrier = FALSE, allow_downgrade = FALSE, json = FALSE;
  GOptionEntry entries[] = {
    { "repo", 0, 0, G_OPTION_ARG_FILENAME, &repo, "OSTree repo holding the commit", "REPO" },
    { "ref", 0, 0, G_OPTION_ARG_STRING, &ref, "Ref (or commit checksum) to publish", "REF" },
    { "site", 0, 0, G_OPTION_ARG_FILENAME, &site, "The static site's top directory", "DIR" },
    { "stream", 0, 0, G_OPTION_ARG_STRING, &stream, "Stream (channel), e.g. stable", "S" },
    { "arch", 0, 0, G_OPTION_ARG_STRING, &arch, "Architecture; must match the commit's", "A" },
    { "rollout-start", 0, 0, G_OPTION_ARG_STRING, &rollout_start, "Staged rollout begins (RFC 3339 UTC)", "T" },
    { "rollout-hours", 0, 0, G_OPTION_ARG_INT, &rollout_hours, "Hours from the start percentage to 100% (default 0)", "H" },
    { "rollout-start-percent", 0, 0, G_OPTION_ARG_DOUBLE, &rollout_percent, "Share of nodes at the start (default 0)", "P" },
    { "barrier", 0, 0, G_OPTION_ARG_NONE, &barrier, "Every node must pass through this release", NULL },
    { "deadend", 0, 0, G_OPTION_ARG_STRING, &deadend, "Nodes on this release stay on it, saying why", "REASON" },
    { "expires-days", 0, 0, G_OPTION_ARG_INT, &expires_days, "The index expires after N days (default 7)", "N" },
    { "deltas-from", 0, 0, G_OPTION_ARG_INT, &deltas_from, "Deltas from the N previous releases (default 3)", "N" },
    { "allow-downgrade", 0, 0, G_OPTION_ARG_NONE, &allow_downgrade, "Accept a version below the newest release", NULL },
    { "gpg-sign", 0, 0, G_OPTION_ARG_STRING, &key, "Sign the index and summary with this key", "KEYID" },
    { "gpg-homedir", 0, 0, G_OPTION_ARG_FILENAME, &homedir, "GnuPG home directory holding the key", "DIR" },
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as JSON", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new ("- add a commit to a static release site");
  g_option_context_add_main_entries (ctx, entries, NULL);
  g_option_context_set_description (ctx,
      "Adds the commit REF of REPO as a release of STREAM/ARCH to the site DIR: pulls it\n"
      "into DIR/repo (archive mode; ref STREAM/ARCH; GPG-signed summary), writes\n"
      "single-file static deltas from the previous releases to DIR/STREAM/ARCH/deltas/,\n"
      "and a new DIR/STREAM/ARCH/index.json with a detached signature (index.json.asc).\n"
      "The commit must be signed by the --gpg-sign key, carry `version` and\n"
      "`plinth.arch` metadata, and be newer than every release. Publishing the same\n"
      "commit as the same version again refreshes its flags, serial and expiry.\n"
      "Nothing on the site changes when a check fails. See docs/plinth-build.md.");
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      pl_err ("%s", error->message);
      return EXIT_USAGE;
    }
  if (argc != 1 || !repo || !ref || !site || !stream || !arch || !key || !homedir)
    {
      pl_err ("usage: plinth-build publish --repo REPO --ref REF --site DIR --stream S "
              "--arch A --gpg-sign KEYID --gpg-homedir DIR [OPTIONS] (see --help)");
      return EXIT_USAGE;
    }
  if (!rollout_start && (rollout_hours != G_MININT || rollout_percent != -G_MAXDOUBLE))
    {
      pl_err ("--rollout-hours and --rollout-start-percent go with --rollout-start");
      return EXIT_USAGE;
    }
  if (expires_days < 1 || deltas_from < 0 || (rollout_hours < 0 && rollout_hours != G_MININT))
    {
      pl_err ("--expires-days must be at least 1, --deltas-from and --rollout-hours at least 0");
      return EXIT_USAGE;
    }
  PlPublishOptions opts = { .repo_path = repo, .ref = ref, .site_path = site, .stream = stream,
                            .arch = arch, .barrier = barrier, .deadend = deadend,
                            .expires_days = expires_days, .deltas_from = deltas_from,
                            .allow_downgrade = allow_downgrade, .gpg_key_id = key,
                            .gpg_homedir = homedir };
  if (rollout_start)
    {
      opts.has_rollout = TRUE;
      if (!pl_index_parse_time (rollout_start, &opts.rollout.start))
        {
          pl_err ("--rollout-start: \"%s\" is not an RFC 3339 UTC time "
                  "(YYYY-MM-DDTHH:MM:SSZ)", rollout_start);
          return EXIT_USAGE;
        }
      opts.rollout.duration_minutes = rollout_hours > 0 ? (guint64) rollout_hours * 60 : 0;
      opts.rollout.start_percentage = rollout_percent != -G_MAXDOUBLE ? rollout_percent : 0;
    }
  g_autoptr(PlPublishResult) result = NULL;
  if (!pl_publish (&opts, &result, NULL, &error))
    {
      pl_err ("%s", error->message);
      return EXIT_FAILURE;
    }
  print_publish_result (result, json);
  return EXIT_SUCCESS;
}

static const Verb verbs[] = {
  { "tree", "Compose a root from RPM repositories and commit it to an OSTree repo", verb_tree },
  { "publish", "Add a commit to a static release site (signed index, deltas, repo)", verb_publish },
  { NULL }
};

static void
usage (FILE *f)
{
  fprintf (f, "Usage: plinth-build VERB [OPTIONS]\n\nVerbs:\n");
  for (const Verb *v = verbs; v->name; v++)
    fprintf (f, "  %-10s %s\n", v->name, v->summary);
  fprintf (f, "\n'plinth-build VERB --help' describes a verb. Exit status: 0 success, "
              "1 failure, 2 usage error.\n");
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  g_set_prgname ("plinth-build");
  if (argc < 2 || g_str_equal (argv[1], "--help") || g_str_equal (argv[1], "-h"))
    {
      usage (argc < 2 ? stderr : stdout);
      return argc < 2 ? EXIT_USAGE : EXIT_SUCCESS;
    }
  for (const Verb *v = verbs; v->name; v++)
    if (g_str_equal (argv[1], v->name))
      {
        g_autofree char *prog = g_strdup_printf ("plinth-build %s", v->name);
        argv[1] = prog;
        return v->fn (argc - 1, argv + 1);
      }
  pl_err ("unknown verb '%s'", argv[1]);
  usage (stderr);
  return EXIT_USAGE;
}
