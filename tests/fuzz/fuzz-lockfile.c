/* Fuzzes the lockfile loader. Beyond not crashing, whatever it accepts must survive a
 * round trip: written back and read again, it names the same packages. */
#include "releases/lockfile.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlLockfile) lock = pl_lockfile_parse ((const char *) data, size, "fuzz", &error);
  if (lock == NULL)
    {
      /* every refusal says what and where */
      if (error == NULL || error->domain != PL_LOCKFILE_ERROR || !g_str_has_prefix (error->message, "fuzz: "))
        abort ();
      return 0;
    }
  g_autoptr(GPtrArray) pkgs = pl_lockfile_to_packages (lock);
  g_autofree char *text = pl_lockfile_to_json (pl_lockfile_get_arch (lock), pkgs, &error);
  if (text == NULL)
    abort ();
  g_autoptr(PlLockfile) again = pl_lockfile_parse (text, strlen (text), "again", &error);
  if (again == NULL || pl_lockfile_get_n_packages (again) != pl_lockfile_get_n_packages (lock)
      || strcmp (pl_lockfile_get_arch (again), pl_lockfile_get_arch (lock)) != 0)
    abort ();
  for (guint i = 0; i < pl_lockfile_get_n_packages (lock); i++)
    {
      const PlPackage *a = pl_lockfile_get_package (lock, i), *b = NULL;
      if (!pl_lockfile_lookup (again, a->name, &b) || a->epoch != b->epoch || a->size != b->size
          || strcmp (a->version, b->version) != 0 || strcmp (a->release, b->release) != 0
          || strcmp (a->arch, b->arch) != 0 || strcmp (a->sha256, b->sha256) != 0
          || strcmp (a->repo_id, b->repo_id) != 0)
        abort ();
    }
  return 0;
}
