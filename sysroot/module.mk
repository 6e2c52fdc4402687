# sysroot/: the rules that turn an installed RPM tree into an immutable OSTree root.
# Every .c here is library code (no program of its own: plinth-build calls it).
$(eval $(call pl_library,sysroot,$(sort $(wildcard sysroot/*.c))))
