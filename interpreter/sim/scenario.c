/* scenario.c — scenario files (YAML via core/yamljv, documented in runbook-scenario(5)) into
 * the simulator's world (the helpers its objects share are in world.c).
 *
 * Time values in a scenario are RFC 3339 timestamps, "now", or a duration relative to
 * the moment the scenario is loaded ("-2h", "+10m"). Durations use core/dur.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "simint.h"
#include "../core/yamljv.h"
#include "../core/bug.h"
#include "../core/dur.h"
#include "../core/jvx.h"

/* Sources of loaded scenarios stay reachable for the process's life: diagnostics point
 * into them after sim_start has returned. */
static struct source_list sc_sources;
static pthread_mutex_t sc_sources_lock = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------------ YAML -> jv */

struct sc {
	struct sim *s;
	const struct source *src;
	struct diag_list *dl;
};

/* a scenario is small: more values than this is an alias bomb; nesting deeper than
 * this is refused as the parser meets it (libyaml's scanner is quadratic in the depth
 * of flow collections: "[[[[..." of 100000 took minutes) */
static const struct yamljv_limits sc_limits = {
	.what = "the scenario", .max_depth = 64, .max_values = 1000000L,
};

/* Accessors of a validated scenario (scenario_rules.c checked every key, type and range
 * first): a value of another type than expected cannot arrive, and reads as the default. */

static const char *sc_str(struct sc *c, jv obj, const char *key, const char *def, int required)
{
	const char *v = jvx_str(obj, key);
	(void)c;
	(void)required;
	return v ? v : def;
}

static double sc_num(struct sc *c, jv obj, const char *key, double def)
{
	(void)c;
	return jvx_num(obj, key, def);
}

static int sc_bool(struct sc *c, jv obj, const char *key, int def)
{
	(void)c;
	return jvx_bool(obj, key, def);
}

static int64_t sc_dur(struct sc *c, jv obj, const char *key, int64_t def)
{
	const char *v = sc_str(c, obj, key, NULL, 0);
	int64_t ms;
	return v && dur_parse(v, &ms) == 0 ? ms : def;
}

/* RFC 3339, "now", or "-DURATION" / "+DURATION" from the load time */
static int64_t sc_time(struct sc *c, jv obj, const char *key, int64_t def)
{
	const char *v = sc_str(c, obj, key, NULL, 0);
	int64_t ms;
	if (!v)
		return def;
	if (!strcmp(v, "now"))
		return c->s->start_ms;
	if ((v[0] == '-' || v[0] == '+') && dur_parse(v + 1, &ms) == 0)
		return c->s->start_ms + (v[0] == '-' ? -ms : ms);
	return ts_parse(v, &ms) == 0 ? ms : def;
}

/* the value under key if it is of kind k, else empty (both consumed) */
static jv sc_of(jv obj, const char *key, jv_kind k, jv empty)
{
	jv v = jvx_get(obj, key);
	if (jv_get_kind(v) == k) {
		jv_free(empty);
		return v;
	}
	jv_free(v);
	return empty;
}

/* the maps of the list under key (absent = empty) */
static jv sc_list(struct sc *c, jv obj, const char *key)
{
	jv out = jv_array();
	(void)c;
	SIM_EACH(sc_of(obj, key, JV_KIND_ARRAY, jv_array()), i, el) {
		if (jv_get_kind(el) == JV_KIND_OBJECT)
			out = jv_array_append(out, el);
		else
			jv_free(el);
	}
	return out;
}

static jv sc_map(struct sc *c, jv obj, const char *key)
{
	(void)c;
	return sc_of(obj, key, JV_KIND_OBJECT, jv_object());
}

/* {k: v} -> [{Key, Value}] */
static jv sc_tags(struct sc *c, jv obj)
{
	jv m = sc_map(c, obj, "tags");
	jv out = jv_array();
	SIM_OBJ_EACH(m, k, v) {
		if (strncmp(jv_string_value(k), "__", 2)) {
			char *text = jv_get_kind(v) == JV_KIND_STRING ? NULL : jvx_text(jv_copy(v));
			jv val = text ? jv_string(text) : jv_copy(v);
			free(text);
			out = jv_array_append(out, JV_OBJECT(jv_string("Key"), jv_copy(k),
							     jv_string("Value"), val));
		}
		jv_free(k);
		jv_free(v);
	}
	return out;
}

/* a string or a list of strings under key, as a list */
static jv sc_strings(struct sc *c, jv obj, const char *key)
{
	jv v = sc_of(obj, key, JV_KIND_STRING, jv_invalid());
	(void)c;
	return jv_is_valid(v) ? JV_ARRAY(v) : sc_of(obj, key, JV_KIND_ARRAY, jv_array());
}

/* o (consumed) with the timeline of in's status: (default available) and ready_in:
 * (available after that long) */
static jv sc_status(struct sc *c, jv in, jv o)
{
	const char *status = sc_str(c, in, "status", "available", 0);
	int64_t ready_in = sc_dur(c, in, "ready_in", 0);
	if (ready_in > 0)
		return sim_set_timeline(o, c->s->start_ms, "available", status, ready_in, (const char *)NULL);
	return sim_set_timeline(o, c->s->start_ms, status, (const char *)NULL);
}

/* a jv mutable free-text field as a malloc'd string, or NULL */
static jv str_or_null(const char *s)
{
	return s ? jv_string(s) : jv_null();
}

/* ------------------------------------------------------------------ world: RDS */

