# Plinth: one non-recursive build. Each folder describes itself in its module.mk
# with the pl_library / pl_program macros below; unit tests (tests/unit/test-*.c) and
# fuzzers (tests/fuzz/fuzz-*.c) are found by name and linked against every library.

PREFIX     ?= /usr
SYSCONFDIR ?= /etc
DESTDIR    ?=
B          ?= build

PL_PKGS := glib-2.0 gio-2.0 gio-unix-2.0 ostree-1 libcurl libsystemd libarchive \
           gpgme json-c rpm libsolv libsolvext
PKG_CFLAGS := $(shell pkg-config --cflags $(PL_PKGS))
PKG_LIBS   := $(shell pkg-config --libs $(PL_PKGS))

CC      ?= cc
CFLAGS  ?= -O2 -g
PL_CFLAGS := -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
             -Werror=implicit-function-declaration -Werror=incompatible-pointer-types \
             -Werror=return-type -D_GNU_SOURCE -DG_LOG_DOMAIN=\"plinth\" \
             -DGLIB_VERSION_MIN_REQUIRED=GLIB_VERSION_2_74 \
             -DPL_DATADIR=\"$(PREFIX)/share/plinth\" -DPL_LIBDIR=\"$(PREFIX)/lib/plinth\" \
             -I. $(PKG_CFLAGS)
LDLIBS  := $(PKG_LIBS) -lm
# Every program links the whole pkg-config list; --as-needed keeps only the shared
# libraries it uses, which halves the start-up of the small node binaries.
LDFLAGS += -Wl,--as-needed

ifeq ($(SANITIZE),1)
  CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
  LDFLAGS += -fsanitize=address,undefined
endif

# `make V=1` shows the full commands
Q := $(if $(V),,@)

PL_ARCHIVES :=
PL_PROGRAMS :=
PL_INSTALL  :=

# $(call pl_library,NAME,SOURCES): build/libplinth-NAME.a
define pl_library
PL_ARCHIVES += $(B)/libplinth-$(1).a
$(B)/libplinth-$(1).a: $(patsubst %.c,$(B)/obj/%.o,$(2))
	@mkdir -p $$(@D)
	$$(Q)echo "  AR      $$@"; $$(AR) rcs $$@ $$^
endef

# $(call pl_program,NAME,SOURCES): build/bin/NAME, linked against every library. The
# rule itself is made after every module.mk is read (prerequisites expand at once, and
# must see all the libraries).
define pl_program
PL_PROGRAMS += $(B)/bin/$(1)
PL_PROGRAM_NAMES += $(1)
PL_PROGRAM_SRCS_$(1) := $(2)
endef

define pl_program_rule
$(B)/bin/$(1): $(patsubst %.c,$(B)/obj/%.o,$(PL_PROGRAM_SRCS_$(1))) $(PL_ARCHIVES)
	@mkdir -p $$(@D)
	$$(Q)echo "  LINK    $$@"; $$(CC) $$(LDFLAGS) -o $$@ $(patsubst %.c,$(B)/obj/%.o,$(PL_PROGRAM_SRCS_$(1))) -Wl,--start-group $$(PL_ARCHIVES) -Wl,--end-group $$(LDLIBS)
endef

all: programs tests

include $(sort $(wildcard */module.mk))
$(foreach p,$(PL_PROGRAM_NAMES),$(eval $(call pl_program_rule,$(p))))

UNIT_SRCS  := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BINS  := $(patsubst tests/unit/%.c,$(B)/tests/unit/%,$(UNIT_SRCS))
FUZZ_SRCS  := $(sort $(wildcard tests/fuzz/fuzz-*.c))
FUZZ_BINS  := $(patsubst tests/fuzz/%.c,$(B)/tests/fuzz/%,$(FUZZ_SRCS))

programs: $(PL_PROGRAMS)
tests: $(UNIT_BINS) $(FUZZ_BINS)

$(B)/obj/%.o: %.c
	@mkdir -p $(@D)
	$(Q)echo "  CC      $<"; $(CC) $(PL_CFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(B)/tests/unit/%: $(B)/obj/tests/unit/%.o $(PL_ARCHIVES)
	@mkdir -p $(@D)
	$(Q)echo "  LINK    $@"; $(CC) $(LDFLAGS) -o $@ $< -Wl,--start-group $(PL_ARCHIVES) -Wl,--end-group $(LDLIBS)

# Fuzzers link the libFuzzer entry point plus a plain main that replays a corpus,
# so the corpus runs in every `make check` without clang.
$(B)/tests/fuzz/%: $(B)/obj/tests/fuzz/%.o $(B)/obj/tests/fuzz/driver.o $(PL_ARCHIVES)
	@mkdir -p $(@D)
	$(Q)echo "  LINK    $@"; $(CC) $(LDFLAGS) -o $@ $< $(B)/obj/tests/fuzz/driver.o -Wl,--start-group $(PL_ARCHIVES) -Wl,--end-group $(LDLIBS)

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)

# Installs the build dependencies (Debian), then builds and runs every test.
deps:
	tests/install-deps.sh

check: deps
	$(MAKE) all
	tests/run-tests.sh

# The same suite under ASan+UBSan, in its own build directory.
check-asan: deps
	$(MAKE) B=build-asan SANITIZE=1 all
	PL_BUILD=build-asan tests/run-tests.sh --unit --fuzz

demo: deps
	$(MAKE) programs
	tests/demo.sh

install: programs
	install -d $(DESTDIR)$(PREFIX)/bin
	install -m 0755 $(PL_PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	$(foreach f,$(PL_INSTALL),install -D -m 0644 $(word 1,$(subst :, ,$(f))) $(DESTDIR)$(word 2,$(subst :, ,$(f)));)

clean:
	rm -rf $(B) build-asan

.PHONY: all programs tests deps check check-asan demo install clean
.DELETE_ON_ERROR:
