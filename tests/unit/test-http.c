/* Tests for lib/http.c against a scripted HTTP/1.1 server inside the test: a thread
 * on 127.0.0.1 (port 0) that records each request and lets each test decide the
 * answer (errors, ETags, cut connections, ranges, slow or throttled bodies). */
#include "lib/http.h"
#include "lib/fsutil.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct {
  char *method;
  char *path;
  GHashTable *headers;   /* lower-case name -> value */
} Request;

typedef struct _Server Server;
typedef void (*Handler) (Server *s, Request *req, int fd, guint n);

struct _Server {
  int listen_fd;
  guint16 port;
  GThread *thread;
  Handler handler;
  gpointer data;
  GMutex lock;
  GPtrArray *requests;
  gint stop;
  GBytes *body;          /* what the handlers serve */
};

static void
request_free (Request *r)
{
  g_free (r->method);
  g_free (r->path);
  g_hash_table_unref (r->headers);
  g_free (r);
}

static const char *
header (Request *r, const char *name)
{
  return g_hash_table_lookup (r->headers, name);
}

static gboolean
send_all (int fd, const void *data, gsize len)
{
  const char *p = data;
  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return FALSE;
      p += n;
      len -= n;
    }
  return TRUE;
}

static void
respond (int fd, int status, const char *extra_headers, const void *body, gsize len)
{
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 %d X\r\nContent-Length: %zu\r\n"
                                           "Connection: close\r\n%s\r\n",
                                           status, len, extra_headers ? extra_headers : "");
  if (send_all (fd, head, strlen (head)) && len > 0)
    send_all (fd, body, len);
}

static Request *
read_request (int fd)
{
  GString *buf = g_string_new (NULL);
  char chunk[1024];
  while (strstr (buf->str, "\r\n\r\n") == NULL && buf->len < 65536)
    {
      ssize_t n = recv (fd, chunk, sizeof chunk, 0);
      if (n <= 0)
        {
          g_string_free (buf, TRUE);
          return NULL;
        }
      g_string_append_len (buf, chunk, n);
    }
  g_auto(GStrv) lines = g_strsplit (buf->str, "\r\n", -1);
  g_string_free (buf, TRUE);
  g_auto(GStrv) first = g_strsplit (lines[0], " ", 3);
  if (g_strv_length (first) < 3)
    return NULL;
  Request *r = g_new0 (Request, 1);
  r->method = g_strdup (first[0]);
  r->path = g_strdup (first[1]);
  r->headers = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (char **l = lines + 1; *l && **l; l++)
    {
      char *colon = strchr (*l, ':');
      if (!colon)
        continue;
      g_hash_table_insert (r->headers, g_ascii_strdown (*l, colon - *l),
                           g_strstrip (g_strdup (colon + 1)));
    }
  return r;
}

static gpointer
server_thread (gpointer user_data)
{
  Server *s = user_data;
  for (guint n = 0;; n++)
    {
      int fd = accept (s->listen_fd, NULL, NULL);
      if (g_atomic_int_get (&s->stop))
        {
          if (fd >= 0)
            close (fd);
          break;
        }
      if (fd < 0)
        {
          if (errno == EINTR)
            continue;
          break;
        }
      struct timeval tv = { .tv_sec = 10 };
      setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      Request *r = read_request (fd);
      if (r)
        {
          g_mutex_lock (&s->lock);
          g_ptr_array_add (s->requests, r);
          g_mutex_unlock (&s->lock);
          s->handler (s, r, fd, n);
        }
      close (fd);
    }
  return NULL;
}

