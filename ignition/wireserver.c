/* WireServer client. Requests are made with libcurl directly (the health report is a
 * POST, which lib/http.c does not do), one retry loop for both. */
#include "ignition/wireserver.h"

#include <curl/curl.h>
#include <string.h>

G_DEFINE_QUARK (pl-wireserver-error-quark, pl_wireserver_error)

typedef struct curl_slist PlWsSlist;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlWsSlist, curl_slist_free_all)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (CURL, curl_easy_cleanup)

#define MAX_RESPONSE (1024 * 1024)

void
pl_goal_state_free (PlGoalState *gs)
{
  if (!gs)
    return;
  g_free (gs->incarnation);
  g_free (gs->container_id);
  g_free (gs->instance_id);
  g_free (gs);
}

typedef struct {
  GPtrArray *stack;  /* element names */
  GString *text;
  PlGoalState *gs;
} GsState;

static void
gs_start (GMarkupParseContext *ctx, const char *name, const char **an, const char **av,
          gpointer data, GError **error)
{
  GsState *st = data;
  if (st->stack->len > 64)
    {
      g_set_error (error, PL_WIRESERVER_ERROR, PL_WIRESERVER_ERROR_PARSE, "nested too deep");
      return;
    }
  g_ptr_array_add (st->stack, g_strdup (name));
  g_string_truncate (st->text, 0);
}

static gboolean
parent_is (GsState *st, const char *name)
{
  return st->stack->len >= 2 && g_str_equal (st->stack->pdata[st->stack->len - 2], name);
}

static void
gs_end (GMarkupParseContext *ctx, const char *name, gpointer data, GError **error)
{
  GsState *st = data;
  g_autofree char *v = g_strstrip (g_strdup (st->text->str));
  if (g_str_equal (name, "Incarnation") && parent_is (st, "GoalState") && !st->gs->incarnation)
    st->gs->incarnation = g_steal_pointer (&v);
  else if (g_str_equal (name, "ContainerId") && parent_is (st, "Container")
           && !st->gs->container_id)
    st->gs->container_id = g_steal_pointer (&v);
  else if (g_str_equal (name, "InstanceId") && parent_is (st, "RoleInstance")
           && !st->gs->instance_id)
    st->gs->instance_id = g_steal_pointer (&v);
  g_ptr_array_set_size (st->stack, st->stack->len - 1);
  g_string_truncate (st->text, 0);
}

static void
gs_text (GMarkupParseContext *ctx, const char *text, gsize len, gpointer data, GError **error)
{
  GsState *st = data;
  if (st->text->len < 4096)
    g_string_append_len (st->text, text, MIN (len, 4096));
}

PlGoalState *
pl_goal_state_parse (const char *xml, gsize len, GError **error)
{
  static const GMarkupParser parser = { gs_start, gs_end, gs_text, NULL, NULL };
  g_autoptr(PlGoalState) gs = g_new0 (PlGoalState, 1);
  g_autoptr(GPtrArray) stack = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) text = g_string_new (NULL);
  GsState st = { stack, text, gs };
  g_autoptr(GMarkupParseContext) ctx = g_markup_parse_context_new (&parser, 0, &st, NULL);
  g_autoptr(GError) local_error = NULL;
  if (!g_markup_parse_context_parse (ctx, xml, len, &local_error)
      || !g_markup_parse_context_end_parse (ctx, &local_error))
    return g_set_error (error, PL_WIRESERVER_ERROR, PL_WIRESERVER_ERROR_PARSE,
                        "goal state: %s", local_error->message), NULL;
  const char *missing = !gs->incarnation ? "GoalState/Incarnation"
                        : !gs->container_id ? "Container/ContainerId"
                        : !gs->instance_id ? "RoleInstance/InstanceId" : NULL;
  if (missing)
    return g_set_error (error, PL_WIRESERVER_ERROR, PL_WIRESERVER_ERROR_PARSE,
                        "goal state: no %s", missing), NULL;
  return g_steal_pointer (&gs);
}

/* At most MAX characters of S, cut on a character boundary. */
static char *
utf8_prefix (const char *s, glong max)
{
  g_autofree char *valid = g_utf8_make_valid (s, -1);
  if (g_utf8_strlen (valid, -1) <= max)
    return g_steal_pointer (&valid);
  return g_utf8_substring (valid, 0, max);
}

char *
pl_wireserver_health_xml (const PlGoalState *gs, gboolean ready, const char *description)
{
  g_autofree char *inc = g_markup_escape_text (gs->incarnation, -1);
  g_autofree char *cid = g_markup_escape_text (gs->container_id, -1);
  g_autofree char *iid = g_markup_escape_text (gs->instance_id, -1);
  g_autofree char *details = NULL;
  if (!ready)
    {
      g_autofree char *cut = utf8_prefix (description ? description : "",
                                          PL_WIRESERVER_DESCRIPTION_MAX);
      g_autofree char *desc = g_markup_escape_text (cut, -1);
      details = g_strdup_printf ("<Details><SubStatus>ProvisioningFailed</SubStatus>"
                                 "<Description>%s</Description></Details>", desc);
    }
  return g_strdup_printf (
      "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
      "<Health xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
      "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">"
      "<GoalStateIncarnation>%s</GoalStateIncarnation>"
      "<Container><ContainerId>%s</ContainerId>"
      "<RoleInstanceList><Role><InstanceId>%s</InstanceId>"
      "<Health><State>%s</State>%s</Health>"
      "</Role></RoleInstanceList></Container></Health>\n",
      inc, cid, iid, ready ? "Ready" : "NotReady", details ? details : "");
}

