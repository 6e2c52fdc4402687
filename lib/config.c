/* Layered key-file configuration (see config.h). Values are kept as the text that set
 * them plus their parsed form, so an error or `status` can always say which file a
 * setting came from. */
#include "lib/config.h"
#include "lib/fsutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

G_DEFINE_QUARK (pl-config-error-quark, pl_config_error)

/* For g_ptr_array_sort(), which passes pointers to the elements. */
static int
compare_names (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

#define CONF_FILE_MAX (1024 * 1024)

typedef struct {
  const PlConfigKey *key;
  gboolean set;
  char *text;       /* the value as written */
  char *source;     /* file that set it; NULL for the default */
  union {
    gboolean b;
    guint64 u;      /* uint, duration (usec), size (bytes) */
    double d;
  } v;
} Value;

struct _PlConfig {
  GHashTable *values;     /* "group\nkey" -> Value */
  GPtrArray *warnings;    /* NULL-terminated */
};

static const char *const type_names[] = {
  [PL_CONFIG_TYPE_STRING] = "string",   [PL_CONFIG_TYPE_BOOL] = "bool",
  [PL_CONFIG_TYPE_UINT] = "uint",       [PL_CONFIG_TYPE_DOUBLE] = "double",
  [PL_CONFIG_TYPE_ENUM] = "enum",       [PL_CONFIG_TYPE_DURATION] = "duration",
  [PL_CONFIG_TYPE_SIZE] = "size",
};

const char *
pl_config_type_to_string (PlConfigType type)
{
  if (type < 0 || (gsize) type >= G_N_ELEMENTS (type_names))
    return "invalid";
  return type_names[type];
}

PlConfigType
pl_config_type_from_string (const char *s)
{
  for (gsize i = 0; s && i < G_N_ELEMENTS (type_names); i++)
    if (strcmp (s, type_names[i]) == 0)
      return (PlConfigType) i;
  return PL_CONFIG_TYPE_INVALID;
}

static void
value_free (Value *v)
{
  g_free (v->text);
  g_free (v->source);
  g_free (v);
}

void
pl_config_free (PlConfig *config)
{
  if (!config)
    return;
  g_clear_pointer (&config->values, g_hash_table_unref);
  g_clear_pointer (&config->warnings, g_ptr_array_unref);
  g_free (config);
}

/* ---- value parsers --------------------------------------------------------------- */

/* Digits only, with overflow detection. */
static gboolean
parse_u64 (const char *s, const char **out_end, guint64 *out)
{
  if (!g_ascii_isdigit (*s))
    return FALSE;
  guint64 v = 0;
  for (; g_ascii_isdigit (*s); s++)
    {
      guint digit = *s - '0';
      if (v > (G_MAXUINT64 - digit) / 10)
        return FALSE;
      v = v * 10 + digit;
    }
  *out_end = s;
  *out = v;
  return TRUE;
}

static gboolean
mul_ok (guint64 a, guint64 b, guint64 *out)
{
  if (b != 0 && a > G_MAXUINT64 / b)
    return FALSE;
  *out = a * b;
  return TRUE;
}

gboolean
pl_config_parse_duration (const char *s, guint64 *out_usec)
{
  static const struct { const char *unit; guint64 usec; } units[] = {
    { "usec", 1 },           { "us", 1 },
    { "msec", 1000 },        { "ms", 1000 },
    { "seconds", 1000000 },  { "second", 1000000 }, { "sec", 1000000 }, { "s", 1000000 },
    { "minutes", 60000000 }, { "minute", 60000000 }, { "min", 60000000 }, { "m", 60000000 },
    { "hours", 3600000000ULL }, { "hour", 3600000000ULL }, { "hr", 3600000000ULL },
    { "h", 3600000000ULL },
    { "days", 86400000000ULL }, { "day", 86400000000ULL }, { "d", 86400000000ULL },
    { "weeks", 604800000000ULL }, { "week", 604800000000ULL }, { "w", 604800000000ULL },
  };
  if (s == NULL)
    return FALSE;
  guint64 total = 0;
  gboolean any = FALSE;
  const char *p = s;
  for (;;)
    {
      while (g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        break;
      guint64 n = 0;
      if (!parse_u64 (p, &p, &n))
        return FALSE;
      while (*p == ' ')
        p++;
      guint64 mult = 0;
      if (*p == '\0' || g_ascii_isdigit (*p) || *p == ' ')
        {
          /* a bare number is seconds, but only on its own ("1h 30" is a typo) */
          if (any || *p != '\0')
            return FALSE;
          mult = 1000000;
        }
      else
        {
          for (gsize i = 0; i < G_N_ELEMENTS (units); i++)
            {
              gsize ul = strlen (units[i].unit);
              if (strncmp (p, units[i].unit, ul) == 0 && !g_ascii_isalpha (p[ul]))
                {
                  mult = units[i].usec;
                  p += ul;
                  break;
                }
            }
          if (mult == 0)
            return FALSE;
        }
      guint64 part;
      if (!mul_ok (n, mult, &part) || total > G_MAXUINT64 - part)
        return FALSE;
      total += part;
      any = TRUE;
    }
  if (!any)
    return FALSE;
  *out_usec = total;
  return TRUE;
}

gboolean
pl_config_parse_size (const char *s, guint64 *out_bytes)
{
  if (s == NULL)
    return FALSE;
  const char *p = s;
  while (g_ascii_isspace (*p))
    p++;
  guint64 n = 0;
  if (!parse_u64 (p, &p, &n))
    return FALSE;
  while (*p == ' ')
    p++;
  guint64 mult = 1;
  const char *units = "KMGT";
  const char *u = *p ? strchr (units, g_ascii_toupper (*p)) : NULL;
  if (u)
    {
      for (const char *q = units; q <= u; q++)
        mult *= 1024;
      p++;
      if (g_ascii_strncasecmp (p, "iB", 2) == 0)
        p += 2;
      else if (*p == 'B' || *p == 'b')
        p++;
    }
  else if (*p == 'B' || *p == 'b')
    p++;
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0')
    return FALSE;
  return mul_ok (n, mult, out_bytes);
}

static gboolean
parse_bool (const char *s, gboolean *out)
{
  static const char *const yes[] = { "true", "yes", "on", "1", NULL };
  static const char *const no[] = { "false", "no", "off", "0", NULL };
  for (int i = 0; yes[i]; i++)
    if (g_ascii_strcasecmp (s, yes[i]) == 0)
      return *out = TRUE, TRUE;
  for (int i = 0; no[i]; i++)
    if (g_ascii_strcasecmp (s, no[i]) == 0)
      return *out = FALSE, TRUE;
  return FALSE;
}

/* Parses TEXT for KEY into V; on failure says what was expected. */
static gboolean
parse_value (const PlConfigKey *key, const char *text, Value *v, char **out_expected)
{
  const char *end = NULL;
  switch (key->type)
    {
    case PL_CONFIG_TYPE_STRING:
      return TRUE;
    case PL_CONFIG_TYPE_BOOL:
      if (parse_bool (text, &v->v.b))
        return TRUE;
      *out_expected = g_strdup ("a boolean (true/false, yes/no, on/off, 1/0)");
      return FALSE;
    case PL_CONFIG_TYPE_UINT:
      if (parse_u64 (text, &end, &v->v.u) && *end == '\0')
        return TRUE;
      *out_expected = g_strdup ("a non-negative integer");
      return FALSE;
    case PL_CONFIG_TYPE_DOUBLE:
      {
        char *dend = NULL;
        errno = 0;
        double d = g_ascii_strtod (text, &dend);
        if (*text != '\0' && dend && *dend == '\0' && errno == 0 && isfinite (d))
          return v->v.d = d, TRUE;
        *out_expected = g_strdup ("a number");
        return FALSE;
      }
    case PL_CONFIG_TYPE_ENUM:
      if (key->choices && g_strv_contains (key->choices, text))
        return TRUE;
      {
        g_autofree char *list = key->choices ? g_strjoinv (", ", (char **) key->choices)
                                             : g_strdup ("");
        *out_expected = g_strdup_printf ("one of: %s", list);
      }
      return FALSE;
    case PL_CONFIG_TYPE_DURATION:
      if (pl_config_parse_duration (text, &v->v.u))
        return TRUE;
      *out_expected = g_strdup ("a duration like 45s, 30min, 6h or 1h 30min");
      return FALSE;
    case PL_CONFIG_TYPE_SIZE:
      if (pl_config_parse_size (text, &v->v.u))
        return TRUE;
      *out_expected = g_strdup ("a size like 4096, 512K, 10M or 1G");
      return FALSE;
    case PL_CONFIG_TYPE_INVALID:
    default:
      *out_expected = g_strdup ("(a key of invalid type)");
      return FALSE;
    }
}

/* ---- loading --------------------------------------------------------------------- */

static char *
value_id (const char *group, const char *key)
{
  return g_strconcat (group, "\n", key, NULL);
}

static gboolean
load_schema (PlConfig *config, const PlConfigSchema *schema, GError **error)
{
  for (const PlConfigKey *k = schema->keys; k && k->group; k++)
    {
      if (k->key == NULL || k->type < 0 || (gsize) k->type >= G_N_ELEMENTS (type_names)
          || (k->type == PL_CONFIG_TYPE_ENUM && k->choices == NULL))
        return g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_SCHEMA,
                            "Config schema: [%s] %s is not a valid entry", k->group,
                            k->key ? k->key : "(null)"), FALSE;
      Value *v = g_new0 (Value, 1);
      v->key = k;
      if (!g_hash_table_insert (config->values, value_id (k->group, k->key), v))
        return g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_SCHEMA,
                            "Config schema: [%s] %s is listed twice", k->group, k->key),
               FALSE;
      if (k->default_value)
        {
          g_autofree char *expected = NULL;
          if (!parse_value (k, k->default_value, v, &expected))
            return g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_SCHEMA,
                                "Config schema: default \"%s\" of [%s] %s is not %s",
                                k->default_value, k->group, k->key, expected), FALSE;
          v->set = TRUE;
          v->text = g_strdup (k->default_value);
        }
    }
  return TRUE;
}

