# ignition/: plinth-provision, the first-boot provisioner. Every .c but the program's
# main is library code (config parsers, sources, the executor, Azure reporting).
PL_IGNITION_MAINS := ignition/plinth-provision.c
$(eval $(call pl_library,ignition,$(filter-out $(PL_IGNITION_MAINS),$(sort $(wildcard ignition/*.c)))))
$(eval $(call pl_program,plinth-provision,ignition/plinth-provision.c))