static size_t
on_write (char *ptr, size_t size, size_t nmemb, void *data)
{
  GByteArray *buf = data;
  if (buf->len + size * nmemb > MAX_RESPONSE)
    return 0;
  g_byte_array_append (buf, (guint8 *) ptr, size * nmemb);
  return size * nmemb;
}

/* One request; BODY non-NULL makes it a POST. Returns the HTTP status (0: no answer). */
static long
request (const char *url, const char *body, GByteArray *out, char **out_err)
{
  g_autoptr(CURL) curl = curl_easy_init ();
  g_autoptr(PlWsSlist) headers = NULL;
  char errbuf[CURL_ERROR_SIZE] = "";
  headers = curl_slist_append (headers, "x-ms-version: 2012-11-30");
  headers = curl_slist_append (headers, "x-ms-agent-name: plinth-provision");
  if (body)
    headers = curl_slist_append (headers, "Content-Type: text/xml;charset=utf-8");
  curl_easy_setopt (curl, CURLOPT_URL, url);
  curl_easy_setopt (curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (curl, CURLOPT_NOPROXY, "*");
  curl_easy_setopt (curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (curl, CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt (curl, CURLOPT_TIMEOUT, 60L);
  curl_easy_setopt (curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt (curl, CURLOPT_ERRORBUFFER, errbuf);
  curl_easy_setopt (curl, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (curl, CURLOPT_WRITEDATA, out);
  if (body)
    curl_easy_setopt (curl, CURLOPT_POSTFIELDS, body);
  CURLcode rc = curl_easy_perform (curl);
  long code = 0;
  curl_easy_getinfo (curl, CURLINFO_RESPONSE_CODE, &code);
  if (rc != CURLE_OK)
    {
      *out_err = g_strdup (*errbuf ? errbuf : curl_easy_strerror (rc));
      return 0;
    }
  *out_err = g_strdup_printf ("HTTP %ld", code);
  return code;
}

/* Retries REQUEST until a 2xx, with doubling delays. */
static GBytes *
request_with_retries (const PlWireserverOptions *opts, const char *path, const char *body,
                      GCancellable *cancellable, GError **error)
{
  static gsize inited;
  if (g_once_init_enter (&inited))
    {
      curl_global_init (CURL_GLOBAL_DEFAULT);
      g_once_init_leave (&inited, 1);
    }
  const char *base = opts && opts->base_url ? opts->base_url : PL_WIRESERVER_DEFAULT_URL;
  guint attempts = opts && opts->attempts ? opts->attempts : 10;
  guint64 delay = opts && opts->retry_base_ms ? opts->retry_base_ms : 1000;
  g_autofree char *url = g_strconcat (base, path, NULL);
  g_autofree char *last = NULL;
  for (guint n = 0; n < attempts; n++)
    {
      if (n > 0)
        {
          for (guint64 slept = 0; slept < delay; slept += 10)
            {
              if (g_cancellable_set_error_if_cancelled (cancellable, error))
                return NULL;
              g_usleep (10 * 1000);
            }
          delay = MIN (delay * 2, 30000);
        }
      g_autoptr(GByteArray) buf = g_byte_array_new ();
      g_free (last);
      long code = request (url, body, buf, &last);
      if (code >= 200 && code < 300)
        return g_byte_array_free_to_bytes (g_steal_pointer (&buf));
    }
  return g_set_error (error, PL_WIRESERVER_ERROR, PL_WIRESERVER_ERROR_HTTP,
                      "%s: %s after %u attempts", url, last ? last : "no answer", attempts),
         NULL;
}

PlGoalState *
pl_wireserver_get_goal_state (const PlWireserverOptions *opts, GCancellable *cancellable,
                              GError **error)
{
  g_autoptr(GBytes) b = request_with_retries (opts, "/machine/?comp=goalstate", NULL,
                                              cancellable, error);
  if (!b)
    return NULL;
  return pl_goal_state_parse (g_bytes_get_data (b, NULL), g_bytes_get_size (b), error);
}

gboolean
pl_wireserver_report_health (const PlWireserverOptions *opts, gboolean ready,
                             const char *description, GCancellable *cancellable,
                             GError **error)
{
  g_autoptr(PlGoalState) gs = pl_wireserver_get_goal_state (opts, cancellable, error);
  if (!gs)
    return g_prefix_error (error, "Fetching the goal state: "), FALSE;
  g_autofree char *xml = pl_wireserver_health_xml (gs, ready, description);
  g_autoptr(GBytes) b = request_with_retries (opts, "/machine/?comp=health", xml, cancellable,
                                              error);
  if (!b)
    return g_prefix_error (error, "Reporting %s: ", ready ? "Ready" : "NotReady"), FALSE;
  return TRUE;
}
