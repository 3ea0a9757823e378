/* scenario_rules.c — the one validator of a scenario (runbook-scenario(5)), used by
 * `sim check`, `sim serve` and `rehearse` alike (through sim_scenario_load).
 *
 * Every object kind of a scenario is a table of rules: key, type, range or enum or name
 * syntax, required. check_map() walks a map against its kind's table (unknown keys get a
 * "did you mean"), then the kind's own cross-key check; check_world() adds what spans
 * objects: duplicates and references. Every error is reported, located at the value
 * (or the key, or the map when a key is missing); nothing stops at the first.
 *
 * The input is the parsed scenario with its marks (scenario.c: maps carry "__line",
 * "__col" and "__loc" {key: [key line, key col, value line, value col]}).
 */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/evp.h>
#include "simint.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"

#define DAY_MS 86400000.0
#define K8S_REPLICAS_MAX 1000      /* as k8s.c serves: pods are objects in memory */

struct vc {
	const struct source *src;
	struct diag_list *dl;
	int errors;
};

enum rtype {
	RT_STR,      /* a string; with fmt, of that syntax */
	RT_INT,      /* an integer in [min, max] */
	RT_NUM,      /* a number in [min, max] */
	RT_BOOL,
	RT_DUR,      /* "90s", "1h30m": milliseconds in [min, max] */
	RT_TIME,     /* RFC 3339, "now", "-2h", "+10m" */
	RT_ENUM,     /* one of values */
	RT_STRS,     /* a string or a list of strings */
	RT_STRMAP,   /* a map of strings (labels, ConfigMap data) */
	RT_TAGS,     /* a map of scalars */
	RT_B64MAP,   /* a map of base64 strings (Secret data) */
	RT_MAP,      /* a map of kind */
	RT_MAPOF,    /* a map whose every value is a map of kind */
	RT_LIST,     /* a list of maps of kind, or of values checked by fn */
	RT_INTSTR,   /* an integer in [min, max] or a name (a Service's targetPort) */
	RT_ANY,
};

enum { REQ = 1 << 0 };

struct strfmt {
	const char *what;                /* "an RDS identifier (...)" for messages */
	int (*ok)(const char *s);
};

struct kind;
struct rule {
	const char *key;
	enum rtype type;
	unsigned flags;
	double min, max;                 /* RT_INT, RT_NUM, RT_DUR (ms), RT_INTSTR */
	const char *const *values;       /* RT_ENUM, NULL-terminated */
	const char *desc;                /* RT_ENUM: what the values are, when too many to list */
	const struct strfmt *fmt;        /* RT_STR: syntax; NULL = any string */
	const struct kind *kind;         /* RT_MAP, RT_MAPOF, RT_LIST */
	void (*fn)(struct vc *c, jv v, struct srcloc at);   /* RT_LIST of non-kind items */
};

/* a rule: key, type, then designated fields (.flags, .min, .max, .values, ...) */
#define R(k, t, ...) { .key = (k), .type = (t), __VA_ARGS__ }

struct kind {
	const char *what;                /* "an RDS instance" */
	const struct rule *rules;        /* {NULL}-terminated */
	void (*check)(struct vc *c, jv obj);   /* rules across keys, or NULL */
};

/* ------------------------------------------------------------------ locations, errors */

static void verr(struct vc *c, struct srcloc at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void verr(struct vc *c, struct srcloc at, const char *fmt, ...)
{
	struct buf b = BUF_INIT(0);
	va_list ap;
	va_start(ap, fmt);
	buf_vaddf(&b, fmt, ap);
	va_end(ap);
	diag_error(c->dl, &at, "%s", buf_str(&b));
	buf_release(&b);
	c->errors++;
}

static struct srcloc at_map(struct vc *c, jv obj)
{
	struct srcloc l = { c->src, (int)jvx_int(obj, "__line", 0), (int)jvx_int(obj, "__col", 0) };
	return l;
}

/* where key's value (value = 1) or the key itself starts in map obj */
static struct srcloc at_key(struct vc *c, jv obj, const char *key, int value)
{
	jv loc = jvx_get(obj, "__loc");
	jv p = jvx_get(loc, key);
	struct srcloc l = at_map(c, obj);
	if (jv_get_kind(p) == JV_KIND_ARRAY && jv_array_length(jv_copy(p)) == 4) {
		jv a = jv_array_get(jv_copy(p), value ? 2 : 0), b = jv_array_get(jv_copy(p), value ? 3 : 1);
		l.line = (int)jv_number_value(a);
		l.col = (int)jv_number_value(b);
		jv_free(a);
		jv_free(b);
	}
	jv_free(p);
	jv_free(loc);
	return l;
}

/* a short description of a value for "not ..." */
static const char *show(jv v, char *buf, size_t size)
{
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		snprintf(buf, size, "'%.60s%s'", jv_string_value(v), jv_string_length_bytes(jv_copy(v)) > 60 ? "..." : "");
		return buf;
	case JV_KIND_NUMBER: {
		char *t = jvx_dump(jv_copy(v));
		snprintf(buf, size, "%s", t);
		free(t);
		return buf;
	}
	case JV_KIND_TRUE:
		return "true";
	case JV_KIND_FALSE:
		return "false";
	case JV_KIND_ARRAY:
		return "a list";
	case JV_KIND_OBJECT:
		return "a map";
	default:
		return "null";
	}
}

static void num_text(char *buf, size_t size, double d)
{
	if (d == floor(d) && fabs(d) < 1e17)
		snprintf(buf, size, "%.0f", d);
	else
		snprintf(buf, size, "%g", d);
}

static const char *range(char *buf, size_t size, double min, double max)
{
	char a[40], b[40];
	num_text(a, sizeof(a), min);
	num_text(b, sizeof(b), max);
	snprintf(buf, size, "from %s to %s", a, b);
	return buf;
}

/* a duration bound for messages: "500ms", "90s", "24h" */
static const char *dur_text(char *buf, size_t size, double ms)
{
	if (ms < 1000 && ms != 0)
		snprintf(buf, size, "%.0fms", ms);
	else if (ms < 3600000 || fmod(ms, 3600000))
		snprintf(buf, size, "%.0fs", ms / 1000);
	else if (ms < 86400000 || fmod(ms, 86400000))
		snprintf(buf, size, "%.0fh", ms / 3600000);
	else
		snprintf(buf, size, "%.0fd", ms / 86400000);
	return buf;
}

/* the string of v, or NULL (with an error) when v is not a string or holds a NUL */
static const char *want_str(struct vc *c, jv v, const char *key, struct srcloc at)
{
	char b[96];
	if (jv_get_kind(v) != JV_KIND_STRING) {
		int scalar = jv_get_kind(v) == JV_KIND_NUMBER || jv_get_kind(v) == JV_KIND_TRUE ||
			     jv_get_kind(v) == JV_KIND_FALSE;
		verr(c, at, "'%s' must be a string%s, not %s", key, scalar ? " (quote it)" : "", show(v, b, sizeof(b)));
		return NULL;
	}
	const char *s = jv_string_value(v);
	if (strlen(s) != (size_t)jv_string_length_bytes(jv_copy(v))) {
		verr(c, at, "'%s' contains a NUL character", key);
		return NULL;
	}
	return s;
}

/* ------------------------------------------------------------------ name syntaxes */

static int is_lower_alnum(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
}

static int is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static int is_digit(char ch)
{
	return ch >= '0' && ch <= '9';
}

/* RDS and ElastiCache identifiers: a letter, then letters, digits, single hyphens */
static int aws_id_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n < 1 || n > max || !is_alpha(s[0]) || s[n - 1] == '-' || strstr(s, "--"))
		return 0;
	for (const char *p = s; *p; p++)
		if (!is_alpha(*p) && !is_digit(*p) && *p != '-')
			return 0;
	return 1;
}