static gboolean
load_file (PlConfig *config, int dfd, const char *dir, const char *name, GError **error)
{
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *buf = NULL;
  gsize len = 0;
  GError *local = NULL;
  if (!pl_file_read_at (dfd, name, CONF_FILE_MAX, &buf, &len, &local))
    {
      g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_IO, "%s: %s", path, local->message);
      g_error_free (local);
      return FALSE;
    }
  g_autoptr(GKeyFile) kf = g_key_file_new ();
  if (!g_key_file_load_from_data (kf, buf, len, G_KEY_FILE_NONE, &local))
    {
      g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_PARSE, "%s: %s", path,
                   local->message);
      g_error_free (local);
      return FALSE;
    }
  g_auto(GStrv) groups = g_key_file_get_groups (kf, NULL);
  for (char **g = groups; *g; g++)
    {
      g_auto(GStrv) keys = g_key_file_get_keys (kf, *g, NULL, NULL);
      for (char **k = keys; k && *k; k++)
        {
          g_autofree char *id = value_id (*g, *k);
          Value *v = g_hash_table_lookup (config->values, id);
          if (v == NULL)
            {
              g_ptr_array_insert (config->warnings, config->warnings->len - 1,
                                  g_strdup_printf ("%s: [%s] %s: unknown key, ignored",
                                                   path, *g, *k));
              continue;
            }
          /* g_key_file_get_value would keep escapes; get_string decodes them */
          g_autofree char *text = g_key_file_get_string (kf, *g, *k, &local);
          if (text == NULL)
            {
              g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_BAD_VALUE,
                           "%s: [%s] %s: %s", path, *g, *k, local->message);
              g_error_free (local);
              return FALSE;
            }
          g_strstrip (text);
          Value parsed = *v;
          g_autofree char *expected = NULL;
          if (!parse_value (v->key, text, &parsed, &expected))
            return g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_BAD_VALUE,
                                "%s: [%s] %s: \"%s\" is not %s", path, *g, *k, text,
                                expected), FALSE;
          v->v = parsed.v;
          v->set = TRUE;
          g_free (v->text);
          v->text = g_steal_pointer (&text);
          g_free (v->source);
          v->source = g_strdup (path);
        }
    }
  return TRUE;
}

