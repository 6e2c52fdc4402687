/* plinth-build publish: adds a signed commit to a static release site. The order of the
 * steps is what makes the site safe to serve while it changes:
 *   1. check everything (commit, signature, arch, version, the existing index and its
 *      signature, the commits deltas start from) before touching the site;
 *   2. pull the commit, with its detached signatures, into SITE/repo;
 *   3. generate each delta into a temp file and rename it into place (new names only:
 *      a file the served index lists is never rewritten);
 *   4. sign the new index in memory, move the ref and refresh the signed summary;
 *   5. publish index.json.asc, then index.json, each atomically.
 * A reader that fetches index.json first always finds a signature at least as new. */
#include "releases/publish.h"

#include "lib/fsutil.h"
#include "lib/gpg.h"

#include <errno.h>
#include <fcntl.h>
#include <gpgme.h>
#include <ostree.h>
#include <sys/file.h>
#include <sys/stat.h>

G_DEFINE_QUARK (pl-publish-error-quark, pl_publish_error)

#define INDEX_MAX_SIZE (64 * 1024 * 1024)
#define SITE_REPO "repo"

static void
published_delta_free (PlPublishedDelta *d)
{
  if (d == NULL)
    return;
  g_free (d->from_version);
  pl_delta_free (d->delta);
  g_free (d);
}

void
pl_publish_result_free (PlPublishResult *res)
{
  if (res == NULL)
    return;
  g_free (res->stream);
  g_free (res->arch);
  g_free (res->version);
  g_free (res->commit);
  g_free (res->site_ref);
  g_free (res->index_path);
  g_clear_pointer (&res->deltas, g_ptr_array_unref);
  g_free (res);
}

char *
pl_publish_delta_path (const char *from_version, const char *to_version)
{
  return g_strdup_printf ("deltas/%s-%s.delta", from_version, to_version);
}

/* ---- the plan: what changes in the index ----------------------------------------- */

static gint
cmp_release_desc (gconstpointer a, gconstpointer b)
{
  const PlRelease *ra = *(PlRelease *const *) a;
  const PlRelease *rb = *(PlRelease *const *) b;
  return pl_version_compare (rb->version, ra->version);
}

gboolean
pl_publish_plan (PlIndex *idx, PlRelease *new_release, guint deltas_from,
                 gboolean allow_downgrade, PlRelease **out_release, GPtrArray **out_from,
                 gboolean *out_republished, GError **error)
{
  g_autoptr(PlRelease) rel = new_release;
  PlRelease *same = NULL;
  for (guint i = 0; i < idx->releases->len; i++)
    {
      PlRelease *r = idx->releases->pdata[i];
      gboolean same_version = pl_version_compare (r->version, rel->version) == 0;
      gboolean same_commit = g_str_equal (r->commit, rel->commit);
      if (same_version && same_commit && g_str_equal (r->version, rel->version))
        same = r;
      else if (same_version)
        return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_DUPLICATE_VERSION,
                            "Version %s is already released as %s (commit %s); a version "
                            "names one commit forever", rel->version, r->version,
                            r->commit), FALSE;
      else if (same_commit)
        return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_DUPLICATE_COMMIT,
                            "Commit %s is already released as version %s, not %s",
                            rel->commit, r->version, rel->version), FALSE;
    }

  PlRelease *newest = pl_index_newest (idx);
  if (same == NULL && newest && !allow_downgrade
      && pl_version_compare (rel->version, newest->version) < 0)
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_DOWNGRADE,
                        "Version %s is older than the newest release %s (use "
                        "--allow-downgrade to add an older release)", rel->version,
                        newest->version), FALSE;

  if (same)
    {
      /* Republishing: the flags become the ones given now; the deltas stay, since
       * nodes holding the current index may be downloading them. */
      same->has_rollout = rel->has_rollout;
      same->rollout = rel->rollout;
      same->barrier = rel->barrier;
      g_free (same->deadend);
      same->deadend = g_steal_pointer (&rel->deadend);
      same->timestamp = rel->timestamp;
    }

  g_autoptr(GPtrArray) older = g_ptr_array_new ();
  for (guint i = 0; i < idx->releases->len; i++)
    {
      PlRelease *r = idx->releases->pdata[i];
      if (r != same && pl_version_compare (r->version, rel->version) < 0)
        g_ptr_array_add (older, r);
    }
  g_ptr_array_sort (older, cmp_release_desc);
  if (older->len > deltas_from)
    g_ptr_array_set_size (older, deltas_from);

  PlRelease *target = same;
  if (target == NULL)
    {
      target = rel;
      g_ptr_array_add (idx->releases, g_steal_pointer (&rel));
    }
  *out_release = target;
  *out_from = g_steal_pointer (&older);
  *out_republished = same != NULL;
  return TRUE;
}

