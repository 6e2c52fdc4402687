/* Fetching, verifying and deciding on the release index (see check.h). */
#include "updater/check.h"

#include "lib/fsutil.h"
#include "lib/gpg.h"

#include <errno.h>
#include <string.h>
#include <sys/utsname.h>

G_DEFINE_QUARK (pl-check-error-quark, pl_check_error)

#define CACHE_INDEX PL_CHECK_CACHE_DIR "/index.json"
#define CACHE_SIG PL_CHECK_CACHE_DIR "/index.json.asc"
#define CACHE_ETAG PL_CHECK_CACHE_DIR "/index.etag"

void
pl_check_result_free (PlCheckResult *r)
{
  if (!r)
    return;
  g_free (r->index_url);
  g_clear_pointer (&r->decision, pl_rollout_decision_free);
  g_clear_pointer (&r->index, pl_index_free);
  g_free (r->fingerprint);
  g_free (r->summary);
  g_clear_pointer (&r->index_data, g_bytes_unref);
  g_clear_pointer (&r->signature, g_bytes_unref);
  g_free (r->etag);
  g_free (r);
}

const char *
pl_check_result_kind (PlCheckResult *r)
{
  return r->decision ? pl_rollout_kind_to_string (r->decision->kind) : "deploy";
}

char *
pl_check_detect_arch (const PlUpdaterConfig *config, OstreeRepo *repo, const char *commit)
{
  if (config->arch)
    return g_strdup (config->arch);
  g_autoptr(GVariant) commitv = NULL;
  if (repo && commit
      && ostree_repo_load_variant (repo, OSTREE_OBJECT_TYPE_COMMIT, commit, &commitv, NULL))
    {
      g_autoptr(GVariant) meta = g_variant_get_child_value (commitv, 0);
      const char *arch = NULL;
      if (g_variant_lookup (meta, "plinth.arch", "&s", &arch) && arch && *arch)
        return g_strdup (arch);
    }
  struct utsname u;
  if (uname (&u) == 0)
    return g_strdup (u.machine);
  return g_strdup ("x86_64");
}

gboolean
pl_check_wariness (const PlUpdaterConfig *config, int root_dfd, double *out_wariness,
                   GError **error)
{
  if (config->has_wariness)
    {
      *out_wariness = config->wariness;
      return TRUE;
    }
  g_autofree char *id = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!pl_file_read_at (root_dfd, "etc/machine-id", 4096, &id, &len, &local))
    return g_set_error (error, PL_CHECK_ERROR, PL_CHECK_ERROR_NOT_CONFIGURED,
                        "No rollout wariness: reading /etc/machine-id: %s (or set "
                        "[Updates] Wariness)", local->message), FALSE;
  g_strstrip (id);
  if (*id == '\0')
    return g_set_error (error, PL_CHECK_ERROR, PL_CHECK_ERROR_NOT_CONFIGURED,
                        "No rollout wariness: /etc/machine-id is empty (or set "
                        "[Updates] Wariness)"), FALSE;
  *out_wariness = pl_rollout_wariness (id, config->stream);
  return TRUE;
}

/* The ETag kept for URL, or NULL when there is none or no kept index to go with it. */
static char *
cached_etag (int root_dfd, const char *url)
{
  if (faccessat (root_dfd, CACHE_INDEX, F_OK, 0) < 0
      || faccessat (root_dfd, CACHE_SIG, F_OK, 0) < 0)
    return NULL;
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!pl_file_read_at (root_dfd, CACHE_ETAG, 64 * 1024, &data, &len, NULL))
    return NULL;
  /* "URL\nETAG\n": an ETag is only meaningful for the URL that sent it */
  g_auto(GStrv) lines = g_strsplit (data, "\n", 3);
  if (g_strv_length (lines) < 2 || !g_str_equal (lines[0], url) || *lines[1] == '\0')
    return NULL;
  return g_strdup (lines[1]);
}

