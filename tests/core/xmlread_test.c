/* xmlread_test.c — core/xmlread.c (the XML reader runbook uses before libxml2) against
 * libxml2's xmlReadMemory, under both option sets runbook parses with: for every document
 * the reader takes, libxml2 takes it too and builds the same elements (names, order) with
 * the same xmlNodeGetContent for each; a document it gives up on is libxml2's to read. On
 * the XML files under tests/, on AWS-like replies (all of which the reader must take), and
 * on random documents and random damage to them (seeded; the seed is printed, and
 * `xmlread_test SRCDIR SEED` replays it). TAP.
 *
 *   xmlread_test SRCDIR [SEED [COUNT]]
 */
#define _XOPEN_SOURCE 700
#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlversion.h>
#include "core/xmlread.h"

#if LIBXML_VERSION >= 21400
#define XML_SONAME "libxml2.so.16"
#else
#define XML_SONAME "libxml2.so.2"
#endif

static struct {
	void (*init)(void);
	xmlDocPtr (*read_memory)(const char *, int, const char *, const char *, int);
	xmlChar *(*content)(const xmlNode *);
	void (*free_doc)(xmlDocPtr);
} lx;

static const int option_sets[] = {
	XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING,
	XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS,
};

static int tap_n, tap_failed;
static int mismatches;
static long taken, given_up;

static void tap(int ok, const char *what)
{
	printf("%sok %d - %s\n", ok ? "" : "not ", ++tap_n, what);
	if (!ok)
		tap_failed++;
}

/* the same element tree under a and b (a: the reader's, b: libxml2's); 0 when it is */
static int same_tree(const xmlNode *a, const xmlNode *b, char *why, size_t whylen)
{
	if (strcmp((const char *)a->name, (const char *)b->name)) {
		snprintf(why, whylen, "element <%s> where libxml2 has <%s>", a->name, b->name);
		return -1;
	}
	xmlChar *ca = xmlread_content(a), *cb = lx.content(b);
	int eq = cb && !strcmp((const char *)ca, (const char *)cb);
	if (!eq)
		snprintf(why, whylen, "<%s>'s content \"%.60s\" where libxml2 has \"%.60s\"", a->name, ca,
			 cb ? (const char *)cb : "(null)");
	free(ca);
	free(cb);
	if (!eq)
		return -1;
	const xmlNode *x = a->children, *y = b->children;
	for (;;) {
		while (x && x->type != XML_ELEMENT_NODE)
			x = x->next;
		while (y && y->type != XML_ELEMENT_NODE)
			y = y->next;
		if (!x || !y)
			break;
		if (same_tree(x, y, why, whylen) < 0)
			return -1;
		x = x->next;
		y = y->next;
	}
	if (x || y) {
		snprintf(why, whylen, "<%s> has %s child elements than libxml2's", a->name, x ? "more" : "fewer");
		return -1;
	}
	return 0;
}

/* one document under both option sets; *took: how many the reader took; 0 when both agree */
static int check(const char *text, size_t len, const char *where, int *took)
{
	int bad = 0;
	*took = 0;
	for (int o = 0; o < 2; o++) {
		xmlDoc *a = xmlread_doc(text, len, option_sets[o]);
		if (!a) {
			given_up++;
			continue;
		}
		taken++;
		(*took)++;
		xmlDoc *b = lx.read_memory(text, (int)len, NULL, NULL, option_sets[o]);
		char why[200] = "libxml2 refuses it";
		const xmlNode *rb = NULL;
		if (b)
			for (rb = b->children; rb && rb->type != XML_ELEMENT_NODE; rb = rb->next)
				;
		if (!b || !rb || same_tree(a->children, rb, why, sizeof(why)) < 0) {
			bad = 1;
			if (mismatches++ < 5)
				printf("# %s (options %d): %s\n#   %.300s\n", where, option_sets[o], why, text);
		}
		xmlread_free(a);
		if (b)
			lx.free_doc(b);
	}
	return bad;
}

/* ---- the XML files of the tree */
static int file_bad, file_n;

static int visit(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	size_t l = strlen(path);
	if (type != FTW_F || l < 4 || strcmp(path + l - 4, ".xml"))
		return 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	char *text = malloc((size_t)st->st_size + 1);
	size_t n = fread(text, 1, (size_t)st->st_size, f);
	fclose(f);
	int took;
	file_bad += check(text, n, path, &took);
	file_n++;
	free(text);
	return 0;
}

