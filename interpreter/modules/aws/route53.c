/* route53.c — Route 53 (REST-XML, API 2013-04-01): the operations aws.call speaks for
 * service route53 (a table: method, path, query and body from the params) and the typed
 * route53.change_record action. Route 53 is global: requests go to
 * https://route53.amazonaws.com signed for us-east-1, whatever the connection's region
 * (an endpoint setting still wins, as for every service).
 */
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

const struct aws_service aws_svc_route53 = {"route53", "route53", "ROUTE_53", "2013-04-01", AWS_RESTXML, NULL};

#define R53_NS "https://route53.amazonaws.com/doc/2013-04-01/"

/* list wrappers -> item element, both ways (request bodies and replies) */
static const struct { const char *list, *item; } r53_lists[] = {
	{"Changes", "Change"}, {"ResourceRecords", "ResourceRecord"},
	{"HostedZones", "HostedZone"}, {"ResourceRecordSets", "ResourceRecordSet"},
	{"NameServers", "NameServer"}, {"VPCs", "VPC"}, {"HealthChecks", "HealthCheck"},
};
/* reply scalars that are not strings */
static const char *const r53_numbers[] = {"TTL", "Weight", "ResourceRecordSetCount", "MaxItems", NULL};
static const char *const r53_bools[] = {"PrivateZone", "IsTruncated", "EvaluateTargetHealth", NULL};

static const char *item_of(const char *list)
{
	for (size_t i = 0; i < sizeof r53_lists / sizeof *r53_lists; i++)
		if (!strcmp(r53_lists[i].list, list))
			return r53_lists[i].item;
	return NULL;
}

static int in(const char *const *names, const char *name)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], name))
			return 1;
	return 0;
}

/* ---- request bodies: jv -> XML */

static int to_xml(struct buf *b, const char *name, jv v)   /* borrows v */
{
	int berr = 0;
	jv_kind k = jv_get_kind(v);
	if (k == JV_KIND_NULL)
		return 0;
	berr |= buf_addf(b, "<%s>", name);
	if (k == JV_KIND_OBJECT) {
		jv_object_foreach(v, key, val) {
			berr |= to_xml(b, jv_string_value(key), val);
			jv_free(key);
			jv_free(val);
		}
	} else if (k == JV_KIND_ARRAY) {
		const char *item = item_of(name);
		jv_array_foreach(v, i, x) {
			berr |= to_xml(b, item ? item : "member", x);
			jv_free(x);
		}
	} else if (k == JV_KIND_STRING) {
		berr |= buf_add_xml(b, jv_string_value(v));
	} else if (k == JV_KIND_NUMBER) {
		double d = jv_number_value(v);
		if (d == (double)(long long)d)
			berr |= buf_addf(b, "%lld", (long long)d);
		else
			berr |= buf_addf(b, "%.17g", d);
	} else {
		berr |= buf_adds(b, k == JV_KIND_TRUE ? "true" : "false");
	}
	return berr | buf_addf(b, "</%s>", name);
}

/* ---- replies: XML -> jv */

static jv from_xml(xmlNode *n)
{
	int elems = 0;
	for (xmlNode *c = n->children; c; c = c->next)
		elems += c->type == XML_ELEMENT_NODE;
	const char *name = (const char *)n->name;
	if (!elems && !item_of(name)) {
		xmlChar *t = xmlNodeGetContent(n);
		const char *s = t ? (const char *)t : "";
		jv v = in(r53_numbers, name) ? jv_number(atof(s)) : in(r53_bools, name) ? jv_bool(!strcmp(s, "true"))
										       : jv_string(s);
		xmlFree(t);
		return v;
	}
	if (item_of(name)) {
		jv list = jv_array();
		for (xmlNode *c = n->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE)
				list = jv_array_append(list, from_xml(c));
		return list;
	}
	jv o = jv_object();
	for (xmlNode *c = n->children; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE)
			o = jv_object_set(o, jv_string((const char *)c->name), from_xml(c));
	return o;
}