static int rds_id_ok(const char *s)
{
	return aws_id_ok(s, 63);
}

/* snapshot ids: an identifier, automated ones with "rds:" before it */
static int rds_snapshot_id_ok(const char *s)
{
	return aws_id_ok(strncmp(s, "rds:", 4) ? s : s + 4, 255);
}

static int ec_id_ok(const char *s)
{
	return aws_id_ok(s, 40);
}

static int ec_snapshot_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 255 && strspn(s, " \t\r\n") == 0;
}

/* S3 bucket names: 3 to 63 lowercase letters, digits, dots and hyphens, alphanumeric ends */
static int bucket_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 3 || n > 63 || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return 0;
	for (const char *p = s; *p; p++)
		if (!is_lower_alnum(*p) && *p != '.' && *p != '-')
			return 0;
	return 1;
}

static int object_key_ok(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= 1024;
}

static int nonempty_ok(const char *s)
{
	return *s != 0;
}

static int account_ok(const char *s)
{
	return strlen(s) == 12 && strspn(s, "0123456789") == 12;
}

/* "us-east-1", "eu-central-2", "us-gov-west-1" */
static int region_ok(const char *s)
{
	size_t n = strlen(s);
	if (n < 4 || n > 31 || !is_digit(s[n - 1]) || !strchr(s, '-'))
		return 0;
	for (const char *p = s; *p; p++)
		if (!is_lower_alnum(*p) && *p != '-')
			return 0;
	return 1;
}

/* Kubernetes names: DNS labels (63) and subdomains (253) */
static int dns_ok(const char *s, size_t max, int dots)
{
	size_t n = strlen(s);
	if (n < 1 || n > max || !is_lower_alnum(s[0]) || !is_lower_alnum(s[n - 1]))
		return 0;
	for (const char *p = s; *p; p++)
		if (!is_lower_alnum(*p) && *p != '-' && !(dots && *p == '.'))
			return 0;
	return 1;
}

static int dns_label_ok(const char *s)
{
	return dns_ok(s, 63, 0);
}

static int dns_subdomain_ok(const char *s)
{
	return dns_ok(s, 253, 1);
}

static int cache_node_ok(const char *s)
{
	return !strncmp(s, "cache.", 6) && s[6];
}

static int db_class_ok(const char *s)
{
	return !strncmp(s, "db.", 3) && s[3];
}

static const struct strfmt
	f_rds_id = { "an RDS identifier (1 to 63 letters, digits or hyphens, starting with a letter)", rds_id_ok },
	f_rds_snap = { "a snapshot identifier (letters, digits and hyphens, starting with a letter; "
		       "\"rds:\" before automated ones)", rds_snapshot_id_ok },
	f_ec_id = { "an ElastiCache identifier (1 to 40 letters, digits or hyphens, starting with a letter)", ec_id_ok },
	f_ec_snap = { "a snapshot name (1 to 255 characters)", ec_snapshot_ok },
	f_bucket = { "a bucket name (3 to 63 lowercase letters, digits, dots or hyphens)", bucket_ok },
	f_key = { "an object key (1 to 1024 bytes)", object_key_ok },
	f_nonempty = { "a non-empty string", nonempty_ok },
	f_account = { "a 12-digit account id (quoted)", account_ok },
	f_region = { "a region like us-east-1", region_ok },
	f_dns_label = { "a DNS label (lowercase letters, digits and '-', at most 63)", dns_label_ok },
	f_dns_name = { "a DNS subdomain name (lowercase letters, digits, '-' and '.')", dns_subdomain_ok },
	f_cache_node = { "a node type like cache.r6g.large", cache_node_ok },
	f_db_class = { "an instance class like db.r6g.large", db_class_ok };

/* ------------------------------------------------------------------ the walk */

static void check_map(struct vc *c, const struct kind *k, jv obj);

static void check_item(struct vc *c, const struct rule *r, jv item, int i, struct srcloc list_at)
{
	char b[96];
	if (r->kind) {
		if (jv_get_kind(item) != JV_KIND_OBJECT)
			verr(c, list_at, "item %d of '%s' must be a map, not %s", i + 1, r->key, show(item, b, sizeof(b)));
		else
			check_map(c, r->kind, item);
	} else if (r->fn) {
		r->fn(c, item, jv_get_kind(item) == JV_KIND_OBJECT ? at_map(c, item) : list_at);
	}
}

/* values of map v (under key) must be strings, base64 ones when b64 */
static void check_strmap(struct vc *c, jv v, const char *key, int b64)
{
	char b[96];
	SIM_OBJ_EACH(jv_copy(v), k, x) {
		const char *ks = jv_string_value(k);
		if (strncmp(ks, "__", 2)) {
			struct srcloc xat = at_key(c, v, ks, 1);
			if (jv_get_kind(x) != JV_KIND_STRING) {
				int scalar = jv_get_kind(x) == JV_KIND_NUMBER || jv_get_kind(x) == JV_KIND_TRUE ||
					     jv_get_kind(x) == JV_KIND_FALSE;
				verr(c, xat, "'%s' in '%s' must be a string%s, not %s", ks, key, scalar ? " (quote it)" : "",
				     show(x, b, sizeof(b)));
			} else if (b64) {
				const char *s = jv_string_value(x);
				size_t len = strlen(s);
				unsigned char *tmp = xmalloc(len + 4);
				if (len % 4 || EVP_DecodeBlock(tmp, (const unsigned char *)s, (int)len) < 0)
					verr(c, xat, "'%s' in '%s' is not base64 (use stringData for plain text)", ks, key);
				free(tmp);
			}
		}
		jv_free(k);
		jv_free(x);
	}
}