/* ---- temp directory and keys ------------------------------------------------------ */

typedef struct {
  char *path;
} PlTmpDir;

static void
pl_tmp_dir_free (PlTmpDir *t)
{
  if (t == NULL)
    return;
  if (t->path)
    (void) pl_rm_rf_at (AT_FDCWD, t->path, NULL, NULL);
  g_free (t->path);
  g_free (t);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlTmpDir, pl_tmp_dir_free)

static gboolean
gpgme_failed (GError **error, gpgme_error_t err, const char *what, const char *homedir)
{
  return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_FAILED, "%s from %s: %s", what,
                      homedir, gpgme_strerror (err)), FALSE;
}

/* The public part of the publishing key KEYID, written to DIR/publisher.gpg (binary:
 * libostree concatenates keyring files into a pubring.gpg, which cannot be armored).
 * The commit must be signed by it (one key set signs commits and index), and the
 * existing index must verify with it: the publisher never re-signs an index it did not
 * sign. lib/gpg.h only verifies
 * against key files, so the keys are exported here. */
static gboolean
export_public_keys (const char *homedir, const char *keyid, const char *dir, char **out_path,
                    GError **error)
{
  gpgme_check_version (NULL);
  gpgme_ctx_t raw = NULL;
  gpgme_error_t err = gpgme_new (&raw);
  if (err)
    return gpgme_failed (error, err, "Creating a gpgme context", homedir);
  g_autofree char *abs_home = g_canonicalize_filename (homedir, NULL);
  gpgme_data_t data = NULL;
  if (!(err = gpgme_set_protocol (raw, GPGME_PROTOCOL_OpenPGP))
      && !(err = gpgme_ctx_set_engine_info (raw, GPGME_PROTOCOL_OpenPGP, NULL, abs_home))
      && !(err = gpgme_data_new (&data)))
    err = gpgme_op_export (raw, keyid, 0, data);
  gpgme_release (raw);
  size_t len = 0;
  char *buf = data ? gpgme_data_release_and_get_mem (data, &len) : NULL;
  g_autofree char *keys = buf ? g_memdup2 (buf, len) : NULL; /* binary: no strndup */
  gpgme_free (buf);
  if (err)
    return gpgme_failed (error, err, "Exporting the public keys", homedir);
  if (len == 0)
    return g_set_error (error, PL_GPG_ERROR, PL_GPG_ERROR_NO_KEYS,
                        "No public key \"%s\" in the GnuPG home %s", keyid, homedir), FALSE;
  g_autofree char *path = g_build_filename (dir, "publisher.gpg", NULL);
  if (!pl_file_replace_at (AT_FDCWD, path, keys, len, 0644, error))
    return FALSE;
  *out_path = g_steal_pointer (&path);
  return TRUE;
}

/* The commit must carry a valid signature by one of the publisher's keys: a release
 * whose commit a node cannot verify would fail on every node that falls back to a pull. */
static gboolean
require_signed (OstreeRepo *repo, const char *commit, const char *keyfile, const char *where,
                GCancellable *cancellable, GError **error)
{
  g_autoptr(GFile) kf = g_file_new_for_path (keyfile);
  g_autoptr(GError) local = NULL;
  g_autoptr(OstreeGpgVerifyResult) res =
      ostree_repo_verify_commit_ext (repo, commit, NULL, kf, cancellable, &local);
  if (res && ostree_gpg_verify_result_require_valid_signature (res, &local))
    return TRUE;
  return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_UNSIGNED,
                      "Commit %s in %s has no valid signature by the publishing key: %s",
                      commit, where, local ? local->message : "unknown"), FALSE;
}

/* ---- the source commit -------------------------------------------------------------- */

typedef struct {
  char *commit;
  char *version;
  gint64 timestamp;
} SourceCommit;

static void
source_commit_clear (SourceCommit *s)
{
  g_clear_pointer (&s->commit, g_free);
  g_clear_pointer (&s->version, g_free);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SourceCommit, source_commit_clear)

