/* redact.c — secret taint by value (see redact.h) */
#include <pthread.h>
#include <string.h>
#include <openssl/evp.h>
#include "buf.h"
#include "bug.h"
#include "redact.h"

struct redactor {
	pthread_mutex_t lock;
	char **secrets;          /* longest first, so a secret inside another is masked whole */
	int n, alloc;
};

struct redactor *redact_new(void)
{
	struct redactor *r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

void redact_free(struct redactor *r)
{
	if (!r)
		return;
	for (int i = 0; i < r->n; i++)
		free(r->secrets[i]);
	free(r->secrets);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

/* lock held */
static void add_one(struct redactor *r, const char *v)
{
	size_t len = strlen(v);
	if (len < REDACT_MIN)
		return;
	int pos = r->n;
	for (int i = 0; i < r->n; i++) {
		if (!strcmp(r->secrets[i], v))
			return;
		if (strlen(r->secrets[i]) < len && pos == r->n)
			pos = i;
	}
	ALLOC_GROW(r->secrets, r->n + 1, r->alloc);
	memmove(r->secrets + pos + 1, r->secrets + pos, sizeof(char *) * (size_t)(r->n - pos));
	r->secrets[pos] = xstrdup(v);
	r->n++;
}

void redact_add(struct redactor *r, const char *value)
{
	if (!r || !value || strlen(value) < REDACT_MIN)
		return;
	/* the forms a secret takes in our outputs: as is, JSON-escaped, base64 */
	jv dumped = jv_dump_string(jv_string(value), 0);
	const char *d = jv_string_value(dumped);
	char *escaped = xstrndup(d + 1, strlen(d) - 2);
	jv_free(dumped);
	size_t len = strlen(value);
	char *b64 = xmalloc(4 * ((len + 2) / 3) + 1);
	EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)value, (int)len);

	pthread_mutex_lock(&r->lock);
	add_one(r, value);
	add_one(r, escaped);
	add_one(r, b64);
	pthread_mutex_unlock(&r->lock);
	free(escaped);
	free(b64);
}

void redact_add_jv(struct redactor *r, jv v)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		redact_add(r, jv_string_value(v));
		break;
	case JV_KIND_ARRAY:
		jv_array_foreach(v, i, x)
			redact_add_jv(r, x);
		break;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, x) {
			jv_free(k);
			redact_add_jv(r, x);
		}
		break;
	default:
		break;
	}
	jv_free(v);
}

int redact_count(struct redactor *r)
{
	pthread_mutex_lock(&r->lock);
	int n = r->n;
	pthread_mutex_unlock(&r->lock);
	return n;
}

char *redact_str(struct redactor *r, const char *s)
{
	if (!r)
		return xstrdup(s);
	pthread_mutex_lock(&r->lock);
	char *cur = xstrdup(s);
	for (int i = 0; i < r->n; i++) {
		const char *sec = r->secrets[i];
		size_t sl = strlen(sec);
		if (!strstr(cur, sec))
			continue;
		struct buf b = BUF_INIT(0);
		const char *p = cur, *hit;
		while ((hit = strstr(p, sec))) {
			buf_add(&b, p, (size_t)(hit - p));
			buf_adds(&b, REDACT_MASK);
			p = hit + sl;
		}
		buf_adds(&b, p);
		free(cur);
		cur = buf_detach(&b);
	}
	pthread_mutex_unlock(&r->lock);
	return cur;
}

jv redact_jv(struct redactor *r, jv v)
{
	if (!r)
		return v;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING: {
		char *s = redact_str(r, jv_string_value(v));
		jv out = jv_string(s);
		free(s);
		jv_free(v);
		return out;
	}
	case JV_KIND_ARRAY: {
		jv out = jv_array();
		jv_array_foreach(v, i, x)
			out = jv_array_append(out, redact_jv(r, x));
		jv_free(v);
		return out;
	}
	case JV_KIND_OBJECT: {
		jv out = jv_object();
		jv_object_foreach(v, k, x)
			out = jv_object_set(out, redact_jv(r, k), redact_jv(r, x));
		jv_free(v);
		return out;
	}
	default:
		return v;
	}
}
