/* rds.c — simulated RDS (Query protocol, API 2014-10-31).
 *
 * Instances and snapshots are jv objects in AWS's output shape plus internals ("_tl"
 * timeline, "_final", "_gone_at", "_earliest"). Status is computed from the timeline at
 * each request: a restore at T with duration D reads "creating" until T+0.8D,
 * "backing-up" until T+D, then "available". Deleted resources vanish at "_gone_at".
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "simint.h"
#include "../core/dur.h"
#include "../core/jvx.h"

#define LATEST_LAG_MS (5 * 60000)   /* LatestRestorableTime trails now by ~5 minutes */

void sim_rds_gc(struct sim *s, int64_t now)
{
	s->rds_instances = sim_gc(s->rds_instances, now);
	s->rds_snapshots = sim_gc(s->rds_snapshots, now);
}

jv sim_rds_get(jv arr, int ix)
{
	return jv_array_get(jv_copy(arr), ix);
}

static int inst_find(struct sim *s, const char *id)
{
	return sim_find(s->rds_instances, "DBInstanceIdentifier", id);
}

/* an id or an ARN "arn:aws:rds:REGION:ACCT:snapshot:NAME" -> NAME */
const char *sim_rds_arn_name(const char *id, const char *type)
{
	if (strncmp(id, "arn:", 4))
		return id;
	const char *p = id;
	for (int i = 0; i < 5 && p; i++) {
		p = strchr(p, ':');
		if (p)
			p++;
	}
	if (!p)
		return id;
	size_t tl = strlen(type);
	if (!strncmp(p, type, tl) && p[tl] == ':')
		return p + tl + 1;
	return id;
}

int sim_rds_snap_find(struct sim *s, const char *id)
{
	return sim_find(s->rds_snapshots, "DBSnapshotIdentifier", sim_rds_arn_name(id, "snapshot"));
}

/* the array (rds_instances or rds_snapshots, by off) of the region an ARN names, or
 * the active region's for a plain name or an ARN of it */
static jv *arr_of(struct sim *s, const char *id, size_t off)
{
	char region[32];
	return sim_region_field(s, sim_arn_region(id, region, sizeof(region)), off);
}

static int not_found_inst(struct sim_req *r, struct sim_resp *o, const char *id)
{
	return sim_error(r, o, 404, "DBInstanceNotFound", "DBInstance %s not found.", id);
}

int sim_rds_not_found_snap(struct sim_req *r, struct sim_resp *o, const char *id)
{
	return sim_error(r, o, 404, "DBSnapshotNotFound", "DBSnapshot %s not found.", id);
}

/* what DescribeDBInstances shows now */
static jv inst_view(jv inst, int64_t now)
{
	char iso[40];
	const char *st = sim_status(inst, now);
	jv v = jv_copy(inst);
	v = jv_object_set(v, jv_string("DBInstanceStatus"), jv_string(st ? st : "available"));
	if (st && !strcmp(st, "creating"))
		v = jv_object_delete(v, jv_string("Endpoint"));   /* AWS has none yet */
	if (jvx_int(inst, "BackupRetentionPeriod", 0) > 0 && st && strcmp(st, "creating"))
		v = jv_object_set(v, jv_string("LatestRestorableTime"),
				  jv_string(sim_iso(now - LATEST_LAG_MS, iso, sizeof(iso))));
	/* fields every instance has on AWS (Ansible's rds_instance reads them) */
	if (!jvx_has(v, "OptionGroupMemberships")) {
		const char *eng = jvx_str(inst, "Engine"), *ver = jvx_str(inst, "EngineVersion");
		size_t n = ver ? strcspn(ver, ".") : 0;
		if (ver && eng && strcmp(eng, "postgres") && ver[n])   /* mysql 8.0, not 8 */
			n += 1 + strcspn(ver + n + 1, ".");
		char og[128];
		snprintf(og, sizeof(og), "default:%s-%.*s", eng ? eng : "postgres", (int)n, ver ? ver : "");
		for (char *p = og + 8; *p; p++)
			if (*p == '.')
				*p = '-';
		v = jv_object_set(v, jv_string("OptionGroupMemberships"),
				  JV_ARRAY(JV_OBJECT(jv_string("OptionGroupName"), jv_string(og),
						     jv_string("Status"), jv_string("in-sync"))));
	}
	if (!jvx_has(v, "DBSecurityGroups"))
		v = jv_object_set(v, jv_string("DBSecurityGroups"), jv_array());
	if (!jvx_has(v, "IAMDatabaseAuthenticationEnabled"))
		v = jv_object_set(v, jv_string("IAMDatabaseAuthenticationEnabled"), jv_false());
	if (jvx_str(inst, "ReadReplicaSourceDBInstanceIdentifier") && st && !strcmp(st, "available"))
		v = jv_object_set(v, jv_string("StatusInfos"),
				  JV_ARRAY(JV_OBJECT(jv_string("StatusType"), jv_string("read replication"),
						     jv_string("Normal"), jv_true(),
						     jv_string("Status"), jv_string("replicating"))));
	return v;
}

static jv snap_view(jv snap, int64_t now)
{
	const char *st = sim_status(snap, now);
	jv v = jv_copy(snap);
	v = jv_object_set(v, jv_string("Status"), jv_string(st ? st : "available"));
	double done = jvx_num(snap, "_done_at", 0), start = jvx_num(snap, "_started", done);
	int pct = 100;
	if (st && strcmp(st, "available") && done > start)
		pct = (int)(100.0 * (double)(now - (int64_t)start) / (done - start));
	v = jv_object_set(v, jv_string("PercentProgress"), jv_number(pct < 0 ? 0 : pct > 100 ? 100 : pct));
	return v;
}

static void reply_instance(struct sim *s, struct sim_req *r, struct sim_resp *o, jv inst)
{
	sim_q_begin(r, o);
	jv v = inst_view(inst, r->now);
	sim_xml_jv(&o->body, "DBInstance", v);
	jv_free(v);
	jv_free(inst);
	sim_q_end(r, o);
}

static void reply_snapshot(struct sim *s, struct sim_req *r, struct sim_resp *o, jv snap)
{
	sim_q_begin(r, o);
	jv v = snap_view(snap, r->now);
	sim_xml_jv(&o->body, "DBSnapshot", v);
	jv_free(v);
	jv_free(snap);
	sim_q_end(r, o);
}

static jv endpoint_for(struct sim *s, const char *id)
{
	jv e = sim_endpoint_for(s->new_endpoint, id, "", 5432);
	return jv_object_set(e, jv_string("HostedZoneId"), jv_string("Z2R2ITUGPM61AM"));
}

