/* HTTP(S) and file:// transfers through libcurl, with what an agent on a fleet needs:
 * timeouts and a low-speed limit, retries with exponential backoff and jitter,
 * conditional GETs (If-None-Match), resumable downloads with Range requests, a
 * bandwidth cap, a proxy, a size limit and progress reporting. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_HTTP_ERROR (pl_http_error_quark ())
GQuark pl_http_error_quark (void);

typedef enum {
  PL_HTTP_ERROR_NETWORK,       /* could not connect, reset, timed out, too slow */
  PL_HTTP_ERROR_NOT_FOUND,     /* 404 / 410 / missing file:// */
  PL_HTTP_ERROR_SERVER,        /* any other non-2xx status */
  PL_HTTP_ERROR_NOT_MODIFIED,  /* 304 for a conditional request */
  PL_HTTP_ERROR_TOO_LARGE,     /* more bytes than the caller allowed */
  PL_HTTP_ERROR_CANCELLED,
  PL_HTTP_ERROR_TLS,           /* the server's certificate is not trusted (not retried) */
} PlHttpError;

typedef void (*PlHttpProgressFunc) (guint64 done, guint64 total, gpointer user_data);

typedef struct {
  const char *proxy;            /* NULL: libcurl's environment defaults; "" disables */
  guint64 max_bytes_per_sec;    /* 0: no cap */
  guint connect_timeout_secs;   /* 0: 30 s */
  guint low_speed_bytes;        /* abort below this many bytes/s ... (0: 1 byte/s) */
  guint low_speed_secs;         /* ... for this many seconds (0: 60 s) */
  guint retries;                /* extra attempts after a transient failure */
  guint retry_base_ms;          /* first backoff delay (0: 500 ms), doubled each time */
  guint64 max_size;             /* 0: no limit */
  const char *if_none_match;    /* ETag from an earlier response */
  const char *const *headers;   /* extra "Name: value" headers, NULL-terminated */
  const char *ca_file;          /* PEM CA bundle to trust instead of the system's, or NULL */
  PlHttpProgressFunc progress;
  gpointer progress_data;
} PlHttpOptions;

/* What a call did. Filled on success, and on failure for the last attempt (status,
 * attempts), so callers decide on the status itself rather than on a message. */
typedef struct {
  long status;              /* HTTP status (0 for file:// or no answer) */
  char *etag;               /* ETag of the response, if any */
  guint64 bytes_transferred;/* bytes received in this call (excluding resumed part) */
  guint attempts;           /* how many requests were made */
  gboolean resumed;         /* a Range request continued a partial file */
} PlHttpResult;

void pl_http_result_clear (PlHttpResult *result);
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PlHttpResult, pl_http_result_clear)

/* GETs URL into memory. A 304 answer to if_none_match fails with NOT_MODIFIED. */
GBytes *pl_http_get_bytes (const char *url, const PlHttpOptions *opts,
                           PlHttpResult *out_result, GCancellable *cancellable,
                           GError **error);

/* Downloads URL to DFD/PATH. The data goes to PATH.part first; when RESUME is set
 * and PATH.part exists, the transfer continues from its end with a Range request.
 * On success PATH.part is renamed to PATH (not fsynced: callers verify a hash). On
 * failure PATH.part is kept for a later resume. */
gboolean pl_http_download (const char *url, int dfd, const char *path, gboolean resume,
                           const PlHttpOptions *opts, PlHttpResult *out_result,
                           GCancellable *cancellable, GError **error);

/* Whether an error is worth retrying: network faults, and 408/429/5xx (STATUS, from
 * PlHttpResult). */
gboolean pl_http_error_is_transient (const GError *error, long status);

G_END_DECLS
