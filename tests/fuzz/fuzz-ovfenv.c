/* Fuzzes the ovf-env.xml parser and what it turns into a plan. */
#include "ignition/ovf.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlOvfEnv) env = pl_ovf_parse ((const char *) data, size, &error);
  g_assert ((env == NULL) != (error == NULL));
  if (env)
    {
      g_autoptr(PlPlan) plan = pl_ovf_to_plan (env);
      g_assert (plan != NULL);
    }
  return 0;
}