static gboolean
read_source (OstreeRepo *src, const PlPublishOptions *opts, const char *keyfile,
             SourceCommit *out, GCancellable *cancellable, GError **error)
{
  g_autofree char *commit = NULL;
  g_autoptr(GError) local = NULL;
  if (!ostree_repo_resolve_rev (src, opts->ref, FALSE, &commit, &local))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_UNKNOWN_REF,
                        "Ref \"%s\" is not in %s: %s", opts->ref, opts->repo_path,
                        local->message), FALSE;
  g_autoptr(GVariant) cv = NULL;
  OstreeRepoCommitState state = 0;
  if (!ostree_repo_load_commit (src, commit, &cv, &state, &local))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_UNKNOWN_REF,
                        "Commit %s (ref \"%s\") is not in %s: %s", commit, opts->ref,
                        opts->repo_path, local->message), FALSE;
  if (state & OSTREE_REPO_COMMIT_STATE_PARTIAL)
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_UNKNOWN_REF,
                        "Commit %s in %s is only partially there", commit,
                        opts->repo_path), FALSE;

  g_autoptr(GVariant) meta = g_variant_get_child_value (cv, 0);
  const char *version = NULL, *arch = NULL;
  if (!g_variant_lookup (meta, OSTREE_COMMIT_META_KEY_VERSION, "&s", &version) || !*version)
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_NO_VERSION,
                        "Commit %s (ref \"%s\") has no \"version\" metadata string",
                        commit, opts->ref), FALSE;
  if (!g_variant_lookup (meta, "plinth.arch", "&s", &arch))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_WRONG_ARCH,
                        "Commit %s (ref \"%s\") has no \"plinth.arch\" metadata; it was not "
                        "composed by plinth-build tree", commit, opts->ref), FALSE;
  if (!g_str_equal (arch, opts->arch))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_WRONG_ARCH,
                        "Commit %s (ref \"%s\") is for %s, not %s", commit, opts->ref, arch,
                        opts->arch), FALSE;
  if (!require_signed (src, commit, keyfile, opts->repo_path, cancellable, error))
    return FALSE;

  out->commit = g_steal_pointer (&commit);
  out->version = g_strdup (version);
  out->timestamp = (gint64) ostree_commit_get_timestamp (cv);
  return TRUE;
}

/* ---- the existing index ------------------------------------------------------------- */

/* The current index of SITE/<stream>/<arch>, or a new empty one. An index that is there
 * must verify with the publisher's keys and be for this stream and arch. */
static gboolean
load_index (int site_dfd, const char *dir, const PlPublishOptions *opts, const char *keydir,
            gint64 now, PlIndex **out_idx, GError **error)
{
  g_autofree char *ipath = g_build_filename (dir, "index.json", NULL);
  g_autofree char *spath = g_build_filename (dir, "index.json.asc", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!pl_file_read_at (site_dfd, ipath, INDEX_MAX_SIZE, &data, &len, &local))
    {
      if (!g_error_matches (local, G_IO_ERROR, G_IO_ERROR_NOT_FOUND))
        return g_propagate_error (error, g_steal_pointer (&local)), FALSE;
      *out_idx = pl_index_new (opts->stream, opts->arch, 0, now, now + 1);
      return TRUE;
    }
  g_autofree char *sig = NULL;
  gsize sig_len = 0;
  if (!pl_file_read_at (site_dfd, spath, INDEX_MAX_SIZE, &sig, &sig_len, &local))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_BAD_SITE,
                        "%s/%s exists but its signature cannot be read: %s",
                        opts->site_path, ipath, local->message), FALSE;
  g_autoptr(GBytes) db = g_bytes_new_static (data, len);
  g_autoptr(GBytes) sb = g_bytes_new_static (sig, sig_len);
  const char *const dirs[] = { keydir, NULL };
  if (!pl_gpg_verify_detached (dirs, db, sb, NULL, &local))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_BAD_SITE,
                        "%s/%s does not verify with the publisher's keys: %s",
                        opts->site_path, ipath, local->message), FALSE;
  g_autoptr(PlIndex) idx = pl_index_parse (data, len, &local);
  if (idx == NULL)
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_BAD_SITE, "%s/%s: %s",
                        opts->site_path, ipath, local->message), FALSE;
  if (!g_str_equal (idx->stream, opts->stream) || !g_str_equal (idx->arch, opts->arch))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_BAD_SITE,
                        "%s/%s is for stream %s, arch %s", opts->site_path, ipath,
                        idx->stream, idx->arch), FALSE;
  *out_idx = g_steal_pointer (&idx);
  return TRUE;
}