/* ---- operations */

struct r53_op {
	const char *name, *method;
	const char *path;          /* "%s" = the id param, without its /hostedzone/ or /change/ */
	const char *id_param;
	const char *query[4][2];   /* query name, param */
	const char *body_root;     /* the params (but the id) are this XML element */
};

static const struct r53_op r53_ops[] = {
	{"ListHostedZones", "GET", "/2013-04-01/hostedzone", NULL,
	 {{"marker", "Marker"}, {"maxitems", "MaxItems"}}, NULL},
	{"ListHostedZonesByName", "GET", "/2013-04-01/hostedzonesbyname", NULL,
	 {{"dnsname", "DNSName"}, {"hostedzoneid", "HostedZoneId"}, {"maxitems", "MaxItems"}}, NULL},
	{"GetHostedZone", "GET", "/2013-04-01/hostedzone/%s", "Id", {{NULL}}, NULL},
	{"ListResourceRecordSets", "GET", "/2013-04-01/hostedzone/%s/rrset", "HostedZoneId",
	 {{"name", "StartRecordName"}, {"type", "StartRecordType"}, {"identifier", "StartRecordIdentifier"},
	  {"maxitems", "MaxItems"}}, NULL},
	{"ChangeResourceRecordSets", "POST", "/2013-04-01/hostedzone/%s/rrset/", "HostedZoneId", {{NULL}},
	 "ChangeResourceRecordSetsRequest"},
	{"GetChange", "GET", "/2013-04-01/change/%s", "Id", {{NULL}}, NULL},
	{NULL},
};

/* "/hostedzone/Z1" or "Z1" -> "Z1" */
static const char *bare_id(const char *id)
{
	const char *s = strrchr(id, '/');
	return s ? s + 1 : id;
}

