/* redact.c — secret taint by value (see redact.h) */
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include "b64.h"
#include "buf.h"
#include "bug.h"
#include "redact.h"

struct redactor {
	pthread_mutex_t lock;
	char **secrets;          /* every form; longest first, so a secret inside another is masked whole */
	char **decoys;           /* decoys[i]: same length as secrets[i] (redact_decoy) */
	int *group;              /* group[i]: the secret secrets[i] is a form of (1, 2, ...) */
	int n, alloc, dalloc, galloc;
	int ngroups;             /* secrets registered (redact_add calls that added a form) */
	int *ph;                 /* ph[g]: the placeholder number of secret g, 0 none yet */
	int phalloc, nph;
	/* a bit per hash of every string's first REDACT_MIN bytes: a text with no
	 * position whose bit is set holds no secret (one pass instead of one per string) */
	uint64_t first[1024];
};

static unsigned first_hash(const unsigned char *p)
{
	return ((unsigned)p[0] * 31u * 31u + (unsigned)p[1] * 31u + (unsigned)p[2]) & 0xffffu;
}

static struct redactor *current;

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
	if (current == r)
		current = NULL;
	for (int i = 0; i < r->n; i++) {
		free(r->secrets[i]);
		free(r->decoys[i]);
	}
	free(r->secrets);
	free(r->decoys);
	free(r->group);
	free(r->ph);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

void redact_set_current(struct redactor *r)
{
	current = r;
}

struct redactor *redact_current(void)
{
	return current;
}

/* ---- decoys ------------------------------------------------------------------- */

/* punctuation that JSON does not give a meaning to: rotated among itself */
static const char inert[] = "!#$%&'()*+-./;<=>?@^_`|~";

static char *make_decoy(const char *s)
{
	size_t len = strlen(s);
	char *d = xstrndup(s, len);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *p;
		if (c >= 'a' && c <= 'z')
			d[i] = (char)('a' + (c - 'a' + 1) % 26);
		else if (c >= 'A' && c <= 'Z')
			d[i] = (char)('A' + (c - 'A' + 1) % 26);
		else if (c >= '0' && c <= '9')
			d[i] = (char)('0' + (c - '0' + 1) % 10);
		else if (c && (p = strchr(inert, c)))
			d[i] = p[1] ? p[1] : inert[0];
		else if (c >= 0x80 && c <= 0xbf && !((unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0xbf))
			/* the last continuation byte of a UTF-8 character: any other one keeps it valid */
			d[i] = (char)(0x80 + (c - 0x80 + 1) % 0x40);
	}
	return d;
}

/* ---- registering ---------------------------------------------------------------- */

/* lock held */
static void add_one(struct redactor *r, const char *v, int group)
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
	ALLOC_GROW(r->decoys, r->n + 1, r->dalloc);
	ALLOC_GROW(r->group, r->n + 1, r->galloc);
	memmove(r->secrets + pos + 1, r->secrets + pos, sizeof(char *) * (size_t)(r->n - pos));
	memmove(r->decoys + pos + 1, r->decoys + pos, sizeof(char *) * (size_t)(r->n - pos));
	memmove(r->group + pos + 1, r->group + pos, sizeof(int) * (size_t)(r->n - pos));
	r->secrets[pos] = xstrdup(v);
	r->decoys[pos] = make_decoy(v);
	r->group[pos] = group;
	r->n++;
	unsigned h = first_hash((const unsigned char *)v);
	r->first[h >> 6] |= (uint64_t)1 << (h & 63);
}

static void placeholder_fix(struct redactor *r, int g, int n);

struct forms {
	char **v;
	int n, alloc;
};

static void form_add(struct forms *f, char *s)
{
	ALLOC_GROW(f->v, f->n + 1, f->alloc);
	f->v[f->n++] = s;
}

static char *json_escaped(const char *s, int flags)
{
	jv d = jv_dump_string(jv_string(s), flags);
	const char *t = jv_string_value(d);
	char *e = xstrndup(t + 1, strlen(t) - 2);
	jv_free(d);
	return e;
}