static jv rds_instance_from(struct sc *c, jv in)
{
	struct sim *s = c->s;
	const char *id = sc_str(c, in, "id", "unnamed", 1);
	char arn[512], iso[40];
	snprintf(arn, sizeof(arn), "arn:aws:rds:%s:%s:db:%s", s->region, s->account, id);
	jv ep = sc_map(c, in, "endpoint");
	jv endpoint = jvx_has(ep, "address") ? sim_endpoint_for(ep, id, "", 5432) :
		      sim_endpoint_for(s->new_endpoint, id, "", 5432);
	jv_free(ep);
	endpoint = jv_object_set(endpoint, jv_string("HostedZoneId"), jv_string("Z2R2ITUGPM61AM"));
	const char *engine = sc_str(c, in, "engine", "postgres", 0);
	int retention = (int)sc_num(c, in, "backup_retention", 7);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("DBInstanceIdentifier"), jv_string(id));
	o = jv_object_set(o, jv_string("DBInstanceClass"), jv_string(sc_str(c, in, "class", "db.r6g.large", 0)));
	o = jv_object_set(o, jv_string("Engine"), jv_string(engine));
	o = jv_object_set(o, jv_string("EngineVersion"),
			  jv_string(sc_str(c, in, "engine_version", !strcmp(engine, "mysql") ? "8.0.35" : "15.4", 0)));
	o = jv_object_set(o, jv_string("MasterUsername"), jv_string(sc_str(c, in, "master_username", "postgres", 0)));
	o = jv_object_set(o, jv_string("DBName"), str_or_null(sc_str(c, in, "db_name", NULL, 0)));
	o = jv_object_set(o, jv_string("Endpoint"), endpoint);
	o = jv_object_set(o, jv_string("AllocatedStorage"), jv_number(sc_num(c, in, "storage", 100)));
	o = jv_object_set(o, jv_string("InstanceCreateTime"),
			  jv_string(sim_iso(sc_time(c, in, "created", s->start_ms - 90LL * 86400000), iso, sizeof(iso))));
	o = jv_object_set(o, jv_string("PreferredBackupWindow"), jv_string("03:00-03:30"));
	o = jv_object_set(o, jv_string("BackupRetentionPeriod"), jv_number(retention));
	jv sgs = jv_array();
	jv sgin = sc_strings(c, in, "security_groups");
	SIM_EACH(sgin, i, g) {
		sgs = jv_array_append(sgs, JV_OBJECT(jv_string("VpcSecurityGroupId"), g,
						     jv_string("Status"), jv_string("active")));
	}
	o = jv_object_set(o, jv_string("VpcSecurityGroups"), sgs);
	o = jv_object_set(o, jv_string("DBParameterGroups"),
			  JV_ARRAY(JV_OBJECT(jv_string("DBParameterGroupName"),
					     jv_string(sc_str(c, in, "parameter_group", "default.postgres15", 0)),
					     jv_string("ParameterApplyStatus"), jv_string("in-sync"))));
	o = jv_object_set(o, jv_string("AvailabilityZone"),
			  jv_string(sc_str(c, in, "availability_zone", "us-east-1a", 0)));
	o = jv_object_set(o, jv_string("DBSubnetGroup"),
			  JV_OBJECT(jv_string("DBSubnetGroupName"),
				    jv_string(sc_str(c, in, "subnet_group", "default", 0)),
				    jv_string("SubnetGroupStatus"), jv_string("Complete")));
	o = jv_object_set(o, jv_string("PendingModifiedValues"), jv_object());
	o = jv_object_set(o, jv_string("MultiAZ"), jv_bool(sc_bool(c, in, "multi_az", 0)));
	o = jv_object_set(o, jv_string("AutoMinorVersionUpgrade"), jv_true());
	const char *src = sc_str(c, in, "read_replica_of", NULL, 0);
	if (src)
		o = jv_object_set(o, jv_string("ReadReplicaSourceDBInstanceIdentifier"), jv_string(src));
	o = jv_object_set(o, jv_string("ReadReplicaDBInstanceIdentifiers"), jv_array());
	o = jv_object_set(o, jv_string("PubliclyAccessible"), jv_bool(sc_bool(c, in, "publicly_accessible", 0)));
	o = jv_object_set(o, jv_string("StorageType"), jv_string("gp3"));
	o = jv_object_set(o, jv_string("DbInstancePort"), jv_number(0));
	o = jv_object_set(o, jv_string("StorageEncrypted"), jv_bool(sc_bool(c, in, "storage_encrypted", 1)));
	o = jv_object_set(o, jv_string("DeletionProtection"), jv_bool(sc_bool(c, in, "deletion_protection", 0)));
	o = jv_object_set(o, jv_string("DbiResourceId"), jv_string("db-SIMULATED"));
	o = jv_object_set(o, jv_string("DBInstanceArn"), jv_string(arn));
	o = jv_object_set(o, jv_string("TagList"), sc_tags(c, in));
	int64_t earliest = sc_time(c, in, "earliest_restorable",
				   s->start_ms - (int64_t)retention * 86400000);
	o = jv_object_set(o, jv_string("_earliest"), jv_number((double)earliest));
	o = sc_status(c, in, o);
	return o;
}