static void check_value(struct vc *c, const struct rule *r, jv v, struct srcloc at)
{
	char b[96], rb[96];
	int64_t ms;
	const char *s;
	jv_kind kd = jv_get_kind(v);
	switch (r->type) {
	case RT_STR:
		if ((s = want_str(c, v, r->key, at)) && r->fmt && !r->fmt->ok(s))
			verr(c, at, "'%s' must be %s, not %s", r->key, r->fmt->what, show(v, b, sizeof(b)));
		break;
	case RT_INT:
	case RT_NUM:
		if (kd != JV_KIND_NUMBER || !isfinite(jv_number_value(v)) || jv_number_value(v) < r->min ||
		    jv_number_value(v) > r->max || (r->type == RT_INT && jv_number_value(v) != floor(jv_number_value(v))))
			verr(c, at, "'%s' must be %s %s, not %s", r->key, r->type == RT_INT ? "an integer" : "a number",
			     range(rb, sizeof(rb), r->min, r->max), show(v, b, sizeof(b)));
		break;
	case RT_INTSTR:
		if (kd == JV_KIND_STRING)
			want_str(c, v, r->key, at);
		else if (kd != JV_KIND_NUMBER || jv_number_value(v) < r->min || jv_number_value(v) > r->max ||
			 jv_number_value(v) != floor(jv_number_value(v)))
			verr(c, at, "'%s' must be a name or an integer %s, not %s", r->key,
			     range(rb, sizeof(rb), r->min, r->max), show(v, b, sizeof(b)));
		break;
	case RT_BOOL:
		if (kd != JV_KIND_TRUE && kd != JV_KIND_FALSE)
			verr(c, at, "'%s' must be true or false, not %s", r->key, show(v, b, sizeof(b)));
		break;
	case RT_DUR:
		if (kd != JV_KIND_STRING || dur_parse(jv_string_value(v), &ms) < 0)
			verr(c, at, "'%s' must be a duration (e.g. 90s, 15m, 1h30m), not %s", r->key, show(v, b, sizeof(b)));
		else if ((double)ms < r->min || (double)ms > r->max)
			verr(c, at, "'%s' must be a duration from %s to %s, not %s", r->key,
			     dur_text(rb, sizeof(rb) / 2, r->min), dur_text(rb + sizeof(rb) / 2, sizeof(rb) / 2, r->max),
			     show(v, b, sizeof(b)));
		break;
	case RT_TIME:
		s = kd == JV_KIND_STRING ? jv_string_value(v) : NULL;
		if (!s || !(!strcmp(s, "now") || ((s[0] == '-' || s[0] == '+') && dur_parse(s + 1, &ms) == 0) ||
			    ts_parse(s, &ms) == 0))
			verr(c, at, "'%s' must be a time (RFC 3339, \"now\", or \"-2h\" from the start), not %s", r->key,
			     show(v, b, sizeof(b)));
		break;
	case RT_ENUM: {
		int n = 0, found = 0;
		s = kd == JV_KIND_STRING ? jv_string_value(v) : "";
		for (; r->values[n]; n++)
			found |= !strcmp(s, r->values[n]);
		if (found)
			break;
		const char *sug = kd == JV_KIND_STRING ? diag_suggest(s, r->values, n) : NULL;
		struct buf lb = BUF_INIT(0);
		if (r->desc) {
			buf_adds(&lb, r->desc);
		} else {
			buf_adds(&lb, "one of ");
			for (int i = 0; i < n; i++)
				buf_addf(&lb, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", r->values[i]);
		}
		verr(c, at, "'%s' must be %s, not %s%s%s%s", r->key, buf_str(&lb), show(v, b, sizeof(b)),
		     sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
		buf_release(&lb);
		break;
	}
	case RT_STRS:
		if (kd == JV_KIND_STRING) {
			want_str(c, v, r->key, at);
		} else if (kd != JV_KIND_ARRAY) {
			verr(c, at, "'%s' must be a list of strings, not %s", r->key, show(v, b, sizeof(b)));
		} else {
			SIM_EACH(jv_copy(v), i, x) {
				if (jv_get_kind(x) != JV_KIND_STRING)
					verr(c, at, "item %d of '%s' must be a string, not %s", i + 1, r->key, show(x, b, sizeof(b)));
				jv_free(x);
			}
		}
		break;
	case RT_STRMAP:
	case RT_B64MAP:
	case RT_TAGS:
		if (kd != JV_KIND_OBJECT) {
			verr(c, at, "'%s' must be a map, not %s", r->key, show(v, b, sizeof(b)));
		} else if (r->type != RT_TAGS) {
			check_strmap(c, v, r->key, r->type == RT_B64MAP);
		} else {
			SIM_OBJ_EACH(jv_copy(v), k, x) {
				jv_kind xk = jv_get_kind(x);
				if (strncmp(jv_string_value(k), "__", 2) && (xk == JV_KIND_ARRAY || xk == JV_KIND_OBJECT))
					verr(c, at_key(c, v, jv_string_value(k), 1), "tag '%s' must be a string, not %s",
					     jv_string_value(k), show(x, b, sizeof(b)));
				jv_free(k);
				jv_free(x);
			}
		}
		break;
	case RT_MAP:
		if (kd != JV_KIND_OBJECT)
			verr(c, at, "'%s' must be a map, not %s", r->key, show(v, b, sizeof(b)));
		else
			check_map(c, r->kind, v);
		break;
	case RT_MAPOF:
		if (kd != JV_KIND_OBJECT) {
			verr(c, at, "'%s' must be a map, not %s", r->key, show(v, b, sizeof(b)));
			break;
		}
		SIM_OBJ_EACH(jv_copy(v), k, x) {
			const char *ks = jv_string_value(k);
			if (strncmp(ks, "__", 2)) {
				if (jv_get_kind(x) != JV_KIND_OBJECT)
					verr(c, at_key(c, v, ks, 1), "'%s' in '%s' must be a map, not %s", ks, r->key,
					     show(x, b, sizeof(b)));
				else
					check_map(c, r->kind, x);
			}
			jv_free(k);
			jv_free(x);
		}
		break;
	case RT_LIST:
		if (kd != JV_KIND_ARRAY) {
			verr(c, at, "'%s' must be a list, not %s", r->key, show(v, b, sizeof(b)));
			break;
		}
		SIM_EACH(jv_copy(v), i, x) {
			check_item(c, r, x, i, at);
			jv_free(x);
		}
		break;
	case RT_ANY:
		break;
	}
}

static void check_map(struct vc *c, const struct kind *k, jv obj)
{
	const char *names[96];
	int n = 0;
	for (const struct rule *r = k->rules; r->key && n < 95; r++)
		names[n++] = r->key;
	names[n] = NULL;
	SIM_OBJ_EACH(jv_copy(obj), key, v) {
		const char *ks = jv_string_value(key);
		const struct rule *r = k->rules;
		while (r->key && strcmp(r->key, ks))
			r++;
		if (!strncmp(ks, "__", 2)) {
			/* marks */
		} else if (!r->key) {
			const char *sug = diag_suggest(ks, names, n);
			verr(c, at_key(c, obj, ks, 0), "unknown key '%s' in %s%s%s%s", ks, k->what,
			     sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
		} else if (jv_get_kind(v) != JV_KIND_NULL) {
			check_value(c, r, v, at_key(c, obj, ks, 1));
		}
		jv_free(key);
		jv_free(v);
	}
	for (const struct rule *r = k->rules; r->key; r++) {
		if (!(r->flags & REQ))
			continue;
		jv v = jvx_get(obj, r->key);
		if (jv_get_kind(v) == JV_KIND_INVALID || jv_get_kind(v) == JV_KIND_NULL)
			verr(c, at_map(c, obj), "missing '%s' in %s", r->key, k->what);
		jv_free(v);
	}
	if (k->check)
		k->check(c, obj);
}

/* ------------------------------------------------------------------ cross-key checks */

static int has(jv obj, const char *key)
{
	jv v = jvx_get(obj, key);
	int ok = jv_get_kind(v) != JV_KIND_INVALID && jv_get_kind(v) != JV_KIND_NULL;
	jv_free(v);
	return ok;
}

static void s3_object_check(struct vc *c, jv obj)
{
	if (has(obj, "versions")) {
		static const char *const single[] = { "body", "size", "version_id", "content_type", "modified", NULL };
		for (const char *const *k = single; *k; k++)
			if (has(obj, *k))
				verr(c, at_key(c, obj, *k, 0), "an object with 'versions' has '%s' in each version, not beside them", *k);
	}
	if (has(obj, "body") && has(obj, "size"))
		verr(c, at_key(c, obj, "size", 0), "an object has 'body' or 'size', not both");
}

static void s3_version_check(struct vc *c, jv v)
{
	if (jvx_bool(v, "delete_marker", 0)) {
		static const char *const content[] = { "body", "size", "content_type", NULL };
		for (const char *const *k = content; *k; k++)
			if (has(v, *k))
				verr(c, at_key(c, v, *k, 0), "a delete marker has no '%s'", *k);
	} else if (has(v, "body") && has(v, "size")) {
		verr(c, at_key(c, v, "size", 0), "a version has 'body' or 'size', not both");
	}
}

static void secret_check(struct vc *c, jv sec)
{
	jv vers = jvx_get(sec, "versions");
	if (has(sec, "value") && jv_get_kind(vers) == JV_KIND_ARRAY)
		verr(c, at_key(c, sec, "value", 0), "a secret has 'value' (one version) or 'versions', not both");
	if (jv_get_kind(vers) == JV_KIND_ARRAY && jv_array_length(jv_copy(vers)) > 0) {
		int current = 0;
		jv ids = jv_object(), stages = jv_object();
		SIM_EACH(jv_copy(vers), i, v) {
			const char *id = jvx_str(v, "id");
			if (id && jv_object_has(jv_copy(ids), jv_string(id)))
				verr(c, at_key(c, v, "id", 1), "duplicate version id '%s'", id);
			else if (id)
				ids = jv_object_set(ids, jv_string(id), jv_true());
			jv st = jvx_get(v, "stages");
			if (jv_get_kind(st) == JV_KIND_STRING)
				st = JV_ARRAY(st);
			if (jv_get_kind(st) == JV_KIND_ARRAY) {
				SIM_EACH(st, j, s) {
					if (jv_get_kind(s) == JV_KIND_STRING) {
						current += !strcmp(jv_string_value(s), "AWSCURRENT");
						if (jv_object_has(jv_copy(stages), jv_copy(s)))
							verr(c, at_key(c, v, "stages", 1), "stage '%s' is on two versions",
							     jv_string_value(s));
						stages = jv_object_set(stages, jv_copy(s), jv_true());
					}
					jv_free(s);
				}
			} else {
				jv_free(st);
			}
			jv_free(v);
		}
		if (current != 1)
			verr(c, at_key(c, sec, "versions", 1), "secret '%s' needs exactly one version with stage AWSCURRENT, "
			     "not %d", jvx_str(sec, "name") ? jvx_str(sec, "name") : "", current);
		jv_free(ids);
		jv_free(stages);
	}
	jv_free(vers);
	if (has(sec, "recovery_window_days") && !has(sec, "deleted"))
		verr(c, at_key(c, sec, "recovery_window_days", 0), "'recovery_window_days' is for a secret with 'deleted'");
}

static const char *const services[] = { "rds", "elasticache", "s3", "secretsmanager", "sns", "sts", NULL };
static const struct sim_op *const service_ops[] = { sim_rds_ops, sim_elasticache_ops, sim_s3_ops,
						    sim_secrets_ops, sim_sns_ops, sim_sts_ops };

static void fault_check(struct vc *c, jv f)
{
	const char *kind = jvx_str(f, "kind"), *svc = jvx_str(f, "service"), *op = jvx_str(f, "operation");
	if (has(f, "rate") && has(f, "count"))
		verr(c, at_key(c, f, "count", 0), "a fault has either 'rate' or 'count', not both");
	if (kind && !strcmp(kind, "latency") && !has(f, "latency"))
		verr(c, at_map(c, f), "a latency fault needs 'latency' (e.g. 2s)");
	if (kind && strcmp(kind, "latency") && has(f, "latency"))
		verr(c, at_key(c, f, "latency", 0), "'latency' is for kind latency, not %s", kind);
	if (kind && strcmp(kind, "5xx") && has(f, "status"))
		verr(c, at_key(c, f, "status", 0), "'status' is for kind 5xx, not %s", kind);
	if (!op || !strcmp(op, "*"))
		return;
	/* the operation must be one the service (or any service) serves */
	const char *names[256];
	int n = 0, found = 0;
	for (int i = 0; services[i]; i++) {
		if (svc && strcmp(svc, services[i]))
			continue;
		for (const struct sim_op *o = service_ops[i]; o->name && n < 255; o++) {
			names[n++] = o->name;
			found |= !strcmp(o->name, op);
		}
	}
	if (!found && n) {
		const char *sug = diag_suggest(op, names, n);
		verr(c, at_key(c, f, "operation", 1), "%s%s%s has no operation '%s'%s%s%s", svc ? "service '" : "the simulator",
		     svc ? svc : "", svc ? "'" : "", op, sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
	}
}

/* ------------------------------------------------------------------ exec: and http: rules */

/* an exec rule: argv a non-empty list of scalars (numbers and booleans count as their
 * text, as exec passes them), and either run: true or a stub */
static void exec_rule_check(struct vc *c, jv r)
{
	char b[96];
	jv argv = jvx_get(r, "argv");
	if (jv_get_kind(argv) == JV_KIND_ARRAY) {
		if (jv_array_length(jv_copy(argv)) == 0)
			verr(c, at_key(c, r, "argv", 1), "'argv' of an exec rule must not be empty");
		SIM_EACH(jv_copy(argv), i, x) {
			jv_kind k = jv_get_kind(x);
			if (k != JV_KIND_STRING && k != JV_KIND_NUMBER && k != JV_KIND_TRUE && k != JV_KIND_FALSE)
				verr(c, at_key(c, r, "argv", 1), "item %d of 'argv' must be a string, not %s", i + 1,
				     show(x, b, sizeof(b)));
			jv_free(x);
		}
	} else if (jv_is_valid(argv) && jv_get_kind(argv) != JV_KIND_NULL) {
		verr(c, at_key(c, r, "argv", 1), "'argv' must be a list (the program and its first arguments), not %s",
		     show(argv, b, sizeof(b)));
	}
	jv_free(argv);
	if (has(r, "run") && has(r, "stub"))
		verr(c, at_key(c, r, "stub", 0), "an exec rule has either 'run: true' or 'stub', not both");
	else if (!has(r, "run") && !has(r, "stub"))
		verr(c, at_map(c, r), "an exec rule needs 'run: true' or a 'stub' (what the step gets instead)");
	else if (has(r, "run") && !jvx_bool(r, "run", 1))
		verr(c, at_key(c, r, "run", 1), "'run: false' says nothing: give a 'stub', or leave the rule out "
		     "(a mutating exec without a rule is refused)");
}

static int http_url_ok(const char *s)
{
	return !strncasecmp(s, "http://", 7) || !strncasecmp(s, "https://", 8);
}

static int http_method_ok(const char *s)
{
	size_t i = 0;
	while (s[i] && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z')))
		i++;
	return i > 0 && !s[i];
}

static const struct strfmt
	f_http_url = { "an http:// or https:// URL (a prefix of the URLs it answers)", http_url_ok },
	f_http_method = { "an HTTP method like POST", http_method_ok };

static void http_reply_check(struct vc *c, jv r)
{
	if (has(r, "body") && has(r, "json"))
		verr(c, at_key(c, r, "json", 0), "a reply has either 'body' or 'json', not both");
}

static const struct kind k_exec_stub = { "an exec stub", (const struct rule[]){
	R("exit_code", RT_INT, .min = 0, .max = 255),
	R("stdout", RT_STR),
	R("stderr", RT_STR),
	{ NULL } }, NULL };

static const struct kind k_exec_rule = { "an exec rule", (const struct rule[]){
	R("argv", RT_ANY, .flags = REQ),
	R("run", RT_BOOL),
	R("stub", RT_MAP, .kind = &k_exec_stub),
	{ NULL } }, exec_rule_check };

static const struct kind k_http_reply = { "an http reply", (const struct rule[]){
	R("status", RT_INT, .min = 100, .max = 599),
	R("headers", RT_STRMAP),
	R("body", RT_STR),
	R("json", RT_ANY),
	{ NULL } }, http_reply_check };

static const struct kind k_http_rule = { "an http rule", (const struct rule[]){
	R("url", RT_STR, .flags = REQ, .fmt = &f_http_url),
	R("method", RT_STR, .fmt = &f_http_method),
	R("reply", RT_MAP, .flags = REQ, .kind = &k_http_reply),
	{ NULL } }, NULL };

/* ------------------------------------------------------------------ Kubernetes objects */

static void k8s_object(struct vc *c, jv obj, struct srcloc at);

static const char *const pull_policies[] = { "Always", "IfNotPresent", "Never", NULL };
static const char *const protocols[] = { "TCP", "UDP", "SCTP", NULL };
static const char *const svc_types[] = { "ClusterIP", "NodePort", "LoadBalancer", "ExternalName", NULL };
static const char *const pod_policies[] = { "OrderedReady", "Parallel", NULL };
static const char *const restart_policies[] = { "Always", "OnFailure", "Never", NULL };

static const struct kind k_selector = { "a label selector", (const struct rule[]){
	R("matchLabels", RT_STRMAP),
	R("matchExpressions", RT_ANY),
	{ NULL } }, NULL };

static const struct kind k_cport = { "a container port", (const struct rule[]){
	R("containerPort", RT_INT, .flags = REQ, .min = 1, .max = 65535),
	R("name", RT_STR, .fmt = &f_dns_label),
	R("protocol", RT_ENUM, .values = protocols),
	R("hostPort", RT_INT, .min = 1, .max = 65535),
	R("hostIP", RT_STR),
	{ NULL } }, NULL };

static const struct kind k_env = { "an environment variable", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &f_nonempty),
	R("value", RT_STR),
	R("valueFrom", RT_ANY),
	{ NULL } }, NULL };

static const struct kind k_container = { "a container", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &f_dns_label),
	R("image", RT_STR, .flags = REQ, .fmt = &f_nonempty),
	R("imagePullPolicy", RT_ENUM, .values = pull_policies),
	R("command", RT_STRS),
	R("args", RT_STRS),
	R("env", RT_LIST, .kind = &k_env),
	R("ports", RT_LIST, .kind = &k_cport),
	R("workingDir", RT_STR),
	R("envFrom", RT_ANY),
	R("resources", RT_ANY),
	R("volumeMounts", RT_ANY),
	R("volumeDevices", RT_ANY),
	R("livenessProbe", RT_ANY),
	R("readinessProbe", RT_ANY),
	R("startupProbe", RT_ANY),
	R("lifecycle", RT_ANY),
	R("securityContext", RT_ANY),
	R("stdin", RT_BOOL),
	R("stdinOnce", RT_BOOL),
	R("tty", RT_BOOL),
	R("terminationMessagePath", RT_STR),
	R("terminationMessagePolicy", RT_STR),
	R("resizePolicy", RT_ANY),
	R("restartPolicy", RT_STR),
	{ NULL } }, NULL };

static void podspec_check(struct vc *c, jv spec)
{
	jv cs = jvx_get(spec, "containers");
	if (jv_get_kind(cs) == JV_KIND_ARRAY && jv_array_length(jv_copy(cs)) == 0)
		verr(c, at_key(c, spec, "containers", 1), "a pod needs at least one container");
	jv_free(cs);
}

static const struct kind k_podspec = { "a pod spec", (const struct rule[]){
	R("containers", RT_LIST, .flags = REQ, .kind = &k_container),
	R("initContainers", RT_LIST, .kind = &k_container),
	R("restartPolicy", RT_ENUM, .values = restart_policies),
	R("terminationGracePeriodSeconds", RT_INT, .min = 0, .max = 1e9),
	R("activeDeadlineSeconds", RT_INT, .min = 1, .max = 1e12),
	R("serviceAccountName", RT_STR, .fmt = &f_dns_name),
	R("serviceAccount", RT_STR),
	R("nodeSelector", RT_STRMAP),
	R("nodeName", RT_STR),
	R("hostname", RT_STR),
	R("subdomain", RT_STR),
	R("volumes", RT_ANY),
	R("affinity", RT_ANY),
	R("tolerations", RT_ANY),
	R("securityContext", RT_ANY),
	R("imagePullSecrets", RT_ANY),
	R("dnsPolicy", RT_STR),
	R("dnsConfig", RT_ANY),
	R("priorityClassName", RT_STR),
	R("priority", RT_INT, .min = -2147483648.0, .max = 2147483647.0),
	R("topologySpreadConstraints", RT_ANY),
	R("automountServiceAccountToken", RT_BOOL),
	R("enableServiceLinks", RT_BOOL),
	R("hostNetwork", RT_BOOL),
	R("hostPID", RT_BOOL),
	R("hostIPC", RT_BOOL),
	R("shareProcessNamespace", RT_BOOL),
	R("schedulerName", RT_STR),
	R("runtimeClassName", RT_STR),
	R("hostAliases", RT_ANY),
	R("readinessGates", RT_ANY),
	R("overhead", RT_ANY),
	R("preemptionPolicy", RT_STR),
	R("setHostnameAsFQDN", RT_BOOL),
	R("os", RT_ANY),
	R("ephemeralContainers", RT_ANY),
	{ NULL } }, podspec_check };

static const struct kind k_tmeta = { "a template's metadata", (const struct rule[]){
	R("labels", RT_STRMAP),
	R("annotations", RT_STRMAP),
	R("name", RT_STR),
	R("namespace", RT_STR),
	{ NULL } }, NULL };

static const struct kind k_template = { "a pod template", (const struct rule[]){
	R("metadata", RT_MAP, .kind = &k_tmeta),
	R("spec", RT_MAP, .flags = REQ, .kind = &k_podspec),
	{ NULL } }, NULL };

/* the selector must select the template's pods, as the API server insists */
static void workload_check(struct vc *c, jv spec)
{
	jv sel = jvx_get(spec, "selector"), ml = jvx_get(sel, "matchLabels");
	jv tl = jvx_get(spec, "template"), tm = jvx_get(tl, "metadata"), labels = jvx_get(tm, "labels");
	if (jv_get_kind(ml) == JV_KIND_OBJECT) {
		SIM_OBJ_EACH(jv_copy(ml), k, v) {
			const char *ks = jv_string_value(k), *have = jvx_str(labels, ks);
			if (strncmp(ks, "__", 2) && jv_get_kind(v) == JV_KIND_STRING && (!have || strcmp(have, jv_string_value(v))))
				verr(c, at_key(c, ml, ks, 1), "the selector's '%s: %s' does not match the template's labels",
				     ks, jv_string_value(v));
			jv_free(k);
			jv_free(v);
		}
	}
	jv_free(sel);
	jv_free(ml);
	jv_free(tl);
	jv_free(tm);
	jv_free(labels);
}

static const struct kind k_workload_spec = { "a workload spec", (const struct rule[]){
	R("replicas", RT_INT, .min = 0, .max = K8S_REPLICAS_MAX),
	R("selector", RT_MAP, .kind = &k_selector),
	R("template", RT_MAP, .flags = REQ, .kind = &k_template),
	R("strategy", RT_ANY),
	R("updateStrategy", RT_ANY),
	R("minReadySeconds", RT_INT, .min = 0, .max = 1e9),
	R("revisionHistoryLimit", RT_INT, .min = 0, .max = 1e9),
	R("progressDeadlineSeconds", RT_INT, .min = 1, .max = 1e9),
	R("paused", RT_BOOL),
	R("serviceName", RT_STR),
	R("podManagementPolicy", RT_ENUM, .values = pod_policies),
	R("volumeClaimTemplates", RT_ANY),
	R("persistentVolumeClaimRetentionPolicy", RT_ANY),
	R("ordinals", RT_ANY),
	{ NULL } }, workload_check };

static const struct kind k_sport = { "a service port", (const struct rule[]){
	R("port", RT_INT, .flags = REQ, .min = 1, .max = 65535),
	R("targetPort", RT_INTSTR, .min = 1, .max = 65535),
	R("protocol", RT_ENUM, .values = protocols),
	R("name", RT_STR, .fmt = &f_dns_label),
	R("nodePort", RT_INT, .min = 30000, .max = 32767),
	R("appProtocol", RT_STR),
	{ NULL } }, NULL };

static const struct kind k_svc_spec = { "a service spec", (const struct rule[]){
	R("ports", RT_LIST, .kind = &k_sport),
	R("selector", RT_STRMAP),
	R("type", RT_ENUM, .values = svc_types),
	R("clusterIP", RT_STR),
	R("clusterIPs", RT_STRS),
	R("externalName", RT_STR),
	R("externalIPs", RT_STRS),
	R("sessionAffinity", RT_STR),
	R("sessionAffinityConfig", RT_ANY),
	R("externalTrafficPolicy", RT_STR),
	R("internalTrafficPolicy", RT_STR),
	R("ipFamilies", RT_STRS),
	R("ipFamilyPolicy", RT_STR),
	R("loadBalancerIP", RT_STR),
	R("loadBalancerSourceRanges", RT_STRS),
	R("loadBalancerClass", RT_STR),
	R("publishNotReadyAddresses", RT_BOOL),
	R("allocateLoadBalancerNodePorts", RT_BOOL),
	R("healthCheckNodePort", RT_INT, .min = 1, .max = 65535),
	{ NULL } }, NULL };

static const struct kind k_meta = { "metadata", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &f_dns_name),
	R("namespace", RT_STR, .fmt = &f_dns_label),
	R("labels", RT_STRMAP),
	R("annotations", RT_STRMAP),
	{ NULL } }, NULL };