static Server *
server_start (Handler handler, GBytes *body)
{
  Server *s = g_new0 (Server, 1);
  s->handler = handler;
  s->body = body ? g_bytes_ref (body) : NULL;
  g_mutex_init (&s->lock);
  s->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) request_free);
  s->listen_fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  g_assert_cmpint (s->listen_fd, >=, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = 0,
                           .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  g_assert_cmpint (bind (s->listen_fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (listen (s->listen_fd, 16), ==, 0);
  socklen_t alen = sizeof a;
  g_assert_cmpint (getsockname (s->listen_fd, (struct sockaddr *) &a, &alen), ==, 0);
  s->port = ntohs (a.sin_port);
  s->thread = g_thread_new ("http-server", server_thread, s);
  return s;
}

static void
server_stop (Server *s)
{
  g_atomic_int_set (&s->stop, 1);
  shutdown (s->listen_fd, SHUT_RDWR);
  g_thread_join (s->thread);
  close (s->listen_fd);
  g_ptr_array_unref (s->requests);
  g_mutex_clear (&s->lock);
  g_clear_pointer (&s->body, g_bytes_unref);
  g_free (s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_stop)

static char *
url (Server *s, const char *path)
{
  return g_strdup_printf ("http://127.0.0.1:%u%s", s->port, path);
}

static guint
n_requests (Server *s)
{
  g_mutex_lock (&s->lock);
  guint n = s->requests->len;
  g_mutex_unlock (&s->lock);
  return n;
}

static Request *
nth_request (Server *s, guint i)
{
  g_mutex_lock (&s->lock);
  Request *r = i < s->requests->len ? s->requests->pdata[i] : NULL;
  g_mutex_unlock (&s->lock);
  return r;
}

/* Never a proxy, whatever the environment says: tests talk to 127.0.0.1 only. */
static PlHttpOptions
base_opts (void)
{
  PlHttpOptions o = { .proxy = "", .retry_base_ms = 10, .connect_timeout_secs = 5 };
  return o;
}

static GBytes *
pattern_body (gsize len)
{
  guint8 *b = g_malloc (len);
  for (gsize i = 0; i < len; i++)
    b[i] = (guint8) (i * 7 + i / 251);
  return g_bytes_new_take (b, len);
}

static void
serve_body (Server *s, int fd)
{
  gsize len = 0;
  const void *b = g_bytes_get_data (s->body, &len);
  respond (fd, 200, "ETag: \"v1\"\r\n", b, len);
}

static char *
tmpdir_new (void)
{
  char *d = g_dir_make_tmp ("plinth-test-http-XXXXXX", NULL);
  g_assert_nonnull (d);
  return d;
}

static gboolean
file_equals (const char *dir, const char *name, GBytes *want)
{
  g_autofree char *p = g_build_filename (dir, name, NULL);
  g_autofree char *got = NULL;
  gsize len = 0;
  if (!g_file_get_contents (p, &got, &len, NULL))
    return FALSE;
  g_autoptr(GBytes) gb = g_bytes_new_take (g_steal_pointer (&got), len);
  return g_bytes_equal (gb, want);
}

/* ---- retries --------------------------------------------------------------------- */

static void
handler_500_twice (Server *s, Request *req, int fd, guint n)
{
  if (n < 2)
    respond (fd, 500, NULL, "oops", 4);
  else
    serve_body (s, fd);
}

static void
test_retries_then_success (void)
{
  g_autoptr(GBytes) body = pattern_body (1000);
  g_autoptr(Server) s = server_start (handler_500_twice, body);
  g_autofree char *u = url (s, "/index.json");
  PlHttpOptions o = base_opts ();
  o.retries = 3;
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, &res, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (got, body));
  g_assert_cmpuint (res.attempts, ==, 3);
  g_assert_cmpuint (n_requests (s), ==, 3);
  g_assert_cmpint (res.status, ==, 200);
  g_assert_cmpuint (res.bytes_transferred, ==, 1000);
  g_assert_cmpstr (nth_request (s, 0)->path, ==, "/index.json");
}

static void
handler_always_503 (Server *s, Request *req, int fd, guint n)
{
  respond (fd, 503, NULL, "busy", 4);
}

static void
test_retries_exhausted (void)
{
  g_autoptr(Server) s = server_start (handler_always_503, NULL);
  g_autofree char *u = url (s, "/x");
  PlHttpOptions o = base_opts ();
  o.retries = 2;
  g_autoptr(GError) error = NULL;
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, &res, NULL, &error);
  g_assert_null (got);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_SERVER);
  g_assert_cmpint (res.status, ==, 503);
  g_assert_cmpuint (res.attempts, ==, 3);
  g_assert_nonnull (strstr (error->message, "after 3 attempts"));
  g_assert_nonnull (strstr (error->message, "HTTP 503"));
  g_assert_true (pl_http_error_is_transient (error, res.status));
  g_assert_cmpuint (n_requests (s), ==, 3);
}

