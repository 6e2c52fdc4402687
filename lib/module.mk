# lib/: what every Plinth component shares. Every .c here is part of the library.
$(eval $(call pl_library,common,$(sort $(wildcard lib/*.c))))
