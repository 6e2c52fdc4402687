/* Logging: stderr for people, the journal (with MESSAGE_ID) for events. */
#include "lib/log.h"

#include <stdio.h>
#include <systemd/sd-journal.h>
#include <unistd.h>

static gboolean verbose;
static gboolean quiet;

void
pl_log_set_verbose (gboolean v)
{
  verbose = v;
}

void
pl_log_set_quiet (gboolean q)
{
  quiet = q;
}

static const char *
prefix_for (PlLogLevel level)
{
  switch (level)
    {
    case PL_LOG_ERROR:
      return "error: ";
    case PL_LOG_WARNING:
      return "warning: ";
    default:
      return "";
    }
}

static void
emit (PlLogLevel level, const char *message_id, const char *msg)
{
  if (level == PL_LOG_DEBUG && !verbose)
    return;
  if (!(quiet && level >= PL_LOG_INFO))
    fprintf (stderr, "%s%s\n", prefix_for (level), msg);
  /* Only events carry a MESSAGE_ID; plain messages reach the journal through stderr
   * when run by systemd. */
  if (message_id && access ("/run/systemd/journal/socket", F_OK) == 0)
    sd_journal_send ("MESSAGE=%s", msg, "MESSAGE_ID=%s", message_id, "PRIORITY=%d", level,
                     "SYSLOG_IDENTIFIER=%s", g_get_prgname () ?: "plinth", NULL);
}

void
pl_log (PlLogLevel level, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  emit (level, NULL, msg);
}

void
pl_log_event (PlLogLevel level, const char *message_id, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  emit (level, message_id, msg);
}
