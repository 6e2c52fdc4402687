/* Tests for ignition/units.c: [Install] parsing and the links enabling creates. */
#include "ignition/units.h"

static void
test_parse (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlUnitInstall) inst = pl_unit_parse_install (
      "a.service",
      "[Unit]\nWantedBy=not-in-install.target\n"
      "# comment\n; other comment\n"
      "[Install]\n"
      "WantedBy=x.target y.target\n"
      "WantedBy=\n"             /* an empty assignment resets the list */
      "WantedBy=multi-user.target \\\n  default.target\n"
      "RequiredBy = z.target\n"
      "Alias=b.service\n"
      "Also=c.socket\n"
      "DefaultInstance=one\n"
      "[Service]\nAlias=ignored.service\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (inst->wanted_by->len, ==, 2);
  g_assert_cmpstr (inst->wanted_by->pdata[0], ==, "multi-user.target");
  g_assert_cmpstr (inst->wanted_by->pdata[1], ==, "default.target");
  g_assert_cmpuint (inst->required_by->len, ==, 1);
  g_assert_cmpstr (inst->required_by->pdata[0], ==, "z.target");
  g_assert_cmpuint (inst->alias->len, ==, 1);
  g_assert_cmpstr (inst->also->pdata[0], ==, "c.socket");
  g_assert_cmpstr (inst->default_instance, ==, "one");

  g_autoptr(PlUnitInstall) none = pl_unit_parse_install ("n.service", "[Service]\nX=1\n", &error);
  g_assert_no_error (error);
  g_assert_cmpuint (none->wanted_by->len + none->alias->len, ==, 0);

  g_assert_null (pl_unit_parse_install ("bad.service", "[Install\nWantedBy=a\n", &error));
  g_assert_error (error, PL_UNITS_ERROR, PL_UNITS_ERROR_SYNTAX);
  g_assert_cmpstr (error->message, ==, "bad.service: line 1: unterminated section header");
  g_clear_error (&error);
  g_assert_null (pl_unit_parse_install ("bad.service", "[Install]\njunk\n", &error));
  g_assert_error (error, PL_UNITS_ERROR, PL_UNITS_ERROR_SYNTAX);
}

static void
test_links (void)
{
  g_autoptr(PlUnitInstall) inst = pl_unit_parse_install (
      "a.service", "[Install]\nWantedBy=multi-user.target ../evil\nRequiredBy=r.target\n"
      "Alias=alias.service ../../x\n", NULL);
  g_autoptr(GPtrArray) links = pl_unit_enable_links ("a.service", "/etc/systemd/system/a.service",
                                                     inst);
  /* the "../" names are dropped, as systemctl refuses them */
  g_assert_cmpuint (links->len, ==, 3);
  PlUnitLink *l0 = links->pdata[0], *l1 = links->pdata[1], *l2 = links->pdata[2];
  g_assert_cmpstr (l0->path, ==, "/etc/systemd/system/multi-user.target.wants/a.service");
  g_assert_cmpstr (l0->target, ==, "/etc/systemd/system/a.service");
  g_assert_cmpstr (l1->path, ==, "/etc/systemd/system/r.target.requires/a.service");
  g_assert_cmpstr (l2->path, ==, "/etc/systemd/system/alias.service");
}

static void
test_templates (void)
{
  g_autofree char *t = pl_unit_template_of ("getty@tty1.service");
  g_assert_cmpstr (t, ==, "getty@.service");
  g_assert_null (pl_unit_template_of ("plain.service"));
  g_assert_null (pl_unit_template_of ("getty@.service"));

  g_autoptr(PlUnitInstall) with_default = pl_unit_parse_install (
      "getty@.service", "[Install]\nWantedBy=getty.target\nDefaultInstance=tty1\n", NULL);
  g_autoptr(GPtrArray) a = pl_unit_enable_links ("getty@.service", "/usr/lib/systemd/system/getty@.service",
                                                 with_default);
  g_assert_cmpuint (a->len, ==, 1);
  g_assert_cmpstr (((PlUnitLink *) a->pdata[0])->path, ==,
                   "/etc/systemd/system/getty.target.wants/getty@tty1.service");
  g_autoptr(PlUnitInstall) no_default = pl_unit_parse_install (
      "w@.service", "[Install]\nWantedBy=multi-user.target\n", NULL);
  g_autoptr(GPtrArray) b = pl_unit_enable_links ("w@.service", "/x/w@.service", no_default);
  g_assert_cmpuint (b->len, ==, 0);
  g_autoptr(GPtrArray) c = pl_unit_enable_links ("w@3.service", "/x/w@.service", no_default);
  g_assert_cmpstr (((PlUnitLink *) c->pdata[0])->path, ==,
                   "/etc/systemd/system/multi-user.target.wants/w@3.service");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/units/parse", test_parse);
  g_test_add_func ("/units/links", test_links);
  g_test_add_func ("/units/templates", test_templates);
  return g_test_run ();
}