static jv rds_snapshot_from(struct sc *c, jv in, jv instances)
{
	struct sim *s = c->s;
	const char *id = sc_str(c, in, "id", "unnamed", 1);
	const char *inst = sc_str(c, in, "instance", "unknown", 1);
	int ix = sim_find(instances, "DBInstanceIdentifier", inst);
	jv src = ix >= 0 ? jv_array_get(jv_copy(instances), ix) : jv_object();
	char arn[512], iso[40];
	snprintf(arn, sizeof(arn), "arn:aws:rds:%s:%s:snapshot:%s", s->region, s->account, id);
	const char *type = sc_str(c, in, "type", !strncmp(id, "rds:", 4) ? "automated" : "manual", 0);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("DBSnapshotIdentifier"), jv_string(id));
	o = jv_object_set(o, jv_string("DBInstanceIdentifier"), jv_string(inst));
	o = jv_object_set(o, jv_string("SnapshotCreateTime"),
			  jv_string(sim_iso(sc_time(c, in, "created", s->start_ms - 86400000), iso, sizeof(iso))));
	o = jv_object_set(o, jv_string("Engine"),
			  jv_string(sc_str(c, in, "engine", jvx_str(src, "Engine") ? jvx_str(src, "Engine") : "postgres", 0)));
	o = jv_object_set(o, jv_string("AllocatedStorage"),
			  jv_number(sc_num(c, in, "storage", jvx_num(src, "AllocatedStorage", 100))));
	o = jv_object_set(o, jv_string("Port"), jv_number(5432));
	o = jv_object_set(o, jv_string("AvailabilityZone"), jv_string("us-east-1a"));
	o = jv_object_set(o, jv_string("InstanceCreateTime"),
			  jv_string(jvx_str(src, "InstanceCreateTime") ? jvx_str(src, "InstanceCreateTime") :
				    sim_iso(s->start_ms - 90LL * 86400000, iso, sizeof(iso))));
	o = jv_object_set(o, jv_string("MasterUsername"),
			  jv_string(sc_str(c, in, "master_username", jvx_str(src, "MasterUsername") ?
					   jvx_str(src, "MasterUsername") : "postgres", 0)));
	o = jv_object_set(o, jv_string("EngineVersion"),
			  jv_string(sc_str(c, in, "engine_version", jvx_str(src, "EngineVersion") ?
					   jvx_str(src, "EngineVersion") : "15.4", 0)));
	o = jv_object_set(o, jv_string("SnapshotType"), jv_string(type));
	if (jvx_str(src, "DBName"))
		o = jv_object_set(o, jv_string("_db_name"), jvx_get(src, "DBName"));
	o = jv_object_set(o, jv_string("PercentProgress"), jv_number(100));
	o = jv_object_set(o, jv_string("StorageType"), jv_string("gp3"));
	o = jv_object_set(o, jv_string("Encrypted"), jv_true());
	o = jv_object_set(o, jv_string("DBSnapshotArn"), jv_string(arn));
	o = jv_object_set(o, jv_string("TagList"), sc_tags(c, in));
	o = jv_object_set(o, jv_string("_class"),
			  jv_string(jvx_str(src, "DBInstanceClass") ? jvx_str(src, "DBInstanceClass") : "db.r6g.large"));
	o = sc_status(c, in, o);
	jv_free(src);
	return o;
}

/* a DB subnet group's output shape (also used by CreateDBSubnetGroup) */
jv sim_rds_subnet_group(struct sim *s, const char *name, const char *desc, const char *vpc, jv subnets);
jv sim_rds_subnet_group(struct sim *s, const char *name, const char *desc, const char *vpc, jv subnets)
{
	char arn[512];
	snprintf(arn, sizeof(arn), "arn:aws:rds:%s:%s:subgrp:%s", s->region, s->account, name);
	jv sub = jv_array();
	SIM_EACH(subnets, i, id) {
		char az[48];
		snprintf(az, sizeof(az), "%s%c", s->region, 'a' + i % 3);
		sub = jv_array_append(sub, JV_OBJECT(jv_string("SubnetIdentifier"), id,
			jv_string("SubnetAvailabilityZone"), JV_OBJECT(jv_string("Name"), jv_string(az)),
			jv_string("SubnetStatus"), jv_string("Active")));
	}
	return JV_OBJECT(jv_string("DBSubnetGroupName"), jv_string(name),
			 jv_string("DBSubnetGroupDescription"), jv_string(desc ? desc : name),
			 jv_string("VpcId"), jv_string(vpc ? vpc : "vpc-0sim0000000000001"),
			 jv_string("SubnetGroupStatus"), jv_string("Complete"),
			 jv_string("Subnets"), sub,
			 jv_string("DBSubnetGroupArn"), jv_string(arn));
}

/* the group names of rds: a declared list makes others NotFound; without one, any name
 * is accepted and the subnet groups the instances name are listed */
static void load_rds_groups(struct sc *c, jv rds)
{
	struct sim *s = c->s;
	if (sim_find(s->rds_subnet_groups, "DBSubnetGroupName", "default") < 0)
		s->rds_subnet_groups = jv_array_append(s->rds_subnet_groups,
			sim_rds_subnet_group(s, "default", "default", NULL, jv_array()));
	if (jvx_has(rds, "subnet_groups")) {
		s->rds_known_subnet_groups = jv_object();
		SIM_EACH(sc_list(c, rds, "subnet_groups"), i, in) {
			const char *name = sc_str(c, in, "name", "unnamed", 1);
			s->rds_known_subnet_groups = jv_object_set(s->rds_known_subnet_groups, jv_string(name), jv_true());
			if (strcmp(name, "default"))
				s->rds_subnet_groups = jv_array_append(s->rds_subnet_groups,
					sim_rds_subnet_group(s, name, sc_str(c, in, "description", NULL, 0),
							     sc_str(c, in, "vpc", NULL, 0), sc_strings(c, in, "subnets")));
			jv_free(in);
		}
	} else {
		SIM_EACH(jv_copy(s->rds_instances), i, o) {
			jv g = jvx_get(o, "DBSubnetGroup");
			const char *name = jvx_str(g, "DBSubnetGroupName");
			if (name && sim_find(s->rds_subnet_groups, "DBSubnetGroupName", name) < 0)
				s->rds_subnet_groups = jv_array_append(s->rds_subnet_groups,
					sim_rds_subnet_group(s, name, NULL, NULL, jv_array()));
			jv_free(g);
			jv_free(o);
		}
	}
	static const struct { const char *key; size_t off; } known[] = {
		{ "parameter_groups", offsetof(struct sim, rds_known_param_groups) },
		{ "security_groups", offsetof(struct sim, rds_known_security_groups) },
	};
	for (size_t k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
		if (!jvx_has(rds, known[k].key))
			continue;
		jv set = jv_object();
		SIM_EACH(sc_strings(c, rds, known[k].key), i, name) {
			set = jv_object_set(set, name, jv_true());
		}
		jv *slot = (jv *)((char *)s + known[k].off);
		jv_free(*slot);
		*slot = set;
	}
}

/* ------------------------------------------------------------------ world: Route 53 */

