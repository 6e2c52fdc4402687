/* Fuzzes the Ignition config parser (and the kind detection in front of it): any
 * bytes must give a plan or an error, never a crash, a leak or a network request
 * (remote sources are only recorded by the parser, not fetched). */
#include "ignition/detect.h"
#include "ignition/ignition-config.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  PlConfigKind kind;
  g_autoptr(GError) detect_error = NULL;
  (void) pl_detect_config_kind (text, size, "fuzz", &kind, &detect_error);
  PlFetchOptions opts = { .max_size = 1 << 20 };
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = pl_ignition_compile (text, size, &opts, &error);
  g_assert ((plan == NULL) != (error == NULL));
  return 0;
}
