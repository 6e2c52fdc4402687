/* Layered configuration: GLib key files in drop-in directories, vendor defaults first
 * (/usr/lib/plinth/NAME.conf.d/), admin overrides after (/etc/plinth/NAME.conf.d/).
 * Within a directory the *.conf files are read in lexical order; a later file or a
 * later directory wins per key. A schema lists every known key with its type and
 * default: unknown keys become warnings (returned, never printed), bad values an error
 * naming the file, group and key. See docs/config.md. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_CONFIG_ERROR (pl_config_error_quark ())
GQuark pl_config_error_quark (void);

typedef enum {
  PL_CONFIG_ERROR_PARSE,      /* a file is not a valid key file */
  PL_CONFIG_ERROR_BAD_VALUE,  /* a known key has a value its type does not allow */
  PL_CONFIG_ERROR_IO,         /* a directory or file could not be read */
  PL_CONFIG_ERROR_SCHEMA,     /* the schema itself is wrong (a bug in the caller) */
} PlConfigError;

typedef enum {
  PL_CONFIG_TYPE_INVALID = -1,
  PL_CONFIG_TYPE_STRING,
  PL_CONFIG_TYPE_BOOL,      /* true/false, yes/no, on/off, 1/0 */
  PL_CONFIG_TYPE_UINT,      /* decimal, 0 .. 2^64-1 */
  PL_CONFIG_TYPE_DOUBLE,
  PL_CONFIG_TYPE_ENUM,      /* one of PlConfigKey.choices */
  PL_CONFIG_TYPE_DURATION,  /* "6h", "30min", "1h 30min", "45s", "500ms"; bare number = s */
  PL_CONFIG_TYPE_SIZE,      /* "10M", "512K", "1G", "4096"; K/M/G/T are powers of 1024 */
} PlConfigType;

const char *pl_config_type_to_string (PlConfigType type);
PlConfigType pl_config_type_from_string (const char *s);

typedef struct {
  const char *group;
  const char *key;
  PlConfigType type;
  const char *default_value;     /* in the same syntax as in a file; NULL: unset */
  const char *const *choices;    /* PL_CONFIG_TYPE_ENUM: allowed values, NULL-terminated */
  const char *description;       /* one line, for docs and --help */
} PlConfigKey;

typedef struct {
  const PlConfigKey *keys;       /* terminated by an entry whose group is NULL */
} PlConfigSchema;

typedef struct _PlConfig PlConfig;

void pl_config_free (PlConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PlConfig, pl_config_free)

/* Loads the *.conf files of DIRS (NULL-terminated, lowest precedence first; missing
 * directories are skipped) against SCHEMA. */
PlConfig *pl_config_load (const char *const *dirs, const PlConfigSchema *schema,
                          GError **error);

/* { ROOT/usr/lib/plinth/NAME.conf.d, ROOT/etc/plinth/NAME.conf.d }. ROOT NULL means
 * $PLINTH_SYSROOT when set, else "/". */
char **pl_config_dirs_for (const char *root, const char *name);

/* Warnings collected while loading ("FILE: [group] key: unknown key, ignored"),
 * NULL-terminated, owned by CONFIG. */
const char *const *pl_config_get_warnings (PlConfig *config);

/* Getters. Asking for a key the schema does not have, or with the wrong type, is a
 * programming error (g_critical, returns 0/NULL). */
const char *pl_config_get_string (PlConfig *config, const char *group, const char *key);
gboolean pl_config_get_bool (PlConfig *config, const char *group, const char *key);
guint64 pl_config_get_uint (PlConfig *config, const char *group, const char *key);
double pl_config_get_double (PlConfig *config, const char *group, const char *key);
const char *pl_config_get_enum (PlConfig *config, const char *group, const char *key);
/* Microseconds. */
guint64 pl_config_get_duration (PlConfig *config, const char *group, const char *key);
/* Bytes. */
guint64 pl_config_get_size (PlConfig *config, const char *group, const char *key);
/* Whether the key has a value (from a file or its default). */
gboolean pl_config_is_set (PlConfig *config, const char *group, const char *key);
/* The file that set the key, or NULL when it has its default. */
const char *pl_config_get_source (PlConfig *config, const char *group, const char *key);

/* The parsers behind the DURATION and SIZE types, for command-line options too. */
gboolean pl_config_parse_duration (const char *s, guint64 *out_usec);
gboolean pl_config_parse_size (const char *s, guint64 *out_bytes);

G_END_DECLS
