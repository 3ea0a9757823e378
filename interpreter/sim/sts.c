/* sts.c — simulated STS (Query protocol, API 2011-06-15): GetCallerIdentity and
 * AssumeRole, enough for the AWS CLI and for profiles with role_arn. Any key works. */
#include <string.h>
#include "simint.h"

static int op_caller_identity(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_q_begin(r, o);
	sim_xml_elemf(&o->body, "Arn", "arn:aws:iam::%s:user/runbook-sim", s->account);
	sim_xml_elem(&o->body, "UserId", "AIDASIMULATEDUSER0001");
	sim_xml_elem(&o->body, "Account", s->account);
	sim_q_end(r, o);
	return 0;
}

static int op_assume_role(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	const char *role = sim_q_need(r, o, "RoleArn");
	const char *name = role ? sim_q_need(r, o, "RoleSessionName") : NULL;
	char iso[40];
	if (!role || !name)
		return 0;
	const char *slash = strrchr(role, '/');
	sim_q_begin(r, o);
	berr |= buf_adds(&o->body, "<Credentials>");
	sim_xml_elem(&o->body, "AccessKeyId", "ASIASIMULATED0000001");
	sim_xml_elem(&o->body, "SecretAccessKey", "simulatedsecretaccesskey0000000000000000");
	sim_xml_elem(&o->body, "SessionToken", "simulated-session-token");
	sim_xml_elem(&o->body, "Expiration", sim_iso(r->now + 3600000, iso, sizeof(iso)));
	berr |= buf_adds(&o->body, "</Credentials><AssumedRoleUser>");
	sim_xml_elemf(&o->body, "AssumedRoleId", "AROASIMULATED:%s", name);
	sim_xml_elemf(&o->body, "Arn", "arn:aws:sts::%s:assumed-role/%s/%s", s->account,
		  slash ? slash + 1 : role, name);
	berr |= buf_adds(&o->body, "</AssumedRoleUser>");
	BUF_NOCAP(berr);
	sim_q_end(r, o);
	return 0;
}

const struct sim_op sim_sts_ops[] = {
	{ "GetCallerIdentity", 0, op_caller_identity },
	{ "AssumeRole", 0, op_assume_role },
	{ NULL, 0, NULL },
};
