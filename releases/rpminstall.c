/* librpm transactions. rpm reports through a global log and a notify callback; both
 * are captured here so that nothing is printed and every failure carries rpm's own
 * words plus the scriptlet output. Signatures are checked per repo before the
 * transaction, each repo against only its own keys, so a package signed by another
 * repo's key is refused. */
#include "releases/rpminstall.h"
#include "releases/package.h"
#include "lib/http.h"

#include <errno.h>
#include <fcntl.h>
#include <rpm/header.h>
#include <rpm/rpmcli.h>
#include <rpm/rpmkeyring.h>
#include <rpm/rpmlib.h>
#include <rpm/rpmlog.h>
#include <rpm/rpmmacro.h>
#include <rpm/rpmpgp.h>
#include <rpm/rpmps.h>
#include <rpm/rpmte.h>
#include <rpm/rpmts.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK (pl-rpminstall-error-quark, pl_rpminstall_error)

typedef struct rpmts_s PlRpmts;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlRpmts, rpmtsFree)
typedef struct rpmKeyring_s PlRpmKeyring;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlRpmKeyring, rpmKeyringFree)

/* rpm's log is process-global; the compose is single-threaded, so one capture is set
 * for the duration of an install. */
static GPtrArray *captured_log;

static int
on_rpmlog (rpmlogRec rec, rpmlogCallbackData data)
{
  if (captured_log && rpmlogRecPriority (rec) <= RPMLOG_WARNING)
    g_ptr_array_add (captured_log, g_strchomp (g_strdup (rpmlogRecMessage (rec))));
  return 0; /* handled: rpm prints nothing */
}

static void
init_rpm_once (void)
{
  static gsize inited = 0;
  if (g_once_init_enter (&inited))
    {
      rpmReadConfigFiles (NULL, NULL);
      rpmlogSetCallback (on_rpmlog, NULL);
      g_once_init_leave (&inited, 1);
    }
}

static char *
take_log (void)
{
  if (!captured_log || captured_log->len == 0)
    return g_strdup ("");
  g_ptr_array_add (captured_log, NULL);
  g_autofree char *joined = g_strjoinv ("; ", (char **) captured_log->pdata);
  g_ptr_array_set_size (captured_log, 0);
  return g_steal_pointer (&joined);
}

static rpmKeyring
load_keyring (const PlManifestRepo *repo, GCancellable *cancellable, GError **error)
{
  g_autoptr(PlRpmKeyring) kr = rpmKeyringNew ();
  for (char **k = repo->gpgkeys; k && *k; k++)
    {
      g_autoptr(GError) local_error = NULL;
      PlHttpOptions opts = { .retries = 2, .max_size = 1024 * 1024, .ca_file = repo->sslcacert };
      g_autoptr(GBytes) bytes = pl_http_get_bytes (*k, &opts, NULL, cancellable, &local_error);
      if (!bytes)
        return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_KEY,
                            "Repo %s: reading its key: %s", repo->id, local_error->message),
               NULL;
      g_autofree char *armor = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      uint8_t *pkt = NULL;
      size_t pktlen = 0;
      if (pgpParsePkts (armor, &pkt, &pktlen) != PGPARMOR_PUBKEY)
        {
          free (pkt);
          return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_KEY,
                              "Repo %s: %s is not an ASCII-armored OpenPGP public key",
                              repo->id, *k), NULL;
        }
      rpmPubkey key = rpmPubkeyNew (pkt, pktlen);
      free (pkt);
      if (!key)
        return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_KEY,
                            "Repo %s: rpm cannot use the key in %s", repo->id, *k), NULL;
      /* Subkeys sign too */
      int nsub = 0;
      rpmPubkey *subs = rpmGetSubkeys (key, &nsub);
      for (int i = 0; i < nsub; i++)
        {
          rpmKeyringAddKey (kr, subs[i]);
          rpmPubkeyFree (subs[i]);
        }
      free (subs);
      rpmKeyringAddKey (kr, key);
      rpmPubkeyFree (key);
    }
  return g_steal_pointer (&kr);
}