/* ---- the site's repo --------------------------------------------------------------- */

static gboolean
site_repo_exists (int site_dfd)
{
  return faccessat (site_dfd, SITE_REPO "/config", F_OK, 0) == 0;
}

static OstreeRepo *
site_repo_open (int site_dfd, gboolean create, GCancellable *cancellable, GError **error)
{
  if (create && !site_repo_exists (site_dfd))
    return ostree_repo_create_at (site_dfd, SITE_REPO, OSTREE_REPO_MODE_ARCHIVE, NULL,
                                  cancellable, error);
  return ostree_repo_open_at (site_dfd, SITE_REPO, cancellable, error);
}

/* Every commit a delta starts from must be complete in the site's repo. */
static gboolean
check_from_commits (int site_dfd, const char *site_path, GPtrArray *from,
                    GCancellable *cancellable, GError **error)
{
  if (from->len == 0)
    return TRUE;
  if (!site_repo_exists (site_dfd))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_BAD_SITE,
                        "The index lists releases but %s/" SITE_REPO " is not an OSTree "
                        "repo", site_path), FALSE;
  g_autoptr(OstreeRepo) repo = site_repo_open (site_dfd, FALSE, cancellable, error);
  if (repo == NULL)
    return g_prefix_error (error, "Opening %s/" SITE_REPO ": ", site_path), FALSE;
  for (guint i = 0; i < from->len; i++)
    {
      PlRelease *r = from->pdata[i];
      OstreeRepoCommitState state = 0;
      g_autoptr(GError) local = NULL;
      if (!ostree_repo_load_commit (repo, r->commit, NULL, &state, &local)
          || (state & OSTREE_REPO_COMMIT_STATE_PARTIAL))
        return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_BAD_SITE,
                            "Release %s (commit %s) is not complete in %s/" SITE_REPO "%s%s",
                            r->version, r->commit, site_path, local ? ": " : "",
                            local ? local->message : ""), FALSE;
    }
  return TRUE;
}

/* What `ostree pull-local` does: objects and the detached signatures of one commit. */
static gboolean
pull_commit (OstreeRepo *site, const char *src_path, const char *commit,
             GCancellable *cancellable, GError **error)
{
  g_autofree char *abs = g_canonicalize_filename (src_path, NULL);
  g_autofree char *url = g_strconcat ("file://", abs, NULL);
  const char *refs[] = { commit, NULL };
  g_auto(GVariantBuilder) b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&b, "{sv}", "refs", g_variant_new_strv (refs, -1));
  g_variant_builder_add (&b, "{sv}", "flags", g_variant_new_int32 (OSTREE_REPO_PULL_FLAGS_NONE));
  g_variant_builder_add (&b, "{sv}", "depth", g_variant_new_int32 (0));
  /* checked above with the publisher's keys, which need no remote config */
  g_variant_builder_add (&b, "{sv}", "gpg-verify", g_variant_new_boolean (FALSE));
  g_variant_builder_add (&b, "{sv}", "gpg-verify-summary", g_variant_new_boolean (FALSE));
  g_autoptr(GVariant) options = g_variant_ref_sink (g_variant_builder_end (&b));
  if (!ostree_repo_pull_with_options (site, url, options, NULL, cancellable, error))
    return g_prefix_error (error, "Pulling %s from %s: ", commit, src_path), FALSE;
  return TRUE;
}

/* ---- deltas ----------------------------------------------------------------------- */

typedef struct {
  int dfd;               /* the <stream>/<arch> directory */
  GPtrArray *created;    /* relpaths made by this run, removed again on failure */
} DeltaWork;

