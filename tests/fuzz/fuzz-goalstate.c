/* Fuzzes the WireServer goal state parser and the Health document built from it. */
#include "ignition/wireserver.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(PlGoalState) gs = pl_goal_state_parse ((const char *) data, size, &error);
  g_assert ((gs == NULL) != (error == NULL));
  if (gs)
    {
      g_autofree char *xml = pl_wireserver_health_xml (gs, FALSE, gs->instance_id);
      g_assert (xml != NULL);
    }
  return 0;
}
