/* xmlread.h — a small, strict XML reader that builds libxml2's tree (see xmlread.c). */
#ifndef RB_XMLREAD_H
#define RB_XMLREAD_H
#include <stddef.h>
#include <libxml/tree.h>

/* The document libxml2's xmlReadMemory(buf, len, NULL, NULL, options) would build, as far
 * as runbook reads one (elements, their names and order, the text under them); NULL when
 * the text is not within what this reader knows for sure (then libxml2 must read it). */
xmlDoc *xmlread_doc(const char *buf, size_t len, int options);
/* is doc one of xmlread_doc's */
int xmlread_owns(const xmlDoc *doc);
void xmlread_free(xmlDoc *doc);
/* xmlNodeGetContent of a node of such a document (malloc'd) */
xmlChar *xmlread_content(const xmlNode *node);
#endif