static void load_route53(struct sc *c, jv r53)
{
	struct sim *s = c->s;
	SIM_EACH(sc_list(c, r53, "hosted_zones"), i, in) {
		jv recs = jv_array();
		SIM_EACH(sc_list(c, in, "records"), j, rin) {
			jv rr = JV_OBJECT(jv_string("Name"), sim_r53_name(sc_str(c, rin, "name", "", 1)),
					  jv_string("Type"), jv_string(sc_str(c, rin, "type", "A", 1)));
			const char *set = sc_str(c, rin, "set_identifier", NULL, 0);
			if (set)
				rr = jv_object_set(rr, jv_string("SetIdentifier"), jv_string(set));
			if (jvx_has(rin, "weight"))
				rr = jv_object_set(rr, jv_string("Weight"), jv_number(sc_num(c, rin, "weight", 0)));
			jv alias = sc_map(c, rin, "alias");
			if (jvx_has(alias, "dns_name")) {
				rr = jv_object_set(rr, jv_string("AliasTarget"),
					JV_OBJECT(jv_string("HostedZoneId"), jv_string(sc_str(c, alias, "hosted_zone_id", "", 1)),
						  jv_string("DNSName"), sim_r53_name(sc_str(c, alias, "dns_name", "", 1)),
						  jv_string("EvaluateTargetHealth"),
						  jv_bool(sc_bool(c, alias, "evaluate_target_health", 0))));
			} else {
				jv vals = jv_array();
				SIM_EACH(sc_strings(c, rin, "values"), k, v) {
					vals = jv_array_append(vals, JV_OBJECT(jv_string("Value"), v));
				}
				rr = jv_object_set(rr, jv_string("TTL"), jv_number(sc_num(c, rin, "ttl", 300)));
				rr = jv_object_set(rr, jv_string("ResourceRecords"), vals);
			}
			jv_free(alias);
			recs = jv_array_append(recs, rr);
			jv_free(rin);
		}
		s->r53_zones = jv_array_append(s->r53_zones,
			sim_r53_zone_new(s, sc_str(c, in, "id", NULL, 0), sc_str(c, in, "name", "example.com", 1),
					 sc_bool(c, in, "private", 0), recs));
		jv_free(in);
	}
}

/* the section's endpoint: map, if it has an address, becomes the template of the
 * endpoints of what is created (*slot) */
static void sc_endpoint(struct sc *c, jv section, jv *slot)
{
	jv ep = sc_map(c, section, "endpoint");
	if (jvx_has(ep, "address")) {
		jv_free(*slot);
		*slot = ep;
	} else {
		jv_free(ep);
	}
}

static void load_rds(struct sc *c, jv rds)
{
	struct sim *s = c->s;
	sc_endpoint(c, rds, &s->new_endpoint);
	SIM_EACH(sc_list(c, rds, "instances"), i, in) {
		jv o = rds_instance_from(c, in);
		s->rds_instances = jv_array_append(s->rds_instances, o);
		jv_free(in);
	}
	/* read replicas: list them on their sources */
	SIM_EACH(jv_copy(s->rds_instances), i, o) {
		const char *src = jvx_str(o, "ReadReplicaSourceDBInstanceIdentifier");
		if (src) {
			int ix = sim_find(s->rds_instances, "DBInstanceIdentifier", src);
			if (ix >= 0) {
				jv p = jv_array_get(jv_copy(s->rds_instances), ix);
				jv l = jv_object_get(jv_copy(p), jv_string("ReadReplicaDBInstanceIdentifiers"));
				l = jv_array_append(l, jv_string(jvx_str(o, "DBInstanceIdentifier")));
				p = jv_object_set(p, jv_string("ReadReplicaDBInstanceIdentifiers"), l);
				s->rds_instances = jv_array_set(s->rds_instances, ix, p);
			}
		}
		jv_free(o);
	}
	SIM_EACH(sc_list(c, rds, "snapshots"), i, in) {
		jv o = rds_snapshot_from(c, in, s->rds_instances);
		s->rds_snapshots = jv_array_append(s->rds_snapshots, o);
		jv_free(in);
	}
	load_rds_groups(c, rds);
}

/* ------------------------------------------------------------------ world: ElastiCache */

/* a replication group's output shape (also used by CreateReplicationGroup) */
jv sim_ec_group_new(struct sim *s, const char *id, const char *desc, const char *node_type,
		    const char *engine_version, int nclusters, jv endpoint, int tls, int64_t created);

jv sim_ec_group_new(struct sim *s, const char *id, const char *desc, const char *node_type,
		    const char *engine_version, int nclusters, jv endpoint, int tls, int64_t created)
{
	char arn[512], iso[40], cid[300];
	snprintf(arn, sizeof(arn), "arn:aws:elasticache:%s:%s:replicationgroup:%s", s->region, s->account, id);
	jv members = jv_array(), nodes = jv_array();
	for (int i = 1; i <= nclusters; i++) {
		snprintf(cid, sizeof(cid), "%s-%03d", id, i);
		members = jv_array_append(members, jv_string(cid));
		nodes = jv_array_append(nodes,
			JV_OBJECT(jv_string("CacheClusterId"), jv_string(cid),
				  jv_string("CacheNodeId"), jv_string("0001"),
				  jv_string("PreferredAvailabilityZone"), jv_string(i % 2 ? "us-east-1a" : "us-east-1b"),
				  jv_string("CurrentRole"), jv_string(i == 1 ? "primary" : "replica")));
	}
	jv reader = jv_copy(endpoint);
	const char *addr = jvx_str(endpoint, "Address");
	if (addr && !strncmp(addr, "master.", 7)) {
		char ra[512];
		snprintf(ra, sizeof(ra), "replica.%s", addr + 7);
		reader = jv_object_set(reader, jv_string("Address"), jv_string(ra));
	}
	jv ng = JV_OBJECT(jv_string("NodeGroupId"), jv_string("0001"), jv_string("Status"), jv_string("available"),
			  jv_string("PrimaryEndpoint"), endpoint, jv_string("ReaderEndpoint"), reader,
			  jv_string("NodeGroupMembers"), nodes);
	jv o = jv_object();
	o = jv_object_set(o, jv_string("ReplicationGroupId"), jv_string(id));
	o = jv_object_set(o, jv_string("Description"), jv_string(desc));
	o = jv_object_set(o, jv_string("PendingModifiedValues"), jv_object());
	o = jv_object_set(o, jv_string("MemberClusters"), members);
	o = jv_object_set(o, jv_string("NodeGroups"), JV_ARRAY(ng));
	o = jv_object_set(o, jv_string("AutomaticFailover"), jv_string(nclusters > 1 ? "enabled" : "disabled"));
	o = jv_object_set(o, jv_string("MultiAZ"), jv_string(nclusters > 1 ? "enabled" : "disabled"));
	o = jv_object_set(o, jv_string("SnapshotRetentionLimit"), jv_number(7));
	o = jv_object_set(o, jv_string("SnapshotWindow"), jv_string("03:00-04:00"));
	o = jv_object_set(o, jv_string("ClusterEnabled"), jv_false());
	o = jv_object_set(o, jv_string("CacheNodeType"), jv_string(node_type));
	o = jv_object_set(o, jv_string("AuthTokenEnabled"), jv_false());
	o = jv_object_set(o, jv_string("TransitEncryptionEnabled"), jv_bool(tls));
	o = jv_object_set(o, jv_string("AtRestEncryptionEnabled"), jv_true());
	o = jv_object_set(o, jv_string("ARN"), jv_string(arn));
	o = jv_object_set(o, jv_string("ReplicationGroupCreateTime"), jv_string(sim_iso(created, iso, sizeof(iso))));
	o = jv_object_set(o, jv_string("AutoMinorVersionUpgrade"), jv_true());
	o = jv_object_set(o, jv_string("Engine"), jv_string("redis"));
	o = jv_object_set(o, jv_string("_engine_version"), jv_string(engine_version));
	return o;
}