#define K8S_HEAD R("apiVersion", RT_STR, .flags = REQ), R("kind", RT_STR, .flags = REQ), \
	R("metadata", RT_MAP, .flags = REQ, .kind = &k_meta)

static const struct kind k_ns = { "a Namespace", (const struct rule[]){
	K8S_HEAD, R("spec", RT_ANY), { NULL } }, NULL };
static const struct kind k_cm = { "a ConfigMap", (const struct rule[]){
	K8S_HEAD, R("data", RT_STRMAP), R("binaryData", RT_B64MAP), R("immutable", RT_BOOL), { NULL } }, NULL };
static const struct kind k_secret = { "a Secret", (const struct rule[]){
	K8S_HEAD, R("data", RT_B64MAP), R("stringData", RT_STRMAP), R("type", RT_STR, .fmt = &f_nonempty),
	R("immutable", RT_BOOL), { NULL } }, NULL };
static const struct kind k_svc = { "a Service", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .kind = &k_svc_spec), { NULL } }, NULL };
static const struct kind k_pod = { "a Pod", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .flags = REQ, .kind = &k_podspec), { NULL } }, NULL };
static const struct kind k_deploy = { "a Deployment", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .flags = REQ, .kind = &k_workload_spec), { NULL } }, NULL };
static const struct kind k_sts = { "a StatefulSet", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .flags = REQ, .kind = &k_workload_spec), { NULL } }, NULL };
static const struct kind k_rs = { "a ReplicaSet", (const struct rule[]){
	K8S_HEAD, R("spec", RT_MAP, .flags = REQ, .kind = &k_workload_spec), { NULL } }, NULL };

