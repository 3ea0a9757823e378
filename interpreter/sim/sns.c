/* sns.c — simulated SNS Publish (Query protocol, API 2010-03-31): accepted and recorded
 * (the seeds notify through it). Recorded messages: GET /_sim/published, sim_state(). */
#include <string.h>
#include "simint.h"
#include "../core/jvx.h"

static int op_publish(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	const char *topic = sim_q_str(r, "TopicArn");
	const char *target = sim_q_str(r, "TargetArn");
	const char *phone = sim_q_str(r, "PhoneNumber");
	const char *msg = sim_q_need(r, o, "Message");
	char iso[40], id[48];
	if (!msg)
		return 0;
	if (!topic && !target && !phone)
		return sim_error(r, o, 400, "InvalidParameter",
				 "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter");
	sim_new_id(s, id, sizeof(id));
	jv m = jv_object();
	m = jv_object_set(m, jv_string("MessageId"), jv_string(id));
	m = jv_object_set(m, jv_string("TopicArn"), jv_string(topic ? topic : target ? target : phone));
	if (sim_q_str(r, "Subject"))
		m = jv_object_set(m, jv_string("Subject"), jv_string(sim_q_str(r, "Subject")));
	m = jv_object_set(m, jv_string("Message"), jv_string(msg));
	m = jv_object_set(m, jv_string("Timestamp"), jv_string(sim_iso(r->now, iso, sizeof(iso))));
	s->published = jv_array_append(s->published, m);
	sim_q_begin(r, o);
	sim_xml_elem(&o->body, "MessageId", id);
	sim_q_end(r, o);
	return 0;
}

const struct sim_op sim_sns_ops[] = {
	{ "Publish", 1, op_publish },
	{ NULL, 0, NULL },
};