static void load_elasticache(struct sc *c, jv ec)
{
	struct sim *s = c->s;
	sc_endpoint(c, ec, &s->new_cache_endpoint);
	SIM_EACH(sc_list(c, ec, "replication_groups"), i, in) {
		const char *id = sc_str(c, in, "id", "unnamed", 1);
		jv e = sc_map(c, in, "endpoint");
		jv endpoint = sim_endpoint_for(jvx_has(e, "address") ? e : s->new_cache_endpoint, id,
					       "", 6379);
		jv_free(e);
		jv o = sim_ec_group_new(s, id, sc_str(c, in, "description", id, 0),
					sc_str(c, in, "node_type", "cache.r6g.large", 0),
					sc_str(c, in, "engine_version", "7.0", 0),
					(int)sc_num(c, in, "num_clusters", 2), endpoint,
					sc_bool(c, in, "transit_encryption", 0),
					sc_time(c, in, "created", s->start_ms - 90LL * 86400000));
		o = sc_status(c, in, o);
		s->ec_groups = jv_array_append(s->ec_groups, o);
		jv_free(in);
	}
	SIM_EACH(sc_list(c, ec, "snapshots"), i, in) {
		const char *name = sc_str(c, in, "name", "unnamed", 1);
		const char *rg = sc_str(c, in, "replication_group", "unknown", 1);
		int ix = sim_find(s->ec_groups, "ReplicationGroupId", rg);
		jv g = ix >= 0 ? jv_array_get(jv_copy(s->ec_groups), ix) : jv_object();
		char arn[512], iso[40], size[32];
		snprintf(arn, sizeof(arn), "arn:aws:elasticache:%s:%s:snapshot:%s", s->region, s->account, name);
		snprintf(size, sizeof(size), "%.0f MB", sc_num(c, in, "size_mb", 512));
		int64_t created = sc_time(c, in, "created", s->start_ms - 86400000);
		jv o = jv_object();
		o = jv_object_set(o, jv_string("SnapshotName"), jv_string(name));
		o = jv_object_set(o, jv_string("ReplicationGroupId"), jv_string(rg));
		o = jv_object_set(o, jv_string("ReplicationGroupDescription"),
				  jv_string(jvx_str(g, "Description") ? jvx_str(g, "Description") : rg));
		o = jv_object_set(o, jv_string("SnapshotSource"), jv_string(sc_str(c, in, "source", "automated", 0)));
		o = jv_object_set(o, jv_string("CacheNodeType"),
				  jv_string(sc_str(c, in, "node_type", jvx_str(g, "CacheNodeType") ?
						   jvx_str(g, "CacheNodeType") : "cache.r6g.large", 0)));
		o = jv_object_set(o, jv_string("Engine"), jv_string("redis"));
		o = jv_object_set(o, jv_string("EngineVersion"),
				  jv_string(sc_str(c, in, "engine_version", jvx_str(g, "_engine_version") ?
						   jvx_str(g, "_engine_version") : "7.0", 0)));
		o = jv_object_set(o, jv_string("Port"), jv_number(6379));
		o = jv_object_set(o, jv_string("SnapshotRetentionLimit"), jv_number(7));
		o = jv_object_set(o, jv_string("NumNodeGroups"), jv_number(1));
		o = jv_object_set(o, jv_string("AutomaticFailover"), jv_string("enabled"));
		o = jv_object_set(o, jv_string("NodeSnapshots"),
				  JV_ARRAY(JV_OBJECT(jv_string("NodeGroupId"), jv_string("0001"),
						     jv_string("CacheSize"), jv_string(size),
						     jv_string("SnapshotCreateTime"),
						     jv_string(sim_iso(created, iso, sizeof(iso))))));
		o = jv_object_set(o, jv_string("ARN"), jv_string(arn));
		o = sc_status(c, in, o);
		s->ec_snapshots = jv_array_append(s->ec_snapshots, o);
		jv_free(g);
		jv_free(in);
	}
}

/* ------------------------------------------------------------------ world: S3 */

