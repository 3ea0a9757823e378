/* route53.c — simulated Route 53 (REST-XML, API 2013-04-01): hosted zones (declared in
 * the scenario, each with its SOA and NS records), ChangeResourceRecordSets (CREATE,
 * DELETE, UPSERT, all or nothing, as AWS checks them), ListResourceRecordSets,
 * GetChange (PENDING, then INSYNC after the dns_change duration), ListHostedZones(ByName)
 * and GetHostedZone. Route 53 is global: one set of zones whatever the region.
 *
 * A record set is kept in AWS's output shape: {Name, Type, TTL, ResourceRecords:
 * [{Value}], SetIdentifier, Weight, Failover, Region, AliasTarget}, names absolute
 * ("www.example.com.") and lower-case; a zone's are sorted as AWS lists them.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include "simint.h"
#include "../core/jvx.h"

#define R53_NS "https://route53.amazonaws.com/doc/2013-04-01/"
#define R53_PREFIX "/2013-04-01/"

/* ------------------------------------------------------------------ names */

/* "WWW.Example.com" -> "www.example.com." */
jv sim_r53_name(const char *name)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	for (const char *p = name; *p; p++)
		berr |= buf_addc(&b, (char)tolower((unsigned char)*p));
	if (!b.len || b.data[b.len - 1] != '.')
		berr |= buf_addc(&b, '.');
	BUF_NOCAP(berr);
	jv v = jv_string(buf_str(&b));
	buf_release(&b);
	return v;
}

/* the sort key AWS lists by: the labels right to left ("com.example.www") */
static jv sort_key(const char *name)
{
	int berr = 0;
	struct buf b = BUF_INIT(0);
	size_t n = strlen(name);
	if (n && name[n - 1] == '.')
		n--;
	size_t end = n;
	while (end > 0) {
		size_t start = end;
		while (start > 0 && name[start - 1] != '.')
			start--;
		if (b.len)
			berr |= buf_addc(&b, '.');
		berr |= buf_add(&b, name + start, end - start);
		end = start ? start - 1 : 0;
	}
	BUF_NOCAP(berr);
	jv v = jv_string(buf_str(&b));
	buf_release(&b);
	return v;
}

static int rr_cmp(jv a, jv b)
{
	jv ka = sort_key(jvx_str(a, "Name")), kb = sort_key(jvx_str(b, "Name"));
	int c = strcmp(jv_string_value(ka), jv_string_value(kb));
	jv_free(ka);
	jv_free(kb);
	if (!c)
		c = strcmp(jvx_str(a, "Type"), jvx_str(b, "Type"));
	if (!c) {
		const char *sa = jvx_str(a, "SetIdentifier"), *sb = jvx_str(b, "SetIdentifier");
		c = strcmp(sa ? sa : "", sb ? sb : "");
	}
	return c;
}

/* records with rr inserted in order (consumed) */
static jv rr_insert(jv recs, jv rr)
{
	jv out = jv_array();
	int done = 0;
	SIM_EACH(recs, i, x) {
		if (!done && rr_cmp(rr, x) < 0) {
			out = jv_array_append(out, jv_copy(rr));
			done = 1;
		}
		out = jv_array_append(out, x);
	}
	if (!done)
		out = jv_array_append(out, jv_copy(rr));
	jv_free(rr);
	return out;
}

/* the index of the record set with rr's name, type and set identifier, or -1 */
static int rr_find(jv recs, jv rr)
{
	int found = -1;
	SIM_EACH(jv_copy(recs), i, x) {
		if (found < 0 && !rr_cmp(rr, x))
			found = i;
		jv_free(x);
	}
	return found;
}

/* ------------------------------------------------------------------ world */