static jv arn_for(struct sim *s, const char *type, const char *id)
{
	char arn[512];
	snprintf(arn, sizeof(arn), "arn:aws:rds:%s:%s:%s:%s", s->region, s->account, type, id);
	return jv_string(arn);
}

/* merge tags [{Key, Value}] into list (same Key replaced) */
static jv tags_merge(jv list, jv add)
{
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		jv_free(list);
		list = jv_array();
	}
	SIM_EACH(add, i, t) {
		jv out = jv_array();
		const char *k = jvx_str(t, "Key");
		SIM_EACH(list, j, u) {
			const char *uk = jvx_str(u, "Key");
			if (uk && k && !strcmp(uk, k))
				jv_free(u);
			else
				out = jv_array_append(out, u);
		}
		list = jv_array_append(out, t);
	}
	return list;
}

/* optional settings shared by the restores and ModifyDBInstance */
static jv apply_common(struct sim_req *r, jv inst)
{
	const char *v;
	if ((v = sim_q_str(r, "DBInstanceClass")))
		inst = jv_object_set(inst, jv_string("DBInstanceClass"), jv_string(v));
	if ((v = sim_q_str(r, "MultiAZ")))
		inst = jv_object_set(inst, jv_string("MultiAZ"), jv_bool(sim_q_bool(r, "MultiAZ", 0)));
	if ((v = sim_q_str(r, "PubliclyAccessible")))
		inst = jv_object_set(inst, jv_string("PubliclyAccessible"),
				     jv_bool(sim_q_bool(r, "PubliclyAccessible", 0)));
	if ((v = sim_q_str(r, "DeletionProtection")))
		inst = jv_object_set(inst, jv_string("DeletionProtection"),
				     jv_bool(sim_q_bool(r, "DeletionProtection", 0)));
	if ((v = sim_q_str(r, "AvailabilityZone")))
		inst = jv_object_set(inst, jv_string("AvailabilityZone"), jv_string(v));
	if ((v = sim_q_str(r, "DBSubnetGroupName")))
		inst = jv_object_set(inst, jv_string("DBSubnetGroup"),
				     JV_OBJECT(jv_string("DBSubnetGroupName"), jv_string(v),
					       jv_string("SubnetGroupStatus"), jv_string("Complete")));
	if ((v = sim_q_str(r, "DBParameterGroupName")))
		inst = jv_object_set(inst, jv_string("DBParameterGroups"),
				     JV_ARRAY(JV_OBJECT(jv_string("DBParameterGroupName"), jv_string(v),
							jv_string("ParameterApplyStatus"), jv_string("in-sync"))));
	if ((v = sim_q_str(r, "BackupRetentionPeriod")))
		inst = jv_object_set(inst, jv_string("BackupRetentionPeriod"), jv_number(atoi(v)));
	if ((v = sim_q_str(r, "StorageType")))
		inst = jv_object_set(inst, jv_string("StorageType"), jv_string(v));
	if ((v = sim_q_str(r, "Iops")))
		inst = jv_object_set(inst, jv_string("Iops"), jv_number(atoi(v)));
	if ((v = sim_q_str(r, "StorageThroughput")))
		inst = jv_object_set(inst, jv_string("StorageThroughput"), jv_number(atoi(v)));
	if ((v = sim_q_str(r, "AllocatedStorage")))
		inst = jv_object_set(inst, jv_string("AllocatedStorage"), jv_number(atoi(v)));
	if ((v = sim_q_str(r, "EnableIAMDatabaseAuthentication")))
		inst = jv_object_set(inst, jv_string("IAMDatabaseAuthenticationEnabled"),
				     jv_bool(sim_q_bool(r, "EnableIAMDatabaseAuthentication", 0)));
	jv logs = sim_q_list(r, "EnableCloudwatchLogsExports");
	if (jv_array_length(jv_copy(logs)) > 0)
		inst = jv_object_set(inst, jv_string("EnabledCloudwatchLogsExports"), logs);
	else
		jv_free(logs);
	jv sgs = sim_q_list(r, "VpcSecurityGroupIds");
	if (jv_array_length(jv_copy(sgs)) > 0) {
		jv out = jv_array();
		SIM_EACH(sgs, i, g) {
			out = jv_array_append(out, JV_OBJECT(jv_string("VpcSecurityGroupId"), g,
							     jv_string("Status"), jv_string("active")));
		}
		inst = jv_object_set(inst, jv_string("VpcSecurityGroups"), out);
	} else {
		jv_free(sgs);
	}
	if ((v = sim_q_str(r, "Port"))) {
		jv e = jv_object_get(jv_copy(inst), jv_string("Endpoint"));
		if (jv_get_kind(e) == JV_KIND_OBJECT)
			inst = jv_object_set(inst, jv_string("Endpoint"),
					     jv_object_set(e, jv_string("Port"), jv_number(atoi(v))));
		else
			jv_free(e);
	}
	return inst;
}

/* is name one of the declared set (null: any name is) */
static int known(jv set, const char *name)
{
	return jv_get_kind(set) != JV_KIND_OBJECT || jv_object_has(jv_copy(set), jv_string(name));
}

/* the groups a create/restore/modify names exist, as AWS checks: -1 with the error set */
static int groups_check(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	const char *v = sim_q_str(r, "DBSubnetGroupName");
	if (v && strcmp(v, "default") && sim_find(s->rds_subnet_groups, "DBSubnetGroupName", v) < 0 &&
	    jv_get_kind(s->rds_known_subnet_groups) == JV_KIND_OBJECT) {
		sim_error(r, o, 404, "DBSubnetGroupNotFoundFault", "DBSubnetGroup '%s' not found.", v);
		return -1;
	}
	v = sim_q_str(r, "DBParameterGroupName");
	if (v && strncmp(v, "default.", 8) && !known(s->rds_known_param_groups, v)) {
		sim_error(r, o, 404, "DBParameterGroupNotFound", "DBParameterGroup not found: %s", v);
		return -1;
	}
	int bad = 0;
	SIM_EACH(sim_q_list(r, "VpcSecurityGroupIds"), i, g) {
		if (!bad && !known(s->rds_known_security_groups, jv_string_value(g))) {
			sim_error(r, o, 400, "InvalidParameterValue", "Invalid security group , groupId= %s, groupName=.",
				  jv_string_value(g));
			bad = 1;
		}
		jv_free(g);
	}
	return bad ? -1 : 0;
}