static void
handler_404 (Server *s, Request *req, int fd, guint n)
{
  respond (fd, 404, NULL, "<html>gone</html>", 17);
}

static void
test_not_found_not_retried (void)
{
  g_autoptr(Server) s = server_start (handler_404, NULL);
  g_autofree char *u = url (s, "/missing");
  PlHttpOptions o = base_opts ();
  o.retries = 3;
  g_autoptr(GError) error = NULL;
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, &res, NULL, &error);
  g_assert_null (got);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_FOUND);
  g_assert_cmpint (res.status, ==, 404);
  g_assert_false (pl_http_error_is_transient (error, res.status));
  g_assert_cmpuint (n_requests (s), ==, 1);

  /* a download of a missing file leaves no file behind under the final name */
  g_autofree char *d = tmpdir_new ();
  PL_AUTOFD int dfd = open (d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_clear_error (&error);
  g_assert_false (pl_http_download (u, dfd, "f", FALSE, &o, NULL, NULL, &error));
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_FOUND);
  g_assert_cmpint (faccessat (dfd, "f", F_OK, 0), !=, 0);
  pl_rm_rf_at (AT_FDCWD, d, NULL, NULL);
}

static void
test_connection_refused (void)
{
  /* a port nobody listens on: bind, note it, close */
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t alen = sizeof a;
  g_assert_cmpint (bind (fd, (struct sockaddr *) &a, sizeof a), ==, 0);
  g_assert_cmpint (getsockname (fd, (struct sockaddr *) &a, &alen), ==, 0);
  close (fd);
  g_autofree char *u = g_strdup_printf ("http://127.0.0.1:%u/x", ntohs (a.sin_port));
  PlHttpOptions o = base_opts ();
  o.retries = 1;
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, &res, NULL, &error);
  g_assert_null (got);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NETWORK);
  g_assert_nonnull (strstr (error->message, "after 2 attempts"));
}

/* ---- conditional GET ------------------------------------------------------------- */

static void
handler_etag (Server *s, Request *req, int fd, guint n)
{
  const char *inm = header (req, "if-none-match");
  if (inm && strcmp (inm, "\"v1\"") == 0)
    respond (fd, 304, "ETag: \"v1\"\r\n", NULL, 0);
  else
    serve_body (s, fd);
}

static void
test_etag_not_modified (void)
{
  g_autoptr(GBytes) body = pattern_body (300);
  g_autoptr(Server) s = server_start (handler_etag, body);
  g_autofree char *u = url (s, "/index.json");
  PlHttpOptions o = base_opts ();
  g_auto(PlHttpResult) first = { 0 };
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, &first, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (got, body));
  g_assert_cmpstr (first.etag, ==, "\"v1\"");
  g_assert_null (header (nth_request (s, 0), "if-none-match"));

  o.if_none_match = first.etag;
  o.retries = 3;
  g_autoptr(GBytes) again = pl_http_get_bytes (u, &o, NULL, NULL, &error);
  g_assert_null (again);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_MODIFIED);
  g_assert_cmpuint (n_requests (s), ==, 2); /* not retried */
  g_assert_cmpstr (header (nth_request (s, 1), "if-none-match"), ==, "\"v1\"");
}

static void
handler_echo_headers (Server *s, Request *req, int fd, guint n)
{
  serve_body (s, fd);
}

