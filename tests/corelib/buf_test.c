/* capped buffers */
#include <stdlib.h>
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
	return check_done("buf");
}