/* @uri: everything but A-Za-z0-9-_.~ as %XX; form: a space as + */
static char *url_encoded(const char *s, const char *hex, int form)
{
	struct buf b = BUF_INIT(0);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		char c[4] = { (char)*p, 0, 0, 0 };
		int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    *p == '-' || *p == '_' || *p == '.' || *p == '~';
		if (form && *p == ' ')
			c[0] = '+';
		else if (!plain) {
			c[0] = '%';
			c[1] = hex[*p >> 4];
			c[2] = hex[*p & 15];
		}
		if (buf_adds(&b, c) < 0)
			BUG("uncapped buffer refused an add");
	}
	return buf_detach(&b);
}

static char *hex_encoded(const char *s, const char *hex)
{
	size_t len = strlen(s);
	char *h = xmalloc(2 * len + 1);
	for (size_t i = 0; i < len; i++) {
		h[2 * i] = hex[(unsigned char)s[i] >> 4];
		h[2 * i + 1] = hex[(unsigned char)s[i] & 15];
	}
	h[2 * len] = 0;
	return h;
}

/* the secret after a prefix of k mod 3 bytes, k = 0, 1, 2: the groups of three bytes
 * wholly inside the secret encode to the same characters whatever the prefix */
static void add_b64_forms(struct forms *f, const char *v, int url)
{
	size_t len = strlen(v);
	form_add(f, b64_encode(v, len, url ? B64_URL | B64_NOPAD : 0));
	for (size_t k = 0; k < 3 && k < len; k++) {
		size_t whole = (len - k) / 3 * 3;
		if (whole)
			form_add(f, b64_encode(v + k, whole, (url ? B64_URL : 0) | B64_NOPAD));
	}
}

static void forms_of(struct forms *f, const char *v)
{
	form_add(f, xstrdup(v));
	char *esc = json_escaped(v, 0);
	form_add(f, json_escaped(esc, 0));     /* JSON inside a JSON string */
	form_add(f, esc);
	form_add(f, json_escaped(v, JV_PRINT_ASCII));
	form_add(f, url_encoded(v, "0123456789ABCDEF", 0));
	form_add(f, url_encoded(v, "0123456789abcdef", 0));
	form_add(f, url_encoded(v, "0123456789ABCDEF", 1));
	add_b64_forms(f, v, 0);
	add_b64_forms(f, v, 1);
	form_add(f, hex_encoded(v, "0123456789abcdef"));
	form_add(f, hex_encoded(v, "0123456789ABCDEF"));
}

void redact_add(struct redactor *r, const char *value)
{
	if (!r || !value || strlen(value) < REDACT_MIN)
		return;
	struct forms f = { 0 };
	forms_of(&f, value);
	/* a value that is itself a placeholder (a replay's params come from a tape) keeps
	 * its number, so its forms map back to it */
	int fixed = 0, end = 0;
	if (sscanf(value, "<secret:%d>%n", &fixed, &end) != 1 || end != (int)strlen(value) || fixed <= 0)
		fixed = 0;
	pthread_mutex_lock(&r->lock);
	int group = ++r->ngroups;
	for (int i = 0; i < f.n; i++)
		add_one(r, f.v[i], group);
	if (fixed)
		placeholder_fix(r, group, fixed);
	pthread_mutex_unlock(&r->lock);
	for (int i = 0; i < f.n; i++)
		free(f.v[i]);
	free(f.v);
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

int redact_has(struct redactor *r, const char *value)
{
	int found = 0;
	pthread_mutex_lock(&r->lock);
	for (int i = 0; i < r->n && !found; i++)
		found = !strcmp(r->secrets[i], value);
	pthread_mutex_unlock(&r->lock);
	return found;
}

/* ---- masking -------------------------------------------------------------------- */

static int touches_str(struct redactor *r, const char *s);
static char *mask_locked(struct redactor *r, const char *s);

char *redact_str(struct redactor *r, const char *s)
{
	if (!r)
		return xstrdup(s);
	pthread_mutex_lock(&r->lock);
	char *m = mask_locked(r, s);
	pthread_mutex_unlock(&r->lock);
	return m ? m : xstrdup(s);
}

/* apply fn to every string and key of v (consumed); fn returns its string itself when
 * it changes nothing. Only the containers on the path to a changed string are rebuilt:
 * an untouched value comes back as it went in (no copy). */
static jv map_strings(jv v, jv (*fn)(struct redactor *, jv, int *), struct redactor *r, int *hits)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return fn(r, v, hits);
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));
		for (int i = 0; i < n; i++) {
			jv x = jv_array_get(jv_copy(v), i);
			jv y = map_strings(jv_copy(x), fn, r, hits);
			if (jv_identical(x, jv_copy(y)))
				jv_free(y);
			else
				v = jv_array_set(v, i, y);
		}
		return v;
	}
	case JV_KIND_OBJECT: {
		/* changed values are set after the walk (never while iterating); a changed
		 * key rebuilds the object, so its keys keep their order */
		jv changed = jv_array();
		int rekey = 0, before = hits ? *hits : 0;
		jv_object_foreach(v, k, x) {
			jv nk = fn(r, jv_copy(k), hits);
			jv nx = map_strings(jv_copy(x), fn, r, hits);
			int same = jv_identical(x, jv_copy(nx));
			if (!jv_identical(jv_copy(k), jv_copy(nk)))
				rekey = 1;
			if (rekey || !same) {
				changed = jv_array_append(changed, k);
				changed = jv_array_append(changed, nx);
			} else {
				jv_free(k);
				jv_free(nx);
			}
			jv_free(nk);
		}
		if (rekey) {
			/* fn again on every string: hits count each one once, as before */
			jv_free(changed);
			if (hits)
				*hits = before;
			jv out = jv_object();
			jv_object_foreach(v, k, x)
				out = jv_object_set(out, fn(r, k, hits), map_strings(x, fn, r, hits));
			jv_free(v);
			return out;
		}
		int n = jv_array_length(jv_copy(changed));
		for (int i = 0; i < n; i += 2)
			v = jv_object_set(v, jv_array_get(jv_copy(changed), i), jv_array_get(jv_copy(changed), i + 1));
		jv_free(changed);
		return v;
	}
	default:
		return v;
	}
}