/* a hosted zone: {Id, Name, CallerReference, Config, ResourceRecordSetCount} + "_records" */
jv sim_r53_zone_new(struct sim *s, const char *id, const char *name, int private_zone, jv records)
{
	char gen[48], zid[40], soa[256];
	if (!id) {
		/* "Z" and 20 upper-case characters, as AWS's ids look */
		sim_new_id(s, gen, sizeof(gen));
		size_t j = 0;
		zid[j++] = 'Z';
		for (size_t i = 0; gen[i] && j < 21; i++)
			if (gen[i] != '-')
				zid[j++] = (char)toupper((unsigned char)gen[i]);
		zid[j] = 0;
		id = zid;
	}
	jv zname = sim_r53_name(name);
	const char *zn = jv_string_value(zname);
	snprintf(soa, sizeof(soa), "ns-2048.awsdns-64.net. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400");
	jv recs = jv_array();
	recs = rr_insert(recs, JV_OBJECT(jv_string("Name"), jv_copy(zname), jv_string("Type"), jv_string("SOA"),
					 jv_string("TTL"), jv_number(900),
					 jv_string("ResourceRecords"), JV_ARRAY(JV_OBJECT(jv_string("Value"), jv_string(soa)))));
	recs = rr_insert(recs, JV_OBJECT(jv_string("Name"), jv_copy(zname), jv_string("Type"), jv_string("NS"),
		jv_string("TTL"), jv_number(172800),
		jv_string("ResourceRecords"), JV_ARRAY(JV_OBJECT(jv_string("Value"), jv_string("ns-2048.awsdns-64.com.")),
						       JV_OBJECT(jv_string("Value"), jv_string("ns-512.awsdns-00.net.")),
						       JV_OBJECT(jv_string("Value"), jv_string("ns-1024.awsdns-00.org.")),
						       JV_OBJECT(jv_string("Value"), jv_string("ns-1536.awsdns-00.co.uk.")))));
	SIM_EACH(records, i, rr) {
		if (rr_find(recs, rr) < 0)
			recs = rr_insert(recs, rr);
		else
			jv_free(rr);
	}
	jv z = jv_object();
	z = jv_object_set(z, jv_string("Id"), jv_string_fmt("/hostedzone/%s", id));
	z = jv_object_set(z, jv_string("Name"), zname);
	z = jv_object_set(z, jv_string("CallerReference"), jv_string_fmt("runbook-sim-%s", zn));
	z = jv_object_set(z, jv_string("Config"), JV_OBJECT(jv_string("PrivateZone"), jv_bool(private_zone)));
	z = jv_object_set(z, jv_string("_records"), recs);
	return z;
}

/* ------------------------------------------------------------------ routing */

/* the path after "/2013-04-01/" split: parts[0..n) (up to 4); the route's op or NULL */
const char *sim_r53_route(struct sim_req *r)
{
	if (strncmp(r->path, R53_PREFIX, strlen(R53_PREFIX)))
		return NULL;
	const char *p = r->path + strlen(R53_PREFIX);
	int get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
	size_t n = strcspn(p, "/");
	const char *rest = p[n] ? p + n + 1 : NULL;
	int slashes = 0;
	for (const char *q = rest; q && *q; q++)
		slashes += *q == '/';
	if (n == 10 && !strncmp(p, "hostedzone", 10)) {
		if (!rest || !*rest)
			return get ? "ListHostedZones" : NULL;
		const char *sub = strchr(rest, '/');
		if (!sub)
			return get ? "GetHostedZone" : NULL;
		if (!strncmp(sub, "/rrset", 6) && (!sub[6] || !strcmp(sub + 6, "/")))
			return get ? "ListResourceRecordSets" : post ? "ChangeResourceRecordSets" : NULL;
		return NULL;
	}
	if (n == 17 && !strncmp(p, "hostedzonesbyname", 17))
		return get && (!rest || !*rest) ? "ListHostedZonesByName" : NULL;
	if (n == 6 && !strncmp(p, "change", 6) && rest && *rest && !slashes)
		return get ? "GetChange" : NULL;
	return NULL;
}

