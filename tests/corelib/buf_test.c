/* capped buffers */
#include <stdlib.h>
#include <string.h>
#include "core/buf.h"
#include "check.h"

int main(void)
{
	int berr = 0;
	struct buf b = BUF_INIT(10);
	CHECK_STR(buf_str(&b), "");
	CHECK(buf_adds(&b, "hello") == 0);
	CHECK(buf_addf(&b, "%d", 1234) == 0);
	CHECK_STR(buf_str(&b), "hello1234");
	CHECK(buf_adds(&b, "xy") == -1);          /* would exceed the cap: unchanged */
	CHECK_STR(buf_str(&b), "hello1234");
	CHECK(buf_addc(&b, '!') == 0);
	CHECK(b.len == 10);
	char *s = buf_detach(&b);
	CHECK_STR(s, "hello1234!");
	CHECK(b.data == NULL && b.len == 0);
	free(s);
	struct buf big = BUF_INIT(0);
	for (int i = 0; i < 100000; i++)
		berr |= buf_addc(&big, 'a');
	BUF_NOCAP(berr);
	CHECK(big.len == 100000 && big.data[99999] == 'a' && big.data[100000] == 0);
	buf_release(&big);

	/* addf: written in the room there is, else grown; over the cap refused, unchanged */
	struct buf f = BUF_INIT(12);
	CHECK(buf_adds(&f, "ab") == 0);
	CHECK(buf_addf(&f, "%s-%d", "cd", 5) == 0);
	CHECK(buf_addf(&f, "%s", "0123456789") == -1);
	CHECK_STR(buf_str(&f), "abcd-5");
	buf_release(&f);
	struct buf g = BUF_INIT(0);
	for (int i = 0; i < 1000; i++)
		berr |= buf_addf(&g, "%04d,", i);
	BUF_NOCAP(berr);
	CHECK(g.len == 5000 && !strncmp(g.data + 4990, "0998,0999,", 10) && !g.data[5000]);
	buf_release(&g);

	/* XML: entities, LF/CR as references, other controls refused as '?' */
	struct buf x = BUF_INIT(0);
	CHECK(buf_add_xml(&x, "a<b>&\"c'\n\r\t\x01") == 0);
	CHECK_STR(buf_str(&x), "a&lt;b&gt;&amp;&quot;c&apos;&#10;&#13;\t?");
	CHECK(buf_add_xml(&x, NULL) == 0);
	buf_release(&x);
	struct buf xc = BUF_INIT(8);
	CHECK(buf_add_xml(&xc, "<<<") == -1);    /* over the cap: -1, never a silent cut */

	/* a bounded text: cut at a character boundary and marked */
	struct buf t = BUF_INIT(0);
	CHECK(buf_adds(&t, "ab\xc3\xa9" "cd") == 0);  /* "abécd" */
	buf_cut(&t, 3, "...");
	CHECK_STR(buf_str(&t), "ab...");
	buf_cut(&t, 100, "!");
	CHECK_STR(buf_str(&t), "ab...");
	buf_release(&t);
	buf_release(&xc);
	return check_done("buf");
}