static void load_s3(struct sc *c, jv s3)
{
	struct sim *s = c->s;
	SIM_EACH(sc_list(c, s3, "buckets"), i, in) {
		const char *name = sc_str(c, in, "name", "unnamed", 1);
		struct s3_bucket *b = sim_s3_bucket_add(s, name, sc_time(c, in, "created", s->start_ms - 365LL * 86400000));
		const char *ver = sc_str(c, in, "versioning", "Enabled", 0);
		if (!strcmp(ver, "Enabled"))
			b->versioning = 1;
		else if (!strcmp(ver, "Suspended"))
			b->versioning = 2;
		else
			b->versioning = 0;           /* none, Disabled */
		SIM_EACH(sc_list(c, in, "objects"), j, obj) {
			const char *key = sc_str(c, obj, "key", "unnamed", 1);
			jv vers = sc_list(c, obj, "versions");
			if (jv_array_length(jv_copy(vers)) == 0)
				vers = jv_array_append(vers, jv_copy(obj));
			int nv = jv_array_length(jv_copy(vers));
			SIM_EACH(vers, k, v) {
				int dm = sc_bool(c, v, "delete_marker", 0);
				const char *body = sc_str(c, v, "body", NULL, 0);
				size_t len = body ? strlen(body) : (size_t)sc_num(c, v, "size", 0);
				char *gen = NULL;
				if (!body && !dm) {
					/* deterministic filler of the requested size */
					gen = xmalloc(len + 1);
					for (size_t x = 0; x < len; x++)
						gen[x] = (char)('a' + (x * 7 + (size_t)k) % 26);
					gen[len] = 0;
					body = gen;
				}
				int64_t mtime = sc_time(c, v, "modified", s->start_ms - (int64_t)(nv - k) * 86400000);
				sim_s3_put(s, b, key, dm ? NULL : body, dm ? 0 : len,
				       sc_str(c, v, "content_type", "binary/octet-stream", 0), dm,
				       sc_str(c, v, "version_id", NULL, 0), mtime);
				free(gen);
				jv_free(v);
			}
			jv_free(obj);
		}
		jv_free(in);
	}
}

/* ------------------------------------------------------------------ world: secrets */

static void load_secrets(struct sc *c, jv list)
{
	struct sim *s = c->s;
	SIM_EACH(list, i, in) {     /* maps only (sc_list) */
		const char *name = sc_str(c, in, "name", "unnamed", 1);
		char arn[512];
		/* AWS appends 6 random characters to a secret's ARN */
		snprintf(arn, sizeof(arn), "arn:aws:secretsmanager:%s:%s:secret:%s-%06llx", s->region,
			 s->account, name, (unsigned long long)(jv_string_hash(jv_string(name)) & 0xffffff));
		int64_t created = sc_time(c, in, "created", s->start_ms - 180LL * 86400000);
		jv o = jv_object();
		o = jv_object_set(o, jv_string("ARN"), jv_string(arn));
		o = jv_object_set(o, jv_string("Name"), jv_string(name));
		const char *desc = sc_str(c, in, "description", NULL, 0);
		if (desc)
			o = jv_object_set(o, jv_string("Description"), jv_string(desc));
		o = jv_object_set(o, jv_string("CreatedDate"), jv_number((double)created / 1000.0));
		o = jv_object_set(o, jv_string("LastChangedDate"), jv_number((double)created / 1000.0));
		o = jv_object_set(o, jv_string("Tags"), sc_tags(c, in));
		if (jvx_has(in, "deleted")) {
			int64_t del = sc_time(c, in, "deleted", s->start_ms);
			int days = (int)sc_num(c, in, "recovery_window_days", 30);
			o = jv_object_set(o, jv_string("DeletedDate"), jv_number((double)del / 1000.0));
			o = jv_object_set(o, jv_string("_gone_at"), jv_number((double)(del + (int64_t)days * 86400000)));
		}
		jv versions = jv_array();
		jv vin = sc_list(c, in, "versions");
		if (jv_array_length(jv_copy(vin)) == 0 && jvx_has(in, "value"))
			vin = jv_array_append(vin, JV_OBJECT(jv_string("value"), jv_string(sc_str(c, in, "value", "", 0)),
							     jv_string("stages"), JV_ARRAY(jv_string("AWSCURRENT")),
							     jv_string("__line"), jv_number(jvx_int(in, "__line", 0)),
							     jv_string("__col"), jv_number(jvx_int(in, "__col", 0))));
		int nv = jv_array_length(jv_copy(vin));
		int ncurrent = 0;
		SIM_EACH(vin, k, v) {
			char vid[48];
			const char *id = sc_str(c, v, "id", NULL, 0);
			if (!id) {
				sim_new_id(s, vid, sizeof(vid));
				id = vid;
			}
			jv stages = sc_strings(c, v, "stages");
			SIM_EACH(jv_copy(stages), x, st) {
				if (!strcmp(jv_string_value(st), "AWSCURRENT"))
					ncurrent++;
				jv_free(st);
			}
			int64_t vc = sc_time(c, v, "created", s->start_ms - (int64_t)(nv - k) * 86400000);
			versions = jv_array_append(versions,
				JV_OBJECT(jv_string("VersionId"), jv_string(id),
					  jv_string("SecretString"), jv_string(sc_str(c, v, "value", "", 1)),
					  jv_string("VersionStages"), stages,
					  jv_string("CreatedDate"), jv_number((double)vc / 1000.0)));
			jv_free(v);
		}
		o = jv_object_set(o, jv_string("_versions"), versions);
		s->secrets = jv_array_append(s->secrets, o);
		jv_free(in);
	}
}

/* ------------------------------------------------------------------ faults */

static void load_faults(struct sc *c, jv list)
{
	struct sim *s = c->s;
	SIM_EACH(list, i, in) {     /* maps only (sc_list) */
		const char *kind = sc_str(c, in, "kind", "throttle", 1);
		int k = sim_fault_kind_parse(kind);
		if (k < 0)
			BUG("a fault kind the validator let through");
		const char *svc = sc_str(c, in, "service", NULL, 0);
		ALLOC_GROW(s->faults, s->nfaults + 1, s->afaults);
		struct sim_fault *f = &s->faults[s->nfaults++];
		memset(f, 0, sizeof(*f));
		f->kind = (enum sim_fault_kind)k;
		f->service = svc ? xstrdup(svc) : NULL;
		const char *op = sc_str(c, in, "operation", "*", 0);
		f->op = xstrdup(op);
		f->count = jvx_has(in, "count") ? (int)sc_num(c, in, "count", 0) : -1;
		f->rate = sc_num(c, in, "rate", f->count >= 0 ? 0 : 1);
		f->latency_ms = sc_dur(c, in, "latency", 0);
		f->status = (int)sc_num(c, in, "status", 500);
		jv_free(in);
	}
}

/* ------------------------------------------------------------------ load */