/* the Id segment of /2013-04-01/KIND/ID[/...] into buf */
static const char *path_id(struct sim_req *r, char *buf, size_t size)
{
	const char *p = strchr(r->path + strlen(R53_PREFIX), '/');
	if (!p)
		return NULL;
	p++;
	size_t n = strcspn(p, "/");
	if (!n || n >= size)
		return NULL;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

static int zone_find(struct sim *s, const char *id)
{
	char full[80];
	snprintf(full, sizeof(full), "/hostedzone/%s", id);
	return sim_find(s->r53_zones, "Id", full);
}

static int no_zone(struct sim_req *r, struct sim_resp *o, const char *id)
{
	return sim_error(r, o, 404, "NoSuchHostedZone", "No hosted zone found with ID: %s", id ? id : "");
}

static int begin(struct sim_resp *o, const char *name)
{
	int berr = 0;
	o->ctype = "text/xml";
	berr |= buf_addf(&o->body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<%s xmlns=\"" R53_NS "\">", name);
	return berr;
}

static int end(struct sim_resp *o, const char *name)
{
	int berr = 0;
	berr |= buf_addf(&o->body, "</%s>", name);
	return berr;
}

/* a zone as HostedZone shows it (record count, no internals) */
static jv zone_view(jv z)
{
	jv recs = jvx_get(z, "_records");
	int n = jv_array_length(recs);
	return jv_object_set(jv_copy(z), jv_string("ResourceRecordSetCount"), jv_number(n));
}

/* ------------------------------------------------------------------ operations */

static int op_list_zones(struct sim *s, struct sim_req *r, struct sim_resp *o, int by_name)
{
	int berr = 0;
	const char *from = by_name ? sim_q_str(r, "dnsname") : NULL;
	jv start = from ? sim_r53_name(from) : jv_null();
	jv skey = from ? sort_key(jv_string_value(start)) : jv_null();
	const char *op = by_name ? "ListHostedZonesByNameResponse" : "ListHostedZonesResponse";
	berr |= begin(o, op);
	berr |= buf_adds(&o->body, "<HostedZones>");
	/* by name: in the order of the reversed labels, from dnsname on */
	jv zones = jv_copy(s->r53_zones);
	if (by_name) {
		jv sorted = jv_array();
		SIM_EACH(zones, i, z) {
			jv out = jv_array();
			int done = 0;
			jv kz = sort_key(jvx_str(z, "Name"));
			SIM_EACH(sorted, j, y) {
				jv ky = sort_key(jvx_str(y, "Name"));
				if (!done && strcmp(jv_string_value(kz), jv_string_value(ky)) < 0) {
					out = jv_array_append(out, jv_copy(z));
					done = 1;
				}
				jv_free(ky);
				out = jv_array_append(out, y);
			}
			jv_free(kz);
			sorted = done ? out : jv_array_append(out, jv_copy(z));
			jv_free(z);
		}
		zones = sorted;
	}
	SIM_EACH(zones, i, z) {
		jv kz = sort_key(jvx_str(z, "Name"));
		if (!from || strcmp(jv_string_value(kz), jv_string_value(skey)) >= 0) {
			jv v = zone_view(z);
			sim_xml_jv(&o->body, "HostedZone", v);
			jv_free(v);
		}
		jv_free(kz);
		jv_free(z);
	}
	berr |= buf_adds(&o->body, "</HostedZones>");
	if (from)
		sim_xml_elem(&o->body, "DNSName", jv_string_value(start));
	sim_xml_elem(&o->body, "IsTruncated", "false");
	sim_xml_elem(&o->body, "MaxItems", sim_q_str(r, "maxitems") ? sim_q_str(r, "maxitems") : "100");
	berr |= end(o, op);
	BUF_NOCAP(berr);
	jv_free(start);
	jv_free(skey);
	return 0;
}

static int op_list_hosted_zones(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	return op_list_zones(s, r, o, 0);
}

static int op_list_hosted_zones_by_name(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	return op_list_zones(s, r, o, 1);
}

static int op_get_hosted_zone(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	char id[64];
	int zx = path_id(r, id, sizeof(id)) ? zone_find(s, id) : -1;
	if (zx < 0)
		return no_zone(r, o, path_id(r, id, sizeof(id)));
	jv z = jv_array_get(jv_copy(s->r53_zones), zx);
	jv v = zone_view(z);
	jv_free(z);
	berr |= begin(o, "GetHostedZoneResponse");
	sim_xml_jv(&o->body, "HostedZone", v);
	berr |= buf_adds(&o->body, "<DelegationSet><NameServers>"
		 "<NameServer>ns-2048.awsdns-64.com</NameServer><NameServer>ns-512.awsdns-00.net</NameServer>"
		 "<NameServer>ns-1024.awsdns-00.org</NameServer><NameServer>ns-1536.awsdns-00.co.uk</NameServer>"
		 "</NameServers></DelegationSet>");
	berr |= end(o, "GetHostedZoneResponse");
	BUF_NOCAP(berr);
	jv_free(v);
	return 0;
}

static int op_list_rrsets(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	char id[64];
	int zx = path_id(r, id, sizeof(id)) ? zone_find(s, id) : -1;
	if (zx < 0)
		return no_zone(r, o, path_id(r, id, sizeof(id)));
	const char *name = sim_q_str(r, "name"), *type = sim_q_str(r, "type");
	if (type && !name)
		return sim_error(r, o, 400, "InvalidInput", "The input is not valid: type requires name");
	int max = sim_q_str(r, "maxitems") ? atoi(sim_q_str(r, "maxitems")) : 300;
	if (max < 1 || max > 300)
		max = 300;
	/* from (name, type) on, in AWS's order; MaxItems at a time */
	jv first = name ? JV_OBJECT(jv_string("Name"), sim_r53_name(name), jv_string("Type"), jv_string(type ? type : ""))
			: jv_null();
	jv z = jv_array_get(jv_copy(s->r53_zones), zx);
	berr |= begin(o, "ListResourceRecordSetsResponse");
	berr |= buf_adds(&o->body, "<ResourceRecordSets>");
	int n = 0;
	jv next = jv_null();
	SIM_EACH(jvx_get(z, "_records"), i, rr) {
		if (jv_get_kind(first) == JV_KIND_NULL || rr_cmp(rr, first) >= 0) {
			if (n < max)
				sim_xml_jv(&o->body, "ResourceRecordSet", rr);
			else if (jv_get_kind(next) == JV_KIND_NULL)
				next = jv_copy(rr);
			n++;
		}
		jv_free(rr);
	}
	berr |= buf_adds(&o->body, "</ResourceRecordSets>");
	sim_xml_elem(&o->body, "IsTruncated", jv_get_kind(next) == JV_KIND_NULL ? "false" : "true");
	if (jv_get_kind(next) != JV_KIND_NULL) {
		sim_xml_elem(&o->body, "NextRecordName", jvx_str(next, "Name"));
		sim_xml_elem(&o->body, "NextRecordType", jvx_str(next, "Type"));
	}
	sim_xml_elemf(&o->body, "MaxItems", "%d", max);
	berr |= end(o, "ListResourceRecordSetsResponse");
	BUF_NOCAP(berr);
	jv_free(next);
	jv_free(first);
	jv_free(z);
	return 0;
}

/* ---- ChangeResourceRecordSets: the request body */

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

/* the text of n's child name as a jv string, or null */
static jv text(xmlNode *n, const char *name)
{
	xmlNode *c = child(n, name);
	if (!c)
		return jv_null();
	xmlChar *t = xmlNodeGetContent(c);
	jv v = jv_string(t ? (const char *)t : "");
	xmlFree(t);
	return v;
}

static jv number_of(jv t)
{
	if (jv_get_kind(t) != JV_KIND_STRING)
		return t;
	jv v = jv_number(atof(jv_string_value(t)));
	jv_free(t);
	return v;
}

/* a ResourceRecordSet element as a record set */
static jv rrset_of(xmlNode *n)
{
	jv rr = jv_object();
	jv name = text(n, "Name");
	rr = jv_object_set(rr, jv_string("Name"),
			   jv_get_kind(name) == JV_KIND_STRING ? sim_r53_name(jv_string_value(name)) : jv_null());
	jv_free(name);
	rr = jv_object_set(rr, jv_string("Type"), text(n, "Type"));
	static const char *const strs[] = { "SetIdentifier", "Failover", "Region", NULL };
	for (const char *const *k = strs; *k; k++) {
		jv v = text(n, *k);
		if (jv_get_kind(v) == JV_KIND_STRING)
			rr = jv_object_set(rr, jv_string(*k), v);
		else
			jv_free(v);
	}
	if (child(n, "Weight"))
		rr = jv_object_set(rr, jv_string("Weight"), number_of(text(n, "Weight")));
	if (child(n, "TTL"))
		rr = jv_object_set(rr, jv_string("TTL"), number_of(text(n, "TTL")));
	xmlNode *recs = child(n, "ResourceRecords");
	if (recs) {
		jv list = jv_array();
		for (xmlNode *c = recs->children; c; c = c->next)
			if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, "ResourceRecord"))
				list = jv_array_append(list, JV_OBJECT(jv_string("Value"), text(c, "Value")));
		rr = jv_object_set(rr, jv_string("ResourceRecords"), list);
	}
	xmlNode *alias = child(n, "AliasTarget");
	if (alias) {
		jv dns = text(alias, "DNSName"), eval = text(alias, "EvaluateTargetHealth");
		rr = jv_object_set(rr, jv_string("AliasTarget"),
			JV_OBJECT(jv_string("HostedZoneId"), text(alias, "HostedZoneId"),
				  jv_string("DNSName"), jv_get_kind(dns) == JV_KIND_STRING ?
					sim_r53_name(jv_string_value(dns)) : jv_null(),
				  jv_string("EvaluateTargetHealth"),
				  jv_bool(jv_get_kind(eval) == JV_KIND_STRING && !strcmp(jv_string_value(eval), "true"))));
		jv_free(dns);
		jv_free(eval);
	}
	return rr;
}