static void
test_extra_headers (void)
{
  g_autoptr(GBytes) body = pattern_body (10);
  g_autoptr(Server) s = server_start (handler_echo_headers, body);
  g_autofree char *u = url (s, "/");
  PlHttpOptions o = base_opts ();
  const char *h[] = { "X-Plinth-Node: n1", NULL };
  o.headers = h;
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, NULL, NULL, NULL);
  g_assert_nonnull (got);
  Request *r = nth_request (s, 0);
  g_assert_cmpstr (header (r, "x-plinth-node"), ==, "n1");
  g_assert_true (g_str_has_prefix (header (r, "user-agent"), "plinth/"));
}

/* ---- resume ---------------------------------------------------------------------- */

/* Cuts the first response after half the body; answers Range requests with 206. */
static void
handler_cut_then_range (Server *s, Request *req, int fd, guint n)
{
  gsize len = 0;
  const guint8 *b = g_bytes_get_data (s->body, &len);
  const char *range = header (req, "range");
  if (range == NULL)
    {
      g_autofree char *head = g_strdup_printf ("HTTP/1.1 200 OK\r\nContent-Length: %zu\r\n"
                                               "Connection: close\r\n\r\n", len);
      send_all (fd, head, strlen (head));
      if (n == 0)
        send_all (fd, b, len / 2);   /* ... and the connection drops */
      else
        send_all (fd, b, len);
      return;
    }
  guint64 from = 0;
  g_assert_true (sscanf (range, "bytes=%" G_GUINT64_FORMAT "-", &from) == 1);
  g_autofree char *extra = g_strdup_printf ("Content-Range: bytes %" G_GUINT64_FORMAT
                                            "-%zu/%zu\r\n", from, len - 1, len);
  g_autofree char *head = g_strdup_printf ("HTTP/1.1 206 Partial\r\nContent-Length: %zu\r\n"
                                           "Connection: close\r\n%s\r\n",
                                           (gsize) (len - from), extra);
  send_all (fd, head, strlen (head));
  send_all (fd, b + from, len - from);
}