/* lock held: s with every secret masked, or NULL when it holds none */
static char *mask_locked(struct redactor *r, const char *s)
{
	if (!touches_str(r, s))
		return NULL;
	char *cur = xstrdup(s);
	for (int i = 0; i < r->n; i++) {
		const char *sec = r->secrets[i];
		size_t sl = strlen(sec);
		if (!strstr(cur, sec))
			continue;
		struct buf b = BUF_INIT(0);
		const char *p = cur, *hit;
		while ((hit = strstr(p, sec))) {
			if (buf_add(&b, p, (size_t)(hit - p)) < 0 || buf_adds(&b, REDACT_MASK) < 0)
				BUG("uncapped buffer refused an add");
			p = hit + sl;
		}
		if (buf_adds(&b, p) < 0)
			BUG("uncapped buffer refused an add");
		free(cur);
		cur = buf_detach(&b);
	}
	return cur;
}

static jv mask_string(struct redactor *r, jv s, int *hits)
{
	(void)hits;
	pthread_mutex_lock(&r->lock);
	char *m = mask_locked(r, jv_string_value(s));
	pthread_mutex_unlock(&r->lock);
	if (!m)
		return s;
	jv out = jv_string(m);
	free(m);
	jv_free(s);
	return out;
}

jv redact_jv(struct redactor *r, jv v)
{
	if (!r || !redact_touches(r, v))
		return v;
	return map_strings(v, mask_string, r, NULL);
}

/* ---- decoys --------------------------------------------------------------------- */

static jv decoy_string(struct redactor *r, jv s, int *hits)
{
	const char *t = jv_string_value(s);
	int len = jv_string_length_bytes(jv_copy(s));
	char *cur = NULL;
	pthread_mutex_lock(&r->lock);
	int any = touches_str(r, t);
	for (int i = 0; any && i < r->n; i++) {
		const char *sec = r->secrets[i];
		size_t sl = strlen(sec);
		char *hit = strstr(cur ? cur : t, sec);
		if (!hit)
			continue;
		if (!cur) {
			cur = xmalloc((size_t)len + 1);
			memcpy(cur, t, (size_t)len + 1);
			hit = cur + (hit - t);
		}
		/* same length: positions stay valid */
		for (; hit; hit = strstr(hit + sl, sec)) {
			memcpy(hit, r->decoys[i], sl);
			if (hits)
				(*hits)++;
		}
	}
	pthread_mutex_unlock(&r->lock);
	if (!cur)
		return s;
	jv out = jv_string_sized(cur, len);
	free(cur);
	jv_free(s);
	return out;
}

jv redact_decoy(struct redactor *r, jv v, int *hits)
{
	if (hits)
		*hits = 0;
	if (!r || !redact_touches(r, v))
		return v;
	return map_strings(v, decoy_string, r, hits);
}