static gboolean
load_dir (PlConfig *config, const char *dir, GError **error)
{
  PL_AUTOFD int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    {
      if (errno == ENOENT)
        return TRUE;
      return g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_IO, "Opening %s: %s", dir,
                          g_strerror (errno)), FALSE;
    }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  int dup_fd = dup (dfd);
  DIR *d = dup_fd >= 0 ? fdopendir (dup_fd) : NULL;
  if (d == NULL)
    {
      int e = errno;
      if (dup_fd >= 0)
        close (dup_fd);
      return g_set_error (error, PL_CONFIG_ERROR, PL_CONFIG_ERROR_IO, "Listing %s: %s", dir,
                          g_strerror (e)), FALSE;
    }
  struct dirent *de;
  while ((de = readdir (d)) != NULL)
    if (de->d_name[0] != '.' && g_str_has_suffix (de->d_name, ".conf"))
      g_ptr_array_add (names, g_strdup (de->d_name));
  closedir (d);
  /* strcmp, not a locale collation: the order must not depend on the environment */
  g_ptr_array_sort (names, compare_names);
  for (guint i = 0; i < names->len; i++)
    if (!load_file (config, dfd, dir, names->pdata[i], error))
      return FALSE;
  return TRUE;
}

PlConfig *
pl_config_load (const char *const *dirs, const PlConfigSchema *schema, GError **error)
{
  g_autoptr(PlConfig) config = g_new0 (PlConfig, 1);
  config->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          (GDestroyNotify) value_free);
  config->warnings = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (config->warnings, NULL);
  if (!load_schema (config, schema, error))
    return NULL;
  for (const char *const *d = dirs; d && *d; d++)
    if (!load_dir (config, *d, error))
      return NULL;
  return g_steal_pointer (&config);
}