static gboolean
has_signature (Header hdr)
{
  return headerIsEntry (hdr, RPMTAG_RSAHEADER) || headerIsEntry (hdr, RPMTAG_DSAHEADER)
         || headerIsEntry (hdr, RPMTAG_SIGPGP) || headerIsEntry (hdr, RPMTAG_SIGGPG);
}

/* The spec-file name of a scriptlet tag, as packagers know it */
static const char *
scriptlet_name (rpmTagVal tag)
{
  switch (tag)
    {
    case RPMTAG_PREIN: return "%pre";
    case RPMTAG_POSTIN: return "%post";
    case RPMTAG_PREUN: return "%preun";
    case RPMTAG_POSTUN: return "%postun";
    case RPMTAG_PRETRANS: return "%pretrans";
    case RPMTAG_POSTTRANS: return "%posttrans";
    case RPMTAG_TRIGGERSCRIPTS: return "%trigger";
    case RPMTAG_FILETRIGGERSCRIPTS: return "%filetrigger";
    case RPMTAG_TRANSFILETRIGGERSCRIPTS: return "%transfiletrigger";
    default: return rpmTagGetName (tag);
    }
}

/* Reads and verifies one package against its repo's keyring; returns its header. */
static Header
read_verified (rpmts vts, const PlPackage *pkg, const PlManifestRepo *repo, GError **error)
{
  g_autofree char *nevra = pl_package_nevra (pkg);
  FD_t fd = Fopen (pkg->local_path, "r.ufdio");
  if (fd == NULL || Ferror (fd))
    {
      if (fd)
        Fclose (fd);
      return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_PACKAGE,
                          "%s: cannot open %s", nevra, pkg->local_path), NULL;
    }
  Header hdr = NULL;
  rpmRC rc = rpmReadPackageFile (vts, fd, pkg->local_path, &hdr);
  Fclose (fd);
  g_autofree char *log = take_log ();
  switch (rc)
    {
    case RPMRC_OK:
      /* rpm reads an unsigned package as OK: whether a signature is required is ours
       * to enforce */
      if (!repo->is_unsigned && !has_signature (hdr))
        {
          headerFree (hdr);
          return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_SIGNATURE,
                              "%s from repo %s fails verification: it is not signed, and the "
                              "repo requires signed packages", nevra, repo->id), NULL;
        }
      break;
    case RPMRC_NOKEY:
      headerFree (hdr);
      return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_SIGNATURE,
                          "%s from repo %s is signed by a key the repo does not trust (%s)",
                          nevra, repo->id, log), NULL;
    case RPMRC_NOTTRUSTED:
      headerFree (hdr);
      return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_SIGNATURE,
                          "%s from repo %s is signed by an untrusted key (%s)", nevra,
                          repo->id, log), NULL;
    default:
      headerFree (hdr);
      return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_SIGNATURE,
                          "%s from repo %s fails verification%s (%s)", nevra, repo->id,
                          repo->is_unsigned ? "" : " (repo requires signed packages)", log),
             NULL;
    }
  return hdr;
}

typedef struct {
  GString *script_errors;
  FD_t open_fd;
} NotifyState;

static void *
on_notify (const void *h, const rpmCallbackType what, const rpm_loff_t amount,
           const rpm_loff_t total, fnpyKey key, rpmCallbackData data)
{
  NotifyState *st = data;
  const PlPackage *pkg = key;
  switch (what)
    {
    case RPMCALLBACK_INST_OPEN_FILE:
      st->open_fd = Fopen (pkg->local_path, "r.ufdio");
      return st->open_fd;
    case RPMCALLBACK_INST_CLOSE_FILE:
      if (st->open_fd)
        Fclose (st->open_fd);
      st->open_fd = NULL;
      break;
    case RPMCALLBACK_SCRIPT_ERROR:
      {
        /* rpm notifies every failing scriptlet, even warn-only ones like %post whose
         * failure rpm itself would ignore: an image must not ship half-configured. */
        const char *tag = scriptlet_name ((rpmTagVal) amount);
        g_autofree char *nevra = h ? headerGetAsString ((Header) h, RPMTAG_NEVRA) : NULL;
        g_string_append_printf (st->script_errors, "%s%s scriptlet of %s failed",
                                st->script_errors->len ? "; " : "",
                                tag ? tag : "a", nevra ? nevra : (pkg ? pkg->name : "?"));
        break;
      }
    default:
      break;
    }
  return NULL;
}