/* the kinds the simulated API server serves (k8s.c's resources) */
static const struct k8s_kind {
	const char *api, *kind;
	const struct kind *body;
	int dns_label;           /* the name is a DNS label, not a subdomain */
} k8s_kinds[] = {
	{ "v1", "Namespace", &k_ns, 1 },
	{ "v1", "ConfigMap", &k_cm, 0 },
	{ "v1", "Secret", &k_secret, 0 },
	{ "v1", "Service", &k_svc, 1 },
	{ "v1", "Pod", &k_pod, 0 },
	{ "apps/v1", "Deployment", &k_deploy, 0 },
	{ "apps/v1", "StatefulSet", &k_sts, 0 },
	{ "apps/v1", "ReplicaSet", &k_rs, 0 },
};
#define K8S_NKINDS ((int)(sizeof(k8s_kinds) / sizeof(k8s_kinds[0])))

static void k8s_object(struct vc *c, jv obj, struct srcloc at)
{
	char b[96];
	if (jv_get_kind(obj) != JV_KIND_OBJECT) {
		verr(c, at, "a Kubernetes object must be a map, not %s", show(obj, b, sizeof(b)));
		return;
	}
	const char *api = jvx_str(obj, "apiVersion"), *kind = jvx_str(obj, "kind");
	if (!kind || !api) {
		verr(c, at_map(c, obj), "missing '%s' in a Kubernetes object", kind ? "apiVersion" : "kind");
		return;
	}
	const struct k8s_kind *kk = NULL;
	const char *names[K8S_NKINDS + 1];
	for (int i = 0; i < K8S_NKINDS; i++) {
		names[i] = k8s_kinds[i].kind;
		if (!strcmp(k8s_kinds[i].kind, kind))
			kk = &k8s_kinds[i];
	}
	names[K8S_NKINDS] = NULL;
	if (!kk) {
		const char *sug = diag_suggest(kind, names, K8S_NKINDS);
		verr(c, at_key(c, obj, "kind", 1), "the simulator has no kind '%s'%s%s%s (Namespace, ConfigMap, Secret, "
		     "Service, Pod, Deployment, StatefulSet, ReplicaSet)", kind, sug ? " (did you mean '" : "",
		     sug ? sug : "", sug ? "'?)" : "");
		return;
	}
	if (strcmp(api, kk->api))
		verr(c, at_key(c, obj, "apiVersion", 1), "a %s is apiVersion '%s', not '%s'", kk->kind, kk->api, api);
	check_map(c, kk->body, obj);
	jv meta = jvx_get(obj, "metadata");
	const char *name = jvx_str(meta, "name");
	if (kk->dns_label && name && dns_subdomain_ok(name) && !dns_label_ok(name))
		verr(c, at_key(c, meta, "name", 1), "'name' of a %s must be %s, not '%s'", kk->kind, f_dns_label.what, name);
	jv_free(meta);
}

