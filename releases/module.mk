# releases/: the build host side. Every .c but the program's main is library code.
PL_RELEASES_MAINS := releases/plinth-build.c
$(eval $(call pl_library,releases,$(filter-out $(PL_RELEASES_MAINS),$(sort $(wildcard releases/*.c)))))
$(eval $(call pl_program,plinth-build,releases/plinth-build.c))
