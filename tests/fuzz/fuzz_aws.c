/* fuzz_aws.c — the AWS reply parsers of modules/aws on one reply body:
 * query protocol (RDS, ElastiCache, STS: aws_query_parse), S3 REST-XML (aws_s3_parse),
 * JSON 1.1 (the jv parse json11.c does) and the error parsers of every protocol
 * (aws_parse_error). Seeds: replies of the simulator and of AWS (tests/fuzz/seeds/aws). */
#include "fuzz.h"
#include "core/jvx.h"
#include "modules/aws/aws.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void parse_error(enum aws_proto proto, const uint8_t *data, size_t size, long status)
{
	struct aws_response resp;
	memset(&resp, 0, sizeof(resp));
	resp.status = status;
	buf_init(&resp.body, 0);
	if (buf_add(&resp.body, data, size) < 0)
		abort();
	resp.headers = jv_object_set(jv_object(), jv_string("x-amzn-requestid"), jv_string("rid"));
	char *code, *msg, *rid;
	aws_parse_error(proto, &resp, &code, &msg, &rid);
	if (!code || !msg)
		abort();    /* the parser promises both */
	free(code);
	free(msg);
	free(rid);
	aws_response_release(&resp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > (1u << 20))
		return -1;
	const struct aws_service *query_svcs[] = { &aws_svc_rds, &aws_svc_elasticache, &aws_svc_sts };
	const char *xml = (const char *)data;
	for (size_t i = 0; i < sizeof(query_svcs) / sizeof(query_svcs[0]); i++) {
		jv out = jv_invalid();
		char *rid = NULL;
		if (aws_query_parse(query_svcs[i], xml, size, &out, &rid) == 0 &&
		    jv_get_kind(out) != JV_KIND_OBJECT)
			abort();    /* the result is always an object */
		jv_free(out);
		free(rid);
	}
	jv out = jv_invalid();
	if (aws_s3_parse(xml, size, &out) == 0 && jv_get_kind(out) != JV_KIND_OBJECT)
		abort();
	jv_free(out);
	/* JSON 1.1 replies: what aws_json_call does with a 2xx body */
	jv j = jvx_parse_sized(xml, size);
	jv_free(j);
	parse_error(AWS_QUERY, data, size, 400);
	parse_error(AWS_RESTXML, data, size, 404);
	parse_error(AWS_JSON11, data, size, 500);
	return 0;
}