static GBytes *
read_cached (int root_dfd, const char *path, GError **error)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!pl_file_read_at (root_dfd, path, PL_CHECK_INDEX_MAX_SIZE, &data, &len, error))
    return NULL;
  return g_bytes_new_take (g_steal_pointer (&data), len);
}

/* Downloads the index and its signature, or takes the kept copy on a 304. */
static gboolean
fetch_index (const PlCheckRequest *req, PlCheckResult *r, GCancellable *cancellable,
             GError **error)
{
  PlHttpOptions opts = req->http ? *req->http : (PlHttpOptions) { 0 };
  opts.max_size = PL_CHECK_INDEX_MAX_SIZE;
  opts.progress = NULL;
  g_autofree char *etag = cached_etag (req->root_dfd, r->index_url);
  opts.if_none_match = etag;
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GError) local = NULL;
  r->index_data = pl_http_get_bytes (r->index_url, &opts, &res, cancellable, &local);
  if (!r->index_data && g_error_matches (local, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_MODIFIED))
    {
      r->not_modified = TRUE;
      r->etag = g_strdup (etag);
      if (!(r->index_data = read_cached (req->root_dfd, CACHE_INDEX, error))
          || !(r->signature = read_cached (req->root_dfd, CACHE_SIG, error)))
        return g_prefix_error (error, "Reading the kept release index: "), FALSE;
      return TRUE;
    }
  if (!r->index_data)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                  "Fetching the release index: ");
      return FALSE;
    }
  r->etag = g_strdup (res.etag);

  g_autofree char *sig_url = g_strconcat (r->index_url, ".asc", NULL);
  opts.if_none_match = NULL;
  r->signature = pl_http_get_bytes (sig_url, &opts, NULL, cancellable, &local);
  if (!r->signature && g_error_matches (local, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_FOUND))
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_NO_SIGNATURE,
                        "Verifying release index %s: no signature: %s", r->index_url,
                        local->message), FALSE;
  if (!r->signature)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&local),
                                  "Fetching the release index signature: ");
      return FALSE;
    }
  return TRUE;
}