/* Checks every package against its repo's keys; fills HEADERS in PKGS order. */
static gboolean
verify_all (GPtrArray *pkgs, GPtrArray *repos, GPtrArray *headers, GCancellable *cancellable,
            GError **error)
{
  for (guint r = 0; r < repos->len; r++)
    {
      const PlManifestRepo *repo = repos->pdata[r];
      g_autoptr(PlRpmts) vts = rpmtsCreate ();
      g_autoptr(PlRpmKeyring) kr = NULL;
      if (!repo->is_unsigned)
        {
          kr = load_keyring (repo, cancellable, error);
          if (!kr)
            return FALSE;
          rpmtsSetKeyring (vts, kr);
        }
      rpmtsSetVfyLevel (vts, repo->is_unsigned ? RPMSIG_DIGEST_TYPE
                                               : RPMSIG_DIGEST_TYPE | RPMSIG_SIGNATURE_TYPE);
      for (guint i = 0; i < pkgs->len; i++)
        {
          PlPackage *pkg = pkgs->pdata[i];
          if (!g_str_equal (pkg->repo_id, repo->id))
            continue;
          Header hdr = read_verified (vts, pkg, repo, error);
          if (!hdr)
            return FALSE;
          headers->pdata[i] = hdr;
        }
    }
  return TRUE;
}

static char *
problems_to_string (rpmts ts)
{
  g_autoptr(GString) s = g_string_new (NULL);
  rpmps ps = rpmtsProblems (ts);
  rpmpsi it = rpmpsInitIterator (ps);
  rpmProblem p;
  while ((p = rpmpsiNext (it)) != NULL)
    {
      g_autofree char *msg = rpmProblemString (p);
      g_string_append_printf (s, "\n  - %s", msg);
    }
  rpmpsFreeIterator (it);
  rpmpsFree (ps);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

static char *
read_tail (const char *path, gsize max)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents (path, &data, &len, NULL) || len == 0)
    return g_strdup ("");
  const char *start = len > max ? data + len - max : data;
  return g_strstrip (g_strdup (start));
}

