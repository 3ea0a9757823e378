/* protocol_test — XML -> jv (one-element lists, empty lists, typed scalars, pagination
 * tokens), query form encoding (locationName list items), error parsing (query XML, S3
 * XML, JSON 1.1), transient classification and backoff bounds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/bug.h"
#include "core/jvx.h"
#include "modules/aws/aws.h"

static int failures;
#define CHECK(cond) do { if (!(cond)) { fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); failures++; } } while (0)

/* jq-less path lookup: "a.0.b" */
static jv at(jv v, const char *path)
{
	jv cur = jv_copy(v);
	const char *p = path;
	while (*p && jv_is_valid(cur)) {
		size_t n = strcspn(p, ".");
		char *t = xstrndup(p, n);
		if (jv_get_kind(cur) == JV_KIND_ARRAY)
			cur = jv_array_get(cur, atoi(t));
		else if (jv_get_kind(cur) == JV_KIND_OBJECT)
			cur = jv_object_get(cur, jv_string(t));
		else {
			jv_free(cur);
			cur = jv_invalid();
		}
		free(t);
		p += n;
		if (*p == '.')
			p++;
	}
	return cur;
}

static int is_str(jv v, const char *path, const char *want)
{
	jv x = at(v, path);
	int ok = jv_get_kind(x) == JV_KIND_STRING && !strcmp(jv_string_value(x), want);
	if (!ok) {
		char *d = jvx_dump(jv_copy(x));
		fprintf(stderr, "  %s = %s, want \"%s\"\n", path, d, want);
		free(d);
	}
	jv_free(x);
	return ok;
}

static int len_is(jv v, const char *path, int n)
{
	jv x = at(v, path);
	int ok = jv_get_kind(x) == JV_KIND_ARRAY && jv_array_length(jv_copy(x)) == n;
	if (!ok) {
		char *d = jvx_dump(jv_copy(x));
		fprintf(stderr, "  %s = %s, want an array of %d\n", path, d, n);
		free(d);
	}
	jv_free(x);
	return ok;
}

static jv_kind kind_at(jv v, const char *path)
{
	jv x = at(v, path);
	jv_kind k = jv_get_kind(x);
	jv_free(x);
	return k;
}

static const char describe_one[] =
	"<DescribeDBInstancesResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\">\n"
	"  <DescribeDBInstancesResult>\n"
	"    <Marker>page-2-token</Marker>\n"
	"    <DBInstances>\n"
	"      <DBInstance>\n"
	"        <DBInstanceIdentifier>orders-db</DBInstanceIdentifier>\n"
	"        <DBInstanceStatus>available</DBInstanceStatus>\n"
	"        <AllocatedStorage>100</AllocatedStorage>\n"
	"        <MultiAZ>false</MultiAZ>\n"
	"        <Endpoint><Address>orders-db.abc.us-east-1.rds.amazonaws.com</Address><Port>5432</Port></Endpoint>\n"
	"        <VpcSecurityGroups>\n"
	"          <VpcSecurityGroupMembership><VpcSecurityGroupId>sg-1</VpcSecurityGroupId><Status>active</Status></VpcSecurityGroupMembership>\n"
	"        </VpcSecurityGroups>\n"
	"        <ReadReplicaDBInstanceIdentifiers/>\n"
	"        <EarliestRestorableTime>2026-11-15T03:00:00Z</EarliestRestorableTime>\n"
	"        <LatestRestorableTime>2026-11-22T03:10:00Z</LatestRestorableTime>\n"
	"      </DBInstance>\n"
	"    </DBInstances>\n"
	"  </DescribeDBInstancesResult>\n"
	"  <ResponseMetadata><RequestId>req-123</RequestId></ResponseMetadata>\n"
	"</DescribeDBInstancesResponse>\n";

static const char describe_none[] =
	"<DescribeDBInstancesResponse><DescribeDBInstancesResult><DBInstances/></DescribeDBInstancesResult>"
	"<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></DescribeDBInstancesResponse>";