static void
delta_work_clear (DeltaWork *w)
{
  for (guint i = 0; w->created && i < w->created->len; i++)
    (void) unlinkat (w->dfd, w->created->pdata[i], 0);
  g_clear_pointer (&w->created, g_ptr_array_unref);
  pl_close_fdp (&w->dfd);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (DeltaWork, delta_work_clear)

/* One single-file static delta FROM -> TO at DIR_PATH/RELPATH, as `ostree static-delta
 * generate --inline --min-fallback-size=0 --filename=...` makes it: parts inline and no
 * fallback objects, so `static-delta apply-offline` needs nothing but the file. The
 * commit is signed already, so the delta carries its signatures. */
static gboolean
generate_delta (OstreeRepo *site, DeltaWork *w, const char *dir_path, const char *relpath,
                const char *from, const char *to, char **out_sha256, guint64 *out_size,
                GCancellable *cancellable, GError **error)
{
  g_autofree char *base = g_path_get_basename (relpath);
  g_autofree char *tmp_rel = g_strdup_printf ("deltas/.tmp-%s", base);
  /* libostree takes a path, not a dfd: the site directory, already locked */
  g_autofree char *tmp_abs = g_build_filename (dir_path, tmp_rel, NULL);
  (void) unlinkat (w->dfd, tmp_rel, 0);
  g_auto(GVariantBuilder) p;
  g_variant_builder_init (&p, G_VARIANT_TYPE ("a{sv}"));
  g_variant_builder_add (&p, "{sv}", "inline-parts", g_variant_new_boolean (TRUE));
  g_variant_builder_add (&p, "{sv}", "min-fallback-size", g_variant_new_uint32 (0));
  g_variant_builder_add (&p, "{sv}", "filename", g_variant_new_bytestring (tmp_abs));
  g_autoptr(GVariant) params = g_variant_ref_sink (g_variant_builder_end (&p));
  g_ptr_array_add (w->created, g_strdup (tmp_rel));
  if (!ostree_repo_static_delta_generate (site, OSTREE_STATIC_DELTA_GENERATE_OPT_MAJOR, from,
                                          to, NULL, params, cancellable, error))
    return g_prefix_error (error, "Generating the delta %s -> %s: ", from, to), FALSE;
  if (!pl_file_sha256_at (w->dfd, tmp_rel, out_sha256, out_size, cancellable, error))
    return FALSE;
  if (renameat (w->dfd, tmp_rel, w->dfd, relpath) < 0)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Renaming %s/%s: %s",
                        dir_path, tmp_rel, g_strerror (errno)), FALSE;
  g_free (w->created->pdata[w->created->len - 1]);
  w->created->pdata[w->created->len - 1] = g_strdup (relpath);
  return TRUE;
}

/* A delta path may be listed once: version strings may contain '-', so "a-b" -> "c"
 * and "a" -> "b-c" would share a name. */
static gboolean
check_delta_path_free (PlIndex *idx, const char *path, GError **error)
{
  for (guint i = 0; i < idx->releases->len; i++)
    {
      PlRelease *r = idx->releases->pdata[i];
      for (guint j = 0; j < r->deltas->len; j++)
        if (g_str_equal (((PlDelta *) r->deltas->pdata[j])->path, path))
          return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_BAD_SITE,
                              "Delta file %s is already listed for release %s", path,
                              r->version), FALSE;
    }
  return TRUE;
}

/* ---- the whole publish ------------------------------------------------------------- */

static gboolean
check_options (const PlPublishOptions *o, gint64 now, GError **error)
{
  if (!o->repo_path || !o->ref || !o->site_path || !o->stream || !o->arch || !o->gpg_key_id
      || !o->gpg_homedir)
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_INVALID_ARGUMENT,
                        "repo, ref, site, stream, arch, GPG key and GPG home are all "
                        "required"), FALSE;
  if (o->expires_days == 0 || o->expires_days > 3660)
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_INVALID_ARGUMENT,
                        "expires-days must be 1 to 3660, not %u", o->expires_days), FALSE;
  /* stream, arch and the rollout obey the index format: check them the way it does */
  g_autoptr(PlIndex) probe = pl_index_new (o->stream, o->arch, 1, now, now + 1);
  g_autoptr(PlRelease) r = pl_release_new ("0", "0000000000000000000000000000000000000000000000000000000000000000", now);
  r->has_rollout = o->has_rollout;
  r->rollout = o->rollout;
  r->deadend = g_strdup (o->deadend);
  g_ptr_array_add (probe->releases, g_steal_pointer (&r));
  g_autoptr(GError) local = NULL;
  if (!pl_index_validate (probe, &local))
    return g_set_error (error, PL_PUBLISH_ERROR, PL_PUBLISH_ERROR_INVALID_ARGUMENT,
                        "Invalid stream, arch, rollout or dead end (as the index would hold "
                        "them): %s", local->message), FALSE;
  return TRUE;
}