static char *
list_versions (PlIndex *idx)
{
  g_autoptr(GString) s = g_string_new (NULL);
  for (guint i = 0; i < idx->releases->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "",
                            ((PlRelease *) idx->releases->pdata[i])->version);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static gboolean
decide_exact (const PlCheckRequest *req, PlCheckResult *r, GError **error)
{
  r->target = pl_index_find_release (r->index, req->version);
  if (!r->target)
    {
      g_autofree char *all = list_versions (r->index);
      return g_set_error (error, PL_CHECK_ERROR, PL_CHECK_ERROR_UNKNOWN_VERSION,
                          "Release %s is not in the index %s (it lists: %s)", req->version,
                          r->index_url, *all ? all : "nothing"), FALSE;
    }
  if (g_str_equal (r->target->commit, req->current_commit))
    {
      r->summary = g_strdup_printf ("release %s is already the current deployment",
                                    r->target->version);
      r->target = NULL;
      return TRUE;
    }
  gboolean down = req->current_version
                  && pl_version_compare (r->target->version, req->current_version) < 0;
  r->summary = g_strdup_printf ("release %s asked for by name%s", r->target->version,
                                down ? " (a downgrade)" : "");
  return TRUE;
}

static gboolean
decide_policy (const PlCheckRequest *req, PlCheckResult *r, GError **error)
{
  g_autoptr(GHashTable) failed = pl_state_failed_versions (req->state);
  if (!pl_rollout_choose (r->index, req->current_commit, req->wariness, req->now, failed,
                          &r->decision, error))
    return FALSE;
  PlRelease *newest = pl_index_newest (r->index);
  if (r->decision->kind == PL_ROLLOUT_KIND_UPDATE)
    r->target = r->decision->target;
  /* The policy never picks an older release; an index whose releases are all older than
   * the running one is a downgrade attempt (or a misconfigured stream), and says so. */
  const PlRelease *candidate = r->target ? r->target
                               : r->decision->kind == PL_ROLLOUT_KIND_BOOTED_UNKNOWN ? newest
                               : NULL;
  if (candidate && req->current_version
      && pl_version_compare (candidate->version, req->current_version) < 0)
    return g_set_error (error, PL_CHECK_ERROR, PL_CHECK_ERROR_DOWNGRADE,
                        "Refusing release %s from %s: it is older than the current release "
                        "%s (an admin may downgrade with 'plinthctl deploy %s')",
                        candidate->version, r->index_url, req->current_version,
                        candidate->version), FALSE;
  r->summary = g_strdup (r->decision->reason);
  return TRUE;
}

PlCheckResult *
pl_check_run (const PlCheckRequest *req, GCancellable *cancellable, GError **error)
{
  const PlUpdaterConfig *c = req->config;
  if (!c->base_url)
    return g_set_error (error, PL_CHECK_ERROR, PL_CHECK_ERROR_NOT_CONFIGURED,
                        "No release site configured: set [Updates] BaseURL in "
                        "/etc/plinth/updater.conf.d/*.conf"), NULL;
  g_autoptr(PlCheckResult) r = g_new0 (PlCheckResult, 1);
  r->index_url = g_strdup_printf ("%s/%s/%s/index.json", c->base_url, c->stream, req->arch);

  if (!fetch_index (req, r, cancellable, error))
    return NULL;
  if (!pl_gpg_verify_detached ((const char *const *) c->key_dirs, r->index_data,
                               r->signature, &r->fingerprint, error))
    return g_prefix_error (error, "Verifying release index %s: ", r->index_url), NULL;
  gsize len = 0;
  const char *data = g_bytes_get_data (r->index_data, &len);
  r->index = pl_index_parse (data, len, error);
  if (!r->index)
    return g_prefix_error (error, "Release index %s: ", r->index_url), NULL;
  PlIndexCheck ctx = {
    .stream = c->stream, .arch = req->arch,
    .last_serial = req->state->last_index_serial > 0 ? (guint64) req->state->last_index_serial : 0,
    .now = req->now,
  };
  if (!pl_index_check (r->index, &ctx, error))
    return g_prefix_error (error, "Refusing release index %s: ", r->index_url), NULL;

  r->current = pl_index_find_by_commit (r->index, req->current_commit);
  if (!(req->version ? decide_exact (req, r, error) : decide_policy (req, r, error)))
    return NULL;
  if (r->target)
    r->delta = pl_index_find_delta ((PlRelease *) r->target, req->current_commit);
  return g_steal_pointer (&r);
}

gboolean
pl_check_accept (PlCheckResult *r, PlState *state, int root_dfd, GError **error)
{
  state->last_index_serial = (gint64) r->index->serial;
  if (r->not_modified)
    return TRUE;
  gsize ilen = 0, slen = 0;
  const void *idata = g_bytes_get_data (r->index_data, &ilen);
  const void *sdata = g_bytes_get_data (r->signature, &slen);
  if (!pl_mkdir_p_at (root_dfd, PL_CHECK_CACHE_DIR, 0755, error))
    return FALSE;
  /* the ETag goes last and names its URL: a crash in between leaves no ETag that
   * could vouch for a mismatched pair */
  if (unlinkat (root_dfd, CACHE_ETAG, 0) < 0 && errno != ENOENT)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Removing /%s: %s",
                        CACHE_ETAG, g_strerror (errno)), FALSE;
  if (!pl_file_replace_at (root_dfd, CACHE_INDEX, idata, ilen, 0644, error)
      || !pl_file_replace_at (root_dfd, CACHE_SIG, sdata, slen, 0644, error))
    return FALSE;
  if (r->etag)
    {
      g_autofree char *e = g_strdup_printf ("%s\n%s\n", r->index_url, r->etag);
      if (!pl_file_replace_at (root_dfd, CACHE_ETAG, e, strlen (e), 0644, error))
        return FALSE;
    }
  return TRUE;
}