/* ---- replies as AWS and the simulator write them: the reader must take each */
static const char *const replies[] = {
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
	"  <DescribeDBInstancesResult>\n    <DBInstances>\n      <DBInstance>\n        <DBInstanceIdentifier>shop-prod</DBInstanceIdentifier>\n"
	"        <MultiAZ>false</MultiAZ>\n        <TagList/>\n        <Endpoint><Address>a.b</Address><Port>5432</Port></Endpoint>\n"
	"      </DBInstance>\n    </DBInstances>\n  </DescribeDBInstancesResult>\n"
	"  <ResponseMetadata><RequestId>5e1c-77</RequestId></ResponseMetadata>\n</DescribeDBInstancesResponse>\n",
	"<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>Sender</Type>"
	"<Code>DBInstanceNotFound</Code><Message>DBInstance &quot;x&quot; &lt;not&gt; found &amp; gone: caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80</Message>"
	"</Error><RequestId>r-1</RequestId></ErrorResponse>",
	"<?xml version='1.0' encoding='utf-8' standalone='yes' ?><Response><Errors><Error><Code>X</Code>"
	"<Message>a&#10;b&#x9;c&#13;d&#xE9;&#128512;</Message></Error></Errors><RequestID>q</RequestID></Response>",
	"<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>b</Name><Prefix></Prefix>"
	"<KeyCount>0</KeyCount><IsTruncated>false</IsTruncated><Contents><Key>a b/c&amp;d.txt</Key>"
	"<ETag>&quot;0cc1&quot;</ETag><Size>3</Size></Contents></ListBucketResult>",
	"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message><Key>k</Key></Error>",
	"<a>   </a>",
	"<a>\n  <b>x</b>\n  <c/>\n  <d attr = 'v' other=\"w&amp;&#65;\" >  </d>\n</a>\n\n",
	"<ChangeResourceRecordSetsRequest xmlns=\"https://route53.amazonaws.com/doc/2013-04-01/\"><ChangeBatch><Changes>"
	"<Change><Action>UPSERT</Action><ResourceRecordSet><Name>db.example.com.</Name><Type>CNAME</Type><TTL>60</TTL>"
	"<ResourceRecords><ResourceRecord><Value>x.example.com</Value></ResourceRecord></ResourceRecords>"
	"</ResourceRecordSet></Change></Changes></ChangeBatch></ChangeResourceRecordSetsRequest>",
};

/* ---- random documents */
static unsigned long long rng;

static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rng >> 33) % n;
}

struct out {
	char *s;
	size_t n, cap;
};

static void put(struct out *o, const char *s)
{
	size_t l = strlen(s);
	if (o->n + l + 1 > o->cap) {
		o->cap = (o->n + l + 1) * 2;
		o->s = realloc(o->s, o->cap);
	}
	memcpy(o->s + o->n, s, l + 1);
	o->n += l;
}

static const char *const names[] = { "a", "B", "Item", "member", "x-y", "_z", "n.1", "Code" };
static const char *const texts[] = {
	"x", "hello world", " ", "  ", "\n", "\n  ", "\t", "&amp;", "&lt;", "&gt;", "&quot;", "&apos;",
	"&#65;", "&#x41;", "&#xe9;", "&#10;", "&#13;", "&#32;", "&#x1F600;", "caf\xc3\xa9", "\xe2\x82\xac",
	"]", "]]", ">", "'\"", "0", "true", "-1.5e3",
};
static const char *const att_values[] = { "\"v\"", "'v'", "\"\"", "\"a&amp;b\"", "'&#65;'", "\"x y\"",
					  "\"http://rds.amazonaws.com/doc/2014-10-31/\"", "\"\xc3\xa9\"" };

static void gen_element(struct out *o, int depth)
{
	const char *n = names[rnd(8)];
	put(o, "<");
	put(o, n);
	for (unsigned i = rnd(3); i; i--) {
		static const char *const att_names[] = { "id", "xmlns", "k", "v" };
		put(o, rnd(2) ? " " : "\n  ");
		put(o, att_names[rnd(4)]);
		put(o, rnd(4) ? "=" : " = ");
		put(o, att_values[rnd(8)]);
	}
	if (!rnd(6)) {
		put(o, rnd(2) ? "/>" : " />");
		return;
	}
	put(o, ">");
	unsigned kids = depth < 5 ? rnd(5) : 0;
	int mixed = !rnd(4);
	for (unsigned i = 0; i < kids || (!kids && i < rnd(3)); i++) {
		if (kids && !mixed && rnd(2))
			put(o, rnd(2) ? "\n  " : " ");
		if (kids && !(mixed && rnd(2)))
			gen_element(o, depth + 1);
		else
			put(o, texts[rnd(sizeof(texts) / sizeof(texts[0]))]);
	}
	if (kids && rnd(2))
		put(o, "\n");
	put(o, "</");
	put(o, n);
	put(o, rnd(5) ? ">" : " >");
}

