/* Fuzzes the aksnodeconfig.v1 compiler: any bytes give a plan or an error. */
#include "ignition/aksnodeconfig.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GError) error = NULL;
  g_autoptr(PlPlan) plan = pl_aks_compile (text, size, &error);
  g_assert ((plan == NULL) != (error == NULL));
  return 0;
}