/* a new instance (restores): base fields from a source instance or snapshot */
static jv new_instance(struct sim *s, struct sim_req *r, const char *id, jv base)
{
	char iso[40];
	jv o = jv_object();
	o = jv_object_set(o, jv_string("DBInstanceIdentifier"), jv_string(id));
	o = jv_object_set(o, jv_string("DBInstanceClass"),
			  jv_string(jvx_str(base, "DBInstanceClass") ? jvx_str(base, "DBInstanceClass") :
				    jvx_str(base, "_class") ? jvx_str(base, "_class") : "db.r6g.large"));
	o = jv_object_set(o, jv_string("Engine"), jvx_get(base, "Engine"));
	o = jv_object_set(o, jv_string("EngineVersion"), jvx_get(base, "EngineVersion"));
	o = jv_object_set(o, jv_string("MasterUsername"), jvx_get(base, "MasterUsername"));
	if (jvx_str(base, "DBName"))
		o = jv_object_set(o, jv_string("DBName"), jvx_get(base, "DBName"));
	else if (jvx_str(base, "_db_name"))
		o = jv_object_set(o, jv_string("DBName"), jvx_get(base, "_db_name"));
	o = jv_object_set(o, jv_string("Endpoint"), endpoint_for(s, id));
	o = jv_object_set(o, jv_string("AllocatedStorage"), jv_number(jvx_num(base, "AllocatedStorage", 100)));
	o = jv_object_set(o, jv_string("InstanceCreateTime"), jv_string(sim_iso(r->now, iso, sizeof(iso))));
	o = jv_object_set(o, jv_string("PreferredBackupWindow"), jv_string("03:00-03:30"));
	o = jv_object_set(o, jv_string("BackupRetentionPeriod"),
			  jv_number(jvx_num(base, "BackupRetentionPeriod", 7)));
	jv sgs = jvx_get(base, "VpcSecurityGroups");
	o = jv_object_set(o, jv_string("VpcSecurityGroups"), jv_is_valid(sgs) ? sgs : jv_array());
	if (!jv_is_valid(sgs))
		jv_free(sgs);
	o = jv_object_set(o, jv_string("DBParameterGroups"),
			  JV_ARRAY(JV_OBJECT(jv_string("DBParameterGroupName"), jv_string("default.postgres15"),
					     jv_string("ParameterApplyStatus"), jv_string("in-sync"))));
	char az[48];
	snprintf(az, sizeof(az), "%sa", s->region);
	o = jv_object_set(o, jv_string("AvailabilityZone"), jv_string(az));
	o = jv_object_set(o, jv_string("DBSubnetGroup"),
			  JV_OBJECT(jv_string("DBSubnetGroupName"), jv_string("default"),
				    jv_string("SubnetGroupStatus"), jv_string("Complete")));
	o = jv_object_set(o, jv_string("PendingModifiedValues"), jv_object());
	o = jv_object_set(o, jv_string("MultiAZ"), jv_false());
	o = jv_object_set(o, jv_string("AutoMinorVersionUpgrade"), jv_true());
	o = jv_object_set(o, jv_string("ReadReplicaDBInstanceIdentifiers"), jv_array());
	o = jv_object_set(o, jv_string("PubliclyAccessible"), jv_false());
	o = jv_object_set(o, jv_string("StorageType"), jv_string("gp3"));
	o = jv_object_set(o, jv_string("DbInstancePort"), jv_number(0));
	o = jv_object_set(o, jv_string("StorageEncrypted"), jv_true());
	o = jv_object_set(o, jv_string("DeletionProtection"), jv_false());
	o = jv_object_set(o, jv_string("DbiResourceId"), jv_string("db-SIMULATED"));
	o = jv_object_set(o, jv_string("DBInstanceArn"), arn_for(s, "db", id));
	o = jv_object_set(o, jv_string("TagList"), sim_q_tags(r, "Tags"));
	o = jv_object_set(o, jv_string("_earliest"), jv_number((double)r->now));
	o = apply_common(r, o);
	int64_t d = s->dur[DUR_RESTORE];
	o = sim_set_timeline(o, r->now, "available", "creating", d - d / 5, "backing-up", d / 5,
			     (const char *)NULL);
	return o;
}

/* a snapshot of an instance, created now */
static jv new_snapshot(struct sim *s, struct sim_req *r, jv inst, const char *id, const char *type,
		       int64_t dur, const char *creating)
{
	char iso[40];
	jv o = jv_object();
	o = jv_object_set(o, jv_string("DBSnapshotIdentifier"), jv_string(id));
	o = jv_object_set(o, jv_string("DBInstanceIdentifier"), jvx_get(inst, "DBInstanceIdentifier"));
	o = jv_object_set(o, jv_string("SnapshotCreateTime"), jv_string(sim_iso(r->now, iso, sizeof(iso))));
	o = jv_object_set(o, jv_string("Engine"), jvx_get(inst, "Engine"));
	o = jv_object_set(o, jv_string("AllocatedStorage"), jv_number(jvx_num(inst, "AllocatedStorage", 100)));
	o = jv_object_set(o, jv_string("Port"), jv_number(5432));
	o = jv_object_set(o, jv_string("AvailabilityZone"), jvx_get(inst, "AvailabilityZone"));
	o = jv_object_set(o, jv_string("InstanceCreateTime"), jvx_get(inst, "InstanceCreateTime"));
	o = jv_object_set(o, jv_string("MasterUsername"), jvx_get(inst, "MasterUsername"));
	o = jv_object_set(o, jv_string("EngineVersion"), jvx_get(inst, "EngineVersion"));
	o = jv_object_set(o, jv_string("SnapshotType"), jv_string(type));
	o = jv_object_set(o, jv_string("StorageType"), jv_string("gp3"));
	o = jv_object_set(o, jv_string("Encrypted"), jv_true());
	o = jv_object_set(o, jv_string("DBSnapshotArn"), arn_for(s, "snapshot", id));
	o = jv_object_set(o, jv_string("TagList"), sim_q_tags(r, "Tags"));
	o = jv_object_set(o, jv_string("_class"), jvx_get(inst, "DBInstanceClass"));
	/* the database inside: a restore from the snapshot has it (DBSnapshot shows no DBName) */
	if (jvx_str(inst, "DBName"))
		o = jv_object_set(o, jv_string("_db_name"), jvx_get(inst, "DBName"));
	o = jv_object_set(o, jv_string("_started"), jv_number((double)r->now));
	o = sim_set_timeline(o, r->now, "available", creating, dur, (const char *)NULL);
	return o;
}

/* ------------------------------------------------------------------ operations */

