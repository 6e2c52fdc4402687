/* The os-release rule: /usr/lib/os-release from the image's identity and
 * /usr/etc/os-release as the relative symlink every distribution ships. */
#pragma once

#include "sysroot/postprocess.h"

G_BEGIN_DECLS

#define PL_OS_RELEASE_PATH "usr/lib/os-release"

/* The os-release(5) text for OPTS; fails with PL_POSTPROCESS_ERROR_INVALID_OPTION
 * naming the field when a value is missing or not allowed. */
char *pl_os_release_render (const PlPostprocessOptions *opts, GError **error);

/* VALUE as an os-release(5) assignment value: bare when it is only [A-Za-z0-9._-],
 * else double-quoted with $ " \ ` escaped. */
char *pl_os_release_quote (const char *value);

/* Writes /usr/lib/os-release atomically and points /usr/etc/os-release at it
 * (or /etc/os-release while /etc has not been moved yet). */
gboolean pl_os_release_write (int rootfd, const PlPostprocessOptions *opts, GError **error);

G_END_DECLS
