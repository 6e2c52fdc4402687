/* The /var rule: OSTree deploys an empty /var, so what the packages put there is
 * recorded as tmpfiles.d lines (/usr/lib/tmpfiles.d/plinth-var.conf) that recreate it
 * on the node, with file contents kept under /usr/share/factory/var. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_TMPFILES_VAR_CONF "usr/lib/tmpfiles.d/plinth-var.conf"
#define PL_TMPFILES_FACTORY "usr/share/factory"

/* Writes the tmpfiles.d lines for the tree's /var (merged with those of an earlier run
 * and with the directories the OSTree symlinks point to), moves regular files into the
 * factory, then empties /var. */
gboolean pl_tmpfiles_from_var (int rootfd, GCancellable *cancellable, GError **error);

/* Fails with PL_POSTPROCESS_ERROR_BAD_TREE, changing nothing, when something in /var
 * could not be written as a tmpfiles.d line. */
gboolean pl_tmpfiles_check_var (int rootfd, GError **error);

/* PATH as a tmpfiles.d path field: '%' doubled (specifier syntax), and in double
 * quotes with '"' and '\' backslash-escaped when it holds anything but
 * [A-Za-z0-9/._+@:,=~^-]. NULL when a line cannot carry it (control characters). */
char *pl_tmpfiles_quote_path (const char *path);
/* S as the argument field (the rest of the line, read with C escapes and
 * specifiers): '%' and '\' doubled. NULL for control characters or surrounding
 * whitespace. */
char *pl_tmpfiles_escape_argument (const char *s);

G_END_DECLS