static int op_describe_instances(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	sim_rds_gc(s, r->now);
	const char *id = sim_q_str(r, "DBInstanceIdentifier");
	if (id) {
		id = sim_rds_arn_name(id, "db");
		if (inst_find(s, id) < 0)
			return not_found_inst(r, o, id);
	}
	sim_q_begin(r, o);
	berr |= buf_adds(&o->body, "<DBInstances>");
	SIM_EACH(jv_copy(s->rds_instances), i, inst) {
		const char *iid = jvx_str(inst, "DBInstanceIdentifier");
		if (!id || !strcmp(iid, id)) {
			jv v = inst_view(inst, r->now);
			sim_xml_jv(&o->body, "DBInstance", v);
			jv_free(v);
		}
		jv_free(inst);
	}
	berr |= buf_adds(&o->body, "</DBInstances>");
	BUF_NOCAP(berr);
	sim_q_end(r, o);
	return 0;
}

static int op_describe_snapshots(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	sim_rds_gc(s, r->now);
	const char *inst = sim_q_str(r, "DBInstanceIdentifier");
	const char *id = sim_q_str(r, "DBSnapshotIdentifier");
	const char *type = sim_q_str(r, "SnapshotType");
	if (id && sim_rds_snap_find(s, id) < 0)
		return sim_rds_not_found_snap(r, o, id);
	if (inst)
		inst = sim_rds_arn_name(inst, "db");
	if (id)
		id = sim_rds_arn_name(id, "snapshot");
	sim_q_begin(r, o);
	berr |= buf_adds(&o->body, "<DBSnapshots>");
	SIM_EACH(jv_copy(s->rds_snapshots), i, snap) {
		const char *sid = jvx_str(snap, "DBSnapshotIdentifier");
		const char *siid = jvx_str(snap, "DBInstanceIdentifier");
		const char *st = jvx_str(snap, "SnapshotType");
		if ((!id || !strcmp(sid, id)) && (!inst || (siid && !strcmp(siid, inst))) &&
		    (!type || (st && !strcmp(st, type)))) {
			jv v = snap_view(snap, r->now);
			sim_xml_jv(&o->body, "DBSnapshot", v);
			jv_free(v);
		}
		jv_free(snap);
	}
	berr |= buf_adds(&o->body, "</DBSnapshots>");
	BUF_NOCAP(berr);
	sim_q_end(r, o);
	return 0;
}

static int op_describe_automated_backups(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	sim_rds_gc(s, r->now);
	const char *id = sim_q_str(r, "DBInstanceIdentifier");
	char iso[40];
	sim_q_begin(r, o);
	berr |= buf_adds(&o->body, "<DBInstanceAutomatedBackups>");
	SIM_EACH(jv_copy(s->rds_instances), i, inst) {
		const char *iid = jvx_str(inst, "DBInstanceIdentifier");
		if ((!id || !strcmp(iid, id)) && jvx_int(inst, "BackupRetentionPeriod", 0) > 0) {
			berr |= buf_adds(&o->body, "<DBInstanceAutomatedBackup>");
			sim_xml_elem(&o->body, "DBInstanceArn", jvx_str(inst, "DBInstanceArn"));
			sim_xml_elem(&o->body, "DbiResourceId", jvx_str(inst, "DbiResourceId"));
			sim_xml_elem(&o->body, "Region", s->region);
			sim_xml_elem(&o->body, "DBInstanceIdentifier", iid);
			berr |= buf_adds(&o->body, "<RestoreWindow>");
			sim_xml_elem(&o->body, "EarliestTime",
				 sim_iso((int64_t)jvx_num(inst, "_earliest", (double)r->now), iso, sizeof(iso)));
			sim_xml_elem(&o->body, "LatestTime", sim_iso(r->now - LATEST_LAG_MS, iso, sizeof(iso)));
			berr |= buf_adds(&o->body, "</RestoreWindow>");
			sim_xml_elem(&o->body, "Status", "active");
			sim_xml_elem(&o->body, "Engine", jvx_str(inst, "Engine"));
			sim_xml_elem(&o->body, "EngineVersion", jvx_str(inst, "EngineVersion"));
			sim_xml_elemf(&o->body, "BackupRetentionPeriod", "%lld",
				  (long long)jvx_int(inst, "BackupRetentionPeriod", 0));
			sim_xml_elemf(&o->body, "AllocatedStorage", "%lld",
				  (long long)jvx_int(inst, "AllocatedStorage", 0));
			sim_xml_elem(&o->body, "InstanceCreateTime", jvx_str(inst, "InstanceCreateTime"));
			berr |= buf_adds(&o->body, "</DBInstanceAutomatedBackup>");
		}
		jv_free(inst);
	}
	berr |= buf_adds(&o->body, "</DBInstanceAutomatedBackups>");
	BUF_NOCAP(berr);
	sim_q_end(r, o);
	return 0;
}

static int op_create_snapshot(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *sid = sim_q_need(r, o, "DBSnapshotIdentifier");
	const char *iid = sid ? sim_q_need(r, o, "DBInstanceIdentifier") : NULL;
	if (!sid || !iid)
		return 0;
	int ix = inst_find(s, iid);
	if (ix < 0)
		return not_found_inst(r, o, iid);
	if (sim_rds_snap_find(s, sid) >= 0)
		return sim_error(r, o, 400, "DBSnapshotAlreadyExists",
				 "Cannot create the snapshot because a snapshot with the identifier %s already exists.", sid);
	jv inst = sim_rds_get(s->rds_instances, ix);
	const char *st = sim_status(inst, r->now);
	if (!st || strcmp(st, "available")) {
		sim_error(r, o, 400, "InvalidDBInstanceState",
			  "Cannot create a snapshot because the database instance %s is not currently in the available state (it is %s).",
			  iid, st ? st : "unknown");
		jv_free(inst);
		return 0;
	}
	jv snap = new_snapshot(s, r, inst, sid, "manual", s->dur[DUR_SNAPSHOT], "creating");
	inst = sim_set_timeline(inst, r->now, "available", "backing-up", s->dur[DUR_SNAPSHOT],
				(const char *)NULL);
	s->rds_instances = jv_array_set(s->rds_instances, ix, inst);
	s->rds_snapshots = jv_array_append(s->rds_snapshots, jv_copy(snap));
	reply_snapshot(s, r, o, snap);
	return 0;
}

