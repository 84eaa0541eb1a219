// The C boundary of normcheck: every libxml2 header the XMLCore module may use.
// Only XMLCore imports this module; no libxml2 type may appear in a public Swift API.
#ifndef NORMCHECK_CLIBXML2_SHIM_H
#define NORMCHECK_CLIBXML2_SHIM_H

// libxml2 2.9.x headers pull in ICU when LIBXML_ICU_ENABLED is set, which clashes with
// Foundation's private ICU module. xmlversion.h must come first so that the switch can be
// turned off before any other header sees it.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/catalog.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/uri.h>

// A hint that `address` will be read soon (hash tables too large for the caches probe one
// bucket per value; the attribute tables prefetch a few values ahead).
static inline void normcheck_prefetch(const void *address) { __builtin_prefetch(address); }

#endif