static void gen_doc(struct out *o)
{
	o->n = 0;
	put(o, "");
	static const char *const decls[] = {
		"", "<?xml version=\"1.0\"?>", "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
		"<?xml version='1.0' encoding='utf-8' standalone='no'?>", " ", "\n",
	};
	put(o, decls[rnd(6)]);
	gen_element(o, 0);
	put(o, rnd(2) ? "\n" : "");
}

/* bytes that matter to an XML parser */
static const char damage[] = "<>&;/=\"' \t\n\r\0\xc3\xa9\x80\xff:!?[]#xa-";

static void mutate(struct out *o)
{
	for (unsigned k = 1 + rnd(3); k && o->n; k--) {
		size_t at = rnd((unsigned)o->n);
		switch (rnd(4)) {
		case 0:
			o->s[at] = damage[rnd(sizeof(damage) - 1)];
			break;
		case 1:
			memmove(o->s + at, o->s + at + 1, o->n - at);
			o->n--;
			break;
		case 2:
			if (o->n + 2 > o->cap) {
				o->cap = o->n * 2 + 2;
				o->s = realloc(o->s, o->cap);
			}
			memmove(o->s + at + 1, o->s + at, o->n - at + 1);
			o->s[at] = damage[rnd(sizeof(damage) - 1)];
			o->n++;
			break;
		default:
			o->n = at;
			o->s[at] = 0;
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: xmlread_test SRCDIR [SEED [COUNT]]\n");
		return 2;
	}
	void *h = dlopen(XML_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("1..0 # SKIP cannot load " XML_SONAME "\n");
		return 0;
	}
	*(void **)&lx.init = dlsym(h, "xmlInitParser");
	*(void **)&lx.read_memory = dlsym(h, "xmlReadMemory");
	*(void **)&lx.content = dlsym(h, "xmlNodeGetContent");
	*(void **)&lx.free_doc = dlsym(h, "xmlFreeDoc");
	lx.init();
	unsigned long long seed = argc > 2 ? strtoull(argv[2], NULL, 10) : (unsigned long long)time(NULL);
	long count = argc > 3 ? atol(argv[3]) : 20000;
	printf("# seed %llu\n", seed);

	char tests[4096];
	snprintf(tests, sizeof(tests), "%s/tests", argv[1]);
	nftw(tests, visit, 16, FTW_PHYS);
	char what[200];
	snprintf(what, sizeof(what), "the %d XML files under tests/: what the reader takes, libxml2 reads the same", file_n);
	tap(file_n > 0 && !file_bad, what);

	int bad = 0, all_taken = 1;
	for (size_t i = 0; i < sizeof(replies) / sizeof(replies[0]); i++) {
		int took;
		bad |= check(replies[i], strlen(replies[i]), "reply", &took);
		if (took != 2) {
			all_taken = 0;
			printf("# the reader gives up on reply %zu\n", i);
		}
	}
	tap(!bad, "AWS-like replies: libxml2 reads the same");
	tap(all_taken, "AWS-like replies: the reader takes every one");

	rng = seed;
	struct out o = { 0 };
	int gen_bad = 0, mut_bad = 0;
	long gen_taken = 0;
	for (long i = 0; i < count; i++) {
		gen_doc(&o);
		int took;
		snprintf(what, sizeof(what), "random document %ld", i);
		gen_bad |= check(o.s, o.n, what, &took);
		gen_taken += took;
		mutate(&o);
		snprintf(what, sizeof(what), "damaged document %ld", i);
		mut_bad |= check(o.s, o.n, what, &took);
	}
	printf("# taken %ld, given up %ld; random documents taken %ld of %ld\n", taken, given_up, gen_taken,
	       2 * count);
	tap(!gen_bad, "random documents: libxml2 reads the same");
	tap(gen_taken * 2 > count, "random documents: the reader takes most");
	tap(!mut_bad, "damaged documents: what the reader takes, libxml2 reads the same");
	free(o.s);
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
