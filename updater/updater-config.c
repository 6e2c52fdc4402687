/* The updater's configuration schema and its typed view (see updater-config.h). */
#include "updater/updater-config.h"

#include <string.h>

G_DEFINE_QUARK (pl-updater-config-error-quark, pl_updater_config_error)

static const char *const strategies[] = { "immediate", "manual", "off", NULL };

static const PlConfigKey keys[] = {
  { "Updates", "BaseURL", PL_CONFIG_TYPE_STRING, NULL, NULL,
    "Release site: <BaseURL>/<Stream>/<Arch>/index.json, <BaseURL>/repo (no default)" },
  { "Updates", "Stream", PL_CONFIG_TYPE_STRING, "stable", NULL, "Release stream (channel)" },
  { "Updates", "Arch", PL_CONFIG_TYPE_STRING, NULL, NULL,
    "Architecture (default: the deployed commit's plinth.arch, else uname -m)" },
  { "Updates", "KeyDirs", PL_CONFIG_TYPE_STRING,
    "/usr/share/plinth/keys;/etc/plinth/keys", NULL,
    "Directories of trusted OpenPGP keys (*.asc, *.gpg), ';'-separated, inside the sysroot" },
  { "Updates", "Wariness", PL_CONFIG_TYPE_DOUBLE, NULL, NULL,
    "Rollout wariness in [0,1] (default: a hash of /etc/machine-id and the stream)" },
  { "Updates", "Strategy", PL_CONFIG_TYPE_ENUM, "manual", strategies,
    "After staging: immediate (reboot), manual (wait), off (the agent does not update)" },
  { "Updates", "PollInterval", PL_CONFIG_TYPE_DURATION, "6h", NULL,
    "How often the daemon checks" },
  { "Updates", "RebootCommand", PL_CONFIG_TYPE_STRING, "systemctl reboot", NULL,
    "Command run (by /bin/sh) to reboot for the immediate strategy" },
  { "Download", "MaxBytesPerSecond", PL_CONFIG_TYPE_SIZE, "0", NULL,
    "Bandwidth cap for index and delta downloads (0: none)" },
  { "Download", "Proxy", PL_CONFIG_TYPE_STRING, NULL, NULL,
    "HTTP proxy URL (default: libcurl's environment variables; empty: none)" },
  { "Download", "CAFile", PL_CONFIG_TYPE_STRING, NULL, NULL,
    "PEM CA bundle to trust for https:// instead of the system's" },
  { "Download", "Retries", PL_CONFIG_TYPE_UINT, "4", NULL,
    "Extra attempts after a transient network failure (backoff with jitter)" },
  { NULL }
};

static const PlConfigSchema schema = { keys };

const PlConfigSchema *
pl_updater_config_schema (void)
{
  return &schema;
}

const char *
pl_update_strategy_to_string (PlUpdateStrategy s)
{
  if (s < 0 || s >= (int) G_N_ELEMENTS (strategies) - 1)
    return "invalid";
  return strategies[s];
}

PlUpdateStrategy
pl_update_strategy_from_string (const char *s)
{
  for (guint i = 0; s && strategies[i]; i++)
    if (g_str_equal (s, strategies[i]))
      return (PlUpdateStrategy) i;
  return PL_UPDATE_STRATEGY_INVALID;
}

void
pl_updater_config_free (PlUpdaterConfig *c)
{
  if (!c)
    return;
  g_free (c->base_url);
  g_free (c->stream);
  g_free (c->arch);
  g_strfreev (c->key_dirs);
  g_free (c->reboot_command);
  g_free (c->proxy);
  g_free (c->ca_file);
  g_strfreev (c->warnings);
  g_free (c);
}

static gboolean
bad_value (PlConfig *cfg, const char *group, const char *key, const char *why, GError **error)
{
  const char *src = pl_config_get_source (cfg, group, key);
  return g_set_error (error, PL_UPDATER_CONFIG_ERROR, PL_UPDATER_CONFIG_ERROR_BAD_VALUE,
                      "%s: [%s] %s: %s", src ? src : "(default)", group, key, why), FALSE;
}