static gboolean
lock_site (const char *site_path, int *out_dfd, GError **error)
{
  if (!pl_mkdir_p_at (AT_FDCWD, site_path, 0755, error))
    return FALSE;
  PL_AUTOFD int dfd = -1;
  if (!pl_opendirat (AT_FDCWD, site_path, TRUE, &dfd, error))
    return FALSE;
  /* two publishes to one site would each bump the same serial */
  if (flock (dfd, LOCK_EX) < 0)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Locking %s: %s",
                        site_path, g_strerror (errno)), FALSE;
  *out_dfd = pl_steal_fd (&dfd);
  return TRUE;
}

static gboolean
update_site_repo (OstreeRepo *site, const PlPublishOptions *opts, const char *ref,
                  const char *commit, GCancellable *cancellable, GError **error)
{
  if (ref && !ostree_repo_set_ref_immediate (site, NULL, ref, commit, cancellable, error))
    return g_prefix_error (error, "Setting ref %s in the site repo: ", ref), FALSE;
  const char *keys[] = { opts->gpg_key_id, NULL };
  g_autofree char *home = g_canonicalize_filename (opts->gpg_homedir, NULL);
  if (!ostree_repo_regenerate_summary (site, NULL, cancellable, error)
      || !ostree_repo_add_gpg_signature_summary (site, keys, home, cancellable, error))
    return g_prefix_error (error, "Updating the site repo's signed summary: "), FALSE;
  return TRUE;
}