/* lock held */
static int touches_str(struct redactor *r, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	if (!p[0] || !p[1])
		return 0;
	for (; p[2]; p++) {
		unsigned h = first_hash(p);
		if (!(r->first[h >> 6] & ((uint64_t)1 << (h & 63))))
			continue;
		for (int i = 0; i < r->n; i++)
			if (r->secrets[i][0] == (char)p[0] && !strncmp((const char *)p, r->secrets[i], strlen(r->secrets[i])))
				return 1;
	}
	return 0;
}

/* lock held */
static int touches(struct redactor *r, jv v)
{
	int hit = 0;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		return touches_str(r, jv_string_value(v));
	case JV_KIND_ARRAY:
		jv_array_foreach(v, i, x) {
			hit = hit || touches(r, x);
			jv_free(x);
		}
		return hit;
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, x) {
			hit = hit || touches_str(r, jv_string_value(k)) || touches(r, x);
			jv_free(k);
			jv_free(x);
		}
		return hit;
	default:
		return 0;
	}
}

int redact_touches(struct redactor *r, jv v)
{
	if (!r)
		return 0;
	pthread_mutex_lock(&r->lock);
	int hit = r->n && touches(r, v);
	pthread_mutex_unlock(&r->lock);
	return hit;
}

/* ---- stable placeholders ------------------------------------------------------ */

/* lock held: room for group g in ph */
static void ph_grow(struct redactor *r, int g)
{
	if (g < r->phalloc)
		return;
	int na = r->phalloc ? r->phalloc : 16;
	while (na <= g)
		na *= 2;
	r->ph = xrealloc(r->ph, sizeof(int) * (size_t)na);
	memset(r->ph + r->phalloc, 0, sizeof(int) * (size_t)(na - r->phalloc));
	r->phalloc = na;
}

/* lock held: the placeholder of secret group g, numbered on first use (past every
 * number taken, fixed ones included) */
static int placeholder_of(struct redactor *r, int g)
{
	ph_grow(r, g);
	if (!r->ph[g])
		r->ph[g] = ++r->nph;
	return r->ph[g];
}

/* lock held: group g is the placeholder <secret:n> itself */
static void placeholder_fix(struct redactor *r, int g, int n)
{
	ph_grow(r, g);
	r->ph[g] = n;
	if (n > r->nph)
		r->nph = n;
}

/* One pass, left to right, the longest form at each position: a placeholder once
 * written is never searched again (a short secret could be inside "<secret:1>"). */
static jv placeholder_string(struct redactor *r, jv s, int *hits)
{
	const char *t = jv_string_value(s);
	int len = jv_string_length_bytes(jv_copy(s));
	struct buf b = BUF_INIT(0);
	int any = 0;
	pthread_mutex_lock(&r->lock);
	if (touches_str(r, t)) {
		const char *p = t, *end = t + len, *plain = t;
		while (p + REDACT_MIN <= end) {
			unsigned h = first_hash((const unsigned char *)p);
			int hit = -1;
			if (r->first[h >> 6] & ((uint64_t)1 << (h & 63)))
				for (int i = 0; i < r->n && hit < 0; i++)
					if (r->secrets[i][0] == *p && !strncmp(p, r->secrets[i], strlen(r->secrets[i])))
						hit = i;
			if (hit < 0) {
				p++;
				continue;
			}
			if (buf_add(&b, plain, (size_t)(p - plain)) < 0 ||
			    buf_addf(&b, REDACT_PLACEHOLDER_FMT, placeholder_of(r, r->group[hit])) < 0)
				BUG("uncapped buffer refused an add");
			p += strlen(r->secrets[hit]);
			plain = p;
			any = 1;
			if (hits)
				(*hits)++;
		}
		if (any && buf_add(&b, plain, (size_t)(end - plain)) < 0)
			BUG("uncapped buffer refused an add");
	}
	pthread_mutex_unlock(&r->lock);
	if (!any) {
		buf_release(&b);
		return s;
	}
	jv out = jv_string_sized(buf_str(&b), (int)b.len);
	buf_release(&b);
	jv_free(s);
	return out;
}

jv redact_jv_placeholder(struct redactor *r, jv v)
{
	if (!r || !redact_touches(r, v))
		return v;
	return map_strings(v, placeholder_string, r, NULL);
}