static int op_restore_from_snapshot(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *id = sim_q_need(r, o, "DBInstanceIdentifier");
	const char *sid = id ? sim_q_need(r, o, "DBSnapshotIdentifier") : NULL;
	if (!id || !sid)
		return 0;
	if (inst_find(s, id) >= 0)
		return sim_error(r, o, 400, "DBInstanceAlreadyExists", "DB instance already exists");
	if (groups_check(s, r, o) < 0)
		return 0;
	int sx = sim_rds_snap_find(s, sid);
	if (sx < 0)
		return sim_rds_not_found_snap(r, o, sid);
	jv snap = sim_rds_get(s->rds_snapshots, sx);
	const char *st = sim_status(snap, r->now);
	if (!st || strcmp(st, "available")) {
		sim_error(r, o, 400, "InvalidDBSnapshotState",
			  "Snapshot %s is not in available state (it is %s).", sid, st ? st : "unknown");
		jv_free(snap);
		return 0;
	}
	jv inst = new_instance(s, r, id, snap);
	jv_free(snap);
	s->rds_instances = jv_array_append(s->rds_instances, jv_copy(inst));
	reply_instance(s, r, o, inst);
	return 0;
}

static int op_restore_pitr(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *src = sim_q_str(r, "SourceDBInstanceIdentifier");
	const char *id = sim_q_need(r, o, "TargetDBInstanceIdentifier");
	if (!id)
		return 0;
	if (!src)
		return sim_error(r, o, 400, "InvalidParameterCombination",
				 "SourceDBInstanceIdentifier or SourceDbiResourceId must be specified");
	src = sim_rds_arn_name(src, "db");
	int sx = inst_find(s, src);
	if (sx < 0)
		return not_found_inst(r, o, src);
	if (inst_find(s, id) >= 0)
		return sim_error(r, o, 400, "DBInstanceAlreadyExists", "DB instance already exists");
	if (groups_check(s, r, o) < 0)
		return 0;
	jv source = sim_rds_get(s->rds_instances, sx);
	int64_t earliest = (int64_t)jvx_num(source, "_earliest", (double)r->now);
	int64_t latest = r->now - LATEST_LAG_MS;
	const char *rt = sim_q_str(r, "RestoreTime");
	int use_latest = sim_q_bool(r, "UseLatestRestorableTime", 0);
	int64_t when = latest;
	char e1[40], e2[40];
	if (jvx_int(source, "BackupRetentionPeriod", 0) <= 0) {
		sim_error(r, o, 400, "PointInTimeRestoreNotEnabled",
			  "Point-in-time restore is not enabled for DB instance %s (backup retention is 0).", src);
		goto out;
	}
	if (rt && use_latest) {
		sim_error(r, o, 400, "InvalidParameterCombination",
			  "Cannot specify both RestoreTime and UseLatestRestorableTime.");
		goto out;
	}
	if (!rt && !use_latest) {
		sim_error(r, o, 400, "InvalidParameterCombination",
			  "Either RestoreTime or UseLatestRestorableTime must be specified.");
		goto out;
	}
	if (rt && ts_parse(rt, &when) < 0) {
		sim_error(r, o, 400, "InvalidParameterValue", "Invalid RestoreTime: %s", rt);
		goto out;
	}
	if (when < earliest || when > latest) {
		sim_error(r, o, 400, "InvalidRestoreFault",
			  "Restore time %s is not within the restorable window of %s: %s to %s.", rt ? rt : "",
			  src, sim_iso(earliest, e1, sizeof(e1)), sim_iso(latest, e2, sizeof(e2)));
		goto out;
	}
	jv inst = new_instance(s, r, id, source);
	inst = jv_object_set(inst, jv_string("_restore_time"), jv_number((double)when));
	s->rds_instances = jv_array_append(s->rds_instances, jv_copy(inst));
	reply_instance(s, r, o, inst);
out:
	jv_free(source);
	return 0;
}

static int op_modify(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	sim_rds_gc(s, r->now);
	const char *id = sim_q_need(r, o, "DBInstanceIdentifier");
	if (!id)
		return 0;
	int ix = inst_find(s, id);
	if (ix < 0)
		return not_found_inst(r, o, id);
	const char *nid = sim_q_str(r, "NewDBInstanceIdentifier");
	if (nid && !strcmp(nid, id))
		nid = NULL;
	if (nid && inst_find(s, nid) >= 0)
		return sim_error(r, o, 400, "DBInstanceAlreadyExists", "DB instance already exists");
	if (groups_check(s, r, o) < 0)
		return 0;
	jv inst = sim_rds_get(s->rds_instances, ix);
	const char *st = sim_status(inst, r->now);
	if (!st || (strcmp(st, "available") && strcmp(st, "backing-up"))) {
		sim_error(r, o, 400, "InvalidDBInstanceState",
			  "Database instance %s is not in available state (it is %s).", id, st ? st : "unknown");
		jv_free(inst);
		return 0;
	}
	int now_ = sim_q_bool(r, "ApplyImmediately", 0);
	const char *cls = sim_q_str(r, "DBInstanceClass");
	if (!now_) {
		/* applied in the next maintenance window, which the simulator never reaches */
		jv pend = jv_object_get(jv_copy(inst), jv_string("PendingModifiedValues"));
		if (cls)
			pend = jv_object_set(pend, jv_string("DBInstanceClass"), jv_string(cls));
		if (nid)
			pend = jv_object_set(pend, jv_string("DBInstanceIdentifier"), jv_string(nid));
		inst = jv_object_set(inst, jv_string("PendingModifiedValues"), pend);
		jv keep = jv_object_get(jv_copy(inst), jv_string("DBInstanceClass"));
		inst = apply_common(r, inst);
		inst = jv_object_set(inst, jv_string("DBInstanceClass"), keep);
	} else {
		inst = apply_common(r, inst);
		if (nid) {
			/* the endpoint follows the name when it was derived from it */
			jv ep = jv_object_get(jv_copy(inst), jv_string("Endpoint"));
			const char *addr = jvx_str(ep, "Address");
			size_t il = strlen(id);
			if (addr && !strncmp(addr, id, il) && addr[il] == '.') {
				struct buf b = BUF_INIT(0);
				berr |= buf_addf(&b, "%s%s", nid, addr + il);
				ep = jv_object_set(ep, jv_string("Address"), jv_string(buf_str(&b)));
				buf_release(&b);
			}
			inst = jv_object_set(inst, jv_string("Endpoint"), ep);
			inst = jv_object_set(inst, jv_string("DBInstanceIdentifier"), jv_string(nid));
			inst = jv_object_set(inst, jv_string("DBInstanceArn"), arn_for(s, "db", nid));
		}
		inst = sim_set_timeline(inst, r->now, "available", nid ? "renaming" : "modifying",
					s->dur[DUR_MODIFY], (const char *)NULL);
	}
	BUF_NOCAP(berr);
	s->rds_instances = jv_array_set(s->rds_instances, ix, jv_copy(inst));
	reply_instance(s, r, o, inst);
	return 0;
}

