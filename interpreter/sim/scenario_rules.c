/* scenario_rules.c — the one validator of a scenario: its engine (runbook-scenario(5)), used by
 * `sim check`, `sim serve` and `rehearse` alike (through sim_scenario_load).
 *
 * Every object kind of a scenario is a table of rules: key, type, range or enum or name
 * syntax, required. sim_rules_check_map() walks a map against its kind's table (unknown keys get a
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
#include "simint.h"
#include "scenario_rules.h"
#include "../core/b64.h"
#include "../core/buf.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"

/* ------------------------------------------------------------------ locations, errors */

void sim_rules_err(struct vc *c, struct srcloc at, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	jv msg = jv_string_vfmt(fmt, ap);
	va_end(ap);
	diag_error(c->dl, &at, "%s", jv_string_value(msg));
	jv_free(msg);
	c->errors++;
}

struct srcloc sim_rules_at_map(struct vc *c, jv obj)
{
	struct srcloc l = { c->src, (int)jvx_int(obj, "__line", 0), (int)jvx_int(obj, "__col", 0) };
	return l;
}

/* where key's value (value = 1) or the key itself starts in map obj */
struct srcloc sim_rules_at_key(struct vc *c, jv obj, const char *key, int value)
{
	jv loc = jvx_get(obj, "__loc");
	jv p = jvx_get(loc, key);
	struct srcloc l = sim_rules_at_map(c, obj);
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
const char *sim_rules_show(jv v, char *buf, size_t size)
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
		sim_rules_err(c, at, "'%s' must be a string%s, not %s", key, scalar ? " (quote it)" : "", sim_rules_show(v, b, sizeof(b)));
		return NULL;
	}
	const char *s = jv_string_value(v);
	if (strlen(s) != (size_t)jv_string_length_bytes(jv_copy(v))) {
		sim_rules_err(c, at, "'%s' contains a NUL character", key);
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

/* a replica's source: an instance of the same region, or another region's by ARN
 * (arn:aws:rds:REGION:ACCOUNT:db:ID) */
static int rds_source_ok(const char *s)
{
	if (strncmp(s, "arn:aws:rds:", 12))
		return rds_id_ok(s);
	const char *db = strstr(s, ":db:");
	return db && db > s + 12 && rds_id_ok(db + 4);
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

const struct strfmt
	sim_fmt_rds_id = { "an RDS identifier (1 to 63 letters, digits or hyphens, starting with a letter)", rds_id_ok },
	sim_fmt_rds_source = { "an RDS identifier, or another region's instance ARN (arn:aws:rds:REGION:ACCOUNT:db:ID)",
			       rds_source_ok },
	sim_fmt_rds_snap = { "a snapshot identifier (letters, digits and hyphens, starting with a letter; "
		       "\"rds:\" before automated ones)", rds_snapshot_id_ok },
	sim_fmt_ec_id = { "an ElastiCache identifier (1 to 40 letters, digits or hyphens, starting with a letter)", ec_id_ok },
	sim_fmt_ec_snap = { "a snapshot name (1 to 255 characters)", ec_snapshot_ok },
	sim_fmt_bucket = { "a bucket name (3 to 63 lowercase letters, digits, dots or hyphens)", bucket_ok },
	sim_fmt_key = { "an object key (1 to 1024 bytes)", object_key_ok },
	sim_fmt_nonempty = { "a non-empty string", nonempty_ok },
	sim_fmt_account = { "a 12-digit account id (quoted)", account_ok },
	sim_fmt_region = { "a region like us-east-1", region_ok },
	sim_fmt_dns_label = { "a DNS label (lowercase letters, digits and '-', at most 63)", dns_label_ok },
	sim_fmt_dns_name = { "a DNS subdomain name (lowercase letters, digits, '-' and '.')", dns_subdomain_ok },
	sim_fmt_cache_node = { "a node type like cache.r6g.large", cache_node_ok },
	sim_fmt_db_class = { "an instance class like db.r6g.large", db_class_ok };

/* ------------------------------------------------------------------ the walk */


static void check_item(struct vc *c, const struct rule *r, jv item, int i, struct srcloc list_at)
{
	char b[96];
	if (r->kind) {
		if (jv_get_kind(item) != JV_KIND_OBJECT)
			sim_rules_err(c, list_at, "item %d of '%s' must be a map, not %s", i + 1, r->key, sim_rules_show(item, b, sizeof(b)));
		else
			sim_rules_check_map(c, r->kind, item);
	} else if (r->fn) {
		r->fn(c, item, jv_get_kind(item) == JV_KIND_OBJECT ? sim_rules_at_map(c, item) : list_at);
	}
}

/* values of map v (under key) must be strings, base64 ones when b64 */
static void check_strmap(struct vc *c, jv v, const char *key, int b64)
{
	char b[96];
	SIM_OBJ_EACH(jv_copy(v), k, x) {
		const char *ks = jv_string_value(k);
		if (strncmp(ks, "__", 2)) {
			struct srcloc xat = sim_rules_at_key(c, v, ks, 1);
			if (jv_get_kind(x) != JV_KIND_STRING) {
				int scalar = jv_get_kind(x) == JV_KIND_NUMBER || jv_get_kind(x) == JV_KIND_TRUE ||
					     jv_get_kind(x) == JV_KIND_FALSE;
				sim_rules_err(c, xat, "'%s' in '%s' must be a string%s, not %s", ks, key, scalar ? " (quote it)" : "",
				     sim_rules_show(x, b, sizeof(b)));
			} else if (b64) {
				const char *s = jv_string_value(x);
				unsigned char *tmp = b64_decode(s, strlen(s), NULL);
				if (!tmp)
					sim_rules_err(c, xat, "'%s' in '%s' is not base64 (use stringData for plain text)", ks, key);
				free(tmp);
			}
		}
		jv_free(k);
		jv_free(x);
	}
}

static int check_value(struct vc *c, const struct rule *r, jv v, struct srcloc at)
{
	int berr = 0;
	char b[96], rb[96];
	int64_t ms;
	const char *s;
	jv_kind kd = jv_get_kind(v);
	switch (r->type) {
	case RT_STR:
		if ((s = want_str(c, v, r->key, at)) && r->fmt && !r->fmt->ok(s))
			sim_rules_err(c, at, "'%s' must be %s, not %s", r->key, r->fmt->what, sim_rules_show(v, b, sizeof(b)));
		break;
	case RT_INT:
	case RT_NUM:
		if (kd != JV_KIND_NUMBER || !isfinite(jv_number_value(v)) || jv_number_value(v) < r->min ||
		    jv_number_value(v) > r->max || (r->type == RT_INT && jv_number_value(v) != floor(jv_number_value(v))))
			sim_rules_err(c, at, "'%s' must be %s %s, not %s", r->key, r->type == RT_INT ? "an integer" : "a number",
			     range(rb, sizeof(rb), r->min, r->max), sim_rules_show(v, b, sizeof(b)));
		break;
	case RT_INTSTR:
		if (kd == JV_KIND_STRING)
			want_str(c, v, r->key, at);
		else if (kd != JV_KIND_NUMBER || jv_number_value(v) < r->min || jv_number_value(v) > r->max ||
			 jv_number_value(v) != floor(jv_number_value(v)))
			sim_rules_err(c, at, "'%s' must be a name or an integer %s, not %s", r->key,
			     range(rb, sizeof(rb), r->min, r->max), sim_rules_show(v, b, sizeof(b)));
		break;
	case RT_BOOL:
		if (kd != JV_KIND_TRUE && kd != JV_KIND_FALSE)
			sim_rules_err(c, at, "'%s' must be true or false, not %s", r->key, sim_rules_show(v, b, sizeof(b)));
		break;
	case RT_DUR:
		if (kd != JV_KIND_STRING || dur_parse(jv_string_value(v), &ms) < 0)
			sim_rules_err(c, at, "'%s' must be a duration (e.g. 90s, 15m, 1h30m), not %s", r->key, sim_rules_show(v, b, sizeof(b)));
		else if ((double)ms < r->min || (double)ms > r->max)
			sim_rules_err(c, at, "'%s' must be a duration from %s to %s, not %s", r->key,
			     dur_text(rb, sizeof(rb) / 2, r->min), dur_text(rb + sizeof(rb) / 2, sizeof(rb) / 2, r->max),
			     sim_rules_show(v, b, sizeof(b)));
		break;
	case RT_TIME:
		s = kd == JV_KIND_STRING ? jv_string_value(v) : NULL;
		if (!s || !(!strcmp(s, "now") || ((s[0] == '-' || s[0] == '+') && dur_parse(s + 1, &ms) == 0) ||
			    ts_parse(s, &ms) == 0))
			sim_rules_err(c, at, "'%s' must be a time (RFC 3339, \"now\", or \"-2h\" from the start), not %s", r->key,
			     sim_rules_show(v, b, sizeof(b)));
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
			berr |= buf_adds(&lb, r->desc);
		} else {
			berr |= buf_adds(&lb, "one of ");
			for (int i = 0; i < n; i++)
				berr |= buf_addf(&lb, "%s%s", i == 0 ? "" : i == n - 1 ? " or " : ", ", r->values[i]);
		}
		sim_rules_err(c, at, "'%s' must be %s, not %s%s%s%s", r->key, buf_str(&lb), sim_rules_show(v, b, sizeof(b)),
		     sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
		buf_release(&lb);
		break;
	}
	case RT_STRS:
		if (kd == JV_KIND_STRING) {
			want_str(c, v, r->key, at);
		} else if (kd != JV_KIND_ARRAY) {
			sim_rules_err(c, at, "'%s' must be a list of strings, not %s", r->key, sim_rules_show(v, b, sizeof(b)));
		} else {
			SIM_EACH(jv_copy(v), i, x) {
				if (jv_get_kind(x) != JV_KIND_STRING)
					sim_rules_err(c, at, "item %d of '%s' must be a string, not %s", i + 1, r->key, sim_rules_show(x, b, sizeof(b)));
				jv_free(x);
			}
		}
		break;
	case RT_STRMAP:
	case RT_B64MAP:
	case RT_TAGS:
		if (kd != JV_KIND_OBJECT) {
			sim_rules_err(c, at, "'%s' must be a map, not %s", r->key, sim_rules_show(v, b, sizeof(b)));
		} else if (r->type != RT_TAGS) {
			check_strmap(c, v, r->key, r->type == RT_B64MAP);
		} else {
			SIM_OBJ_EACH(jv_copy(v), k, x) {
				jv_kind xk = jv_get_kind(x);
				if (strncmp(jv_string_value(k), "__", 2) && (xk == JV_KIND_ARRAY || xk == JV_KIND_OBJECT))
					sim_rules_err(c, sim_rules_at_key(c, v, jv_string_value(k), 1), "tag '%s' must be a string, not %s",
					     jv_string_value(k), sim_rules_show(x, b, sizeof(b)));
				jv_free(k);
				jv_free(x);
			}
		}
		break;
	case RT_MAP:
		if (kd != JV_KIND_OBJECT)
			sim_rules_err(c, at, "'%s' must be a map, not %s", r->key, sim_rules_show(v, b, sizeof(b)));
		else
			sim_rules_check_map(c, r->kind, v);
		break;
	case RT_MAPOF:
		if (kd != JV_KIND_OBJECT) {
			sim_rules_err(c, at, "'%s' must be a map, not %s", r->key, sim_rules_show(v, b, sizeof(b)));
			break;
		}
		SIM_OBJ_EACH(jv_copy(v), k, x) {
			const char *ks = jv_string_value(k);
			if (strncmp(ks, "__", 2)) {
				if (jv_get_kind(x) != JV_KIND_OBJECT)
					sim_rules_err(c, sim_rules_at_key(c, v, ks, 1), "'%s' in '%s' must be a map, not %s", ks, r->key,
					     sim_rules_show(x, b, sizeof(b)));
				else
					sim_rules_check_map(c, r->kind, x);
			}
			jv_free(k);
			jv_free(x);
		}
		break;
	case RT_LIST:
		if (kd != JV_KIND_ARRAY) {
			sim_rules_err(c, at, "'%s' must be a list, not %s", r->key, sim_rules_show(v, b, sizeof(b)));
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
	return berr;
}

void sim_rules_check_map(struct vc *c, const struct kind *k, jv obj)
{
	int berr = 0;
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
			sim_rules_err(c, sim_rules_at_key(c, obj, ks, 0), "unknown key '%s' in %s%s%s%s", ks, k->what,
			     sug ? " (did you mean '" : "", sug ? sug : "", sug ? "'?)" : "");
		} else if (jv_get_kind(v) != JV_KIND_NULL) {
			berr |= check_value(c, r, v, sim_rules_at_key(c, obj, ks, 1));
		}
		jv_free(key);
		jv_free(v);
	}
	BUF_NOCAP(berr);
	for (const struct rule *r = k->rules; r->key; r++) {
		if (!(r->flags & REQ))
			continue;
		jv v = jvx_get(obj, r->key);
		if (jv_get_kind(v) == JV_KIND_INVALID || jv_get_kind(v) == JV_KIND_NULL)
			sim_rules_err(c, sim_rules_at_map(c, obj), "missing '%s' in %s", r->key, k->what);
		jv_free(v);
	}
	if (k->check)
		k->check(c, obj);
}

int sim_rules_has(jv obj, const char *key)
{
	jv v = jvx_get(obj, key);
	int ok = jv_get_kind(v) != JV_KIND_INVALID && jv_get_kind(v) != JV_KIND_NULL;
	jv_free(v);
	return ok;
}