/* the changes [{Action, ResourceRecordSet}] of the body, or an invalid jv with a message */
static jv changes_of(const char *body, size_t len)
{
	xmlDoc *doc = xmlReadMemory(body, (int)len, "change.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (!doc)
		return jv_invalid_with_msg(jv_string("the body is not XML"));
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *list = child(child(root, "ChangeBatch"), "Changes");
	jv out = jv_array();
	if (!root || strcmp((const char *)root->name, "ChangeResourceRecordSetsRequest") || !list) {
		jv_free(out);
		out = jv_invalid_with_msg(jv_string("the body has no ChangeBatch/Changes"));
		goto out;
	}
	for (xmlNode *c = list->children; c; c = c->next) {
		if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "Change"))
			continue;
		xmlNode *rrs = child(c, "ResourceRecordSet");
		out = jv_array_append(out, JV_OBJECT(jv_string("Action"), text(c, "Action"),
						     jv_string("ResourceRecordSet"), rrs ? rrset_of(rrs) : jv_null()));
	}
out:
	xmlFreeDoc(doc);
	return out;
}

/* is name inside zone ("a.example.com." in "example.com.") */
static int in_zone(const char *name, const char *zone)
{
	size_t n = strlen(name), z = strlen(zone);
	return n == z ? !strcmp(name, zone) : n > z && !strcmp(name + n - z, zone) && name[n - z - 1] == '.';
}

