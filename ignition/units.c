/* [Install] parsing and enablement links. Mirrors what systemctl does for the common
 * cases: one symlink per WantedBy=/RequiredBy= target in TARGET.wants/ or
 * TARGET.requires/, one per Alias=, all pointing at the unit file's path. */
#include "ignition/units.h"

#include <string.h>

G_DEFINE_QUARK (pl-units-error-quark, pl_units_error)

void
pl_unit_install_free (PlUnitInstall *inst)
{
  if (!inst)
    return;
  g_ptr_array_unref (inst->wanted_by);
  g_ptr_array_unref (inst->required_by);
  g_ptr_array_unref (inst->alias);
  g_ptr_array_unref (inst->also);
  g_free (inst->default_instance);
  g_free (inst);
}

void
pl_unit_link_free (PlUnitLink *link)
{
  g_free (link->path);
  g_free (link->target);
  g_free (link);
}

/* Space-separated values appended to LIST; an empty value resets it, as in systemd. */
static void
add_words (GPtrArray *list, const char *value)
{
  if (*value == '\0')
    {
      g_ptr_array_set_size (list, 0);
      return;
    }
  g_auto(GStrv) words = g_strsplit_set (value, " \t", -1);
  for (char **w = words; *w; w++)
    if (**w)
      g_ptr_array_add (list, g_strdup (*w));
}

PlUnitInstall *
pl_unit_parse_install (const char *what, const char *contents, GError **error)
{
  g_autoptr(PlUnitInstall) inst = g_new0 (PlUnitInstall, 1);
  inst->wanted_by = g_ptr_array_new_with_free_func (g_free);
  inst->required_by = g_ptr_array_new_with_free_func (g_free);
  inst->alias = g_ptr_array_new_with_free_func (g_free);
  inst->also = g_ptr_array_new_with_free_func (g_free);
  if (!contents)
    return g_steal_pointer (&inst);

  g_auto(GStrv) lines = g_strsplit (contents, "\n", -1);
  gboolean in_install = FALSE;
  g_autoptr(GString) logical = g_string_new (NULL);
  guint lineno = 0;
  for (char **l = lines; *l; l++)
    {
      lineno++;
      g_autofree char *line = g_strstrip (g_strdup (*l));
      /* A trailing backslash joins the next line, with a space */
      if (g_str_has_suffix (line, "\\"))
        {
          line[strlen (line) - 1] = '\0';
          g_string_append (logical, line);
          g_string_append_c (logical, ' ');
          continue;
        }
      g_string_append (logical, line);
      g_autofree char *full = g_strstrip (g_string_free (g_steal_pointer (&logical), FALSE));
      logical = g_string_new (NULL);
      if (*full == '\0' || *full == '#' || *full == ';')
        continue;
      if (*full == '[')
        {
          if (!g_str_has_suffix (full, "]"))
            return g_set_error (error, PL_UNITS_ERROR, PL_UNITS_ERROR_SYNTAX,
                                "%s: line %u: unterminated section header", what, lineno),
                   NULL;
          in_install = g_str_equal (full, "[Install]");
          continue;
        }
      char *eq = strchr (full, '=');
      if (!eq)
        return g_set_error (error, PL_UNITS_ERROR, PL_UNITS_ERROR_SYNTAX,
                            "%s: line %u: expected KEY=VALUE", what, lineno), NULL;
      if (!in_install)
        continue;
      *eq = '\0';
      const char *key = g_strstrip (full);
      const char *value = g_strstrip (eq + 1);
      if (g_str_equal (key, "WantedBy"))
        add_words (inst->wanted_by, value);
      else if (g_str_equal (key, "RequiredBy"))
        add_words (inst->required_by, value);
      else if (g_str_equal (key, "Alias"))
        add_words (inst->alias, value);
      else if (g_str_equal (key, "Also"))
        add_words (inst->also, value);
      else if (g_str_equal (key, "DefaultInstance"))
        {
          g_free (inst->default_instance);
          inst->default_instance = *value ? g_strdup (value) : NULL;
        }
    }
  return g_steal_pointer (&inst);
}

char *
pl_unit_template_of (const char *name)
{
  const char *at = strchr (name, '@');
  const char *dot = strrchr (name, '.');
  if (!at || !dot || dot < at || dot == at + 1)
    return NULL;
  return g_strdup_printf ("%.*s%s", (int) (at + 1 - name), name, dot);
}

static void
add_link (GPtrArray *links, const char *dir, const char *suffix, const char *target_unit,
          const char *link_name, const char *unit_path)
{
  /* A target name cannot hold a path: such a line is broken, and skipped as systemctl
   * would refuse it */
  if (strchr (target_unit, '/') || g_str_equal (target_unit, "..") || *target_unit == '.')
    return;
  PlUnitLink *l = g_new0 (PlUnitLink, 1);
  l->path = g_strdup_printf ("%s/%s%s/%s", dir, target_unit, suffix, link_name);
  l->target = g_strdup (unit_path);
  g_ptr_array_add (links, l);
}

GPtrArray *
pl_unit_enable_links (const char *name, const char *unit_path, const PlUnitInstall *inst)
{
  static const char dir[] = "/etc/systemd/system";
  GPtrArray *links = g_ptr_array_new_with_free_func ((GDestroyNotify) pl_unit_link_free);
  g_autofree char *link_name = g_strdup (name);
  const char *at = strchr (name, '@');
  gboolean is_template = at && at[1] == '.';
  if (is_template)
    {
      if (!inst->default_instance)
        return links;
      g_free (link_name);
      link_name = g_strdup_printf ("%.*s%s%s", (int) (at + 1 - name), name,
                                   inst->default_instance, at + 1);
    }
  for (guint i = 0; i < inst->wanted_by->len; i++)
    add_link (links, dir, ".wants", inst->wanted_by->pdata[i], link_name, unit_path);
  for (guint i = 0; i < inst->required_by->len; i++)
    add_link (links, dir, ".requires", inst->required_by->pdata[i], link_name, unit_path);
  for (guint i = 0; i < inst->alias->len; i++)
    {
      const char *alias = inst->alias->pdata[i];
      if (strchr (alias, '/') || *alias == '.' || g_str_equal (alias, name))
        continue;
      PlUnitLink *l = g_new0 (PlUnitLink, 1);
      l->path = g_strdup_printf ("%s/%s", dir, alias);
      l->target = g_strdup (unit_path);
      g_ptr_array_add (links, l);
    }
  return links;
}
