/* json11.c — the AWS JSON 1.1 protocol (Secrets Manager): POST / with
 * X-Amz-Target: PREFIX.Operation, Content-Type application/x-amz-json-1.1, JSON both
 * ways; errors {"__type": "...#Code", "Message": ...} are parsed by transport.c. */
#include <stdlib.h>
#include <string.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/jvx.h"

int aws_json_call(struct aws_client *c, const struct aws_service *svc, const char *op,
		  jv params, jv *out, jv *err)
{
	int berr = 0;
	struct aws_request r;
	struct aws_response resp;
	int ret = -1;
	if (jv_get_kind(params) == JV_KIND_NULL) {
		jv_free(params);
		params = jv_object();
	}
	char *body = jvx_dump(params);
	struct buf target = BUF_INIT(0);
	berr |= buf_addf(&target, "%s.%s", svc->target ? svc->target : svc->name, op);
	BUF_NOCAP(berr);
	aws_request_init(&r, svc, "POST");
	memset(&resp, 0, sizeof resp);
	resp.headers = jv_null();
	aws_request_header(&r, "Content-Type", "application/x-amz-json-1.1");
	aws_request_header(&r, "X-Amz-Target", target.data);
	r.body = body;
	r.body_len = strlen(body);
	if (aws_perform(c, &r, &resp, err) < 0)
		goto out;
	if (resp.body.len == 0) {
		*out = jv_object();
	} else {
		*out = jvx_parse_sized(resp.body.data, resp.body.len);
		if (!jv_is_valid(*out)) {
			jv_free(*out);
			*err = jvx_error("InvalidResponse", "%s: reply is not JSON", op);
			goto out;
		}
	}
	ret = 0;
out:
	/* the body may carry a secret value (PutSecretValue): wipe it */
	memset(body, 0, strlen(body));
	free(body);
	buf_release(&target);
	aws_request_release(&r);
	aws_response_release(&resp);
	return ret;
}