/* apply one change to recs (consumed; the new records) or an invalid jv with AWS's message */
static jv apply_change(jv recs, jv ch, const char *zone)
{
	const char *action = jvx_str(ch, "Action");
	jv rr = jvx_get(ch, "ResourceRecordSet");
	const char *name = jvx_str(rr, "Name"), *type = jvx_str(rr, "Type");
	jv err = jv_null();
	if (!action || !name || !type) {
		err = jv_string("a change needs an Action and a ResourceRecordSet with Name and Type");
		goto out;
	}
	if (!in_zone(name, zone)) {
		err = jv_string_fmt("RRSet with DNS name %s is not permitted in zone %s", name, zone);
		goto out;
	}
	int del = !strcmp(action, "DELETE"), create = !strcmp(action, "CREATE"), upsert = !strcmp(action, "UPSERT");
	if (!del && !create && !upsert) {
		err = jv_string_fmt("Invalid action %s: CREATE, DELETE or UPSERT", action);
		goto out;
	}
	if (!del && !jvx_has(rr, "AliasTarget") && (!jvx_has(rr, "TTL") || !jvx_has(rr, "ResourceRecords"))) {
		err = jv_string_fmt("Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and "
				    "ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with "
				    "[Action=%s, Name=%s, Type=%s, SetIdentifier=%s]", action, name, type,
				    jvx_str(rr, "SetIdentifier") ? jvx_str(rr, "SetIdentifier") : "null");
		goto out;
	}
	int ix = rr_find(recs, rr);
	if (create && ix >= 0) {
		err = jv_string_fmt("Tried to create resource record set [name='%s', type='%s'] but it already exists",
				    name, type);
		goto out;
	}
	if (del) {
		jv cur = ix >= 0 ? jv_array_get(jv_copy(recs), ix) : jv_null();
		/* AWS deletes only a record set given exactly as it is */
		if (ix < 0 || !jv_equal(jv_copy(cur), jv_copy(rr)))
			err = jv_string_fmt("Tried to delete resource record set [name='%s', type='%s'] but %s",
					    name, type, ix < 0 ? "it was not found" : "the values provided do not match the current values");
		jv_free(cur);
		if (jv_get_kind(err) != JV_KIND_NULL)
			goto out;
		if (!strcmp(type, "SOA") || (!strcmp(type, "NS") && !strcmp(name, zone))) {
			err = jv_string_fmt("A HostedZone must contain at least one NS record and one SOA record for the zone itself");
			goto out;
		}
	}
	jv out_recs = jv_array();
	SIM_EACH(recs, i, x) {
		if (i == ix)
			jv_free(x);
		else
			out_recs = jv_array_append(out_recs, x);
	}
	recs = del ? out_recs : rr_insert(out_recs, jv_copy(rr));
out:
	jv_free(rr);
	jv_free(ch);
	if (jv_get_kind(err) != JV_KIND_NULL) {
		jv_free(recs);
		return jv_invalid_with_msg(err);
	}
	return recs;
}

