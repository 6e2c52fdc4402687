/* HTTP through libcurl. One attempt is one curl easy transfer; the retry loop around
 * it backs off exponentially with jitter and, for downloads, continues from the bytes
 * already on disk, so a dropped connection costs only what was not yet received. */
#include "lib/http.h"
#include "lib/fsutil.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

G_DEFINE_QUARK (pl-http-error-quark, pl_http_error)

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)

typedef struct curl_slist PlCurlSlist;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlCurlSlist, curl_slist_free_all)

#define PL_HTTP_USER_AGENT "plinth/" PACKAGE_VERSION_STRING
#ifndef PACKAGE_VERSION_STRING
#define PACKAGE_VERSION_STRING "0.1"
#endif

/* What one transfer writes to: memory or an fd, with the size limit applied. */
typedef struct {
  CURL *curl;
  GByteArray *buf;        /* memory sink, or NULL */
  int fd;                 /* file sink, or -1 */
  guint64 offset;         /* bytes already in the file before this attempt */
  guint64 received;       /* bytes written by this attempt */
  guint64 max_size;
  gboolean too_large;
  gboolean write_failed;
  int write_errno;
  char *etag;
  const PlHttpOptions *opts;
  GCancellable *cancellable;
  gint64 first_write_us;  /* monotonic time of the first body bytes, for the cap */
  long status;            /* HTTP status of the attempt (0: none, or file://) */
  CURLcode rc;            /* what libcurl said of the attempt */
} Transfer;

static long
response_code (CURL *curl)
{
  long code = 0;
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

/* Holds the transfer back until RECEIVED bytes fit the bandwidth cap. libcurl 7.88's
 * own CURLOPT_MAX_RECV_SPEED_LARGE lets whole bursts through (200 KiB capped at
 * 100 KiB/s arrived in 1 ms over loopback), so the cap is enforced here, where a
 * sleep stops reading and TCP flow control slows the sender. FALSE when cancelled. */
static gboolean
throttle (Transfer *t)
{
  guint64 cap = t->opts ? t->opts->max_bytes_per_sec : 0;
  if (cap == 0)
    return TRUE;
  gint64 now = g_get_monotonic_time ();
  if (t->first_write_us == 0)
    t->first_write_us = now;
  gint64 due = t->first_write_us + (gint64) (t->received * G_USEC_PER_SEC / cap);
  while (now < due)
    {
      if (g_cancellable_is_cancelled (t->cancellable))
        return FALSE;
      g_usleep (MIN (due - now, 100 * 1000));
      now = g_get_monotonic_time ();
    }
  return TRUE;
}

static size_t
on_write (char *ptr, size_t size, size_t nmemb, void *userdata)
{
  Transfer *t = userdata;
  size_t len = size * nmemb;
  long code = response_code (t->curl);
  /* Error bodies (404 pages and the like) are not data */
  if (code >= 300)
    return len;
  if (t->max_size > 0 && t->offset + t->received + len > t->max_size)
    {
      t->too_large = TRUE;
      return 0;
    }
  if (t->buf)
    g_byte_array_append (t->buf, (const guint8 *) ptr, len);
  else
    {
      const char *p = ptr;
      size_t left = len;
      while (left > 0)
        {
          ssize_t n = write (t->fd, p, left);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            {
              t->write_failed = TRUE;
              t->write_errno = errno;
              return 0;
            }
          p += n;
          left -= n;
        }
    }
  t->received += len;
  if (!throttle (t))
    return 0;
  return len;
}

static size_t
on_header (char *buffer, size_t size, size_t nitems, void *userdata)
{
  Transfer *t = userdata;
  size_t len = size * nitems;
  if (len > 5 && g_ascii_strncasecmp (buffer, "etag:", 5) == 0)
    {
      g_free (t->etag);
      t->etag = g_strstrip (g_strndup (buffer + 5, len - 5));
    }
  return len;
}

static int
on_progress (void *userdata, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
             curl_off_t ulnow)
{
  Transfer *t = userdata;
  if (g_cancellable_is_cancelled (t->cancellable))
    return 1;
  if (t->opts && t->opts->progress && response_code (t->curl) < 300)
    {
      guint64 total = dltotal > 0 ? t->offset + (guint64) dltotal : 0;
      t->opts->progress (t->offset + (guint64) dlnow, total, t->opts->progress_data);
    }
  return 0;
}

static void
global_init_once (void)
{
  static gsize inited = 0;
  if (g_once_init_enter (&inited))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&inited, 1);
    }
}

