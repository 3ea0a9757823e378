/* dur.c — durations and RFC 3339 timestamps (see dur.h) */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "dur.h"

/* largest first: a duration names them in this order, each at most once */
static const struct unit { const char *name; int64_t ms; } units[] = {
	{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 }, { "ms", 1 },
};
#define NUNITS (sizeof(units) / sizeof(units[0]))
#define DUR_MAX_MS 9000000000000000LL   /* about 285 000 years: far below INT64_MAX */

int dur_parse(const char *s, int64_t *ms)
{
	int64_t total = 0;
	size_t next = 0;         /* the units before this one are used up */
	if (!s || !*s)
		return -1;
	while (*s) {
		int64_t v = 0;
		if (!isdigit((unsigned char)*s))
			return -1;
		for (; isdigit((unsigned char)*s); s++) {
			if (v > DUR_MAX_MS / 10)
				return -1;
			v = v * 10 + (*s - '0');
		}
		size_t u = NUNITS;
		for (size_t i = next; i < NUNITS; i++) {
			size_t l = strlen(units[i].name);
			/* "m" must not swallow the "m" of "ms" */
			if (!strncmp(s, units[i].name, l) && (u == NUNITS || l > strlen(units[u].name)))
				u = i;
		}
		if (u == NUNITS || v > (DUR_MAX_MS - total) / units[u].ms)
			return -1;
		s += strlen(units[u].name);
		total += v * units[u].ms;
		next = u + 1;
	}
	*ms = total;
	return 0;
}

char *dur_format(int64_t ms, char *buf, size_t size)
{
	size_t n = 0;
	if (ms < 0)
		ms = 0;
	if (ms < 1000 && ms % 1000) {
		snprintf(buf, size, "%lldms", (long long)ms);
		return buf;
	}
	if (ms == 0) {
		snprintf(buf, size, "0s");
		return buf;
	}
	int64_t h = ms / 3600000, m = ms / 60000 % 60, s = ms / 1000 % 60, rest = ms % 1000;
	buf[0] = '\0';
	if (h && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%lldh", (long long)h);
	if (m && n < size)
		n += (size_t)snprintf(buf + n, size - n, "%lldm", (long long)m);
	if ((s || rest) && n < size) {
		if (rest)
			n += (size_t)snprintf(buf + n, size - n, "%lld.%01llds", (long long)s, (long long)(rest / 100));
		else
			n += (size_t)snprintf(buf + n, size - n, "%llds", (long long)s);
	}
	return buf;
}

static int digits(const char **p, int n, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

int ts_parse(const char *s, int64_t *ms)
{
	int Y, M, D, h, m, sec, frac = 0, fdig = 0;
	const char *p = s;
	if (!s || digits(&p, 4, &Y) || *p++ != '-' || digits(&p, 2, &M) || *p++ != '-' ||
	    digits(&p, 2, &D))
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &m) || *p++ != ':' || digits(&p, 2, &sec))
		return -1;
	if (*p == '.') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p)) {
			if (fdig < 3) {
				frac = frac * 10 + (*p - '0');
				fdig++;
			}
			p++;
		}
		while (fdig < 3) {
			frac *= 10;
			fdig++;
		}
	}
	int off = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1, oh, om;
		p++;
		if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = sign * (oh * 60 + om);
	} else {
		return -1;
	}
	if (*p)
		return -1;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (M < 1 || M > 12 || D < 1 || D > mdays[M - 1] || h > 23 || m > 59 || sec > 60)
		return -1;
	int leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
	if (M == 2 && D == 29 && !leap)
		return -1;
	struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D,
			 .tm_hour = h, .tm_min = m, .tm_sec = sec };
	time_t t = timegm(&tm);
	*ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac;
	return 0;
}