static jv change_info(jv ch, int64_t now)
{
	const char *st = sim_status(ch, now);
	return JV_OBJECT(jv_string("Id"), jvx_get(ch, "Id"), jv_string("Status"), jv_string(st ? st : "INSYNC"),
			 jv_string("SubmittedAt"), jvx_get(ch, "SubmittedAt"));
}

static int op_change_rrsets(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	char id[64], iso[40];
	int zx = path_id(r, id, sizeof(id)) ? zone_find(s, id) : -1;
	if (zx < 0)
		return no_zone(r, o, path_id(r, id, sizeof(id)));
	jv changes = changes_of(r->body, r->body_len);
	if (!jv_is_valid(changes)) {
		jv msg = jv_invalid_get_msg(changes);
		sim_error(r, o, 400, "InvalidInput", "%s", jv_string_value(msg));
		jv_free(msg);
		return 0;
	}
	if (jv_array_length(jv_copy(changes)) == 0) {
		jv_free(changes);
		return sim_error(r, o, 400, "InvalidInput", "The ChangeBatch has no changes");
	}
	jv z = jv_array_get(jv_copy(s->r53_zones), zx);
	const char *zone = jvx_str(z, "Name");
	/* all or nothing: the changes apply in order to a copy */
	jv recs = jvx_get(z, "_records");
	SIM_EACH(changes, i, ch) {
		if (jv_is_valid(recs))
			recs = apply_change(recs, jv_copy(ch), zone);
		jv_free(ch);
	}
	if (!jv_is_valid(recs)) {
		jv msg = jv_invalid_get_msg(recs);
		sim_error(r, o, 400, "InvalidChangeBatch", "[%s]", jv_string_value(msg));
		jv_free(msg);
		jv_free(z);
		return 0;
	}
	s->r53_zones = jv_array_set(s->r53_zones, zx, jv_object_set(z, jv_string("_records"), recs));
	char cid[48], gen[48];
	sim_new_id(s, gen, sizeof(gen));
	size_t j = 0;
	cid[j++] = 'C';
	for (size_t i = 0; gen[i] && j < 14; i++)
		if (gen[i] != '-')
			cid[j++] = (char)toupper((unsigned char)gen[i]);
	cid[j] = 0;
	jv ch = JV_OBJECT(jv_string("Id"), jv_string_fmt("/change/%s", cid),
			  jv_string("SubmittedAt"), jv_string(sim_iso(r->now, iso, sizeof(iso))));
	ch = sim_set_timeline(ch, r->now, "INSYNC", "PENDING", s->dur[DUR_DNS_CHANGE], (const char *)NULL);
	s->r53_changes = jv_array_append(s->r53_changes, jv_copy(ch));
	berr |= begin(o, "ChangeResourceRecordSetsResponse");
	jv v = change_info(ch, r->now);
	sim_xml_jv(&o->body, "ChangeInfo", v);
	jv_free(v);
	jv_free(ch);
	berr |= end(o, "ChangeResourceRecordSetsResponse");
	BUF_NOCAP(berr);
	return 0;
}

static int op_get_change(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	char id[64], full[80];
	if (!path_id(r, id, sizeof(id)))
		return sim_error(r, o, 404, "NoSuchChange", "A change with the specified change ID does not exist.");
	snprintf(full, sizeof(full), "/change/%s", id);
	int cx = sim_find(s->r53_changes, "Id", full);
	if (cx < 0)
		return sim_error(r, o, 404, "NoSuchChange", "A change with the specified change ID does not exist.");
	jv ch = jv_array_get(jv_copy(s->r53_changes), cx);
	berr |= begin(o, "GetChangeResponse");
	jv v = change_info(ch, r->now);
	sim_xml_jv(&o->body, "ChangeInfo", v);
	jv_free(v);
	jv_free(ch);
	berr |= end(o, "GetChangeResponse");
	BUF_NOCAP(berr);
	return 0;
}

const struct sim_op sim_route53_ops[] = {
	{ "ListHostedZones", 0, op_list_hosted_zones },
	{ "ListHostedZonesByName", 0, op_list_hosted_zones_by_name },
	{ "GetHostedZone", 0, op_get_hosted_zone },
	{ "ListResourceRecordSets", 0, op_list_rrsets },
	{ "ChangeResourceRecordSets", 1, op_change_rrsets },
	{ "GetChange", 0, op_get_change },
	{ NULL, 0, NULL },
};