gboolean
pl_publish (const PlPublishOptions *opts, PlPublishResult **out_result,
            GCancellable *cancellable, GError **error)
{
  gint64 now = opts->now ? opts->now : g_get_real_time () / G_USEC_PER_SEC;
  if (!check_options (opts, now, error))
    return FALSE;

  g_autoptr(PlTmpDir) tmp = g_new0 (PlTmpDir, 1);
  tmp->path = g_dir_make_tmp ("plinth-publish-XXXXXX", error);
  if (tmp->path == NULL)
    return FALSE;
  g_autofree char *keyfile = NULL;
  if (!export_public_keys (opts->gpg_homedir, opts->gpg_key_id, tmp->path, &keyfile, error))
    return FALSE;

  /* 1. checks, before the site changes */
  g_autoptr(GFile) src_file = g_file_new_for_path (opts->repo_path);
  g_autoptr(OstreeRepo) src = ostree_repo_new (src_file);
  if (!ostree_repo_open (src, cancellable, error))
    return g_prefix_error (error, "Opening the source repo %s: ", opts->repo_path), FALSE;
  g_auto(SourceCommit) sc = { 0 };
  if (!read_source (src, opts, keyfile, &sc, cancellable, error))
    return FALSE;

  PL_AUTOFD int site_dfd = -1;
  if (!lock_site (opts->site_path, &site_dfd, error))
    return FALSE;
  g_autofree char *dir = g_build_filename (opts->stream, opts->arch, NULL);
  g_autoptr(PlIndex) idx = NULL;
  if (!load_index (site_dfd, dir, opts, tmp->path, now, &idx, error))
    return FALSE;
  guint64 serial = idx->serial + 1;

  PlRelease *nr = pl_release_new (sc.version, sc.commit, sc.timestamp);
  nr->has_rollout = opts->has_rollout;
  nr->rollout = opts->rollout;
  nr->barrier = opts->barrier;
  nr->deadend = g_strdup (opts->deadend);
  PlRelease *rel = NULL;
  g_autoptr(GPtrArray) from = NULL;
  gboolean republished = FALSE;
  if (!pl_publish_plan (idx, nr, opts->deltas_from, opts->allow_downgrade, &rel, &from,
                        &republished, error))
    return FALSE;
  if (!check_from_commits (site_dfd, opts->site_path, from, cancellable, error))
    return FALSE;
  g_autoptr(GPtrArray) todo = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < from->len; i++)
    {
      PlRelease *f = from->pdata[i];
      if (pl_index_find_delta (rel, f->commit))
        continue;
      g_autofree char *path = pl_publish_delta_path (f->version, rel->version);
      if (!check_delta_path_free (idx, path, error))
        return FALSE;
      g_ptr_array_add (todo, g_steal_pointer (&path));
    }
  PlRelease *newest = pl_index_newest (idx);
  gboolean move_ref = newest == rel;
  idx->serial = serial;
  idx->generated = now;
  idx->expires = now + (gint64) opts->expires_days * 24 * 3600;

  /* 2. the commit into the site's repo */
  g_autoptr(OstreeRepo) site = site_repo_open (site_dfd, TRUE, cancellable, error);
  if (site == NULL)
    return g_prefix_error (error, "Opening %s/" SITE_REPO ": ", opts->site_path), FALSE;
  if (!pull_commit (site, opts->repo_path, sc.commit, cancellable, error))
    return FALSE;
  g_autofree char *site_repo_path = g_build_filename (opts->site_path, SITE_REPO, NULL);
  if (!require_signed (site, sc.commit, keyfile, site_repo_path, cancellable, error))
    return g_prefix_error (error, "After pulling: "), FALSE;

  /* 3. deltas */
  g_autofree char *dir_path = g_build_filename (opts->site_path, dir, NULL);
  g_autofree char *abs_dir = g_canonicalize_filename (dir_path, NULL);
  g_autofree char *deltas_dir = g_build_filename (dir, "deltas", NULL);
  if (!pl_mkdir_p_at (site_dfd, deltas_dir, 0755, error))
    return FALSE;
  g_auto(DeltaWork) w = { .dfd = -1, .created = g_ptr_array_new_with_free_func (g_free) };
  if (!pl_opendirat (site_dfd, dir, TRUE, &w.dfd, error))
    return FALSE;
  for (guint i = 0, t = 0; i < from->len; i++)
    {
      PlRelease *f = from->pdata[i];
      if (pl_index_find_delta (rel, f->commit))
        continue;
      const char *path = todo->pdata[t++];
      g_autofree char *sha = NULL;
      guint64 size = 0;
      if (!generate_delta (site, &w, abs_dir, path, f->commit, rel->commit, &sha, &size,
                           cancellable, error))
        return FALSE;
      g_ptr_array_add (rel->deltas, pl_delta_new (f->commit, path, sha, size));
    }

  /* 4. the new index, signed in memory; then the repo's ref and summary */
  if (!pl_index_validate (idx, error))
    return g_prefix_error (error, "The new index: "), FALSE;
  g_autofree char *json = pl_index_to_json (idx);
  g_autoptr(GBytes) jb = g_bytes_new_static (json, strlen (json));
  g_autoptr(GBytes) sig = NULL;
  if (!pl_gpg_sign_detached (opts->gpg_homedir, opts->gpg_key_id, jb, &sig, error))
    return g_prefix_error (error, "Signing the index: "), FALSE;
  g_autofree char *site_ref = move_ref ? g_strdup (dir) : NULL;
  if (!update_site_repo (site, opts, site_ref, sc.commit, cancellable, error))
    return FALSE;

  /* 5. signature first: see the top of the file */
  gsize sig_len = 0;
  const char *sig_data = g_bytes_get_data (sig, &sig_len);
  if (!pl_file_replace_at (w.dfd, "index.json.asc", sig_data, sig_len, 0644, error)
      || !pl_file_replace_at (w.dfd, "index.json", json, strlen (json), 0644, error))
    return g_prefix_error (error, "Writing %s/index.json: ", dir_path), FALSE;
  /* from here on the deltas are listed: keep them */
  g_ptr_array_set_size (w.created, 0);

  g_autoptr(PlPublishResult) res = g_new0 (PlPublishResult, 1);
  res->stream = g_strdup (opts->stream);
  res->arch = g_strdup (opts->arch);
  res->version = g_strdup (rel->version);
  res->commit = g_strdup (rel->commit);
  res->site_ref = g_steal_pointer (&site_ref);
  res->index_path = g_build_filename (dir_path, "index.json", NULL);
  res->serial = idx->serial;
  res->generated = idx->generated;
  res->expires = idx->expires;
  res->republished = republished;
  res->deltas = g_ptr_array_new_with_free_func ((GDestroyNotify) published_delta_free);
  for (guint i = 0; i < rel->deltas->len; i++)
    {
      PlDelta *d = rel->deltas->pdata[i];
      PlRelease *fr = pl_index_find_by_commit (idx, d->from);
      PlPublishedDelta *pd = g_new0 (PlPublishedDelta, 1);
      pd->from_version = g_strdup (fr ? fr->version : "");
      pd->delta = pl_delta_new (d->from, d->path, d->sha256, d->size);
      for (guint j = 0; j < todo->len; j++)
        pd->created |= g_str_equal (todo->pdata[j], d->path);
      g_ptr_array_add (res->deltas, pd);
    }
  *out_result = g_steal_pointer (&res);
  return TRUE;
}
