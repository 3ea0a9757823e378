/* xmllazy.c — libxml2, loaded the first time XML is parsed that core/xmlread.c cannot.
 *
 * Only the AWS module (Query and REST-XML replies) and the simulated Route 53 read XML,
 * yet linking libxml2 loads it with libicu and libstdc++ into every process: ~2.7 MB
 * of peak RSS (their relocations and start-up) in a rehearsal, a validate or a run that
 * parses no XML. So runbook is not linked with it: the few functions of its API the
 * code calls are defined here. A document goes to core/xmlread.c first, which builds the
 * same tree for the plain UTF-8 XML AWS sends; only one it gives up on makes the first
 * call dlopen() the library (the one of the headers compiled against) and go on there.
 * Callers include <libxml/...> as usual.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>
#include "bug.h"
#include "xmlread.h"

/* libxml2 2.14 changed its ABI, and its soname with it */
#if LIBXML_VERSION >= 21400
#define XML_SONAME "libxml2.so.16"
#else
#define XML_SONAME "libxml2.so.2"
#endif

/* libxml2's deallocator: free() unless xmlMemSetup() is called, which runbook never does */
xmlFreeFunc xmlFree = free;

static struct {
	void (*init)(void);
	xmlDocPtr (*read_memory)(const char *, int, const char *, const char *, int);
	xmlNodePtr (*root)(const xmlDoc *);
	xmlChar *(*content)(const xmlNode *);
	void (*free_doc)(xmlDocPtr);
} xml;
static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void *sym(void *h, const char *name)
{
	void *f = dlsym(h, name);
	if (!f) {
		fprintf(stderr, "runbook: cannot find %s in " XML_SONAME ": %s\n", name, dlerror());
		abort();
	}
	return f;
}

static void xml_load(void)
{
	void *h = dlopen(XML_SONAME, RTLD_LAZY | RTLD_LOCAL);
	if (!h) {
		/* as if the dynamic loader had refused to start runbook */
		fprintf(stderr, "runbook: cannot load " XML_SONAME ": %s\n", dlerror());
		abort();
	}
	*(void **)&xml.init = sym(h, "xmlInitParser");
	*(void **)&xml.read_memory = sym(h, "xmlReadMemory");
	*(void **)&xml.root = sym(h, "xmlDocGetRootElement");
	*(void **)&xml.content = sym(h, "xmlNodeGetContent");
	*(void **)&xml.free_doc = sym(h, "xmlFreeDoc");
	/* once, before any thread parses (pthread_once: the first caller does it) */
	xml.init();
}

static void xml_need(void)
{
	BUG_ON(pthread_once(&xml_once, xml_load) != 0);
}

/* the module's start-up calls it: loading waits for the first parse */
void xmlInitParser(void)
{
}

xmlDocPtr xmlReadMemory(const char *buffer, int size, const char *URL, const char *encoding, int options)
{
	xmlDoc *doc = size >= 0 && !encoding ? xmlread_doc(buffer, (size_t)size, options) : NULL;
	if (doc)
		return doc;
	xml_need();
	return xml.read_memory(buffer, size, URL, encoding, options);
}

xmlNodePtr xmlDocGetRootElement(const xmlDoc *doc)
{
	if (xmlread_owns(doc))
		return doc->children;
	xml_need();
	return xml.root(doc);
}

xmlChar *xmlNodeGetContent(const xmlNode *cur)
{
	if (cur && xmlread_owns(cur->doc))
		return xmlread_content(cur);
	xml_need();
	return xml.content(cur);
}

void xmlFreeDoc(xmlDocPtr cur)
{
	if (!cur)
		return;
	if (xmlread_owns(cur)) {
		xmlread_free(cur);
		return;
	}
	xml_need();
	xml.free_doc(cur);
}
