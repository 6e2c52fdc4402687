# updater/: the node side. Library code for the update agent (policy, deployments,
# state, status); plinthctl's main is a program of its own.
PL_UPDATER_MAINS := updater/plinthctl.c
$(eval $(call pl_library,updater,$(filter-out $(PL_UPDATER_MAINS),$(sort $(wildcard updater/*.c)))))
$(eval $(call pl_program,plinthctl,updater/plinthctl.c))