static int op_delete(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *id = sim_q_need(r, o, "DBInstanceIdentifier");
	if (!id)
		return 0;
	int ix = inst_find(s, id);
	if (ix < 0)
		return not_found_inst(r, o, id);
	jv inst = sim_rds_get(s->rds_instances, ix);
	const char *st = sim_status(inst, r->now);
	int skip = sim_q_bool(r, "SkipFinalSnapshot", 0);
	const char *final = sim_q_str(r, "FinalDBSnapshotIdentifier");
	if (st && !strcmp(st, "deleting")) {
		sim_error(r, o, 400, "InvalidDBInstanceState", "Instance %s is already being deleted.", id);
		goto out;
	}
	if (jvx_bool(inst, "DeletionProtection", 0)) {
		sim_error(r, o, 400, "InvalidParameterCombination",
			  "Cannot delete protected DB Instance, please disable deletion protection and try again.");
		goto out;
	}
	if (!skip && !final) {
		sim_error(r, o, 400, "InvalidParameterCombination",
			  "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.");
		goto out;
	}
	if (skip && final) {
		sim_error(r, o, 400, "InvalidParameterCombination",
			  "Cannot specify both SkipFinalSnapshot and FinalDBSnapshotIdentifier.");
		goto out;
	}
	if (final && sim_rds_snap_find(s, final) >= 0) {
		sim_error(r, o, 400, "DBSnapshotAlreadyExists",
			  "Cannot create the snapshot because a snapshot with the identifier %s already exists.", final);
		goto out;
	}
	int64_t gone = r->now + s->dur[DUR_DELETE];
	if (final)
		s->rds_snapshots = jv_array_append(s->rds_snapshots,
			new_snapshot(s, r, inst, final, "manual", s->dur[DUR_DELETE], "creating"));
	if (sim_q_bool(r, "DeleteAutomatedBackups", 1)) {
		jv out = jv_array();
		SIM_EACH(s->rds_snapshots, i, snap) {
			const char *t = jvx_str(snap, "SnapshotType"), *si = jvx_str(snap, "DBInstanceIdentifier");
			if (t && si && !strcmp(t, "automated") && !strcmp(si, id))
				snap = jv_object_set(snap, jv_string("_gone_at"), jv_number((double)gone));
			out = jv_array_append(out, snap);
		}
		s->rds_snapshots = out;
	}
	inst = sim_set_timeline(inst, r->now, "deleted", "deleting", s->dur[DUR_DELETE], (const char *)NULL);
	inst = jv_object_set(inst, jv_string("_gone_at"), jv_number((double)gone));
	s->rds_instances = jv_array_set(s->rds_instances, ix, jv_copy(inst));
	reply_instance(s, r, o, jv_copy(inst));
out:
	jv_free(inst);
	return 0;
}

static int op_promote(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *id = sim_q_need(r, o, "DBInstanceIdentifier");
	if (!id)
		return 0;
	int ix = inst_find(s, id);
	if (ix < 0)
		return not_found_inst(r, o, id);
	jv inst = sim_rds_get(s->rds_instances, ix);
	const char *src = jvx_str(inst, "ReadReplicaSourceDBInstanceIdentifier");
	const char *st = sim_status(inst, r->now);
	if (!src) {
		sim_error(r, o, 400, "InvalidDBInstanceState", "DB Instance %s is not a read replica.", id);
		jv_free(inst);
		return 0;
	}
	if (!st || strcmp(st, "available")) {
		sim_error(r, o, 400, "InvalidDBInstanceState",
			  "Database instance %s is not in available state (it is %s).", id, st ? st : "unknown");
		jv_free(inst);
		return 0;
	}
	jv *from = arr_of(s, src, offsetof(struct sim, rds_instances));
	int sx = sim_find(*from, "DBInstanceIdentifier", sim_rds_arn_name(src, "db"));
	if (sx >= 0) {
		jv p = sim_rds_get(*from, sx);
		jv out = jv_array();
		SIM_EACH(jv_object_get(jv_copy(p), jv_string("ReadReplicaDBInstanceIdentifiers")), i, rid) {
			if (strcmp(sim_rds_arn_name(jv_string_value(rid), "db"), id))
				out = jv_array_append(out, rid);
			else
				jv_free(rid);
		}
		p = jv_object_set(p, jv_string("ReadReplicaDBInstanceIdentifiers"), out);
		*from = jv_array_set(*from, sx, p);
	}
	inst = jv_object_delete(inst, jv_string("ReadReplicaSourceDBInstanceIdentifier"));
	const char *ret = sim_q_str(r, "BackupRetentionPeriod");
	if (ret)
		inst = jv_object_set(inst, jv_string("BackupRetentionPeriod"), jv_number(atoi(ret)));
	inst = jv_object_set(inst, jv_string("_earliest"), jv_number((double)r->now));
	inst = sim_set_timeline(inst, r->now, "available", "modifying", s->dur[DUR_PROMOTE], (const char *)NULL);
	s->rds_instances = jv_array_set(s->rds_instances, ix, jv_copy(inst));
	reply_instance(s, r, o, inst);
	return 0;
}

