# lib/: what every Plinth component shares.
$(eval $(call pl_library,common,lib/fsutil.c lib/log.c lib/json.c lib/http.c))
