/* call.c — aws.call: any operation of a query or JSON 1.1 service by name with raw
 * parameters (SNS Publish, STS GetCallerIdentity, CloudWatch, ...). Known services
 * (rds, elasticache, sts, sns, secretsmanager, cloudwatch, iam, route53) need only their name;
 * others give protocol and version (query) or target (json). Lists in query params are
 * named from the shape table when the service is known, else `member`. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

static const char *const read_prefixes[] = {
	"Describe", "List", "Get", "Head", "Search", "Lookup", "Check", "Validate", "Estimate", NULL,
};

static int call_mutates(jv args)
{
	const char *op = jvx_str(args, "operation");
	if (jvx_bool(args, "read_only", 0))
		return 0;
	for (int i = 0; op && read_prefixes[i]; i++)
		if (!strncmp(op, read_prefixes[i], strlen(read_prefixes[i])))
			return 0;
	return 1;
}

static int run_call(struct action_call *call, jv args, jv *out)
{
	const char *name = jvx_str(args, "service"), *op = jvx_str(args, "operation");
	const char *proto = jvx_str(args, "protocol");
	const struct aws_service *svc = aws_service_find(name);
	struct aws_service adhoc;
	char env_id[64];
	int r = -1;
	if (svc && proto && strcmp(proto, svc->proto == AWS_JSON11 ? "json" : svc->proto == AWS_QUERY ? "query" : "rest-xml")) {
		*out = jvx_error("InvalidParameterValue", "service '%s' speaks %s, not %s", name,
				 svc->proto == AWS_JSON11 ? "json" : svc->proto == AWS_QUERY ? "query" : "rest-xml", proto);
		goto done;
	}
	if (!svc) {
		if (!proto || (strcmp(proto, "query") && strcmp(proto, "json"))) {
			*out = jvx_error("InvalidParameterValue",
					 "unknown service '%s': give protocol (query or json) and version (query) or target (json)", name);
			goto done;
		}
		size_t i;
		for (i = 0; name[i] && i + 1 < sizeof env_id; i++)
			env_id[i] = name[i] == '-' ? '_' : (char)toupper((unsigned char)name[i]);
		env_id[i] = 0;
		adhoc = (struct aws_service){name, name, env_id, jvx_str(args, "version"),
					     !strcmp(proto, "json") ? AWS_JSON11 : AWS_QUERY, jvx_str(args, "target")};
		if (adhoc.proto == AWS_QUERY && !adhoc.version) {
			*out = jvx_error("InvalidParameterValue", "a query service needs version (e.g. 2010-03-31)");
			goto done;
		}
		if (adhoc.proto == AWS_JSON11 && !adhoc.target) {
			*out = jvx_error("InvalidParameterValue", "a json service needs target (the X-Amz-Target prefix)");
			goto done;
		}
		svc = &adhoc;
	}
	if (svc->proto == AWS_RESTXML && svc != &aws_svc_route53) {
		*out = jvx_error("InvalidParameterValue", "aws.call speaks query, json and route53; use the s3.* actions for S3");
		goto done;
	}
	struct aws_client c;
	if (aws_client_for_call(&c, call, aws_arg_region(args), out) < 0)
		goto done;
	jv params = jvx_get(args, "params");
	if (!jv_is_valid(params))
		params = jv_object();
	if (svc == &aws_svc_route53)
		r = aws_route53_call(&c, op, params, out, out);
	else if (svc->proto == AWS_QUERY)
		r = aws_query_call(&c, svc, op, params, out, out);
	else
		r = aws_json_call(&c, svc, op, params, out, out);
	aws_client_release(&c);
done:
	jv_free(args);
	return r;
}

/* at validation: a service aws.call cannot speak is an error before anything runs */
static int validate_call(jv args, const char **arg, char *why, size_t size)
{
	jv v = jv_object_get(jv_copy(args), jv_string("service"));
	int r = 0;
	*arg = "service";
	if (jv_get_kind(v) != JV_KIND_STRING)
		goto out;              /* an expression: known at run time */
	const char *name = jv_string_value(v);
	const struct aws_service *svc = aws_service_find(name);
	if (svc && svc->proto == AWS_RESTXML && svc != &aws_svc_route53) {
		snprintf(why, size, "aws.call cannot speak '%s' (rest-xml): use the s3.* actions", name);
		r = -1;
		goto out;
	}
	if (svc)
		goto out;
	for (const struct aws_foreign_service *f = aws_foreign_services; f->name; f++)
		if (!strcmp(f->name, name)) {
			snprintf(why, size, "aws.call cannot speak '%s': its protocol is %s (aws.call speaks query, json and route53)",
				 name, f->protocol);
			r = -1;
			goto out;
		}
	if (!jv_object_has(jv_copy(args), jv_string("protocol"))) {
		snprintf(why, size, "aws.call does not know service '%s': give protocol (query or json) and version "
			 "(query) or target (json)", name);
		r = -1;
	}
out:
	jv_free(v);
	return r;
}

static const struct action_arg a_call[] = {
	{"service", ARG_STRING, ARG_REQUIRED, NULL, "rds, elasticache, sts, sns, secretsmanager, cloudwatch, iam, route53, or any with protocol"},
	{"operation", ARG_STRING, ARG_REQUIRED, NULL, "operation name, e.g. Publish"},
	{"params", ARG_MAP, 0, "{}", "request parameters by their AWS names (nested maps and lists allowed)"},
	{"protocol", ARG_STRING, 0, NULL, "query or json (for services not known by name)"},
	{"version", ARG_STRING, 0, NULL, "API version (query services not known by name)"},
	{"target", ARG_STRING, 0, NULL, "X-Amz-Target prefix (json services not known by name)"},
	{"read_only", ARG_BOOL, 0, "false", "the operation changes nothing (runs in --dry-run)"},
	{"region", ARG_STRING, 0, NULL, "region for this call (default: the connection's)"},
	{NULL}};

static const struct action_result r_call[] = {
	{"*", ARG_ANY, "the operation's result fields, free-form (<OperationResult> as JSON, or the JSON reply)", NULL},
	{NULL, 0, NULL, NULL},
};

const struct action_desc aws_call_actions[] = {
	{"aws.call", "any operation of a query or JSON 1.1 AWS service (or of Route 53), by name with raw params", a_call,
	 "the operation's result (the <OperationResult> element as JSON, or the JSON reply)",
	 ACT_MUTATING, 500, run_call, call_mutates, NULL, NULL,
	  .results = r_call, .validate = validate_call},
	{NULL},
};
