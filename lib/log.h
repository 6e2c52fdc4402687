/* Logging for Plinth programs (libraries never print: they return GErrors). Messages
 * go to stderr; events a user would search for also go to the journal with a stable
 * MESSAGE_ID when journald is there. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  PL_LOG_ERROR = 3,
  PL_LOG_WARNING = 4,
  PL_LOG_NOTICE = 5,
  PL_LOG_INFO = 6,
  PL_LOG_DEBUG = 7,
} PlLogLevel;

void pl_log_set_verbose (gboolean verbose);
void pl_log_set_quiet (gboolean quiet);
void pl_log (PlLogLevel level, const char *fmt, ...) G_GNUC_PRINTF (2, 3);
/* MESSAGE_ID is a 128-bit id in hex (journalctl MESSAGE_ID=...). */
void pl_log_event (PlLogLevel level, const char *message_id, const char *fmt, ...)
    G_GNUC_PRINTF (3, 4);

#define pl_info(...) pl_log (PL_LOG_INFO, __VA_ARGS__)
#define pl_warn(...) pl_log (PL_LOG_WARNING, __VA_ARGS__)
#define pl_err(...) pl_log (PL_LOG_ERROR, __VA_ARGS__)
#define pl_debug(...) pl_log (PL_LOG_DEBUG, __VA_ARGS__)

G_END_DECLS