/* One request; fills T and returns a classified error. */
static gboolean
attempt (const char *url, Transfer *t, GError **error)
{
  const PlHttpOptions *o = t->opts;
  g_autoptr(CURL) curl = curl_easy_init ();
  g_autoptr(PlCurlSlist) headers = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  t->curl = curl;

  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https,file");
  curl_easy_setopt (curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt (curl, CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_USERAGENT, PL_HTTP_USER_AGENT);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, t);
  curl_easy_setopt (curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (curl, CURLOPT_HEADERDATA, t);
  curl_easy_setopt (curl, CURLOPT_XFERINFOFUNCTION, on_progress);
  curl_easy_setopt (curl, CURLOPT_XFERINFODATA, t);
  curl_easy_setopt (curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, (long) (o->connect_timeout_secs ?: 30));
  curl_easy_setopt (curl, CURLOPT_LOW_SPEED_LIMIT, (long) (o->low_speed_bytes ?: 1));
  curl_easy_setopt (curl, CURLOPT_LOW_SPEED_TIME, (long) (o->low_speed_secs ?: 60));
  if (o->max_bytes_per_sec)
    curl_easy_setopt (curl, CURLOPT_MAX_RECV_SPEED_LARGE, (curl_off_t) o->max_bytes_per_sec);
  if (o->proxy)
    curl_easy_setopt (curl, CURLOPT_PROXY, o->proxy);
  if (o->ca_file)
    curl_easy_setopt (curl, CURLOPT_CAINFO, o->ca_file);
  if (t->offset > 0)
    curl_easy_setopt (curl, CURLOPT_RESUME_FROM_LARGE, (curl_off_t) t->offset);
  if (o->if_none_match)
    {
      g_autofree char *h = g_strdup_printf ("If-None-Match: %s", o->if_none_match);
      headers = curl_slist_append (headers, h);
    }
  for (const char *const *h = o->headers; h && *h; h++)
    headers = curl_slist_append (headers, *h);
  if (headers)
    curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);

  CURLcode rc = curl_easy_perform (curl);
  long code = response_code (curl);
  t->curl = NULL;
  t->rc = rc;
  t->status = code;

  if (g_cancellable_is_cancelled (t->cancellable))
    return g_set_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_CANCELLED, "%s: cancelled", url),
           FALSE;
  if (t->too_large)
    return g_set_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_TOO_LARGE,
                        "%s: more than the expected %" G_GUINT64_FORMAT " bytes", url,
                        t->max_size), FALSE;
  if (t->write_failed)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (t->write_errno),
                        "%s: writing the download: %s", url, g_strerror (t->write_errno)),
           FALSE;
  if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE
      || rc == CURLE_SSL_CERTPROBLEM)
    return g_set_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_TLS, "%s: %s", url,
                        *errbuf ? errbuf : curl_easy_strerror (rc)), FALSE;
  if (rc == CURLE_FILE_COULDNT_READ_FILE)
    return g_set_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_FOUND, "%s: not found", url),
           FALSE;
  if (rc != CURLE_OK)
    return g_set_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NETWORK, "%s: %s", url,
                        *errbuf ? errbuf : curl_easy_strerror (rc)), FALSE;
  if (code == 304)
    return g_set_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_MODIFIED,
                        "%s: not modified", url), FALSE;
  if (code == 404 || code == 410)
    return g_set_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_FOUND,
                        "%s: HTTP %ld (not found)", url, code), FALSE;
  if (code >= 300)
    return g_set_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_SERVER, "%s: HTTP %ld", url,
                        code), FALSE;
  return TRUE;
}

gboolean
pl_http_error_is_transient (const GError *error, long status)
{
  if (error == NULL || error->domain != PL_HTTP_ERROR)
    return FALSE;
  if (error->code == PL_HTTP_ERROR_NETWORK)
    return TRUE;
  /* 408, 429 and 5xx are worth another try */
  return error->code == PL_HTTP_ERROR_SERVER
         && (status == 408 || status == 429 || status >= 500);
}

/* Sleeps before retry N (0-based): base * 2^n, plus up to 50% jitter, capped at 60 s,
 * waking early on cancellation. */
static gboolean
backoff (const PlHttpOptions *o, guint n, GCancellable *cancellable, GError **error)
{
  guint64 base = o->retry_base_ms ?: 500;
  guint64 delay = MIN (base << MIN (n, 16), (guint64) 60000);
  delay += g_random_int_range (0, (gint32) (delay / 2 + 1));
  for (guint64 slept = 0; slept < delay; slept += 50)
    {
      if (g_cancellable_set_error_if_cancelled (cancellable, error))
        return FALSE;
      g_usleep (50 * 1000);
    }
  return TRUE;
}

