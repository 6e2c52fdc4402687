/* SPDX 2.3 SBOM writer. Determinism is the point: packages are sorted, ids derived from
 * the package, the namespace from a hash of the package set and the time from
 * SOURCE_DATE_EPOCH, so two composes of the same set give the same document (and the
 * same checksum in the commit metadata). Licenses: an RPM License tag that is a valid
 * SPDX expression over the SPDX License List is used as is; any other tag becomes a
 * LicenseRef-rpm-* declared in hasExtractedLicensingInfos with the tag as its text. */
#include "releases/sbom.h"

#include "lib/fsutil.h"
#include "lib/json.h"

#include <stdlib.h>
#include <string.h>

#ifndef PL_VERSION
#define PL_VERSION "0.1.0"
#endif

/* SPDX License List 3.23 identifiers (current and deprecated) and exceptions, from the
 * spdx-license-ids 3.0.23 and spdx-exceptions 2.5.0 data; sorted case-insensitively. */
static const char *const spdx_licenses[] = {
  "0BSD", "3D-Slicer-1.0", "AAL", "Abstyles", "AdaCore-doc", "Adobe-2006",
  "Adobe-Display-PostScript", "Adobe-Glyph", "Adobe-Utopia", "ADSL",
  "Advanced-Cryptics-Dictionary", "AFL-1.1", "AFL-1.2", "AFL-2.0", "AFL-2.1", "AFL-3.0",
  "Afmparse", "AGPL-1.0", "AGPL-1.0-only", "AGPL-1.0-or-later", "AGPL-3.0",
  "AGPL-3.0-only", "AGPL-3.0-or-later", "Aladdin", "ALGLIB-Documentation", "AMD-newlib",
  "AMDPLPA", "AML", "AML-glslang", "AMPAS", "ANTLR-PD", "ANTLR-PD-fallback", "any-OSI",
  "any-OSI-perl-modules", "Apache-1.0", "Apache-1.1", "Apache-2.0", "APAFML", "APL-1.0",
  "App-s2p", "APSL-1.0", "APSL-1.1", "APSL-1.2", "APSL-2.0", "Arphic-1999", "Artistic-1.0",
  "Artistic-1.0-cl8", "Artistic-1.0-Perl", "Artistic-2.0", "Artistic-dist", "Aspell-RU",
  "ASWF-Digital-Assets-1.0", "ASWF-Digital-Assets-1.1", "Baekmuk", "Bahyph", "Barr",
  "bcrypt-Solar-Designer", "Beerware", "Bitstream-Charter", "Bitstream-Vera",
  "BitTorrent-1.0", "BitTorrent-1.1", "blessing", "BlueOak-1.0.0", "Boehm-GC",
  "Boehm-GC-without-fee", "BOLA-1.1", "Borceux", "Brian-Gladman-2-Clause",
  "Brian-Gladman-3-Clause", "BSD-1-Clause", "BSD-2-Clause", "BSD-2-Clause-Darwin",
  "BSD-2-Clause-first-lines", "BSD-2-Clause-FreeBSD", "BSD-2-Clause-NetBSD",
  "BSD-2-Clause-Patent", "BSD-2-Clause-pkgconf-disclaimer", "BSD-2-Clause-Views",
  "BSD-3-Clause", "BSD-3-Clause-acpica", "BSD-3-Clause-Attribution", "BSD-3-Clause-Clear",
  "BSD-3-Clause-flex", "BSD-3-Clause-HP", "BSD-3-Clause-LBNL", "BSD-3-Clause-Modification",
  "BSD-3-Clause-No-Military-License", "BSD-3-Clause-No-Nuclear-License",
  "BSD-3-Clause-No-Nuclear-License-2014", "BSD-3-Clause-No-Nuclear-Warranty",
  "BSD-3-Clause-Open-MPI", "BSD-3-Clause-Sun", "BSD-3-Clause-Tso", "BSD-4-Clause",
  "BSD-4-Clause-Shortened", "BSD-4-Clause-UC", "BSD-4.3RENO", "BSD-4.3TAHOE",
  "BSD-Advertising-Acknowledgement", "BSD-Attribution-HPND-disclaimer",
  "BSD-Inferno-Nettverk", "BSD-Mark-Modifications", "BSD-Protection",
  "BSD-Source-beginning-file", "BSD-Source-Code", "BSD-Systemics", "BSD-Systemics-W3Works",
  "BSL-1.0", "Buddy", "BUSL-1.1", "bzip2-1.0.5", "bzip2-1.0.6", "C-UDA-1.0", "CAL-1.0",
  "CAL-1.0-Combined-Work-Exception", "Caldera", "Caldera-no-preamble", "CAPEC-tou",
  "Catharon", "CATOSL-1.1", "CC-BY-1.0", "CC-BY-2.0", "CC-BY-2.5", "CC-BY-2.5-AU",
  "CC-BY-3.0", "CC-BY-3.0-AT", "CC-BY-3.0-AU", "CC-BY-3.0-DE", "CC-BY-3.0-IGO",
  "CC-BY-3.0-NL", "CC-BY-3.0-US", "CC-BY-4.0", "CC-BY-NC-1.0", "CC-BY-NC-2.0",
  "CC-BY-NC-2.5", "CC-BY-NC-3.0", "CC-BY-NC-3.0-DE", "CC-BY-NC-4.0", "CC-BY-NC-ND-1.0",
  "CC-BY-NC-ND-2.0", "CC-BY-NC-ND-2.5", "CC-BY-NC-ND-3.0", "CC-BY-NC-ND-3.0-DE",
  "CC-BY-NC-ND-3.0-IGO", "CC-BY-NC-ND-4.0", "CC-BY-NC-SA-1.0", "CC-BY-NC-SA-2.0",
  "CC-BY-NC-SA-2.0-DE", "CC-BY-NC-SA-2.0-FR", "CC-BY-NC-SA-2.0-UK", "CC-BY-NC-SA-2.5",
  "CC-BY-NC-SA-3.0", "CC-BY-NC-SA-3.0-DE", "CC-BY-NC-SA-3.0-IGO", "CC-BY-NC-SA-4.0",
  "CC-BY-ND-1.0", "CC-BY-ND-2.0", "CC-BY-ND-2.5", "CC-BY-ND-3.0", "CC-BY-ND-3.0-DE",
  "CC-BY-ND-4.0", "CC-BY-SA-1.0", "CC-BY-SA-2.0", "CC-BY-SA-2.0-UK", "CC-BY-SA-2.1-JP",
  "CC-BY-SA-2.5", "CC-BY-SA-3.0", "CC-BY-SA-3.0-AT", "CC-BY-SA-3.0-DE", "CC-BY-SA-3.0-IGO",
  "CC-BY-SA-4.0", "CC-PDDC", "CC-PDM-1.0", "CC-SA-1.0", "CC0-1.0", "CDDL-1.0", "CDDL-1.1",
  "CDL-1.0", "CDLA-Permissive-1.0", "CDLA-Permissive-2.0", "CDLA-Sharing-1.0",
  "CECILL-1.0", "CECILL-1.1", "CECILL-2.0", "CECILL-2.1", "CECILL-B", "CECILL-C",
  "CERN-OHL-1.1", "CERN-OHL-1.2", "CERN-OHL-P-2.0", "CERN-OHL-S-2.0", "CERN-OHL-W-2.0",
  "CFITSIO", "check-cvs", "checkmk", "ClArtistic", "Clips", "CMU-Mach", "CMU-Mach-nodoc",
  "CNRI-Jython", "CNRI-Python", "CNRI-Python-GPL-Compatible", "COIL-1.0",
  "Community-Spec-1.0", "Condor-1.1", "copyleft-next-0.3.0", "copyleft-next-0.3.1",
  "Cornell-Lossless-JPEG", "CPAL-1.0", "CPL-1.0", "CPOL-1.02", "Cronyx", "Crossword",
  "CryptoSwift", "CrystalStacker", "CUA-OPL-1.0", "Cube", "curl", "cve-tou", "D-FSL-1.0",
  "DEC-3-Clause", "diffmark", "DL-DE-BY-2.0", "DL-DE-ZERO-2.0", "DOC", "DocBook-DTD",
  "DocBook-Schema", "DocBook-Stylesheet", "DocBook-XML", "Dotseqn", "DRL-1.0", "DRL-1.1",
  "DSDP", "dtoa", "dvipdfm", "ECL-1.0", "ECL-2.0", "eCos-2.0", "EFL-1.0", "EFL-2.0",
  "eGenix", "Elastic-2.0", "Entessa", "EPICS", "EPL-1.0", "EPL-2.0", "ErlPL-1.1",
  "ESA-PL-permissive-2.4", "ESA-PL-strong-copyleft-2.4", "ESA-PL-weak-copyleft-2.4",
  "etalab-2.0", "EUDatagrid", "EUPL-1.0", "EUPL-1.1", "EUPL-1.2", "Eurosym", "Fair", "FBM",
  "FDK-AAC", "Ferguson-Twofish", "Frameworx-1.0", "FreeBSD-DOC", "FreeImage", "FSFAP",
  "FSFAP-no-warranty-disclaimer", "FSFUL", "FSFULLR", "FSFULLRSD", "FSFULLRWD",
  "FSL-1.1-ALv2", "FSL-1.1-MIT", "FTL", "Furuseth", "fwlw", "Game-Programming-Gems",
  "GCR-docs", "GD", "generic-xts", "GFDL-1.1", "GFDL-1.1-invariants-only",
  "GFDL-1.1-invariants-or-later", "GFDL-1.1-no-invariants-only",
  "GFDL-1.1-no-invariants-or-later", "GFDL-1.1-only", "GFDL-1.1-or-later", "GFDL-1.2",
  "GFDL-1.2-invariants-only", "GFDL-1.2-invariants-or-later",
  "GFDL-1.2-no-invariants-only", "GFDL-1.2-no-invariants-or-later", "GFDL-1.2-only",
  "GFDL-1.2-or-later", "GFDL-1.3", "GFDL-1.3-invariants-only",
  "GFDL-1.3-invariants-or-later", "GFDL-1.3-no-invariants-only",
  "GFDL-1.3-no-invariants-or-later", "GFDL-1.3-only", "GFDL-1.3-or-later", "Giftware",
  "GL2PS", "Glide", "Glulxe", "GLWTPL", "gnuplot", "GPL-1.0", "GPL-1.0-only",
  "GPL-1.0-or-later", "GPL-2.0", "GPL-2.0-only", "GPL-2.0-or-later",
  "GPL-2.0-with-autoconf-exception", "GPL-2.0-with-bison-exception",
  "GPL-2.0-with-classpath-exception", "GPL-2.0-with-font-exception",
  "GPL-2.0-with-GCC-exception", "GPL-3.0", "GPL-3.0-only", "GPL-3.0-or-later",
  "GPL-3.0-with-autoconf-exception", "GPL-3.0-with-GCC-exception", "Graphics-Gems",
  "gSOAP-1.3b", "gtkbook", "Gutmann", "HaskellReport", "HDF5", "hdparm", "HIDAPI",
  "Hippocratic-2.1", "HP-1986", "HP-1989", "HPND", "HPND-DEC", "HPND-doc", "HPND-doc-sell",
  "HPND-export-US", "HPND-export-US-acknowledgement", "HPND-export-US-modify",
  "HPND-export2-US", "HPND-Fenneberg-Livingston", "HPND-INRIA-IMAG", "HPND-Intel",
  "HPND-Kevlin-Henney", "HPND-Markus-Kuhn", "HPND-merchantability-variant",
  "HPND-MIT-disclaimer", "HPND-Netrek", "HPND-Pbmplus", "HPND-sell-MIT-disclaimer-xserver",
  "HPND-sell-regexpr", "HPND-sell-variant", "HPND-sell-variant-critical-systems",
  "HPND-sell-variant-MIT-disclaimer", "HPND-sell-variant-MIT-disclaimer-rev", "HPND-SMC",
  "HPND-UC", "HPND-UC-export-US", "HTMLTIDY", "hyphen-bulgarian", "IBM-pibs", "ICU",
  "IEC-Code-Components-EULA", "IJG", "IJG-short", "ImageMagick", "iMatix", "Imlib2",
  "Info-ZIP", "Inner-Net-2.0", "InnoSetup", "Intel", "Intel-ACPI", "Interbase-1.0", "IPA",
  "IPL-1.0", "ISC", "ISC-Veillard", "ISO-permission", "Jam", "JasPer-2.0", "jove",
  "JPL-image", "JPNIC", "JSON", "Kastrup", "Kazlib", "Knuth-CTAN", "LAL-1.2", "LAL-1.3",
  "Latex2e", "Latex2e-translated-notice", "Leptonica", "LGPL-2.0", "LGPL-2.0-only",
  "LGPL-2.0-or-later", "LGPL-2.1", "LGPL-2.1-only", "LGPL-2.1-or-later", "LGPL-3.0",
  "LGPL-3.0-only", "LGPL-3.0-or-later", "LGPLLR", "Libpng", "libpng-1.6.35", "libpng-2.0",
  "libselinux-1.0", "libtiff", "libutil-David-Nugent", "LiLiQ-P-1.1", "LiLiQ-R-1.1",
  "LiLiQ-Rplus-1.1", "Linux-man-pages-1-para", "Linux-man-pages-copyleft",
  "Linux-man-pages-copyleft-2-para", "Linux-man-pages-copyleft-var", "Linux-OpenIB",
  "LOOP", "LPD-document", "LPL-1.0", "LPL-1.02", "LPPL-1.0", "LPPL-1.1", "LPPL-1.2",
  "LPPL-1.3a", "LPPL-1.3c", "lsof", "Lucida-Bitmap-Fonts", "LZMA-SDK-9.11-to-9.20",
  "LZMA-SDK-9.22", "Mackerras-3-Clause", "Mackerras-3-Clause-acknowledgment", "magaz",
  "mailprio", "MakeIndex", "man2html", "Martin-Birgmeier", "McPhee-slideshow", "metamail",
  "Minpack", "MIPS", "MirOS", "MIT", "MIT-0", "MIT-advertising", "MIT-Click", "MIT-CMU",
  "MIT-enna", "MIT-feh", "MIT-Festival", "MIT-Khronos-old", "MIT-Modern-Variant",
  "MIT-open-group", "MIT-STK", "MIT-testregex", "MIT-Wu", "MITNFA", "MMIXware",
  "MMPL-1.0.1", "Motosoto", "MPEG-SSG", "mpi-permissive", "mpich2", "MPL-1.0", "MPL-1.1",
  "MPL-2.0", "MPL-2.0-no-copyleft-exception", "mplus", "MS-LPL", "MS-PL", "MS-RL", "MTLL",
  "MulanPSL-1.0", "MulanPSL-2.0", "Multics", "Mup", "NAIST-2003", "NASA-1.3", "Naumen",
  "NBPL-1.0", "NCBI-PD", "NCGL-UK-2.0", "NCL", "NCSA", "Net-SNMP", "NetCDF", "Newsletr",
  "NGPL", "ngrep", "NICTA-1.0", "NIST-PD", "NIST-PD-fallback", "NIST-PD-TNT",
  "NIST-Software", "NLOD-1.0", "NLOD-2.0", "NLPL", "Nokia", "NOSL", "Noweb", "NPL-1.0",
  "NPL-1.1", "NPOSL-3.0", "NRL", "NTIA-PD", "NTP", "NTP-0", "Nunit", "O-UDA-1.0", "OAR",
  "OCCT-PL", "OCLC-2.0", "ODbL-1.0", "ODC-By-1.0", "OFFIS", "OFL-1.0", "OFL-1.0-no-RFN",
  "OFL-1.0-RFN", "OFL-1.1", "OFL-1.1-no-RFN", "OFL-1.1-RFN", "OGC-1.0", "OGDL-Taiwan-1.0",
  "OGL-Canada-2.0", "OGL-UK-1.0", "OGL-UK-2.0", "OGL-UK-3.0", "OGTSL", "OLDAP-1.1",
  "OLDAP-1.2", "OLDAP-1.3", "OLDAP-1.4", "OLDAP-2.0", "OLDAP-2.0.1", "OLDAP-2.1",
  "OLDAP-2.2", "OLDAP-2.2.1", "OLDAP-2.2.2", "OLDAP-2.3", "OLDAP-2.4", "OLDAP-2.5",
  "OLDAP-2.6", "OLDAP-2.7", "OLDAP-2.8", "OLFL-1.3", "OML", "OpenMDW-1.0", "OpenPBS-2.3",
  "OpenSSL", "OpenSSL-standalone", "OpenVision", "OPL-1.0", "OPL-UK-3.0", "OPUBL-1.0",
  "OSC-1.0", "OSET-PL-2.1", "OSL-1.0", "OSL-1.1", "OSL-2.0", "OSL-2.1", "OSL-3.0", "OSSP",
  "PADL", "ParaType-Free-Font-1.3", "Parity-6.0.0", "Parity-7.0.0", "PDDL-1.0", "PHP-3.0",
  "PHP-3.01", "Pixar", "pkgconf", "Plexus", "pnmstitch", "PolyForm-Noncommercial-1.0.0",
  "PolyForm-Small-Business-1.0.0", "PostgreSQL", "PPL", "PSF-2.0", "psfrag", "psutils",
  "Python-2.0", "Python-2.0.1", "python-ldap", "Qhull", "QPL-1.0", "QPL-1.0-INRIA-2004",
  "radvd", "Rdisc", "RHeCos-1.1", "RPL-1.1", "RPL-1.5", "RPSL-1.0", "RSA-MD", "RSCPL",
  "Ruby", "Ruby-pty", "SAX-PD", "SAX-PD-2.0", "Saxpath", "SCEA", "SchemeReport",
  "Sendmail", "Sendmail-8.23", "Sendmail-Open-Source-1.1", "SGI-B-1.0", "SGI-B-1.1",
  "SGI-B-2.0", "SGI-OpenGL", "SGMLUG-PM", "SGP4", "SHL-0.5", "SHL-0.51", "SimPL-2.0",
  "SISSL", "SISSL-1.2", "SL", "Sleepycat", "SMAIL-GPL", "SMLNJ", "SMPPL", "SNIA",
  "snprintf", "SOFA", "softSurfer", "Soundex", "Spencer-86", "Spencer-94", "Spencer-99",
  "SPL-1.0", "ssh-keyscan", "SSH-OpenSSH", "SSH-short", "SSLeay-standalone", "SSPL-1.0",
  "StandardML-NJ", "SugarCRM-1.1.3", "SUL-1.0", "Sun-PPP", "Sun-PPP-2000", "SunPro", "SWL",
  "swrule", "Symlinks", "TAPR-OHL-1.0", "TCL", "TCP-wrappers", "TekHVC", "TermReadKey",
  "TGPPL-1.0", "ThirdEye", "threeparttable", "TMate", "TORQUE-1.1", "TOSL", "TPDL",
  "TPL-1.0", "TrustedQSL", "TTWL", "TTYP0", "TU-Berlin-1.0", "TU-Berlin-2.0",
  "Ubuntu-font-1.0", "UCAR", "UCL-1.0", "ulem", "UMich-Merit", "Unicode-3.0",
  "Unicode-DFS-2015", "Unicode-DFS-2016", "Unicode-TOU", "UnixCrypt", "Unlicense",
  "Unlicense-libtelnet", "Unlicense-libwhirlpool", "UnRAR", "UPL-1.0", "URT-RLE", "Vim",
  "Vixie-Cron", "VOSTROM", "VSL-1.0", "W3C", "W3C-19980720", "W3C-20150513", "w3m",
  "Watcom-1.0", "Widget-Workshop", "WordNet", "Wsuipa", "WTFNMFPL", "WTFPL", "wwl",
  "wxWindows", "X11", "X11-distribute-modifications-variant", "X11-no-permit-persons",
  "X11-swapped", "Xdebug-1.03", "Xerox", "Xfig", "XFree86-1.1", "xinetd",
  "xkeyboard-config-Zinoviev", "xlock", "Xnet", "xpp", "XSkat", "xzoom", "YPL-1.0",
  "YPL-1.1", "Zed", "Zeeff", "Zend-2.0", "Zimbra-1.3", "Zimbra-1.4", "Zlib",
  "zlib-acknowledgement", "ZPL-1.1", "ZPL-2.0", "ZPL-2.1",
};
static const char *const spdx_exceptions[] = {
  "389-exception", "Asterisk-exception", "Autoconf-exception-2.0",
  "Autoconf-exception-3.0", "Autoconf-exception-generic", "Autoconf-exception-generic-3.0",
  "Autoconf-exception-macro", "Bison-exception-1.24", "Bison-exception-2.2",
  "Bootloader-exception", "Classpath-exception-2.0", "CLISP-exception-2.0",
  "cryptsetup-OpenSSL-exception", "DigiRule-FOSS-exception", "eCos-exception-2.0",
  "Fawkes-Runtime-exception", "FLTK-exception", "fmt-exception", "Font-exception-2.0",
  "freertos-exception-2.0", "GCC-exception-2.0", "GCC-exception-2.0-note",
  "GCC-exception-3.1", "Gmsh-exception", "GNAT-exception", "GNOME-examples-exception",
  "GNU-compiler-exception", "gnu-javamail-exception", "GPL-3.0-interface-exception",
  "GPL-3.0-linking-exception", "GPL-3.0-linking-source-exception", "GPL-CC-1.0",
  "GStreamer-exception-2005", "GStreamer-exception-2008", "i2p-gpl-java-exception",
  "KiCad-libraries-exception", "LGPL-3.0-linking-exception", "libpri-OpenH323-exception",
  "Libtool-exception", "Linux-syscall-note", "LLGPL", "LLVM-exception", "LZMA-exception",
  "mif-exception", "OCaml-LGPL-linking-exception", "OCCT-exception-1.0",
  "OpenJDK-assembly-exception-1.0", "openvpn-openssl-exception",
  "PS-or-PDF-font-exception-20170817", "QPL-1.0-INRIA-2004-exception",
  "Qt-GPL-exception-1.0", "Qt-LGPL-exception-1.1", "Qwt-exception-1.0", "SANE-exception",
  "SHL-2.0", "SHL-2.1", "stunnel-exception", "SWI-exception", "Swift-exception",
  "Texinfo-exception", "u-boot-exception-2.0", "UBDL-exception",
  "Universal-FOSS-exception-1.0", "vsftpd-openssl-exception", "WxWindows-exception-3.1",
  "x11vnc-openssl-exception",
};