int aws_route53_call(struct aws_client *c, const char *op, jv params, jv *out, jv *err)
{
	int berr = 0;
	const struct r53_op *o = r53_ops;
	struct aws_request r;
	struct aws_response resp;
	struct buf path = BUF_INIT(0), body = BUF_INIT(0);
	int ret = -1;
	memset(&resp, 0, sizeof resp);
	resp.headers = jv_null();
	aws_request_init(&r, &aws_svc_route53, "GET");
	while (o->name && strcmp(o->name, op))
		o++;
	if (!o->name) {
		*err = jvx_error("InvalidParameterValue", "aws.call speaks these route53 operations: ListHostedZones, "
				 "ListHostedZonesByName, GetHostedZone, ListResourceRecordSets, "
				 "ChangeResourceRecordSets, GetChange; not '%s'", op);
		goto out;
	}
	r.method = o->method;
	const char *id = o->id_param ? jvx_str(params, o->id_param) : NULL;
	if (o->id_param && !id) {
		*err = jvx_error("MissingParameter", "route53 %s needs params.%s", op, o->id_param);
		goto out;
	}
	if (id) {
		struct buf enc = BUF_INIT(0);
		berr |= aws_uri_encode(&enc, bare_id(id), strlen(bare_id(id)), 0);
		berr |= buf_addf(&path, o->path, buf_str(&enc));
		buf_release(&enc);
	} else {
		berr |= buf_adds(&path, o->path);
	}
	free(r.path);
	r.path = buf_detach(&path);
	for (int i = 0; i < 4 && o->query[i][0]; i++) {
		jv v = jvx_get(params, o->query[i][1]);
		if (jv_get_kind(v) == JV_KIND_NUMBER)
			v = jvx_dump_string(v, 0);
		if (jv_get_kind(v) == JV_KIND_STRING) {
			if (r.query.len)
				berr |= buf_addc(&r.query, '&');
			berr |= buf_addf(&r.query, "%s=", o->query[i][0]);
			berr |= aws_uri_encode(&r.query, jv_string_value(v), (size_t)jv_string_length_bytes(jv_copy(v)), 0);
		}
		jv_free(v);
	}
	if (o->body_root) {
		jv rest = o->id_param ? jv_object_delete(jv_copy(params), jv_string(o->id_param)) : jv_copy(params);
		berr |= buf_adds(&body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
		berr |= buf_addf(&body, "<%s xmlns=\"" R53_NS "\">", o->body_root);
		jv_object_foreach(rest, key, val) {
			berr |= to_xml(&body, jv_string_value(key), val);
			jv_free(key);
			jv_free(val);
		}
		jv_free(rest);
		if ((berr |= buf_addf(&body, "</%s>", o->body_root)) < 0) {
			*err = jvx_error("InvalidParameterValue", "route53 %s: the request body is too large", op);
			goto out;
		}
		r.body = body.data;
		r.body_len = body.len;
		aws_request_header(&r, "content-type", "text/xml");
	}
	if (berr) {
		*err = jvx_error("InvalidParameterValue", "route53 %s: the request is too large", op);
		goto out;
	}
	/* global: signed for us-east-1 (aws_endpoint gives route53.amazonaws.com) */
	free(c->region);
	c->region = xstrdup("us-east-1");
	if (aws_perform(c, &r, &resp, err) < 0)
		goto out;
	xmlDoc *doc = resp.body.len ? xmlReadMemory(resp.body.data, (int)resp.body.len, "reply.xml", NULL,
						    XML_PARSE_NONET | XML_PARSE_NOBLANKS) : NULL;
	xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;
	if (!root) {
		if (doc)
			xmlFreeDoc(doc);
		*err = jvx_error("InvalidResponse", "route53 %s: the reply is not XML", op);
		goto out;
	}
	*out = from_xml(root);
	xmlFreeDoc(doc);
	ret = 0;
out:
	jv_free(params);
	buf_release(&body);
	aws_request_release(&r);
	aws_response_release(&resp);
	return ret;
}

/* ---- route53.change_record */

static int change_record(struct action_call *call, jv args, jv *out)
{
	struct aws_client c;
	int r = -1;
	if (aws_client_for_call(&c, call, NULL, out) < 0)
		goto done;
	jv rr = JV_OBJECT(jv_string("Name"), jvx_get(args, "name"), jv_string("Type"), jvx_get(args, "type"));
	aws_param(&rr, args, "set_identifier", "SetIdentifier");
	aws_param(&rr, args, "weight", "Weight");
	jv alias = jvx_get(args, "alias");
	if (jv_get_kind(alias) == JV_KIND_OBJECT) {
		jv a = jv_object();
		aws_param(&a, alias, "hosted_zone_id", "HostedZoneId");
		aws_param(&a, alias, "dns_name", "DNSName");
		a = jv_object_set(a, jv_string("EvaluateTargetHealth"),
				  jv_bool(jvx_bool(alias, "evaluate_target_health", 0)));
		rr = jv_object_set(rr, jv_string("AliasTarget"), a);
	} else {
		jv recs = jv_array();
		jv vals = jvx_get(args, "values");
		if (jv_get_kind(vals) == JV_KIND_STRING)
			vals = JV_ARRAY(vals);
		if (jv_get_kind(vals) == JV_KIND_ARRAY) {
			jv_array_foreach(vals, i, v) {
				recs = jv_array_append(recs, JV_OBJECT(jv_string("Value"), v));
			}
		}
		jv_free(vals);
		rr = jv_object_set(rr, jv_string("TTL"), jv_number((double)jvx_int(args, "ttl", 300)));
		rr = jv_object_set(rr, jv_string("ResourceRecords"), recs);
	}
	jv_free(alias);
	jv batch = JV_OBJECT(jv_string("Changes"),
			     JV_ARRAY(JV_OBJECT(jv_string("Action"), jv_string(jvx_str(args, "action") ?
							jvx_str(args, "action") : "UPSERT"),
						jv_string("ResourceRecordSet"), rr)));
	if (jvx_str(args, "comment"))
		batch = jv_object_set(batch, jv_string("Comment"), jvx_get(args, "comment"));
	jv params = JV_OBJECT(jv_string("HostedZoneId"), jvx_get(args, "zone_id"), jv_string("ChangeBatch"), batch);
	jv reply = jv_null();
	if (aws_route53_call(&c, "ChangeResourceRecordSets", params, &reply, out) < 0)
		goto release;
	jv info = jvx_get(reply, "ChangeInfo");
	jv_free(reply);
	/* wait: GetChange until INSYNC, on the run's clock */
	while (jvx_bool(args, "wait", 0) && jvx_str(info, "Status") && strcmp(jvx_str(info, "Status"), "INSYNC")) {
		if (action_sleep(call, 2000) < 0) {
			*out = jvx_error("Cancelled", "route53.change_record: cancelled while waiting for INSYNC");
			jv_free(info);
			goto release;
		}
		jv rep = jv_null();
		if (aws_route53_call(&c, "GetChange", JV_OBJECT(jv_string("Id"), jvx_get(info, "Id")), &rep, out) < 0) {
			jv_free(info);
			goto release;
		}
		jv_free(info);
		info = jvx_get(rep, "ChangeInfo");
		jv_free(rep);
	}
	*out = JV_OBJECT(jv_string("ChangeId"), jvx_get(info, "Id"), jv_string("Status"), jvx_get(info, "Status"),
			 jv_string("SubmittedAt"), jvx_get(info, "SubmittedAt"));
	jv_free(info);
	r = 0;
release:
	aws_client_release(&c);
done:
	jv_free(args);
	return r;
}

static const struct action_arg a_change_record[] = {
	{"zone_id", ARG_STRING, ARG_REQUIRED, NULL, "HostedZoneId (ZID or /hostedzone/ZID)"},
	{"name", ARG_STRING, ARG_REQUIRED, NULL, "the record's DNS name"},
	{"type", ARG_STRING, ARG_REQUIRED, NULL, "record type", .choices = "A|AAAA|CAA|CNAME|DS|MX|NAPTR|NS|PTR|SOA|SPF|SRV|TXT"},
	{"values", ARG_LIST, 0, NULL, "the record's values (ResourceRecords); or alias"},
	{"ttl", ARG_INT, ARG_RANGE, "300", "TTL in seconds (with values)", .min = 0, .max = 2147483647},
	{"action", ARG_STRING, 0, "\"UPSERT\"", "UPSERT, CREATE or DELETE", .choices = "UPSERT|CREATE|DELETE"},
	{"set_identifier", ARG_STRING, 0, NULL, "SetIdentifier (weighted, failover, latency records)"},
	{"weight", ARG_INT, ARG_RANGE, NULL, "Weight of a weighted record", .min = 0, .max = 255},
	{"alias", ARG_MAP, 0, NULL, "{dns_name, hosted_zone_id, evaluate_target_health}: an alias record"},
	{"comment", ARG_STRING, 0, NULL, "the change batch's Comment"},
	{"wait", ARG_BOOL, 0, "false", "wait until the change is INSYNC"},
	{NULL}};

static const struct action_result r_change_record[] = {
	{"ChangeId", ARG_STRING, "the change's id (/change/CID), for GetChange", NULL},
	{"Status", ARG_STRING, "PENDING or INSYNC", NULL},
	{"SubmittedAt", ARG_STRING, "when Route 53 took the change", NULL},
	{NULL, 0, NULL, NULL},
};

const struct action_desc aws_route53_actions[] = {
	{"route53.change_record", "create, replace (UPSERT) or delete one Route 53 record set", a_change_record,
	 "{ChangeId, Status, SubmittedAt}", ACT_MUTATING, 2000, change_record, NULL, NULL, NULL,
	 .results = r_change_record},
	{NULL},
};