static const struct kind k_token = { "a token", (const struct rule[]){
	R("user", RT_STR, .fmt = &f_nonempty),
	R("expired", RT_BOOL),
	{ NULL } }, NULL };

static const struct kind k_k8s_durations = { "'k8s.durations'", (const struct rule[]){
	R("rollout", RT_DUR, .min = 0, .max = 24 * 3600000.0),
	R("progress_deadline", RT_DUR, .min = 1000, .max = 24 * 3600000.0),
	{ NULL } }, NULL };

static const struct kind k_k8s = { "'k8s'", (const struct rule[]){
	R("namespace", RT_STR, .fmt = &f_dns_label),
	R("durations", RT_MAP, .kind = &k_k8s_durations),
	R("tokens", RT_MAPOF, .kind = &k_token),
	R("objects", RT_LIST, .fn = k8s_object),
	{ NULL } }, NULL };

/* ------------------------------------------------------------------ the AWS world */

static const char *const rds_statuses[] = { "available", "backing-up", "configuring-enhanced-monitoring",
	"configuring-iam-database-auth", "configuring-log-exports", "converting-to-vpc", "creating",
	"delete-precheck", "deleting", "failed", "inaccessible-encryption-credentials",
	"inaccessible-encryption-credentials-recoverable", "incompatible-network", "incompatible-option-group",
	"incompatible-parameters", "incompatible-restore", "insufficient-capacity", "maintenance", "modifying",
	"moving-to-vpc", "rebooting", "resetting-master-credentials", "renaming", "restore-error", "starting",
	"stopped", "stopping", "storage-full", "storage-optimization", "upgrading", NULL };
static const char *const rds_engines[] = { "postgres", "mysql", "mariadb", "aurora-postgresql", "aurora-mysql",
	"oracle-ee", "oracle-ee-cdb", "oracle-se2", "oracle-se2-cdb", "sqlserver-ee", "sqlserver-se",
	"sqlserver-ex", "sqlserver-web", "db2-se", "db2-ae", NULL };
static const char *const snapshot_statuses[] = { "available", "creating", "copying", "deleting", "failed", NULL };
static const char *const snapshot_types[] = { "automated", "manual", NULL };
static const char *const ec_statuses[] = { "available", "creating", "modifying", "deleting", "create-failed",
	"snapshotting", NULL };