static void
append_attempts (GError **error, guint attempts)
{
  char *msg = g_strdup_printf ("%s (after %u attempts)", (*error)->message, attempts);
  g_free ((*error)->message);
  (*error)->message = msg;
}

static void
fill_result (PlHttpResult *out, Transfer *t, guint attempts, gboolean resumed)
{
  if (!out)
    {
      /* nobody takes the ETag: free it, or each such call leaks it */
      g_clear_pointer (&t->etag, g_free);
      return;
    }
  out->status = t->status;
  out->etag = g_steal_pointer (&t->etag);
  out->bytes_transferred = t->received;
  out->attempts = attempts;
  out->resumed = resumed;
}

void
pl_http_result_clear (PlHttpResult *result)
{
  g_clear_pointer (&result->etag, g_free);
}

GBytes *
pl_http_get_bytes (const char *url, const PlHttpOptions *opts, PlHttpResult *out_result,
                   GCancellable *cancellable, GError **error)
{
  static const PlHttpOptions defaults = { 0 };
  const PlHttpOptions *o = opts ? opts : &defaults;
  global_init_once ();
  for (guint n = 0;; n++)
    {
      g_autoptr(GByteArray) buf = g_byte_array_new ();
      Transfer t = { .buf = buf, .fd = -1, .max_size = o->max_size, .opts = o,
                     .cancellable = cancellable };
      g_autoptr(GError) local_error = NULL;
      gboolean ok = attempt (url, &t, &local_error);
      if (ok)
        {
          fill_result (out_result, &t, n + 1, FALSE);
          return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
        }
      if (n >= o->retries || !pl_http_error_is_transient (local_error, t.status))
        {
          fill_result (out_result, &t, n + 1, FALSE);
          if (n > 0)
            append_attempts (&local_error, n + 1);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      g_free (t.etag);
      if (!backoff (o, n, cancellable, error))
        return NULL;
    }
}

gboolean
pl_http_download (const char *url, int dfd, const char *path, gboolean resume,
                  const PlHttpOptions *opts, PlHttpResult *out_result,
                  GCancellable *cancellable, GError **error)
{
  static const PlHttpOptions defaults = { 0 };
  const PlHttpOptions *o = opts ? opts : &defaults;
  g_autofree char *part = g_strconcat (path, ".part", NULL);
  global_init_once ();

  PL_AUTOFD int fd = openat (dfd, part, O_WRONLY | O_CREAT | O_CLOEXEC | (resume ? 0 : O_TRUNC),
                             0644);
  if (fd < 0)
    return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "Creating %s: %s",
                        part, g_strerror (errno)), FALSE;
  gboolean resumed = FALSE;
  guint64 total_received = 0;
  for (guint n = 0;; n++)
    {
      struct stat st;
      if (fstat (fd, &st) < 0)
        return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", part,
                            g_strerror (errno)), FALSE;
      guint64 offset = st.st_size;
      if (lseek (fd, 0, SEEK_END) < 0)
        return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s", part,
                            g_strerror (errno)), FALSE;
      Transfer t = { .fd = fd, .offset = offset, .max_size = o->max_size, .opts = o,
                     .cancellable = cancellable };
      g_autoptr(GError) local_error = NULL;
      gboolean ok = attempt (url, &t, &local_error);
      total_received += t.received;
      if (offset > 0 && t.received > 0)
        resumed = TRUE;
      if (ok)
        {
          t.received = total_received;
          fill_result (out_result, &t, n + 1, resumed);
          if (renameat (dfd, part, dfd, path) < 0)
            return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno),
                                "Renaming %s: %s", part, g_strerror (errno)), FALSE;
          return TRUE;
        }
      /* A server that cannot continue our partial file (416, or no range support):
       * start that file over rather than fail. */
      gboolean range_refused = offset > 0 && (t.status == 416 || t.rc == CURLE_RANGE_ERROR);
      if (range_refused && n < o->retries + 1)
        {
          g_free (t.etag);
          if (ftruncate (fd, 0) < 0)
            return g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "%s: %s",
                                part, g_strerror (errno)), FALSE;
          continue;
        }
      if (n >= o->retries || !pl_http_error_is_transient (local_error, t.status))
        {
          t.received = total_received;
          fill_result (out_result, &t, n + 1, resumed);
          if (n > 0)
            append_attempts (&local_error, n + 1);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_free (t.etag);
      if (!backoff (o, n, cancellable, error))
        return FALSE;
    }
}
