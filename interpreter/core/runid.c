/* runid.c — run ids (runid.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>
#include "bug.h"
#include "runid.h"

int run_id_check(const char *id)
{
	size_t n = id ? strlen(id) : 0;
	if (n == 0 || n >= 128 || !((id[0] >= 'a' && id[0] <= 'z') || (id[0] >= 'A' && id[0] <= 'Z') ||
				      (id[0] >= '0' && id[0] <= '9')))
		return -1;
	if (strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n ||
	    strstr(id, ".."))
		return -1;
	return 0;
}

/* "-xxxx": 4 random hex digits (not secret: only to tell runs of one second apart) */
static void suffix(char out[6])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[2];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		rnd[0] = (unsigned char)getpid();
		rnd[1] = (unsigned char)rand();
	}
	snprintf(out, 6, "-%c%c%c%c", hex[rnd[0] >> 4], hex[rnd[0] & 15], hex[rnd[1] >> 4], hex[rnd[1] & 15]);
}

char *run_id_new(int64_t now_ms)
{
	char id[40], sfx[6];
	time_t s = (time_t)(now_ms / 1000);
	struct tm tm;
	gmtime_r(&s, &tm);
	suffix(sfx);
	snprintf(id, sizeof(id), "%04d%02d%02dT%02d%02d%02dZ%s", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, sfx);
	return xstrdup(id);
}

char *run_id_again(const char *id)
{
	const char *dash = strrchr(id, '-');
	size_t keep = dash ? (size_t)(dash - id) : strlen(id);
	char *out = xmalloc(keep + 6);
	memcpy(out, id, keep);
	suffix(out + keep);
	return out;
}
