/* OpenPGP through gpgme: verifying detached signatures against an explicit set of
 * trusted public key files (never the user's keyring), and making them for the
 * publisher. Used for the release index and anything else Plinth signs. */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define PL_GPG_ERROR (pl_gpg_error_quark ())
GQuark pl_gpg_error_quark (void);

typedef enum {
  PL_GPG_ERROR_NO_SIGNATURE,   /* the signature is empty or absent */
  PL_GPG_ERROR_BAD_SIGNATURE,  /* not a signature, corrupted, or does not match the data */
  PL_GPG_ERROR_UNTRUSTED_KEY,  /* made by a key that is not in the trusted key files */
  PL_GPG_ERROR_EXPIRED_KEY,    /* made by a trusted key that has expired */
  PL_GPG_ERROR_REVOKED_KEY,    /* made by a trusted key that has been revoked */
  PL_GPG_ERROR_NO_KEYS,        /* no trusted key files in the given directories */
  PL_GPG_ERROR_BAD_KEY_FILE,   /* a key file could not be imported */
  PL_GPG_ERROR_FAILED,         /* gpgme/GnuPG itself failed (engine missing, ...) */
} PlGpgError;

/* Verifies SIGNATURE (armored or binary) over DATA. The trusted keys are the `*.asc` and
 * `*.gpg` files in KEYRING_DIRS (NULL-terminated; missing directories are skipped),
 * imported into a private temporary GnuPG home that is removed afterwards. On success
 * OUT_FINGERPRINT (may be NULL) receives the signing key's fingerprint. */
gboolean pl_gpg_verify_detached (const char *const *keyring_dirs, GBytes *data,
                                 GBytes *signature, char **out_fingerprint, GError **error);

/* Makes an armored detached signature of DATA with KEYID (fingerprint, key id or user
 * id; NULL: the default key) from the GnuPG home HOMEDIR, which must hold the secret key
 * without passphrase. A gpg-agent started for this is stopped again afterwards. */
gboolean pl_gpg_sign_detached (const char *homedir, const char *keyid, GBytes *data,
                               GBytes **out_signature_armored, GError **error);

G_END_DECLS
