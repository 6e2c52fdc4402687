/* PlPackage: the record every compose step passes along. */
#include "releases/package.h"

PlPackage *
pl_package_new (void)
{
  return g_new0 (PlPackage, 1);
}

void
pl_package_free (PlPackage *pkg)
{
  if (!pkg)
    return;
  g_free (pkg->name);
  g_free (pkg->version);
  g_free (pkg->release);
  g_free (pkg->arch);
  g_free (pkg->license);
  g_free (pkg->summary);
  g_free (pkg->sha256);
  g_free (pkg->repo_id);
  g_free (pkg->location);
  g_free (pkg->local_path);
  g_free (pkg);
}

char *
pl_package_evr (const PlPackage *pkg)
{
  if (pkg->epoch > 0)
    return g_strdup_printf ("%" G_GUINT64_FORMAT ":%s-%s", pkg->epoch, pkg->version,
                            pkg->release);
  return g_strdup_printf ("%s-%s", pkg->version, pkg->release);
}

char *
pl_package_nevra (const PlPackage *pkg)
{
  g_autofree char *evr = pl_package_evr (pkg);
  return g_strdup_printf ("%s-%s.%s", pkg->name, evr, pkg->arch);
}

static int
compare_packages (gconstpointer a, gconstpointer b)
{
  const PlPackage *pa = *(PlPackage *const *) a;
  const PlPackage *pb = *(PlPackage *const *) b;
  int c = g_strcmp0 (pa->name, pb->name);
  if (c == 0)
    {
      g_autofree char *ea = pl_package_evr (pa);
      g_autofree char *eb = pl_package_evr (pb);
      c = g_strcmp0 (ea, eb);
    }
  if (c == 0)
    c = g_strcmp0 (pa->arch, pb->arch);
  return c;
}

void
pl_package_array_sort (GPtrArray *pkgs)
{
  g_ptr_array_sort (pkgs, compare_packages);
}
