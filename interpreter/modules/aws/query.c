/* query.c — the AWS query protocol: form-encoded POST, XML replies parsed with libxml2.
 *
 * Lists: the form name of a list item is the list member's locationName from the
 * service model (`VpcSecurityGroupIds.VpcSecurityGroupId.1`, `Tags.Tag.1.Key`), else
 * `member`. In replies, an element is a list when the shape table names it a list
 * wrapper (so `<DBInstances><DBInstance>…` with one item is still a list, and an empty
 * `<DBInstances/>` is []), or when all its children are `<member>`. Leaves named as
 * numbers or booleans in the models become JSON numbers and booleans.
 */
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"
#include "../../core/caps.h"

#define MAX_PAGES 1000

static int add_pair(struct buf *b, const char *k, size_t kl, const char *v, size_t vl)
{
	int berr = 0;
	if (b->len)
		berr |= buf_addc(b, '&');
	berr |= aws_uri_encode(b, k, kl, 0);
	berr |= buf_addc(b, '=');
	berr |= aws_uri_encode(b, v, vl, 0);
	return berr;
}

static int scalar_text(jv v, struct buf *out)
{
	int berr = 0;
	switch (jv_get_kind(v)) {
	case JV_KIND_STRING:
		berr |= buf_add(out, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)));
		return berr;
	case JV_KIND_TRUE:
		berr |= buf_adds(out, "true");
		return berr;
	case JV_KIND_FALSE:
		berr |= buf_adds(out, "false");
		return berr;
	case JV_KIND_NUMBER: {
		double d = jv_number_value(v);
		if (d == (double)(long long)d)
			berr |= buf_addf(out, "%lld", (long long)d);
		else
			berr |= buf_addf(out, "%.17g", d);
		return berr;
	}
	default:
		return -1;
	}
}

static int encode_value(struct buf *b, const struct aws_service *svc, const char *prefix,
			const char *member, jv v)
{
	int berr = 0;
	int ret = 0;
	switch (jv_get_kind(v)) {
	case JV_KIND_NULL:
		break;
	case JV_KIND_ARRAY: {
		int n = jv_array_length(jv_copy(v));
		if (n == 0) {
			berr |= add_pair(b, prefix, strlen(prefix), "", 0);
			break;
		}
		const char *item = aws_list_item(svc->name, member);
		if (!item)
			item = "member";
		for (int i = 0; i < n && ret == 0; i++) {
			struct buf p = BUF_INIT(0);
			berr |= buf_addf(&p, "%s.%s.%d", prefix, item, i + 1);
			jv e = jv_array_get(jv_copy(v), i);
			ret = encode_value(b, svc, p.data, item, e);
			jv_free(e);
			buf_release(&p);
		}
		break;
	}
	case JV_KIND_OBJECT:
		jv_object_foreach(v, k, e) {
			if (ret == 0) {
				struct buf p = BUF_INIT(0);
				if (*prefix)
					berr |= buf_addf(&p, "%s.%s", prefix, jv_string_value(k));
				else
					berr |= buf_adds(&p, jv_string_value(k));
				ret = encode_value(b, svc, p.data, jv_string_value(k), e);
				buf_release(&p);
			}
			jv_free(k);
			jv_free(e);
		}
		break;
	default: {
		struct buf t = BUF_INIT(0);
		ret = scalar_text(v, &t);
		if (ret == 0)
			berr |= add_pair(b, prefix, strlen(prefix), buf_str(&t), t.len);
		buf_release(&t);
	}
	}
	return ret | berr;
}

int aws_query_encode(struct buf *b, const struct aws_service *svc, const char *action, jv params)
{
	int berr = 0;
	int ret = 0;
	berr |= add_pair(b, "Action", 6, action, strlen(action));
	berr |= add_pair(b, "Version", 7, svc->version, strlen(svc->version));
	if (jv_get_kind(params) == JV_KIND_OBJECT)
		ret = encode_value(b, svc, "", "", params);
	else if (jv_get_kind(params) != JV_KIND_NULL)
		ret = -1;
	jv_free(params);
	return ret | berr;
}

/* ---- XML -> jv */
static int only_children_named(xmlNode *n, const char *name, int *count)
{
	int k = 0;
	for (xmlNode *c = n->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		if (name && strcmp((const char *)c->name, name))
			return 0;
		k++;
	}
	*count = k;
	return 1;
}

static jv leaf(const char *name, const char *text)
{
	int kind = aws_scalar_kind(name);
	if (kind == AWS_SCALAR_BOOL) {
		if (!strcmp(text, "true"))
			return jv_true();
		if (!strcmp(text, "false"))
			return jv_false();
	} else if (kind == AWS_SCALAR_NUM && *text) {
		char *end;
		double d = strtod(text, &end);
		/* ids and sizes beyond 2^53 stay strings */
		if (!*end && d < 9007199254740992.0 && d > -9007199254740992.0)
			return jv_number(d);
	}
	return jv_string(text);
}