static const char *const ec_snapshot_statuses[] = { "available", "creating", "restoring", "copying", "deleting", NULL };
static const char *const versionings[] = { "Enabled", "Suspended", "none", "Disabled", NULL };
static const char *const fault_kinds[] = {
#define FK_NAME(e, n) n,
	SIM_FAULT_KINDS(FK_NAME)
#undef FK_NAME
	NULL };

static const struct kind k_endpoint = { "an endpoint", (const struct rule[]){
	R("address", RT_STR, .fmt = &f_nonempty),
	R("port", RT_INT, .min = 1, .max = 65535),
	{ NULL } }, NULL };

static const struct kind k_rds_instance = { "an RDS instance", (const struct rule[]){
	R("id", RT_STR, .flags = REQ, .fmt = &f_rds_id),
	R("status", RT_ENUM, .values = rds_statuses, .desc = "an RDS instance status (runbook-scenario(5))"),
	R("ready_in", RT_DUR, .min = 0, .max = 365 * DAY_MS),
	R("class", RT_STR, .fmt = &f_db_class),
	R("engine", RT_ENUM, .values = rds_engines, .desc = "an RDS engine (postgres, mysql, mariadb, ...)"),
	R("engine_version", RT_STR, .fmt = &f_nonempty),
	R("storage", RT_INT, .min = 1, .max = 65536),
	R("master_username", RT_STR, .fmt = &f_nonempty),
	R("db_name", RT_STR, .fmt = &f_nonempty),
	R("endpoint", RT_MAP, .kind = &k_endpoint),
	R("multi_az", RT_BOOL),
	R("backup_retention", RT_INT, .min = 0, .max = 35),
	R("earliest_restorable", RT_TIME),
	R("created", RT_TIME),
	R("read_replica_of", RT_STR, .fmt = &f_rds_id),
	R("publicly_accessible", RT_BOOL),
	R("security_groups", RT_STRS),
	R("subnet_group", RT_STR, .fmt = &f_nonempty),
	R("parameter_group", RT_STR, .fmt = &f_nonempty),
	R("tags", RT_TAGS),
	R("availability_zone", RT_STR, .fmt = &f_nonempty),
	R("storage_encrypted", RT_BOOL),
	R("deletion_protection", RT_BOOL),
	{ NULL } }, NULL };

static const struct kind k_rds_snapshot = { "an RDS snapshot", (const struct rule[]){
	R("id", RT_STR, .flags = REQ, .fmt = &f_rds_snap),
	R("instance", RT_STR, .flags = REQ, .fmt = &f_rds_id),
	R("source_deleted", RT_BOOL),
	R("type", RT_ENUM, .values = snapshot_types),
	R("created", RT_TIME),
	R("status", RT_ENUM, .values = snapshot_statuses),
	R("ready_in", RT_DUR, .min = 0, .max = 365 * DAY_MS),
	R("storage", RT_INT, .min = 1, .max = 65536),
	R("engine", RT_ENUM, .values = rds_engines, .desc = "an RDS engine (postgres, mysql, mariadb, ...)"),
	R("engine_version", RT_STR, .fmt = &f_nonempty),
	R("master_username", RT_STR, .fmt = &f_nonempty),
	R("tags", RT_TAGS),
	{ NULL } }, NULL };

static const struct kind k_rds = { "'rds'", (const struct rule[]){
	R("endpoint", RT_MAP, .kind = &k_endpoint),
	R("instances", RT_LIST, .kind = &k_rds_instance),
	R("snapshots", RT_LIST, .kind = &k_rds_snapshot),
	{ NULL } }, NULL };

static const struct kind k_ec_group = { "a replication group", (const struct rule[]){
	R("id", RT_STR, .flags = REQ, .fmt = &f_ec_id),
	R("description", RT_STR),
	R("status", RT_ENUM, .values = ec_statuses),
	R("ready_in", RT_DUR, .min = 0, .max = 365 * DAY_MS),
	R("node_type", RT_STR, .fmt = &f_cache_node),
	R("engine_version", RT_STR, .fmt = &f_nonempty),
	R("num_clusters", RT_INT, .min = 1, .max = 6),
	R("endpoint", RT_MAP, .kind = &k_endpoint),
	R("transit_encryption", RT_BOOL),
	R("created", RT_TIME),
	{ NULL } }, NULL };

static const struct kind k_ec_snapshot = { "an ElastiCache snapshot", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &f_ec_snap),
	R("replication_group", RT_STR, .flags = REQ, .fmt = &f_ec_id),
	R("source_deleted", RT_BOOL),
	R("source", RT_ENUM, .values = snapshot_types),
	R("status", RT_ENUM, .values = ec_snapshot_statuses),
	R("ready_in", RT_DUR, .min = 0, .max = 365 * DAY_MS),
	R("created", RT_TIME),
	R("node_type", RT_STR, .fmt = &f_cache_node),
	R("engine_version", RT_STR, .fmt = &f_nonempty),
	R("size_mb", RT_NUM, .min = 0, .max = 1e7),
	{ NULL } }, NULL };

static const struct kind k_ec = { "'elasticache'", (const struct rule[]){
	R("endpoint", RT_MAP, .kind = &k_endpoint),
	R("replication_groups", RT_LIST, .kind = &k_ec_group),
	R("snapshots", RT_LIST, .kind = &k_ec_snapshot),
	{ NULL } }, NULL };

static const struct kind k_s3_version = { "an object version", (const struct rule[]){
	R("body", RT_STR),
	R("size", RT_INT, .min = 0, .max = SIM_S3_OBJECT_MAX),
	R("content_type", RT_STR, .fmt = &f_nonempty),
	R("modified", RT_TIME),
	R("version_id", RT_STR, .fmt = &f_nonempty),
	R("delete_marker", RT_BOOL),
	{ NULL } }, s3_version_check };

static const struct kind k_s3_object = { "an object", (const struct rule[]){
	R("key", RT_STR, .flags = REQ, .fmt = &f_key),
	R("body", RT_STR),
	R("size", RT_INT, .min = 0, .max = SIM_S3_OBJECT_MAX),
	R("content_type", RT_STR, .fmt = &f_nonempty),
	R("modified", RT_TIME),
	R("version_id", RT_STR, .fmt = &f_nonempty),
	R("versions", RT_LIST, .kind = &k_s3_version),
	{ NULL } }, s3_object_check };

static const struct kind k_bucket = { "a bucket", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &f_bucket),
	R("versioning", RT_ENUM, .values = versionings),
	R("created", RT_TIME),
	R("objects", RT_LIST, .kind = &k_s3_object),
	{ NULL } }, NULL };

static const struct kind k_s3 = { "'s3'", (const struct rule[]){
	R("buckets", RT_LIST, .kind = &k_bucket),
	{ NULL } }, NULL };

static const struct kind k_secret_version = { "a secret version", (const struct rule[]){
	R("value", RT_STR, .flags = REQ),
	R("id", RT_STR, .fmt = &f_nonempty),
	R("stages", RT_STRS),
	R("created", RT_TIME),
	{ NULL } }, NULL };

static const struct kind k_aws_secret = { "a secret", (const struct rule[]){
	R("name", RT_STR, .flags = REQ, .fmt = &f_nonempty),
	R("description", RT_STR),
	R("value", RT_STR),
	R("versions", RT_LIST, .kind = &k_secret_version),
	R("deleted", RT_TIME),
	R("recovery_window_days", RT_INT, .min = 7, .max = 30),
	R("tags", RT_TAGS),
	R("created", RT_TIME),
	{ NULL } }, secret_check };

static const struct kind k_fault = { "a fault", (const struct rule[]){
	R("service", RT_ENUM, .values = services),
	R("operation", RT_STR, .fmt = &f_nonempty),
	R("kind", RT_ENUM, .flags = REQ, .values = fault_kinds),
	R("rate", RT_NUM, .min = 0, .max = 1),
	R("count", RT_INT, .min = 0, .max = 1e9),
	R("latency", RT_DUR, .min = 1, .max = 3600000),
	R("status", RT_INT, .min = 500, .max = 599),
	{ NULL } }, fault_check };