static gboolean
run_transaction (const char *rootdir, GPtrArray *pkgs, GPtrArray *headers,
                 const PlRpmInstallOptions *opts, GError **error)
{
  g_autoptr(PlRpmts) ts = rpmtsCreate ();
  rpmtsSetRootDir (ts, rootdir);
  /* Signatures were checked per repo above; digests are checked again here */
  rpmtsSetVSFlags (ts, _RPMVSF_NOSIGNATURES);
  rpmtsSetVfyLevel (ts, RPMSIG_DIGEST_TYPE);
  if (opts->install_time > 0)
    rpmtsSetTid (ts, (rpm_tid_t) opts->install_time);
  /* rpm's transaction plugins act on the build host, not the image: syslog lines per
   * package, D-Bus announcements, a shutdown inhibitor, host SELinux contexts. None
   * belong in a compose, and they cost a third of the install time. */
  rpmtransFlags tflags = RPMTRANS_FLAG_NOPLUGINS | RPMTRANS_FLAG_NOCONTEXTS;
  if (!opts->documentation)
    tflags |= RPMTRANS_FLAG_NODOCS;
  rpmtsSetFlags (ts, tflags);

  g_autofree char *script_log = g_build_filename (rootdir, ".plinth-scriptlets.log", NULL);
  FD_t sfd = Fopen (script_log, "w.ufdio");
  if (sfd)
    rpmtsSetScriptFd (ts, sfd);

  g_autoptr(GString) script_errors = g_string_new (NULL);
  NotifyState st = { .script_errors = script_errors };
  rpmtsSetNotifyCallback (ts, on_notify, &st);

  for (guint i = 0; i < pkgs->len; i++)
    if (rpmtsAddInstallElement (ts, headers->pdata[i], pkgs->pdata[i], 0, NULL) != 0)
      {
        g_autofree char *nevra = pl_package_nevra (pkgs->pdata[i]);
        g_autofree char *log = take_log ();
        return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_TRANSACTION,
                            "rpm refused %s: %s", nevra, log), FALSE;
      }
  if (rpmtsCheck (ts) != 0 || rpmpsNumProblems (rpmtsProblems (ts)) > 0)
    {
      g_autofree char *probs = problems_to_string (ts);
      return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_TRANSACTION,
                          "rpm's dependency check failed:%s", probs), FALSE;
    }
  if (rpmtsOrder (ts) != 0)
    return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_TRANSACTION,
                        "rpm could not order the transaction"), FALSE;
  int rc = rpmtsRun (ts, NULL, RPMPROB_FILTER_DISKSPACE | RPMPROB_FILTER_DISKNODES);
  rpmtsCloseDB (ts);
  if (sfd)
    {
      rpmtsSetScriptFd (ts, NULL);
      Fclose (sfd);
    }
  g_autofree char *output = read_tail (script_log, 2000);
  (void) unlink (script_log);
  if (script_errors->len > 0)
    return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_SCRIPTLET, "%s%s%s",
                        script_errors->str, *output ? "; scriptlet output: " : "", output),
           FALSE;
  if (rc != 0)
    {
      g_autofree char *probs = problems_to_string (ts);
      g_autofree char *log = take_log ();
      return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_TRANSACTION,
                          "rpm transaction failed (%d):%s %s", rc, probs, log), FALSE;
    }
  return TRUE;
}

/* rpm's sqlite database leaves its WAL and shared-memory index behind even when
 * everything is checkpointed. An empty WAL means the main file is complete; the side
 * files would only make images differ from compose to compose. */
static void
tidy_rpmdb (const char *rootdir)
{
  g_autofree char *wal = g_build_filename (rootdir, PL_RPMDB_PATH, "rpmdb.sqlite-wal", NULL);
  g_autofree char *shm = g_build_filename (rootdir, PL_RPMDB_PATH, "rpmdb.sqlite-shm", NULL);
  struct stat st;
  if (stat (wal, &st) == 0 && st.st_size != 0)
    return;
  (void) unlink (wal);
  (void) unlink (shm);
}

static void
free_header (gpointer h)
{
  if (h)
    headerFree (h);
}

gboolean
pl_rpm_install (const char *rootdir, GPtrArray *pkgs, GPtrArray *repos,
                const PlRpmInstallOptions *opts, GPtrArray **out_warnings,
                GCancellable *cancellable, GError **error)
{
  if (geteuid () != 0)
    return g_set_error (error, PL_RPMINSTALL_ERROR, PL_RPMINSTALL_ERROR_PERMISSION,
                        "Installing RPMs runs their scriptlets in a chroot and keeps file "
                        "owners: run as root"), FALSE;
  init_rpm_once ();
  rpmPushMacro (NULL, "_dbpath", NULL, PL_RPMDB_PATH, RMIL_CMDLINE);
  g_autoptr(GPtrArray) log = g_ptr_array_new_with_free_func (g_free);
  captured_log = log;

  g_autoptr(GPtrArray) headers = g_ptr_array_new_with_free_func (free_header);
  g_ptr_array_set_size (headers, pkgs->len);
  for (guint i = 0; i < pkgs->len; i++)
    g_assert (pl_manifest_repo_find (repos, ((PlPackage *) pkgs->pdata[i])->repo_id));
  gboolean ok = verify_all (pkgs, repos, headers, cancellable, error)
                && run_transaction (rootdir, pkgs, headers, opts, error);
  captured_log = NULL;
  rpmPopMacro (NULL, "_dbpath");
  if (ok)
    tidy_rpmdb (rootdir);
  if (ok && out_warnings)
    *out_warnings = g_steal_pointer (&log);
  return ok;
}
