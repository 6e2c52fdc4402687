/* Fuzzes the release index reader (releases/index.c). Beyond "no crash", every index
 * that parses must survive a round trip: written back and parsed again, it gives the
 * same JSON, so the publisher can never write something a node reads differently. */
#include "releases/index.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlIndex) idx = pl_index_parse ((const char *) data, size, &error);
  if (idx == NULL)
    {
      /* a failure always says why, in the index's own error domain */
      if (error == NULL || error->domain != PL_INDEX_ERROR || error->message[0] == '\0')
        abort ();
      return 0;
    }
  g_autofree char *json = pl_index_to_json (idx);
  g_autoptr(PlIndex) again = pl_index_parse (json, strlen (json), NULL);
  if (again == NULL)
    abort ();
  g_autofree char *json2 = pl_index_to_json (again);
  if (strcmp (json, json2) != 0)
    abort ();

  PlIndexCheck ctx = { .stream = "stable", .arch = "x86_64", .last_serial = 5,
                       .now = 1795200000 };
  (void) pl_index_check (idx, &ctx, NULL);
  for (guint i = 0; i < idx->releases->len; i++)
    {
      PlRelease *r = idx->releases->pdata[i];
      if (pl_index_find_release (idx, r->version) == NULL
          || pl_index_find_by_commit (idx, r->commit) == NULL)
        abort ();
      for (guint j = 0; j < r->deltas->len; j++)
        if (pl_index_find_delta (r, ((PlDelta *) r->deltas->pdata[j])->from) == NULL)
          abort ();
    }
  return 0;
}