static int op_copy_snapshot(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *src = sim_q_need(r, o, "SourceDBSnapshotIdentifier");
	const char *dst = src ? sim_q_need(r, o, "TargetDBSnapshotIdentifier") : NULL;
	if (!src || !dst)
		return 0;
	/* a source in another region is named by its ARN (the CLI's --source-region signs it) */
	jv *from = arr_of(s, src, offsetof(struct sim, rds_snapshots));
	int sx = sim_find(*from, "DBSnapshotIdentifier", sim_rds_arn_name(src, "snapshot"));
	if (sx < 0)
		return sim_rds_not_found_snap(r, o, src);
	if (sim_rds_snap_find(s, dst) >= 0)
		return sim_error(r, o, 400, "DBSnapshotAlreadyExists",
				 "Cannot copy the snapshot because a snapshot with the identifier %s already exists.", dst);
	jv snap = sim_rds_get(*from, sx);
	const char *st = sim_status(snap, r->now);
	if (!st || strcmp(st, "available")) {
		sim_error(r, o, 400, "InvalidDBSnapshotState",
			  "Snapshot %s is not in available state (it is %s).", src, st ? st : "unknown");
		jv_free(snap);
		return 0;
	}
	jv copy = jv_copy(snap);
	copy = jv_object_set(copy, jv_string("DBSnapshotIdentifier"), jv_string(dst));
	copy = jv_object_set(copy, jv_string("DBSnapshotArn"), arn_for(s, "snapshot", dst));
	copy = jv_object_set(copy, jv_string("SnapshotType"), jv_string("manual"));
	copy = jv_object_set(copy, jv_string("SourceDBSnapshotIdentifier"), jvx_get(snap, "DBSnapshotArn"));
	char sregion[32];
	if (sim_arn_region(src, sregion, sizeof(sregion)) && strcmp(sregion, s->region))
		copy = jv_object_set(copy, jv_string("SourceRegion"), jv_string(sregion));
	char az[48];
	snprintf(az, sizeof(az), "%sa", s->region);
	copy = jv_object_set(copy, jv_string("AvailabilityZone"), jv_string(az));
	jv tags = sim_q_bool(r, "CopyTags", 0) ? jvx_get(snap, "TagList") : jv_array();
	copy = jv_object_set(copy, jv_string("TagList"), tags_merge(tags, sim_q_tags(r, "Tags")));
	copy = jv_object_delete(copy, jv_string("_gone_at"));
	copy = jv_object_set(copy, jv_string("_started"), jv_number((double)r->now));
	copy = sim_set_timeline(copy, r->now, "available", "copying", s->dur[DUR_COPY_SNAPSHOT],
				(const char *)NULL);
	jv_free(snap);
	s->rds_snapshots = jv_array_append(s->rds_snapshots, jv_copy(copy));
	reply_snapshot(s, r, o, copy);
	return 0;
}

static int op_create_read_replica(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *id = sim_q_need(r, o, "DBInstanceIdentifier");
	const char *src = id ? sim_q_need(r, o, "SourceDBInstanceIdentifier") : NULL;
	if (!id || !src)
		return 0;
	const char *sname = sim_rds_arn_name(src, "db");
	char sregion[32];
	int cross = sim_arn_region(src, sregion, sizeof(sregion)) && strcmp(sregion, s->region);
	jv *from = arr_of(s, src, offsetof(struct sim, rds_instances));
	int sx = sim_find(*from, "DBInstanceIdentifier", sname);
	if (sx < 0)
		return not_found_inst(r, o, src);
	if (inst_find(s, id) >= 0)
		return sim_error(r, o, 400, "DBInstanceAlreadyExists", "DB instance already exists");
	if (groups_check(s, r, o) < 0)
		return 0;
	jv source = sim_rds_get(*from, sx);
	const char *st = sim_status(source, r->now);
	if (!st || (strcmp(st, "available") && strcmp(st, "backing-up") && strcmp(st, "modifying"))) {
		sim_error(r, o, 400, "InvalidDBInstanceState",
			  "Database instance %s is not in available state (it is %s).", sname, st ? st : "unknown");
		jv_free(source);
		return 0;
	}
	if (jvx_int(source, "BackupRetentionPeriod", 0) <= 0) {
		sim_error(r, o, 400, "InvalidDBInstanceState",
			  "Automated backups are not enabled for this database instance. To enable automated "
			  "backups, use ModifyDBInstance to set the backup retention period to a non-zero value.");
		jv_free(source);
		return 0;
	}
	jv inst = new_instance(s, r, id, source);
	inst = jv_object_set(inst, jv_string("BackupRetentionPeriod"), jv_number(0));
	/* across regions each side names the other by its ARN, as AWS shows them */
	inst = jv_object_set(inst, jv_string("ReadReplicaSourceDBInstanceIdentifier"),
			     cross ? jvx_get(source, "DBInstanceArn") : jv_string(sname));
	jv list = jv_object_get(jv_copy(source), jv_string("ReadReplicaDBInstanceIdentifiers"));
	if (jv_get_kind(list) != JV_KIND_ARRAY) {
		jv_free(list);
		list = jv_array();
	}
	list = jv_array_append(list, cross ? jvx_get(inst, "DBInstanceArn") : jv_string(id));
	source = jv_object_set(source, jv_string("ReadReplicaDBInstanceIdentifiers"), list);
	*from = jv_array_set(*from, sx, source);
	s->rds_instances = jv_array_append(s->rds_instances, jv_copy(inst));
	reply_instance(s, r, o, inst);
	return 0;
}

/* ------------------------------------------------------------------ DB subnet groups */

jv sim_rds_subnet_group(struct sim *s, const char *name, const char *desc, const char *vpc, jv subnets);

static int subnet_group_not_found(struct sim_req *r, struct sim_resp *o, const char *name)
{
	return sim_error(r, o, 404, "DBSubnetGroupNotFoundFault", "DBSubnetGroup '%s' not found.", name);
}

static int op_create_subnet_group(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	const char *name = sim_q_need(r, o, "DBSubnetGroupName");
	const char *desc = name ? sim_q_need(r, o, "DBSubnetGroupDescription") : NULL;
	if (!name || !desc)
		return 0;
	if (sim_find(s->rds_subnet_groups, "DBSubnetGroupName", name) >= 0)
		return sim_error(r, o, 400, "DBSubnetGroupAlreadyExists",
				 "The DB subnet group '%s' already exists.", name);
	jv ids = sim_q_list(r, "SubnetIds");
	if (jv_array_length(jv_copy(ids)) == 0) {
		jv_free(ids);
		return sim_error(r, o, 400, "MissingParameter", "The request must contain the parameter SubnetIds");
	}
	jv g = sim_rds_subnet_group(s, name, desc, NULL, ids);
	s->rds_subnet_groups = jv_array_append(s->rds_subnet_groups, jv_copy(g));
	if (jv_get_kind(s->rds_known_subnet_groups) == JV_KIND_OBJECT)
		s->rds_known_subnet_groups = jv_object_set(s->rds_known_subnet_groups, jv_string(name), jv_true());
	sim_q_begin(r, o);
	sim_xml_jv(&o->body, "DBSubnetGroup", g);
	jv_free(g);
	sim_q_end(r, o);
	return 0;
}

static int op_describe_subnet_groups(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	const char *name = sim_q_str(r, "DBSubnetGroupName");
	if (name && sim_find(s->rds_subnet_groups, "DBSubnetGroupName", name) < 0)
		return subnet_group_not_found(r, o, name);
	sim_q_begin(r, o);
	berr |= buf_adds(&o->body, "<DBSubnetGroups>");
	SIM_EACH(jv_copy(s->rds_subnet_groups), i, g) {
		if (!name || !strcmp(jvx_str(g, "DBSubnetGroupName"), name))
			sim_xml_jv(&o->body, "DBSubnetGroup", g);
		jv_free(g);
	}
	berr |= buf_adds(&o->body, "</DBSubnetGroups>");
	BUF_NOCAP(berr);
	sim_q_end(r, o);
	return 0;
}