char **
pl_config_dirs_for (const char *root, const char *name)
{
  if (root == NULL)
    root = g_getenv ("PLINTH_SYSROOT");
  if (root == NULL || *root == '\0')
    root = "/";
  g_autofree char *sub = g_strconcat (name, ".conf.d", NULL);
  char **dirs = g_new0 (char *, 3);
  dirs[0] = g_build_filename (root, "usr/lib/plinth", sub, NULL);
  dirs[1] = g_build_filename (root, "etc/plinth", sub, NULL);
  return dirs;
}

const char *const *
pl_config_get_warnings (PlConfig *config)
{
  return (const char *const *) config->warnings->pdata;
}

/* ---- getters --------------------------------------------------------------------- */

static Value *
lookup (PlConfig *config, const char *group, const char *key, PlConfigType type)
{
  g_return_val_if_fail (config != NULL && group != NULL && key != NULL, NULL);
  g_autofree char *id = value_id (group, key);
  Value *v = g_hash_table_lookup (config->values, id);
  if (v == NULL)
    {
      g_critical ("config: [%s] %s is not in the schema", group, key);
      return NULL;
    }
  if (type != PL_CONFIG_TYPE_INVALID && v->key->type != type)
    {
      g_critical ("config: [%s] %s is a %s, not a %s", group, key,
                  pl_config_type_to_string (v->key->type), pl_config_type_to_string (type));
      return NULL;
    }
  return v;
}

const char *
pl_config_get_string (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_STRING);
  return v && v->set ? v->text : NULL;
}

gboolean
pl_config_get_bool (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_BOOL);
  return v && v->set ? v->v.b : FALSE;
}

guint64
pl_config_get_uint (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_UINT);
  return v && v->set ? v->v.u : 0;
}

double
pl_config_get_double (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_DOUBLE);
  return v && v->set ? v->v.d : 0.0;
}

const char *
pl_config_get_enum (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_ENUM);
  return v && v->set ? v->text : NULL;
}

guint64
pl_config_get_duration (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_DURATION);
  return v && v->set ? v->v.u : 0;
}

guint64
pl_config_get_size (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_SIZE);
  return v && v->set ? v->v.u : 0;
}

gboolean
pl_config_is_set (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_INVALID);
  return v && v->set;
}

const char *
pl_config_get_source (PlConfig *config, const char *group, const char *key)
{
  Value *v = lookup (config, group, key, PL_CONFIG_TYPE_INVALID);
  return v ? v->source : NULL;
}
