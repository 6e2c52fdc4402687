# updater/: the node side. Library code for the update agent (policy, fetch, stage);
# the daemon and CLI mains will be added as programs here.
PL_UPDATER_MAINS :=
$(eval $(call pl_library,updater,$(filter-out $(PL_UPDATER_MAINS),$(sort $(wildcard updater/*.c)))))