/* what a region holds, from the map w (the scenario's top level, or one of regions:) */
static void load_regional(struct sc *c, jv w)
{
	jv sec = sc_map(c, w, "rds");
	load_rds(c, sec);
	jv_free(sec);
	sec = sc_map(c, w, "elasticache");
	load_elasticache(c, sec);
	jv_free(sec);
}

static const char *const dur_keys[] = {
#define DUR_KEY(e, n, d) n,
	SIM_DURATIONS(DUR_KEY)
#undef DUR_KEY
	NULL
};
static const int64_t dur_defaults[] = {
#define DUR_DEF(e, n, d) (d),
	SIM_DURATIONS(DUR_DEF)
#undef DUR_DEF
};

/* the scenario as jv, with the marks the validator reads (core/yamljv.h); 0, -1 with
 * located errors: *out is then the document if only its keys were wrong (duplicates),
 * so that the validator reports its errors too, else invalid */
static int parse_yaml(struct sc *c, jv *out)
{
	int rc = yamljv_load(c->src, &sc_limits, out, c->dl);
	if (jv_is_valid(*out) && jv_get_kind(*out) != JV_KIND_OBJECT) {
		struct srcloc l = { c->src, 1, 1 };
		diag_error(c->dl, &l, "a scenario is a YAML map (scenario:, rds:, s3:, ...)");
		jv_free(*out);
		*out = jv_invalid();
		rc = -1;
	}
	return rc;
}

/* the exec: and http: rules without marks; exec argv items as text (as exec passes
 * numbers and booleans) */
static jv load_rules(jv doc)
{
	jv ex = jv_array(), ht = yamljv_strip_marks(jvx_get(doc, "http"));
	jv list = yamljv_strip_marks(jvx_get(doc, "exec"));
	if (jv_get_kind(list) == JV_KIND_ARRAY) {
		jv_array_foreach(list, i, r) {
			jv argv = jv_array(), given = jvx_get(r, "argv");
			jv_array_foreach(given, j, x) {
				if (jv_get_kind(x) == JV_KIND_STRING)
					argv = jv_array_append(argv, x);
				else
					argv = jv_array_append(argv, jvx_dump_string(x, 0));
			}
			jv_free(given);
			ex = jv_array_append(ex, jv_object_set(r, jv_string("argv"), argv));
		}
	}
	jv_free(list);
	if (jv_get_kind(ht) != JV_KIND_ARRAY) {
		jv_free(ht);
		ht = jv_array();
	}
	return jv_object_set(jv_object_set(jv_object(), jv_string("exec"), ex), jv_string("http"), ht);
}

int sim_scenario_load(struct sim *s, const char *path, struct diag_list *dl)
{
	struct sc c = { s, NULL, dl };
	jv doc = jv_invalid();

	s->start_ms = clock_now(s->clock);
	snprintf(s->account, sizeof(s->account), "123456789012");
	snprintf(s->region, sizeof(s->region), "us-east-1");
	snprintf(s->home, sizeof(s->home), "us-east-1");
	for (int i = 0; i < SIM_DUR_N; i++)
		s->dur[i] = dur_defaults[i];
	s->rds_instances = jv_array();
	s->rds_snapshots = jv_array();
	s->rds_subnet_groups = jv_array();
	s->rds_export_tasks = jv_array();
	s->rds_known_subnet_groups = s->rds_known_param_groups = s->rds_known_security_groups = jv_null();
	s->ec_groups = jv_array();
	s->ec_snapshots = jv_array();
	s->secrets = jv_array();
	s->r53_zones = jv_array();
	s->r53_changes = jv_array();
	s->published = jv_array();
	s->new_endpoint = jv_object_set(jv_object(), jv_string("address"),
					jv_string("{id}.c9akciq32x1e.us-east-1.rds.amazonaws.com"));
	s->new_cache_endpoint = jv_object_set(jv_object(), jv_string("address"),
					      jv_string("master.{id}.x1y2z3.use1.cache.amazonaws.com"));
	s->rng = 42;

	pthread_mutex_lock(&sc_sources_lock);
	c.src = source_load(&sc_sources, path, dl);
	pthread_mutex_unlock(&sc_sources_lock);
	if (!c.src)
		return -1;
	int rc = parse_yaml(&c, &doc);
	if (!jv_is_valid(doc))
		return -1;
	if (sim_scenario_validate(c.src, doc, dl) < 0 || rc < 0) {
		jv_free(doc);
		return -1;
	}
	snprintf(s->account, sizeof(s->account), "%s", sc_str(&c, doc, "account", "123456789012", 0));
	snprintf(s->region, sizeof(s->region), "%s", sc_str(&c, doc, "region", "us-east-1", 0));
	snprintf(s->home, sizeof(s->home), "%s", s->region);
	s->rng = (uint64_t)sc_num(&c, doc, "seed", 42) * 2654435761u + 1;
	if (jvx_has(doc, "k8s")) {
		/* the Kubernetes world is built when its API starts (sim_k8s_start) */
		jv k8s = jvx_get(doc, "k8s");
		jv_free(s->k8s_config);
		s->k8s_config = yamljv_strip_marks(k8s);
	}
	jv d = sc_map(&c, doc, "durations");
	for (int i = 0; i < SIM_DUR_N; i++)
		s->dur[i] = sc_dur(&c, d, dur_keys[i], dur_defaults[i]);
	jv_free(d);

	load_regional(&c, doc);
	/* regions: the world of each other region, loaded inside it */
	SIM_OBJ_EACH(sc_map(&c, doc, "regions"), name, w) {
		if (jv_get_kind(w) == JV_KIND_OBJECT && strncmp(jv_string_value(name), "__", 2)) {
			sim_region_enter(s, jv_string_value(name));
			load_regional(&c, w);
			sim_region_leave(s);
		}
		jv_free(name);
		jv_free(w);
	}
	jv sec = sc_map(&c, doc, "s3");
	load_s3(&c, sec);
	jv_free(sec);
	sec = sc_map(&c, doc, "route53");
	load_route53(&c, sec);
	jv_free(sec);
	load_secrets(&c, sc_list(&c, doc, "secrets"));
	load_faults(&c, sc_list(&c, doc, "faults"));
	jv_free(s->rules);
	s->rules = load_rules(doc);
	jv_free(doc);
	return 0;
}