jv aws_xml_to_jv(const struct aws_service *svc, xmlNode *node, const char *const *flat)
{
	const char *name = (const char *)node->name;
	int n = 0;
	only_children_named(node, NULL, &n);
	const char *item = svc ? aws_list_item(svc->name, name) : NULL;
	if (n == 0) {
		if (item)
			return jv_array();
		xmlChar *t = xmlNodeGetContent(node);
		jv v = leaf(name, t ? (const char *)t : "");
		xmlFree(t);
		return v;
	}
	int cnt;
	const char *first = NULL;
	for (xmlNode *c = node->children; c && !first; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			first = (const char *)c->name;
	if ((item && first && aws_list_has_item(svc->name, name, first) && only_children_named(node, first, &cnt)) ||
	    only_children_named(node, "member", &cnt)) {
		jv a = jv_array();
		for (xmlNode *c = node->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				a = jv_array_append(a, aws_xml_to_jv(svc, c, flat));
		return a;
	}
	jv o = jv_object();
	for (xmlNode *c = node->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		const char *cn = (const char *)c->name;
		const char *flat_key = NULL;
		for (int i = 0; flat && flat[i]; i += 2)
			if (!strcmp(flat[i], cn))
				flat_key = flat[i + 1];
		jv v = aws_xml_to_jv(svc, c, flat);
		if (flat_key) {
			jv a = jv_object_get(jv_copy(o), jv_string(flat_key));
			if (!jv_is_valid(a))
				a = jv_array();
			else   /* drop the object's reference so the append happens in place */
				o = jv_object_delete(o, jv_string(flat_key));
			o = jv_object_set(o, jv_string(flat_key), jv_array_append(a, v));
			continue;
		}
		jv prev = jv_object_get(jv_copy(o), jv_string(cn));
		if (jv_is_valid(prev)) {
			/* a repeated element the tables do not know: keep every value */
			o = jv_object_delete(o, jv_string(cn));
			if (jv_get_kind(prev) != JV_KIND_ARRAY)
				prev = jv_array_append(jv_array(), prev);
			o = jv_object_set(o, jv_string(cn), jv_array_append(prev, v));
		} else {
			jv_free(prev);
			o = jv_object_set(o, jv_string(cn), v);
		}
	}
	return o;
}

static xmlNode *child(xmlNode *n, const char *name, int suffix)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE)
			continue;
		const char *cn = (const char *)c->name;
		size_t l = strlen(cn), sl = strlen(name);
		if (suffix ? (l >= sl && !strcmp(cn + l - sl, name)) : !strcmp(cn, name))
			return c;
	}
	return NULL;
}

int aws_query_parse(const struct aws_service *svc, const char *xml, size_t len, jv *out,
		    char **request_id)
{
	xmlDoc *doc = xmlReadMemory(xml, (int)len, NULL, NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING | XML_PARSE_NOBLANKS);
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		if (doc)
			xmlFreeDoc(doc);
		return -1;
	}
	xmlNode *res = child(root, "Result", 1);
	if (res) {
		int n = 0;
		only_children_named(res, NULL, &n);
		*out = n ? aws_xml_to_jv(svc, res, NULL) : jv_object();
		if (jv_get_kind(*out) != JV_KIND_OBJECT) {
			jv_free(*out);
			*out = jv_object();
		}
	} else {
		*out = jv_object();
	}
	xmlNode *rid = child(child(root, "ResponseMetadata", 0), "RequestId", 0);
	if (request_id && rid) {
		xmlChar *t = xmlNodeGetContent(rid);
		*request_id = xstrdup(t ? (const char *)t : "");
		xmlFree(t);
	}
	xmlFreeDoc(doc);
	return 0;
}

int aws_query_call(struct aws_client *c, const struct aws_service *svc, const char *action,
		   jv params, jv *out, jv *err)
{
	struct aws_request r;
	struct aws_response resp;
	struct buf body = BUF_INIT(CAP_AWS_REQUEST);
	int ret = -1;
	aws_request_init(&r, svc, "POST");
	memset(&resp, 0, sizeof resp);
	resp.headers = jv_null();
	if (aws_query_encode(&body, svc, action, params) < 0) {
		*err = jvx_error("InvalidParameter", "%s: parameters cannot be form-encoded", action);
		goto out;
	}
	aws_request_header(&r, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
	r.body = body.data;
	r.body_len = body.len;
	if (aws_perform(c, &r, &resp, err) < 0)
		goto out;
	char *rid = NULL;
	if (aws_query_parse(svc, buf_str(&resp.body), resp.body.len, out, &rid) < 0) {
		*err = jvx_error("InvalidResponse", "%s: reply is not XML (HTTP %ld)", action, resp.status);
		goto out;
	}
	free(rid);
	ret = 0;
out:
	buf_release(&body);
	aws_request_release(&r);
	aws_response_release(&resp);
	return ret;
}

int aws_query_paginate(struct aws_client *c, const struct aws_service *svc, const char *action,
		       jv params, const char *list_key, jv *out, jv *err)
{
	jv all = jv_array(), last = jv_null();
	for (int page = 0; page < MAX_PAGES; page++) {
		jv res;
		if (aws_query_call(c, svc, action, jv_copy(params), &res, err) < 0) {
			jv_free(all);
			jv_free(last);
			jv_free(params);
			return -1;
		}
		jv items = jvx_get(res, list_key);
		if (jv_get_kind(items) == JV_KIND_ARRAY)
			all = jv_array_concat(all, items);
		else
			jv_free(items);
		const char *tok_key = jvx_str(res, "Marker") ? "Marker" : jvx_str(res, "NextToken") ? "NextToken" : NULL;
		const char *tok = tok_key ? jvx_str(res, tok_key) : NULL;
		jv_free(last);
		last = res;
		if (!tok || !*tok)
			break;
		params = jv_object_set(params, jv_string(tok_key), jv_string(tok));
	}
	jv_free(params);
	last = jv_object_delete(last, jv_string("Marker"));
	last = jv_object_delete(last, jv_string("NextToken"));
	*out = jv_object_set(last, jv_string(list_key), all);
	return 0;
}