static const char ec_groups[] =
	"<DescribeReplicationGroupsResponse><DescribeReplicationGroupsResult><ReplicationGroups><ReplicationGroup>"
	"<ReplicationGroupId>cache</ReplicationGroupId><Status>available</Status>"
	"<NodeGroups><NodeGroup><NodeGroupId>0001</NodeGroupId><PrimaryEndpoint><Address>p.cache</Address><Port>6379</Port></PrimaryEndpoint>"
	"<NodeGroupMembers><NodeGroupMember><CacheClusterId>cache-001</CacheClusterId></NodeGroupMember></NodeGroupMembers>"
	"</NodeGroup></NodeGroups><MemberClusters><ClusterId>cache-001</ClusterId></MemberClusters>"
	"</ReplicationGroup></ReplicationGroups></DescribeReplicationGroupsResult></DescribeReplicationGroupsResponse>";

static const char s3_versions[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<ListVersionsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	"<Name>b</Name><Prefix>k</Prefix><KeyMarker></KeyMarker><VersionIdMarker></VersionIdMarker>"
	"<NextKeyMarker>k</NextKeyMarker><NextVersionIdMarker>v1</NextVersionIdMarker>"
	"<MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated>"
	"<DeleteMarker><Key>k</Key><VersionId>dm1</VersionId><IsLatest>true</IsLatest><LastModified>2026-11-22T01:00:00.000Z</LastModified></DeleteMarker>"
	"<Version><Key>k</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest><Size>12</Size><ETag>\"e2\"</ETag></Version>"
	"<Version><Key>k</Key><VersionId>v1</VersionId><IsLatest>false</IsLatest><Size>10</Size></Version>"
	"</ListVersionsResult>";

static const char rds_error[] =
	"<ErrorResponse xmlns=\"http://rds.amazonaws.com/doc/2014-10-31/\"><Error><Type>Sender</Type>"
	"<Code>DBInstanceNotFound</Code><Message>DBInstance nope not found.</Message></Error>"
	"<RequestId>err-req-9</RequestId></ErrorResponse>";

static const char s3_error[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>"
	"<Key>k</Key><RequestId>s3-req-1</RequestId></Error>";

static struct aws_response fake_resp(long status, const char *body, const char *rid_header)
{
	int berr = 0;
	struct aws_response r;
	memset(&r, 0, sizeof r);
	r.status = status;
	buf_init(&r.body, 0);
	berr |= buf_adds(&r.body, body);
	BUF_NOCAP(berr);
	r.headers = jv_object();
	if (rid_header)
		r.headers = jv_object_set(r.headers, jv_string("x-amzn-requestid"), jv_string(rid_header));
	return r;
}

int main(void)
{
	jv v;
	char *rid = NULL;

	/* one-element lists are lists; typed scalars; nested objects; pagination marker */
	CHECK(aws_query_parse(&aws_svc_rds, describe_one, sizeof describe_one - 1, &v, &rid) == 0);
	CHECK(rid && !strcmp(rid, "req-123"));
	free(rid);
	rid = NULL;
	CHECK(len_is(v, "DBInstances", 1));
	CHECK(is_str(v, "DBInstances.0.DBInstanceStatus", "available"));
	CHECK(is_str(v, "DBInstances.0.Endpoint.Address", "orders-db.abc.us-east-1.rds.amazonaws.com"));
	CHECK(kind_at(v, "DBInstances.0.Endpoint.Port") == JV_KIND_NUMBER);
	CHECK(kind_at(v, "DBInstances.0.AllocatedStorage") == JV_KIND_NUMBER);
	CHECK(kind_at(v, "DBInstances.0.MultiAZ") == JV_KIND_FALSE);
	CHECK(len_is(v, "DBInstances.0.VpcSecurityGroups", 1));
	CHECK(is_str(v, "DBInstances.0.VpcSecurityGroups.0.VpcSecurityGroupId", "sg-1"));
	CHECK(len_is(v, "DBInstances.0.ReadReplicaDBInstanceIdentifiers", 0));
	CHECK(is_str(v, "DBInstances.0.EarliestRestorableTime", "2026-11-15T03:00:00Z"));
	CHECK(is_str(v, "Marker", "page-2-token"));
	jv_free(v);

	CHECK(aws_query_parse(&aws_svc_rds, describe_none, sizeof describe_none - 1, &v, NULL) == 0);
	CHECK(len_is(v, "DBInstances", 0));
	jv_free(v);

	CHECK(aws_query_parse(&aws_svc_elasticache, ec_groups, sizeof ec_groups - 1, &v, NULL) == 0);
	CHECK(len_is(v, "ReplicationGroups", 1));
	CHECK(len_is(v, "ReplicationGroups.0.NodeGroups", 1));
	CHECK(len_is(v, "ReplicationGroups.0.NodeGroups.0.NodeGroupMembers", 1));
	CHECK(len_is(v, "ReplicationGroups.0.MemberClusters", 1));
	CHECK(is_str(v, "ReplicationGroups.0.NodeGroups.0.PrimaryEndpoint.Address", "p.cache"));
	jv_free(v);

	/* S3: interleaved flattened Version / DeleteMarker, typed scalars, pagination markers */
	CHECK(aws_s3_parse(s3_versions, sizeof s3_versions - 1, &v) == 0);
	CHECK(len_is(v, "Versions", 2));
	CHECK(len_is(v, "DeleteMarkers", 1));
	CHECK(is_str(v, "DeleteMarkers.0.VersionId", "dm1"));
	CHECK(kind_at(v, "DeleteMarkers.0.IsLatest") == JV_KIND_TRUE);
	CHECK(kind_at(v, "Versions.0.Size") == JV_KIND_NUMBER);
	CHECK(kind_at(v, "IsTruncated") == JV_KIND_TRUE);
	CHECK(is_str(v, "NextKeyMarker", "k"));
	CHECK(is_str(v, "NextVersionIdMarker", "v1"));
	jv_free(v);

	/* query form encoding: list items by locationName, Tags.Tag.N, member fallback */
	struct buf b = BUF_INIT(0);
	jv p = jv_parse("{\"DBInstanceIdentifier\":\"orders db\",\"VpcSecurityGroupIds\":[\"sg-1\",\"sg-2\"],"
			"\"Tags\":[{\"Key\":\"team\",\"Value\":\"ops/dr\"}],\"MultiAZ\":true,\"AllocatedStorage\":100,"
			"\"Unknowns\":[\"x\"],\"Empty\":[]}");
	CHECK(aws_query_encode(&b, &aws_svc_rds, "RestoreDBInstanceFromDBSnapshot", p) == 0);
	CHECK(strstr(b.data, "Action=RestoreDBInstanceFromDBSnapshot&Version=2014-10-31") == b.data);
	CHECK(strstr(b.data, "DBInstanceIdentifier=orders%20db") != NULL);
	CHECK(strstr(b.data, "VpcSecurityGroupIds.VpcSecurityGroupId.1=sg-1") != NULL);
	CHECK(strstr(b.data, "VpcSecurityGroupIds.VpcSecurityGroupId.2=sg-2") != NULL);
	CHECK(strstr(b.data, "Tags.Tag.1.Key=team") != NULL);
	CHECK(strstr(b.data, "Tags.Tag.1.Value=ops%2Fdr") != NULL);
	CHECK(strstr(b.data, "MultiAZ=true") != NULL);
	CHECK(strstr(b.data, "AllocatedStorage=100&") != NULL || strstr(b.data, "AllocatedStorage=100") != NULL);
	CHECK(strstr(b.data, "Unknowns.member.1=x") != NULL);
	CHECK(strstr(b.data, "Empty=") != NULL);
	if (failures)
		fprintf(stderr, "  form: %s\n", b.data);
	buf_release(&b);
	buf_init(&b, 0);
	CHECK(aws_query_encode(&b, &aws_svc_elasticache, "CreateReplicationGroup",
			       jv_parse("{\"SecurityGroupIds\":[\"sg-9\"],\"Tags\":[{\"Key\":\"a\",\"Value\":\"b\"}]}")) == 0);
	CHECK(strstr(b.data, "SecurityGroupIds.SecurityGroupId.1=sg-9") != NULL);
	CHECK(strstr(b.data, "Tags.Tag.1.Key=a") != NULL);
	buf_release(&b);

	/* errors: query XML, S3 XML, JSON 1.1 */
	char *code, *msg;
	struct aws_response r = fake_resp(404, rds_error, NULL);
	aws_parse_error(AWS_QUERY, &r, &code, &msg, &rid);
	CHECK(code && !strcmp(code, "DBInstanceNotFound"));
	CHECK(msg && !strcmp(msg, "DBInstance nope not found."));
	CHECK(rid && !strcmp(rid, "err-req-9"));
	CHECK(!aws_code_is_transient(code, 404));
	free(code), free(msg), free(rid);
	aws_response_release(&r);

	r = fake_resp(404, s3_error, NULL);
	aws_parse_error(AWS_RESTXML, &r, &code, &msg, &rid);
	CHECK(code && !strcmp(code, "NoSuchKey"));
	CHECK(rid && !strcmp(rid, "s3-req-1"));
	free(code), free(msg), free(rid);
	aws_response_release(&r);

	r = fake_resp(400, "{\"__type\":\"com.amazonaws.secretsmanager#ResourceNotFoundException\",\"Message\":\"Secrets Manager can't find the specified secret.\"}", "json-req-7");
	aws_parse_error(AWS_JSON11, &r, &code, &msg, &rid);
	CHECK(code && !strcmp(code, "ResourceNotFoundException"));
	CHECK(msg && strstr(msg, "can't find") != NULL);
	CHECK(rid && !strcmp(rid, "json-req-7"));
	free(code), free(msg), free(rid);
	aws_response_release(&r);

	r = fake_resp(400, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}", NULL);
	aws_parse_error(AWS_JSON11, &r, &code, &msg, &rid);
	CHECK(code && !strcmp(code, "ThrottlingException"));
	CHECK(aws_code_is_transient(code, 400));
	free(code), free(msg), free(rid);
	aws_response_release(&r);

	/* HEAD errors have no body */
	r = fake_resp(404, "", NULL);
	aws_parse_error(AWS_RESTXML, &r, &code, &msg, &rid);
	CHECK(code && !strcmp(code, "NotFound"));
	free(code), free(msg), free(rid);
	aws_response_release(&r);

	/* transient classification */
	CHECK(aws_code_is_transient("Throttling", 400));
	CHECK(aws_code_is_transient("RequestLimitExceeded", 400));
	CHECK(aws_code_is_transient("SlowDown", 503));
	CHECK(aws_code_is_transient("Whatever", 502));
	CHECK(!aws_code_is_transient("InvalidDBInstanceState", 400));
	CHECK(!aws_code_is_transient("DBInstanceAlreadyExists", 400));

	/* backoff: full jitter within [0, min(cap, base * 2^n)) */
	for (int n = 1; n <= 12; n++) {
		int64_t ceil = 200LL << n;
		if (ceil > 20000)
			ceil = 20000;
		for (int k = 0; k < 200; k++) {
			int64_t d = aws_backoff_ms(n, 200, 20000);
			CHECK(d >= 0 && d < ceil);
			if (!(d >= 0 && d < ceil))
				break;
		}
	}

	/* shape table lookups */
	CHECK(aws_list_item("rds", "DBInstances") && !strcmp(aws_list_item("rds", "DBInstances"), "DBInstance"));
	CHECK(aws_list_item("rds", "NoSuchThing") == NULL);
	/* one wrapper, two item names in one service: the reply's is found, both match */
	CHECK(aws_list_item("elasticache", "ReplicationGroups") &&
	      !strcmp(aws_list_item("elasticache", "ReplicationGroups"), "ReplicationGroup"));
	CHECK(aws_list_has_item("elasticache", "ReplicationGroups", "member"));
	CHECK(!aws_list_has_item("elasticache", "ReplicationGroups", "Bogus"));
	CHECK(aws_scalar_kind("MultiAZ") == AWS_SCALAR_BOOL);

	if (failures) {
		fprintf(stderr, "%d checks failed\n", failures);
		return 1;
	}
	printf("ok\n");
	return 0;
}