/* A stream or arch becomes a URL path segment: keep it to a safe alphabet. */
static gboolean
is_segment (const char *s)
{
  if (!s || !*s || g_str_equal (s, ".") || g_str_equal (s, ".."))
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && !strchr ("._-", *p))
      return FALSE;
  return TRUE;
}

PlUpdaterConfig *
pl_updater_config_load (const char *sysroot, GError **error)
{
  g_auto(GStrv) dirs = pl_config_dirs_for (sysroot, "updater");
  g_autoptr(PlConfig) cfg = pl_config_load ((const char *const *) dirs, &schema, error);
  if (!cfg)
    return NULL;
  const char *root = sysroot ? sysroot : "/";
  g_autoptr(PlUpdaterConfig) c = g_new0 (PlUpdaterConfig, 1);

  const char *base = pl_config_get_string (cfg, "Updates", "BaseURL");
  if (base && *base)
    {
      if (!g_str_has_prefix (base, "http://") && !g_str_has_prefix (base, "https://")
          && !g_str_has_prefix (base, "file://"))
        return bad_value (cfg, "Updates", "BaseURL",
                          "not an http://, https:// or file:// URL", error), NULL;
      /* "<base>/" and "<base>" name the same site */
      c->base_url = g_strdup (base);
      gsize n = strlen (c->base_url);
      while (n > 0 && c->base_url[n - 1] == '/')
        c->base_url[--n] = '\0';
    }
  c->stream = g_strdup (pl_config_get_string (cfg, "Updates", "Stream"));
  if (!is_segment (c->stream))
    return bad_value (cfg, "Updates", "Stream", "must be letters, digits, '.', '_' or '-'",
                      error), NULL;
  const char *arch = pl_config_get_string (cfg, "Updates", "Arch");
  if (arch && *arch)
    {
      if (!is_segment (arch))
        return bad_value (cfg, "Updates", "Arch", "must be letters, digits, '.', '_' or '-'",
                          error), NULL;
      c->arch = g_strdup (arch);
    }

  g_auto(GStrv) parts = g_strsplit (pl_config_get_string (cfg, "Updates", "KeyDirs"), ";", -1);
  g_autoptr(GPtrArray) kd = g_ptr_array_new_with_free_func (g_free);
  for (char **p = parts; *p; p++)
    {
      g_strstrip (*p);
      if (**p == '\0')
        continue;
      if (**p != '/')
        return bad_value (cfg, "Updates", "KeyDirs", "each directory must be an absolute path",
                          error), NULL;
      g_ptr_array_add (kd, g_build_filename (root, *p, NULL));
    }
  g_ptr_array_add (kd, NULL);
  c->key_dirs = (char **) g_ptr_array_free (g_steal_pointer (&kd), FALSE);

  c->has_wariness = pl_config_is_set (cfg, "Updates", "Wariness");
  if (c->has_wariness)
    {
      c->wariness = pl_config_get_double (cfg, "Updates", "Wariness");
      if (!(c->wariness >= 0.0 && c->wariness <= 1.0))
        return bad_value (cfg, "Updates", "Wariness", "must be between 0 and 1", error), NULL;
    }
  c->strategy = pl_update_strategy_from_string (pl_config_get_enum (cfg, "Updates", "Strategy"));
  c->poll_interval_usec = pl_config_get_duration (cfg, "Updates", "PollInterval");
  if (c->poll_interval_usec < G_USEC_PER_SEC)
    return bad_value (cfg, "Updates", "PollInterval", "must be at least 1s", error), NULL;
  c->reboot_command = g_strdup (pl_config_get_string (cfg, "Updates", "RebootCommand"));
  c->max_bytes_per_sec = pl_config_get_size (cfg, "Download", "MaxBytesPerSecond");
  c->proxy = g_strdup (pl_config_get_string (cfg, "Download", "Proxy"));
  const char *ca = pl_config_get_string (cfg, "Download", "CAFile");
  if (ca && *ca)
    c->ca_file = g_strdup (ca);   /* a host path, as libcurl takes it */
  guint64 retries = pl_config_get_uint (cfg, "Download", "Retries");
  if (retries > 20)
    return bad_value (cfg, "Download", "Retries", "at most 20", error), NULL;
  c->retries = (guint) retries;
  c->warnings = g_strdupv ((char **) pl_config_get_warnings (cfg));
  return g_steal_pointer (&c);
}