static const struct kind k_durations = { "'durations'", (const struct rule[]){
#define DUR_RULE(e, n, d) R(n, RT_DUR, .min = 0, .max = 365 * DAY_MS),
	SIM_DURATIONS(DUR_RULE)
#undef DUR_RULE
	{ NULL } }, NULL };

static const struct kind k_scenario = { "the scenario", (const struct rule[]){
	R("scenario", RT_STR),
	R("description", RT_STR),
	R("account", RT_STR, .fmt = &f_account),
	R("region", RT_STR, .fmt = &f_region),
	R("seed", RT_INT, .min = 0, .max = 9007199254740991.0),
	R("durations", RT_MAP, .kind = &k_durations),
	R("rds", RT_MAP, .kind = &k_rds),
	R("elasticache", RT_MAP, .kind = &k_ec),
	R("s3", RT_MAP, .kind = &k_s3),
	R("secrets", RT_LIST, .kind = &k_aws_secret),
	R("faults", RT_LIST, .kind = &k_fault),
	R("k8s", RT_MAP, .kind = &k_k8s),
	R("exec", RT_LIST, .kind = &k_exec_rule),
	R("http", RT_LIST, .kind = &k_http_rule),
	{ NULL } }, NULL };

/* ------------------------------------------------------------------ across objects */

/* items of doc.a.b (b NULL: doc.a) that are maps; new array */
static jv maps_at(jv doc, const char *a, const char *b)
{
	jv v = jvx_get(doc, a);
	if (b) {
		jv w = jv_get_kind(v) == JV_KIND_OBJECT ? jvx_get(v, b) : jv_invalid();
		jv_free(v);
		v = w;
	}
	jv out = jv_array();
	if (jv_get_kind(v) == JV_KIND_ARRAY) {
		SIM_EACH(jv_copy(v), i, x) {
			if (jv_get_kind(x) == JV_KIND_OBJECT)
				out = jv_array_append(out, x);
			else
				jv_free(x);
		}
	}
	jv_free(v);
	return out;
}

/* the set {field value: true} of items; duplicates reported at the second one */
static jv ids_of(struct vc *c, jv items, const char *field, const char *what)
{
	jv seen = jv_object();
	SIM_EACH(jv_copy(items), i, x) {
		const char *id = jvx_str(x, field);
		if (id && jv_object_has(jv_copy(seen), jv_string(id)))
			verr(c, at_key(c, x, field, 1), "duplicate %s '%s'", what, id);
		else if (id)
			seen = jv_object_set(seen, jv_string(id), jv_true());
		jv_free(x);
	}
	return seen;
}

/* items whose field names something not in ids (unless source_deleted: true) */
static void refs(struct vc *c, jv items, const char *field, jv ids, const char *what, const char *target,
		 const char *targets)
{
	SIM_EACH(jv_copy(items), i, x) {
		const char *ref = jvx_str(x, field);
		if (ref && !jv_object_has(jv_copy(ids), jv_string(ref)) && !jvx_bool(x, "source_deleted", 0)) {
			const char *names[64];
			int n = 0;
			SIM_OBJ_EACH(jv_copy(ids), k, v) {
				if (n < 63)
					names[n++] = xstrdup(jv_string_value(k));
				jv_free(k);
				jv_free(v);
			}
			const char *sug = diag_suggest(ref, names, n);
			verr(c, at_key(c, x, field, 1), "%s of unknown %s '%s'%s%s%s (declare it under %s%s)", what, target, ref,
			     sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "", targets,
			     strcmp(field, "read_replica_of") ? ", or say source_deleted: true" : "");
			for (int j = 0; j < n; j++)
				free((char *)names[j]);
		}
		jv_free(x);
	}
}

static void check_world(struct vc *c, jv doc)
{
	jv inst = maps_at(doc, "rds", "instances"), snaps = maps_at(doc, "rds", "snapshots");
	jv ids = ids_of(c, inst, "id", "RDS instance");
	jv_free(ids_of(c, snaps, "id", "RDS snapshot"));
	refs(c, inst, "read_replica_of", ids, "a read replica", "instance", "rds.instances");
	refs(c, snaps, "instance", ids, "a snapshot", "instance", "rds.instances");
	SIM_EACH(jv_copy(inst), i, x) {
		const char *id = jvx_str(x, "id"), *src = jvx_str(x, "read_replica_of");
		if (id && src && !strcmp(id, src))
			verr(c, at_key(c, x, "read_replica_of", 1), "instance '%s' cannot be a read replica of itself", id);
		jv_free(x);
	}
	jv_free(ids);
	jv_free(inst);
	jv_free(snaps);

	jv groups = maps_at(doc, "elasticache", "replication_groups");
	jv esnaps = maps_at(doc, "elasticache", "snapshots");
	ids = ids_of(c, groups, "id", "replication group");
	jv_free(ids_of(c, esnaps, "name", "ElastiCache snapshot"));
	refs(c, esnaps, "replication_group", ids, "a snapshot", "replication group", "elasticache.replication_groups");
	jv_free(ids);
	jv_free(groups);
	jv_free(esnaps);

	jv buckets = maps_at(doc, "s3", "buckets");
	jv_free(ids_of(c, buckets, "name", "bucket"));
	SIM_EACH(jv_copy(buckets), i, b) {
		jv objs = maps_at(b, "objects", NULL);
		jv_free(ids_of(c, objs, "key", "object key"));
		SIM_EACH(objs, j, o) {
			jv vers = maps_at(o, "versions", NULL);
			jv_free(ids_of(c, vers, "version_id", "version id"));
			jv_free(vers);
			jv_free(o);
		}
		jv_free(b);
	}
	jv_free(buckets);

	jv secrets = maps_at(doc, "secrets", NULL);
	jv_free(ids_of(c, secrets, "name", "secret"));
	jv_free(secrets);

	/* Kubernetes objects: one per kind, namespace and name */
	jv k8s = jvx_get(doc, "k8s");
	const char *defns = jv_get_kind(k8s) == JV_KIND_OBJECT && jvx_str(k8s, "namespace") ? jvx_str(k8s, "namespace")
											      : "default";
	jv objs = jv_get_kind(k8s) == JV_KIND_OBJECT ? maps_at(k8s, "objects", NULL) : jv_array();
	jv seen = jv_object();
	SIM_EACH(objs, i, o) {
		jv meta = jvx_get(o, "metadata");
		const char *kind = jvx_str(o, "kind"), *name = jv_get_kind(meta) == JV_KIND_OBJECT ? jvx_str(meta, "name") : NULL;
		const char *ns = jv_get_kind(meta) == JV_KIND_OBJECT && jvx_str(meta, "namespace") ? jvx_str(meta, "namespace")
												   : defns;
		if (kind && name) {
			jv key = jv_string_fmt("%s %s/%s", kind, strcmp(kind, "Namespace") ? ns : "", name);
			if (jv_object_has(jv_copy(seen), jv_copy(key)))
				verr(c, at_key(c, meta, "name", 1), "duplicate %s '%s'%s%s", kind, name,
				     strcmp(kind, "Namespace") ? " in namespace " : "", strcmp(kind, "Namespace") ? ns : "");
			seen = jv_object_set(seen, key, jv_true());
		}
		jv_free(meta);
		jv_free(o);
	}
	jv_free(seen);
	jv_free(k8s);
}

int sim_scenario_validate(const struct source *src, jv doc, struct diag_list *dl)
{
	struct vc c = { src, dl, 0 };
	check_map(&c, &k_scenario, doc);
	check_world(&c, doc);
	return c.errors ? -1 : 0;
}