static int op_delete_subnet_group(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *name = sim_q_need(r, o, "DBSubnetGroupName");
	if (!name)
		return 0;
	int gx = sim_find(s->rds_subnet_groups, "DBSubnetGroupName", name);
	if (gx < 0)
		return subnet_group_not_found(r, o, name);
	if (!strcmp(name, "default"))
		return sim_error(r, o, 400, "InvalidParameterValue", "Cannot delete default subnet group");
	int used = 0;
	SIM_EACH(jv_copy(s->rds_instances), i, inst) {
		jv g = jvx_get(inst, "DBSubnetGroup");
		const char *n = jvx_str(g, "DBSubnetGroupName");
		used |= n && !strcmp(n, name);
		jv_free(g);
		jv_free(inst);
	}
	if (used)
		return sim_error(r, o, 400, "InvalidDBSubnetGroupStateFault",
				 "Cannot delete the subnet group '%s' because at least one database instance is still using it.",
				 name);
	jv out = jv_array();
	SIM_EACH(s->rds_subnet_groups, i, g) {
		if (i == gx)
			jv_free(g);
		else
			out = jv_array_append(out, g);
	}
	s->rds_subnet_groups = out;
	if (jv_get_kind(s->rds_known_subnet_groups) == JV_KIND_OBJECT)
		s->rds_known_subnet_groups = jv_object_delete(s->rds_known_subnet_groups, jv_string(name));
	sim_q_begin(r, o);
	sim_q_end(r, o);
	return 0;
}

/* ARN -> (array, index) of a db or snapshot; -1 with the error set */
static int resource_of(struct sim *s, struct sim_req *r, struct sim_resp *o, const char *arn, jv **arr)
{
	const char *n = sim_rds_arn_name(arn, "db");
	if (n != arn) {
		*arr = &s->rds_instances;
		int ix = inst_find(s, n);
		if (ix < 0)
			not_found_inst(r, o, n);
		return ix;
	}
	n = sim_rds_arn_name(arn, "snapshot");
	if (n != arn) {
		*arr = &s->rds_snapshots;
		int ix = sim_rds_snap_find(s, n);
		if (ix < 0)
			sim_rds_not_found_snap(r, o, n);
		return ix;
	}
	sim_error(r, o, 400, "InvalidParameterValue", "Invalid resource name: %s", arn);
	return -1;
}

static int op_add_tags(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *arn = sim_q_need(r, o, "ResourceName");
	if (!arn)
		return 0;
	jv *arr;
	int ix = resource_of(s, r, o, arn, &arr);
	if (ix < 0)
		return 0;
	jv res = sim_rds_get(*arr, ix);
	jv tags = jv_object_get(jv_copy(res), jv_string("TagList"));
	res = jv_object_set(res, jv_string("TagList"), tags_merge(tags, sim_q_tags(r, "Tags")));
	*arr = jv_array_set(*arr, ix, res);
	sim_q_begin(r, o);
	sim_q_end(r, o);
	return 0;
}

static int op_remove_tags(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	sim_rds_gc(s, r->now);
	const char *arn = sim_q_need(r, o, "ResourceName");
	if (!arn)
		return 0;
	jv *arr;
	int ix = resource_of(s, r, o, arn, &arr);
	if (ix < 0)
		return 0;
	jv res = sim_rds_get(*arr, ix);
	jv keys = sim_q_list(r, "TagKeys");
	jv out = jv_array();
	SIM_EACH(jv_object_get(jv_copy(res), jv_string("TagList")), i, t) {
		int drop = 0;
		SIM_EACH(jv_copy(keys), k, key) {
			const char *tk = jvx_str(t, "Key");
			drop |= tk && !strcmp(tk, jv_string_value(key));
			jv_free(key);
		}
		if (drop)
			jv_free(t);
		else
			out = jv_array_append(out, t);
	}
	jv_free(keys);
	*arr = jv_array_set(*arr, ix, jv_object_set(res, jv_string("TagList"), out));
	sim_q_begin(r, o);
	sim_q_end(r, o);
	return 0;
}

static int op_list_tags(struct sim *s, struct sim_req *r, struct sim_resp *o)
{
	int berr = 0;
	sim_rds_gc(s, r->now);
	const char *arn = sim_q_need(r, o, "ResourceName");
	if (!arn)
		return 0;
	jv *arr;
	int ix = resource_of(s, r, o, arn, &arr);
	if (ix < 0)
		return 0;
	jv res = sim_rds_get(*arr, ix);
	jv tags = jv_object_get(res, jv_string("TagList"));
	sim_q_begin(r, o);
	if (jv_get_kind(tags) == JV_KIND_ARRAY)
		sim_xml_jv(&o->body, "TagList", tags);
	else
		berr |= buf_adds(&o->body, "<TagList/>");
	BUF_NOCAP(berr);
	jv_free(tags);
	sim_q_end(r, o);
	return 0;
}

const struct sim_op sim_rds_ops[] = {
	{ "DescribeDBInstances", 0, op_describe_instances },
	{ "DescribeDBSnapshots", 0, op_describe_snapshots },
	{ "DescribeDBInstanceAutomatedBackups", 0, op_describe_automated_backups },
	{ "CreateDBSnapshot", 1, op_create_snapshot },
	{ "RestoreDBInstanceFromDBSnapshot", 1, op_restore_from_snapshot },
	{ "RestoreDBInstanceToPointInTime", 1, op_restore_pitr },
	{ "ModifyDBInstance", 1, op_modify },
	{ "DeleteDBInstance", 1, op_delete },
	{ "PromoteReadReplica", 1, op_promote },
	{ "CopyDBSnapshot", 1, op_copy_snapshot },
	{ "CreateDBInstanceReadReplica", 1, op_create_read_replica },
	{ "CreateDBSubnetGroup", 1, op_create_subnet_group },
	{ "DescribeDBSubnetGroups", 0, op_describe_subnet_groups },
	{ "DeleteDBSubnetGroup", 1, op_delete_subnet_group },
	{ "AddTagsToResource", 1, op_add_tags },
	{ "RemoveTagsFromResource", 1, op_remove_tags },
	{ "ListTagsForResource", 0, op_list_tags },
	{ "StartExportTask", 1, sim_rds_op_start_export },
	{ "DescribeExportTasks", 0, sim_rds_op_describe_exports },
	{ "CancelExportTask", 1, sim_rds_op_cancel_export },
	{ NULL, 0, NULL },
};