static void
test_resume_after_cut (void)
{
  g_autoptr(GBytes) body = pattern_body (64 * 1024);
  g_autoptr(Server) s = server_start (handler_cut_then_range, body);
  g_autofree char *u = url (s, "/deltas/1-2.delta");
  g_autofree char *d = tmpdir_new ();
  PL_AUTOFD int dfd = open (d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  PlHttpOptions o = base_opts ();
  g_autoptr(GError) error = NULL;

  /* first run: the connection is cut half way, the part file stays */
  g_assert_false (pl_http_download (u, dfd, "delta", FALSE, &o, NULL, NULL, &error));
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NETWORK);
  g_clear_error (&error);
  struct stat st;
  g_assert_cmpint (fstatat (dfd, "delta.part", &st, 0), ==, 0);
  g_assert_cmpint (st.st_size, ==, 32 * 1024);
  g_assert_cmpint (faccessat (dfd, "delta", F_OK, 0), !=, 0);

  /* next run resumes with a Range request */
  g_auto(PlHttpResult) res = { 0 };
  g_assert_true (pl_http_download (u, dfd, "delta", TRUE, &o, &res, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (res.resumed);
  g_assert_cmpuint (res.bytes_transferred, ==, 32 * 1024);
  g_assert_cmpuint (n_requests (s), ==, 2);
  g_assert_cmpstr (header (nth_request (s, 1), "range"), ==, "bytes=32768-");
  g_assert_true (file_equals (d, "delta", body));
  g_assert_cmpint (faccessat (dfd, "delta.part", F_OK, 0), !=, 0);
  pl_rm_rf_at (AT_FDCWD, d, NULL, NULL);
}

static void
test_resume_within_one_call (void)
{
  /* the retry loop itself continues from what is on disk */
  g_autoptr(GBytes) body = pattern_body (10000);
  g_autoptr(Server) s = server_start (handler_cut_then_range, body);
  g_autofree char *u = url (s, "/f");
  g_autofree char *d = tmpdir_new ();
  PL_AUTOFD int dfd = open (d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  PlHttpOptions o = base_opts ();
  o.retries = 2;
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_http_download (u, dfd, "f", FALSE, &o, &res, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (res.attempts, ==, 2);
  g_assert_true (res.resumed);
  g_assert_cmpstr (header (nth_request (s, 1), "range"), ==, "bytes=5000-");
  g_assert_true (file_equals (d, "f", body));
  pl_rm_rf_at (AT_FDCWD, d, NULL, NULL);
}

static void
test_server_ignores_range (void)
{
  /* a server without range support answers 200 with the whole body */
  g_autoptr(GBytes) body = pattern_body (20000);
  g_autoptr(Server) s = server_start (handler_echo_headers, body);
  g_autofree char *u = url (s, "/f");
  g_autofree char *d = tmpdir_new ();
  PL_AUTOFD int dfd = open (d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  /* a stale part file whose bytes are not even the body's */
  g_assert_true (pl_file_replace_at (dfd, "f.part", "XXXXXXXXXXXXXXXX", 16, 0644, NULL));
  PlHttpOptions o = base_opts ();
  g_auto(PlHttpResult) res = { 0 };
  g_autoptr(GError) error = NULL;
  g_assert_true (pl_http_download (u, dfd, "f", TRUE, &o, &res, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (file_equals (d, "f", body));
  g_assert_false (res.resumed);
  g_assert_cmpstr (header (nth_request (s, 0), "range"), ==, "bytes=16-");
  pl_rm_rf_at (AT_FDCWD, d, NULL, NULL);
}

/* ---- limits ---------------------------------------------------------------------- */

static void
handler_slow (Server *s, Request *req, int fd, guint n)
{
  const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nConnection: close\r\n\r\n";
  if (!send_all (fd, head, strlen (head)))
    return;
  for (int i = 0; i < 30 && !g_atomic_int_get (&s->stop); i++)
    {
      if (!send_all (fd, "x", 1))
        return;
      g_usleep (G_USEC_PER_SEC);
    }
}

static void
test_slow_server_aborted (void)
{
  g_autoptr(Server) s = server_start (handler_slow, NULL);
  g_autofree char *u = url (s, "/slow");
  PlHttpOptions o = base_opts ();
  o.low_speed_bytes = 10;
  o.low_speed_secs = 2;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, NULL, NULL, &error);
  double secs = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("aborted after %.2f s: %s", secs, error ? error->message : "");
  g_assert_null (got);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NETWORK);
  g_assert_cmpfloat (secs, >=, 1.5);
  g_assert_cmpfloat (secs, <, 8.0);
}

static void
test_max_size (void)
{
  g_autoptr(GBytes) body = pattern_body (10000);
  g_autoptr(Server) s = server_start (handler_echo_headers, body);
  g_autofree char *u = url (s, "/big");
  PlHttpOptions o = base_opts ();
  o.max_size = 5000;
  o.retries = 3;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, NULL, NULL, &error);
  g_assert_null (got);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_TOO_LARGE);
  g_assert_cmpuint (n_requests (s), ==, 1);
  g_clear_error (&error);

  g_autofree char *d = tmpdir_new ();
  PL_AUTOFD int dfd = open (d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_false (pl_http_download (u, dfd, "big", FALSE, &o, NULL, NULL, &error));
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_TOO_LARGE);
  g_assert_cmpint (faccessat (dfd, "big", F_OK, 0), !=, 0);
  g_clear_error (&error);

  /* exactly the limit is fine */
  o.max_size = 10000;
  g_autoptr(GBytes) ok = pl_http_get_bytes (u, &o, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (ok, body));
  pl_rm_rf_at (AT_FDCWD, d, NULL, NULL);
}

static void
count_progress (guint64 done, guint64 total, gpointer user_data)
{
  guint64 *last = user_data;
  g_assert_cmpuint (done, >=, last[0]);
  last[0] = done;
  last[1] = total;
}

static void
test_bandwidth_cap (void)
{
  g_autoptr(GBytes) body = pattern_body (200 * 1024);
  g_autoptr(Server) s = server_start (handler_echo_headers, body);
  g_autofree char *u = url (s, "/capped");
  PlHttpOptions o = base_opts ();
  o.max_bytes_per_sec = 100 * 1024;
  guint64 progress[2] = { 0, 0 };
  o.progress = count_progress;
  o.progress_data = progress;
  g_autoptr(GError) error = NULL;
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, NULL, NULL, &error);
  double secs = (g_get_monotonic_time () - t0) / 1e6;
  g_test_message ("200 KiB at 100 KiB/s took %.2f s", secs);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (got, body));
  g_assert_cmpfloat (secs, >=, 1.5);
  g_assert_cmpfloat (secs, <, 10.0);
  g_assert_cmpuint (progress[0], ==, 200 * 1024);
  g_assert_cmpuint (progress[1], ==, 200 * 1024);
}

/* ---- file:// --------------------------------------------------------------------- */

static void
test_file_urls (void)
{
  g_autofree char *d = tmpdir_new ();
  g_autoptr(GBytes) body = pattern_body (5000);
  g_autofree char *src = g_build_filename (d, "index.json", NULL);
  g_assert_true (g_file_set_contents (src, g_bytes_get_data (body, NULL), 5000, NULL));
  g_autofree char *u = g_strconcat ("file://", src, NULL);
  PlHttpOptions o = base_opts ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_true (g_bytes_equal (got, body));

  PL_AUTOFD int dfd = open (d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  g_assert_true (pl_http_download (u, dfd, "copy", FALSE, &o, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (file_equals (d, "copy", body));

  g_autofree char *missing = g_strconcat ("file://", d, "/nope.json", NULL);
  o.retries = 2;
  g_autoptr(GBytes) none = pl_http_get_bytes (missing, &o, NULL, NULL, &error);
  g_assert_null (none);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_NOT_FOUND);
  g_clear_error (&error);

  o.max_size = 100;
  g_autoptr(GBytes) big = pl_http_get_bytes (u, &o, NULL, NULL, &error);
  g_assert_null (big);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_TOO_LARGE);
  pl_rm_rf_at (AT_FDCWD, d, NULL, NULL);
}

static void
test_cancelled (void)
{
  g_autoptr(Server) s = server_start (handler_slow, NULL);
  g_autofree char *u = url (s, "/slow");
  PlHttpOptions o = base_opts ();
  g_autoptr(GCancellable) c = g_cancellable_new ();
  g_cancellable_cancel (c);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) got = pl_http_get_bytes (u, &o, NULL, c, &error);
  g_assert_null (got);
  g_assert_error (error, PL_HTTP_ERROR, PL_HTTP_ERROR_CANCELLED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/http/retries-then-success", test_retries_then_success);
  g_test_add_func ("/http/retries-exhausted", test_retries_exhausted);
  g_test_add_func ("/http/not-found-not-retried", test_not_found_not_retried);
  g_test_add_func ("/http/connection-refused", test_connection_refused);
  g_test_add_func ("/http/etag-not-modified", test_etag_not_modified);
  g_test_add_func ("/http/extra-headers", test_extra_headers);
  g_test_add_func ("/http/resume-after-cut", test_resume_after_cut);
  g_test_add_func ("/http/resume-within-one-call", test_resume_within_one_call);
  g_test_add_func ("/http/server-ignores-range", test_server_ignores_range);
  g_test_add_func ("/http/slow-server-aborted", test_slow_server_aborted);
  g_test_add_func ("/http/max-size", test_max_size);
  g_test_add_func ("/http/bandwidth-cap", test_bandwidth_cap);
  g_test_add_func ("/http/file-urls", test_file_urls);
  g_test_add_func ("/http/cancelled", test_cancelled);
  return g_test_run ();
}