void sim_world_release(struct sim *s)
{
	sim_regions_release(s);
	jv_free(s->rds_instances);
	jv_free(s->rds_snapshots);
	jv_free(s->rds_subnet_groups);
	jv_free(s->rds_export_tasks);
	s->rds_export_tasks = jv_null();
	jv_free(s->rds_known_subnet_groups);
	jv_free(s->rds_known_param_groups);
	jv_free(s->rds_known_security_groups);
	s->rds_subnet_groups = s->rds_known_subnet_groups = s->rds_known_param_groups = jv_null();
	s->rds_known_security_groups = jv_null();
	jv_free(s->ec_groups);
	jv_free(s->ec_snapshots);
	jv_free(s->secrets);
	jv_free(s->r53_zones);
	jv_free(s->r53_changes);
	s->r53_zones = s->r53_changes = jv_null();
	jv_free(s->published);
	jv_free(s->new_endpoint);
	jv_free(s->new_cache_endpoint);
	s->rds_instances = s->rds_snapshots = s->ec_groups = s->ec_snapshots = jv_null();
	s->secrets = s->published = s->new_endpoint = s->new_cache_endpoint = jv_null();
	sim_s3_world_release(s);
	jv_free(s->k8s_config);
	s->k8s_config = jv_null();
	jv_free(s->rules);
	s->rules = jv_null();
	for (int i = 0; i < s->nfaults; i++) {
		free(s->faults[i].service);
		free(s->faults[i].op);
	}
	free(s->faults);
	s->faults = NULL;
	s->nfaults = s->afaults = 0;
}

int sim_scenario_check(const char *path, struct diag_list *dl)
{
	struct rb_clock *clk = clock_new(CLOCK_VIRTUAL, 0, 1);
	struct sim *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	s->clock = clk;
	int rc = sim_scenario_load(s, path, dl);
	if (rc == 0 && jv_get_kind(s->k8s_config) == JV_KIND_OBJECT) {
		/* build the Kubernetes world too, to report its mistakes */
		struct k8s_sim *k = sim_k8s_server_new(clk, jv_copy(s->k8s_config), dl);
		if (!k)
			rc = -1;
		sim_k8s_server_free(k);
	}
	sim_world_release(s);
	pthread_mutex_destroy(&s->lock);
	free(s);
	clock_free(clk);
	return rc;
}

/* the world without internals, with each resource's status now */
static jv strip(jv arr, int64_t now, const char *status_key)
{
	jv out = jv_array();
	SIM_EACH(arr, i, el) {
		jv o = jv_object();
		const char *st = sim_status(el, now);
		SIM_OBJ_EACH(jv_copy(el), k, v) {
			if (jv_string_value(k)[0] != '_')
				o = jv_object_set(o, k, v);
			else {
				jv_free(k);
				jv_free(v);
			}
		}
		if (status_key && st)
			o = jv_object_set(o, jv_string(status_key), jv_string(st));
		jv_free(el);
		out = jv_array_append(out, o);
	}
	return out;
}

/* the regional part of the state: the active region's rds and elasticache */
static jv regional_state(struct sim *s)
{
	int64_t now = clock_now(s->clock);
	jv v = jv_object();
	v = jv_object_set(v, jv_string("rds"),
		JV_OBJECT(jv_string("instances"), strip(jvx_deep_copy(s->rds_instances), now, "DBInstanceStatus"),
			  jv_string("snapshots"), strip(jvx_deep_copy(s->rds_snapshots), now, "Status")));
	v = jv_object_set(v, jv_string("elasticache"),
		JV_OBJECT(jv_string("replication_groups"), strip(jvx_deep_copy(s->ec_groups), now, "Status"),
			  jv_string("snapshots"), strip(jvx_deep_copy(s->ec_snapshots), now, "SnapshotStatus")));
	return v;
}

jv sim_state(struct sim *s)
{
	pthread_mutex_lock(&s->lock);
	int64_t now = clock_now(s->clock);
	jv v = jv_object();
	char iso[40];
	v = jv_object_set(v, jv_string("now"), jv_string(sim_iso(now, iso, sizeof(iso))));
	if (s->nregions > 1)
		v = jv_object_set(v, jv_string("regions"), sim_regions_state(s, regional_state));
	v = jv_object_merge(v, regional_state(s));
	sim_rds_exports_land(s, now);
	v = jv_object_set(v, jv_string("s3"), sim_s3_state(s));
	if (jv_array_length(jv_copy(s->r53_zones)) > 0) {
		jv zones = jv_array();
		SIM_EACH(jvx_deep_copy(s->r53_zones), i, z) {
			jv recs = jv_object_get(jv_copy(z), jv_string("_records"));
			zones = jv_array_append(zones, jv_object_set(jv_object_delete(z, jv_string("_records")),
								     jv_string("ResourceRecordSets"), recs));
		}
		v = jv_object_set(v, jv_string("route53"), JV_OBJECT(jv_string("hosted_zones"), zones));
	}
	jv secrets = jv_array();
	SIM_EACH(jvx_deep_copy(s->secrets), i, sec) {
		/* secret values never leave through the state dump */
		jv vers = jv_array();
		SIM_EACH(jv_object_get(jv_copy(sec), jv_string("_versions")), k, ver) {
			vers = jv_array_append(vers, jv_object_delete(ver, jv_string("SecretString")));
		}
		sec = jv_object_set(sec, jv_string("Versions"), vers);
		secrets = jv_array_append(secrets, sec);
	}
	v = jv_object_set(v, jv_string("secrets"), strip(secrets, now, NULL));
	v = jv_object_set(v, jv_string("published"), jvx_deep_copy(s->published));
	pthread_mutex_unlock(&s->lock);
	return v;
}

jv sim_rules(struct sim *s)
{
	if (jv_get_kind(s->rules) != JV_KIND_OBJECT)
		return jv_object_set(jv_object_set(jv_object(), jv_string("exec"), jv_array()), jv_string("http"),
				     jv_array());
	return jv_copy(s->rules);
}

const char *sim_region(struct sim *s)
{
	return s->region;
}