static int
compare_id (const void *key, const void *elem)
{
  return g_ascii_strcasecmp (key, *(const char *const *) elem);
}

/* The canonical spelling of ID in TABLE (SPDX ids match case-insensitively). */
static const char *
lookup_id (const char *const *table, gsize n, const char *id)
{
  const char *const *hit = bsearch (id, table, n, sizeof table[0], compare_id);
  return hit ? *hit : NULL;
}

static gboolean
is_idstring (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (const char *p = s; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
      return FALSE;
  return TRUE;
}

/* A recursive-descent reader of SPDX license expressions (SPDX 2.3 annex D):
 * or := and ("OR" and)*; and := with ("AND" with)*; with := simple ["WITH" exception]
 * | "(" or ")"; simple := listed-id["+"] | "LicenseRef-"idstring. */
typedef struct {
  char **tokens;
  gsize pos;
  GString *out;
} Expr;

static const char *
peek (Expr *e)
{
  return e->tokens[e->pos];
}

static gboolean
is_op (const char *tok, const char *op)
{
  return tok && g_ascii_strcasecmp (tok, op) == 0;
}

static gboolean parse_or (Expr *e);

static gboolean
parse_simple (Expr *e)
{
  const char *tok = peek (e);
  if (tok == NULL || is_op (tok, "AND") || is_op (tok, "OR") || is_op (tok, "WITH")
      || g_str_equal (tok, "(") || g_str_equal (tok, ")"))
    return FALSE;
  e->pos++;
  if (g_str_has_prefix (tok, "LicenseRef-"))
    {
      if (!is_idstring (tok + strlen ("LicenseRef-")))
        return FALSE;
      g_string_append (e->out, tok);
      return TRUE;
    }
  g_autofree char *id = g_strdup (tok);
  gboolean plus = g_str_has_suffix (id, "+");
  if (plus)
    id[strlen (id) - 1] = '\0';
  const char *canon = lookup_id (spdx_licenses, G_N_ELEMENTS (spdx_licenses), id);
  if (canon == NULL)
    return FALSE;
  g_string_append_printf (e->out, "%s%s", canon, plus ? "+" : "");
  return TRUE;
}

static gboolean
parse_with (Expr *e)
{
  if (g_strcmp0 (peek (e), "(") == 0)
    {
      e->pos++;
      g_string_append_c (e->out, '(');
      if (!parse_or (e) || g_strcmp0 (peek (e), ")") != 0)
        return FALSE;
      e->pos++;
      g_string_append_c (e->out, ')');
      return TRUE;
    }
  if (!parse_simple (e))
    return FALSE;
  if (!is_op (peek (e), "WITH"))
    return TRUE;
  e->pos++;
  const char *exc = peek (e);
  const char *canon = exc ? lookup_id (spdx_exceptions, G_N_ELEMENTS (spdx_exceptions), exc)
                          : NULL;
  if (canon == NULL)
    return FALSE;
  e->pos++;
  g_string_append_printf (e->out, " WITH %s", canon);
  return TRUE;
}

static gboolean
parse_binary (Expr *e, const char *op, gboolean (*operand) (Expr *))
{
  if (!operand (e))
    return FALSE;
  while (is_op (peek (e), op))
    {
      e->pos++;
      g_string_append_printf (e->out, " %s ", op);
      if (!operand (e))
        return FALSE;
    }
  return TRUE;
}

static gboolean
parse_and (Expr *e)
{
  return parse_binary (e, "AND", parse_with);
}

static gboolean
parse_or (Expr *e)
{
  return parse_binary (e, "OR", parse_and);
}

char *
pl_sbom_license_expression (const char *rpm_license)
{
  if (rpm_license == NULL)
    return NULL;
  /* tokens: words, split on whitespace, with parentheses as tokens of their own */
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func (g_free);
  GString *word = g_string_new (NULL);
  for (const char *p = rpm_license;; p++)
    {
      gboolean paren = *p == '(' || *p == ')';
      if (*p == '\0' || g_ascii_isspace (*p) || paren)
        {
          if (word->len > 0)
            g_ptr_array_add (tokens, g_strdup (word->str));
          g_string_truncate (word, 0);
          if (paren)
            g_ptr_array_add (tokens, g_strndup (p, 1));
          if (*p == '\0')
            break;
          continue;
        }
      g_string_append_c (word, *p);
    }
  g_string_free (word, TRUE);
  g_ptr_array_add (tokens, NULL);
  g_autoptr(GString) out = g_string_new (NULL);
  Expr e = { (char **) tokens->pdata, 0, out };
  if (tokens->len == 1 || !parse_or (&e) || peek (&e) != NULL)
    return NULL;
  return g_string_free (g_steal_pointer (&out), FALSE);
}

char *
pl_sbom_purl_encode (const char *s)
{
  GString *out = g_string_new (NULL);
  for (const guchar *p = (const guchar *) s; *p; p++)
    {
      if (g_ascii_isalnum (*p) || strchr (".-_~:", *p))
        g_string_append_c (out, *p);
      else
        g_string_append_printf (out, "%%%02X", *p);
    }
  return g_string_free (out, FALSE);
}

char *
pl_sbom_purl (const PlPackage *pkg)
{
  g_autofree char *name = pl_sbom_purl_encode (pkg->name ? pkg->name : "");
  g_autofree char *version = pl_sbom_purl_encode (pkg->version ? pkg->version : "");
  g_autofree char *release = pl_sbom_purl_encode (pkg->release ? pkg->release : "");
  g_autofree char *arch = pl_sbom_purl_encode (pkg->arch ? pkg->arch : "");
  /* qualifiers sorted by key, as the spec wants; epoch only when it is not 0 */
  GString *s = g_string_new (NULL);
  g_string_append_printf (s, "pkg:rpm/%s/%s@%s-%s?arch=%s", PL_SBOM_PURL_NAMESPACE, name,
                          version, release, arch);
  if (pkg->epoch > 0)
    g_string_append_printf (s, "&epoch=%" G_GUINT64_FORMAT, pkg->epoch);
  return g_string_free (s, FALSE);
}

/* Only [A-Za-z0-9.-] may follow "SPDXRef-" */
static char *
sanitize_id (const char *s)
{
  char *out = g_strdup (s);
  for (char *p = out; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '.' && *p != '-')
      *p = '-';
  return out;
}

static gboolean
is_sha256 (const char *s)
{
  gsize n = 0;
  for (; s && g_ascii_isxdigit (s[n]); n++)
    ;
  return s && n == 64 && s[n] == '\0';
}

typedef struct {
  GHashTable *ids;      /* SPDX ids in use */
  GTree *extracted;     /* LicenseRef id -> text */
  GHashTable *ref_tags; /* LicenseRef-rpm-* id -> the RPM tag it stands for */
} Doc;

static char *
unique_id (Doc *doc, const char *base)
{
  char *id = g_strdup (base);
  for (guint n = 2; g_hash_table_contains (doc->ids, id); n++)
    {
      g_free (id);
      id = g_strdup_printf ("%s-%u", base, n);
    }
  g_hash_table_add (doc->ids, id);
  return g_strdup (id);
}

/* Records the LicenseRef-* ids an expression uses: SPDX wants each one declared. */
static void
note_refs (Doc *doc, const char *expr, const char *tag)
{
  g_auto(GStrv) words = g_strsplit_set (expr, " ()", -1);
  for (gsize i = 0; words[i]; i++)
    if (g_str_has_prefix (words[i], "LicenseRef-") && !g_tree_lookup (doc->extracted, words[i]))
      g_tree_insert (doc->extracted, g_strdup (words[i]),
                     g_strdup_printf ("Named by the RPM License tag \"%s\"; the license text "
                                      "is not part of this document.", tag));
}

static char *
declared_license (Doc *doc, const char *tag)
{
  if (tag == NULL || *tag == '\0')
    return g_strdup ("NOASSERTION");
  char *expr = pl_sbom_license_expression (tag);
  if (expr)
    {
      note_refs (doc, expr, tag);
      return expr;
    }
  g_autofree char *sane = sanitize_id (tag);
  g_autofree char *id = g_strconcat ("LicenseRef-rpm-", sane, NULL);
  const char *owner = g_hash_table_lookup (doc->ref_tags, id);
  if (owner && !g_str_equal (owner, tag))
    {
      /* two tags that sanitize alike ("GPLv2+" and "GPLv2 ") keep distinct ids */
      g_autofree char *sum = pl_sha256_hex (tag, strlen (tag));
      g_autofree char *longer = g_strdup_printf ("%s-%.8s", id, sum);
      g_free (id);
      id = g_steal_pointer (&longer);
    }
  if (!g_hash_table_contains (doc->ref_tags, id))
    {
      g_hash_table_insert (doc->ref_tags, g_strdup (id), g_strdup (tag));
      g_tree_insert (doc->extracted, g_strdup (id), g_strdup (tag));
    }
  return g_steal_pointer (&id);
}

static void
add_str (json_object *o, const char *key, const char *value)
{
  json_object_object_add (o, key, json_object_new_string (value));
}

static json_object *
package_json (Doc *doc, const PlPackage *pkg, char **out_id)
{
  g_autofree char *evr = pl_package_evr (pkg);
  g_autofree char *nevra = g_strdup_printf ("%s-%s.%s", pkg->name, evr, pkg->arch);
  g_autofree char *sane = sanitize_id (nevra);
  g_autofree char *base = g_strconcat ("SPDXRef-Package-rpm-", sane, NULL);
  g_autofree char *id = unique_id (doc, base);
  g_autofree char *license = declared_license (doc, pkg->license);
  g_autofree char *purl = pl_sbom_purl (pkg);

  json_object *o = json_object_new_object ();
  add_str (o, "SPDXID", id);
  add_str (o, "name", pkg->name);
  add_str (o, "versionInfo", evr);
  add_str (o, "supplier", "NOASSERTION");
  add_str (o, "downloadLocation", "NOASSERTION");
  json_object_object_add (o, "filesAnalyzed", json_object_new_boolean (FALSE));
  if (is_sha256 (pkg->sha256))
    {
      g_autofree char *lower = g_ascii_strdown (pkg->sha256, -1);
      json_object *sums = json_object_new_array ();
      json_object *sum = json_object_new_object ();
      add_str (sum, "algorithm", "SHA256");
      add_str (sum, "checksumValue", lower);
      json_object_array_add (sums, sum);
      json_object_object_add (o, "checksums", sums);
    }
  add_str (o, "licenseConcluded", "NOASSERTION");
  add_str (o, "licenseDeclared", license);
  add_str (o, "copyrightText", "NOASSERTION");
  if (pkg->summary && *pkg->summary)
    add_str (o, "summary", pkg->summary);
  json_object *refs = json_object_new_array ();
  json_object *ref = json_object_new_object ();
  add_str (ref, "referenceCategory", "PACKAGE-MANAGER");
  add_str (ref, "referenceType", "purl");
  add_str (ref, "referenceLocator", purl);
  json_object_array_add (refs, ref);
  json_object_object_add (o, "externalRefs", refs);
  *out_id = g_steal_pointer (&id);
  return o;
}

static void
add_relationship (json_object *arr, const char *from, const char *type, const char *to)
{
  json_object *r = json_object_new_object ();
  add_str (r, "spdxElementId", from);
  add_str (r, "relationshipType", type);
  add_str (r, "relatedSpdxElement", to);
  json_object_array_add (arr, r);
}

static gboolean
add_extracted (gpointer key, gpointer value, gpointer data)
{
  json_object *o = json_object_new_object ();
  add_str (o, "licenseId", key);
  add_str (o, "extractedText", value);
  add_str (o, "name", (const char *) key + strlen ("LicenseRef-"));
  json_object_array_add (data, o);
  return FALSE;
}

static gint
compare_keys (gconstpointer a, gconstpointer b, gpointer data)
{
  return strcmp (a, b);
}

/* The namespace must be unique per document and stable per package set: the hash of
 * the sorted "nevra sha256" lines does both. */
static char *
document_namespace (const char *image_name, const char *image_version, GPtrArray *sorted)
{
  g_autoptr(GString) list = g_string_new (NULL);
  for (guint i = 0; i < sorted->len; i++)
    {
      const PlPackage *pkg = sorted->pdata[i];
      g_autofree char *nevra = pl_package_nevra (pkg);
      g_string_append_printf (list, "%s %s\n", nevra, pkg->sha256 ? pkg->sha256 : "");
    }
  g_autofree char *sum = pl_sha256_hex (list->str, list->len);
  g_autofree char *name = pl_sbom_purl_encode (image_name);
  g_autofree char *version = pl_sbom_purl_encode (image_version);
  return g_strdup_printf ("https://plinth.invalid/spdx/%s-%s-%s", name, version, sum);
}

char *
pl_sbom_to_json (const char *image_name, const char *image_version, const char *arch,
                 GPtrArray *packages, gint64 created_unix)
{
  image_name = image_name ? image_name : "plinth";
  image_version = image_version ? image_version : "0";
  g_autoptr(GPtrArray) sorted = g_ptr_array_new (); /* a view: frees nothing */
  for (guint i = 0; packages && i < packages->len; i++)
    g_ptr_array_add (sorted, packages->pdata[i]);
  pl_package_array_sort (sorted);
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GTree) extracted = g_tree_new_full (compare_keys, NULL, g_free, g_free);
  g_autoptr(GHashTable) ref_tags = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  Doc doc = { ids, extracted, ref_tags };
  g_hash_table_add (ids, g_strdup ("SPDXRef-DOCUMENT"));
  g_hash_table_add (ids, g_strdup ("SPDXRef-Image"));

  g_autoptr(GDateTime) when = g_date_time_new_from_unix_utc (MAX (created_unix, 0));
  g_autofree char *created = g_date_time_format (when, "%Y-%m-%dT%H:%M:%SZ");
  g_autofree char *ns = document_namespace (image_name, image_version, sorted);
  g_autofree char *doc_name = g_strdup_printf ("%s-%s-%s", image_name, image_version,
                                               arch ? arch : "noarch");

  g_autoptr(json_object) root = json_object_new_object ();
  add_str (root, "spdxVersion", "SPDX-2.3");
  add_str (root, "dataLicense", "CC0-1.0");
  add_str (root, "SPDXID", "SPDXRef-DOCUMENT");
  add_str (root, "name", doc_name);
  add_str (root, "documentNamespace", ns);
  json_object *info = json_object_new_object ();
  add_str (info, "created", created);
  json_object *creators = json_object_new_array ();
  json_object_array_add (creators, json_object_new_string ("Tool: plinth-build-" PL_VERSION));
  json_object_object_add (info, "creators", creators);
  json_object_object_add (root, "creationInfo", info);

  json_object *pkgs = json_object_new_array ();
  json_object *rels = json_object_new_array ();
  json_object *image = json_object_new_object ();
  add_str (image, "SPDXID", "SPDXRef-Image");
  add_str (image, "name", image_name);
  add_str (image, "versionInfo", image_version);
  add_str (image, "supplier", "NOASSERTION");
  add_str (image, "downloadLocation", "NOASSERTION");
  json_object_object_add (image, "filesAnalyzed", json_object_new_boolean (FALSE));
  add_str (image, "licenseConcluded", "NOASSERTION");
  add_str (image, "licenseDeclared", "NOASSERTION");
  add_str (image, "copyrightText", "NOASSERTION");
  add_str (image, "primaryPackagePurpose", "OPERATING-SYSTEM");
  if (arch)
    {
      g_autofree char *comment = g_strdup_printf ("OSTree image for %s", arch);
      add_str (image, "comment", comment);
    }
  json_object_array_add (pkgs, image);
  add_relationship (rels, "SPDXRef-DOCUMENT", "DESCRIBES", "SPDXRef-Image");
  for (guint i = 0; i < sorted->len; i++)
    {
      g_autofree char *id = NULL;
      json_object_array_add (pkgs, package_json (&doc, sorted->pdata[i], &id));
      add_relationship (rels, "SPDXRef-Image", "CONTAINS", id);
    }
  json_object_object_add (root, "packages", pkgs);
  json_object_object_add (root, "relationships", rels);
  if (g_tree_nnodes (extracted) > 0)
    {
      json_object *arr = json_object_new_array ();
      g_tree_foreach (extracted, add_extracted, arr);
      json_object_object_add (root, "hasExtractedLicensingInfos", arr);
    }
  return pl_json_to_string_pretty (root);
}

gboolean
pl_sbom_write (int dfd, const char *path, const char *image_name, const char *image_version,
               const char *arch, GPtrArray *packages, gint64 created_unix, GError **error)
{
  g_autofree char *text = pl_sbom_to_json (image_name, image_version, arch, packages,
                                           created_unix);
  if (!pl_file_replace_at (dfd, path, text, strlen (text), 0644, error))
    return g_prefix_error (error, "Writing the SBOM: "), FALSE;
  return TRUE;
}
