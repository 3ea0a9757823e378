/* credentials.c — credentials and region in the AWS CLI's (botocore's) order.
 *
 * Credentials, first match wins:
 *   0. connections.aws.credentials (explicit; for simulators and rehearsals)
 *   1. environment AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *      (skipped when connections.aws.profile names a profile, like `aws --profile`)
 *   2. the profile (connections.aws.profile, else AWS_PROFILE, else "default"):
 *      role_arn + source_profile | credential_source -> STS AssumeRole;
 *      sso_session | sso_start_url -> the SSO token cache, SSO GetRoleCredentials (sso.c);
 *      role_arn + web_identity_token_file -> STS AssumeRoleWithWebIdentity;
 *      aws_access_key_id / aws_secret_access_key / aws_session_token;
 *      credential_process (run without a shell, JSON on stdout, 30 s at most)
 *      (~/.aws/credentials first, then ~/.aws/config; AWS_SHARED_CREDENTIALS_FILE,
 *      AWS_CONFIG_FILE move them)
 *   3. AWS_WEB_IDENTITY_TOKEN_FILE + AWS_ROLE_ARN (+ AWS_ROLE_SESSION_NAME)
 *   4. container credentials: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (169.254.170.2) or
 *      AWS_CONTAINER_CREDENTIALS_FULL_URI (an https one verified with AWS_CA_BUNDLE /
 *      ca_bundle), with AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE)
 *   5. IMDSv2 (token PUT, then the role's credentials), 1 s timeout per request,
 *      unless AWS_EC2_METADATA_DISABLED=true
 * Temporary credentials (2-5) are cached per profile until 5 minutes before expiry.
 * Region: connections.aws.region, AWS_REGION, AWS_DEFAULT_REGION, the profile's, then
 * the instance's (IMDSv2 placement/region). Endpoints and CA bundle: see aws.h.
 * Nothing here logs a key, a secret or a token.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <spawn.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/caps.h"
#include "../../core/fs.h"
#include "../../core/dur.h"
#include "../../core/jvx.h"

void aws_creds_release(struct aws_creds *c)
{
	if (c->secret_access_key)
		memset(c->secret_access_key, 0, strlen(c->secret_access_key));
	free(c->access_key_id);
	free(c->secret_access_key);
	free(c->session_token);
	memset(c, 0, sizeof *c);
}

static char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? (char *)v : NULL;
}

char *aws_config_path(int credentials_file)
{
	int berr = 0;
	const char *v = env_nonempty(credentials_file ? "AWS_SHARED_CREDENTIALS_FILE" : "AWS_CONFIG_FILE");
	struct buf b = BUF_INIT(0);
	if (v) {
		if (v[0] == '~' && v[1] == '/' && getenv("HOME"))
			berr |= buf_addf(&b, "%s%s", getenv("HOME"), v + 1);
		else
			berr |= buf_adds(&b, v);
	} else {
		const char *home = getenv("HOME");
		if (!home)
			return NULL;
		berr |= buf_addf(&b, "%s/.aws/%s", home, credentials_file ? "credentials" : "config");
	}
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = 0;
	return s;
}

/* INI as the AWS CLI reads it: [section], key = value, '#' / ';' comments, and nested
 * blocks (`rds =` followed by indented `key = value` lines). nest NULL: a key of the
 * section itself (nested blocks skipped); else a key inside the block `nest =`. */
static char *ini_lookup(const char *file, const char *section, const char *nest, const char *key)
{
	FILE *f = file ? fopen(file, "r") : NULL;
	if (!f)
		return NULL;
	char line[4096], *found = NULL;
	int in = 0, nested = 0, want = 0;
	while (!found && fgets(line, sizeof line, f)) {
		int indented = line[0] == ' ' || line[0] == '\t';
		char *s = trim(line);
		if (!*s || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *e = strchr(s, ']');
			if (!e)
				continue;
			*e = 0;
			in = !strcmp(trim(s + 1), section);
			nested = want = 0;
			continue;
		}
		if (!in)
			continue;
		char *eq = strchr(s, '=');
		if (indented && nested) {
			/* inside a nested block: ours only when it is the block asked for */
			if (!want || !eq)
				continue;
			*eq = 0;
			if (!strcmp(trim(s), key))
				found = xstrdup(trim(eq + 1));
			continue;
		}
		nested = want = 0;
		if (!eq)
			continue;
		*eq = 0;
		char *k = trim(s), *v = trim(eq + 1);
		if (!*v) {
			nested = 1;
			want = nest && !strcmp(k, nest);
			continue;
		}
		if (!nest && !strcmp(k, key))
			found = xstrdup(v);
	}
	fclose(f);
	return found;
}

char *aws_ini_get(const char *file, const char *section, const char *key)
{
	return ini_lookup(file, section, NULL, key);
}

static int ini_has_section(const char *file, const char *section)
{
	FILE *f = file ? fopen(file, "r") : NULL;
	char line[4096];
	int found = 0;
	if (!f)
		return 0;
	while (!found && fgets(line, sizeof line, f)) {
		char *s = trim(line), *e;
		if (*s == '[' && (e = strchr(s, ']'))) {
			*e = 0;
			found = !strcmp(trim(s + 1), section);
		}
	}
	fclose(f);
	return found;
}

/* whether [name] is in the credentials file or [profile name] in the config file */
static int profile_exists(const char *profile)
{
	int berr = 0;
	char *cp = aws_config_path(1), *fp = aws_config_path(0);
	struct buf sec = BUF_INIT(0);
	berr |= buf_addf(&sec, "profile %s", profile);
	BUF_NOCAP(berr);
	int r = ini_has_section(cp, profile) || ini_has_section(fp, sec.data) ||
		(!strcmp(profile, "default") && ini_has_section(fp, "default"));
	buf_release(&sec);
	free(cp);
	free(fp);
	return r;
}

/* a profile's key: credentials file [name], then config [profile name] ([default]) */
static char *profile_get(const char *profile, const char *key)
{
	int berr = 0;
	char *path = aws_config_path(1), *v = aws_ini_get(path, profile, key);
	free(path);
	if (v)
		return v;
	path = aws_config_path(0);
	struct buf sec = BUF_INIT(0);
	if (!strcmp(profile, "default"))
		berr |= buf_adds(&sec, "default");
	else
		berr |= buf_addf(&sec, "profile %s", profile);
	BUF_NOCAP(berr);
	v = aws_ini_get(path, sec.data, key);
	if (!v && !strcmp(profile, "default"))
		v = aws_ini_get(path, "profile default", key);
	buf_release(&sec);
	free(path);
	return v;
}

char *aws_profile_get(const char *profile, const char *key)
{
	return profile_get(profile, key);
}

static const char *profile_name(const char *explicit_profile)
{
	if (explicit_profile && *explicit_profile)
		return explicit_profile;
	if (env_nonempty("AWS_PROFILE"))
		return getenv("AWS_PROFILE");
	if (env_nonempty("AWS_DEFAULT_PROFILE"))
		return getenv("AWS_DEFAULT_PROFILE");
	return "default";
}

static int env_true(const char *name)
{
	const char *v = getenv(name);
	return v && !strcasecmp(v, "true");
}

/* ---- instance metadata (IMDSv2): a session token, then GETs with it */
static const char *imds_base(void)
{
	if (env_true("AWS_EC2_METADATA_DISABLED"))
		return NULL;
	const char *base = env_nonempty("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	return base ? base : "http://169.254.169.254";
}

static char *imds_token(const char *base)
{
	int berr = 0;
	struct buf url = BUF_INIT(0);
	struct aws_response resp;
	char *token = NULL;
	const char *th[] = {"X-aws-ec2-metadata-token-ttl-seconds", "21600", NULL};
	berr |= buf_addf(&url, "%s/latest/api/token", base);
	BUF_NOCAP(berr);
	if (aws_http_plain("PUT", url.data, th, 1000, NULL, &resp) == 0 && resp.status == 200 && resp.body.len)
		token = xstrdup(buf_str(&resp.body));
	aws_response_release(&resp);
	buf_release(&url);
	return token;
}

/* GET base+path with the token: the body's first line, or NULL */
static char *imds_get_line(const char *base, const char *token, const char *path)
{
	int berr = 0;
	struct buf url = BUF_INIT(0);
	struct aws_response resp;
	char *v = NULL;
	const char *ah[] = {"X-aws-ec2-metadata-token", token, NULL};
	berr |= buf_addf(&url, "%s%s", base, path);
	BUF_NOCAP(berr);
	if (aws_http_plain("GET", url.data, ah, 1000, NULL, &resp) == 0 && resp.status == 200 && resp.body.len)
		v = xstrndup(resp.body.data, strcspn(resp.body.data, "\r\n"));
	aws_response_release(&resp);
	buf_release(&url);
	return v;
}

/* the instance's region, asked once per process (botocore's last region source) */
static char *imds_region(void)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	static int asked;
	static char *region;
	char *r = NULL;
	pthread_mutex_lock(&lock);
	const char *base = imds_base();
	if (!asked && base) {
		char *tok = imds_token(base);
		if (tok)
			region = imds_get_line(base, tok, "/latest/meta-data/placement/region");
		free(tok);
		asked = 1;
	}
	if (region && *region)
		r = xstrdup(region);
	pthread_mutex_unlock(&lock);
	return r;
}

char *aws_profile_value(const char *profile, const char *key)
{
	return profile_get(profile_name(profile), key);
}

char *aws_resolve_region(const char *conn_region, const char *profile)
{
	if (conn_region && *conn_region)
		return xstrdup(conn_region);
	if (env_nonempty("AWS_REGION"))
		return xstrdup(getenv("AWS_REGION"));
	if (env_nonempty("AWS_DEFAULT_REGION"))
		return xstrdup(getenv("AWS_DEFAULT_REGION"));
	char *r = profile_get(profile_name(profile), "region");
	return r ? r : imds_region();
}

/* the profile's services section: [services NAME] of the config file, or NULL */
static char *services_section(const char *profile)
{
	int berr = 0;
	char *name = profile_get(profile, "services");
	if (!name)
		return NULL;
	struct buf b = BUF_INIT(0);
	berr |= buf_addf(&b, "services %s", name);
	BUF_NOCAP(berr);
	free(name);
	return buf_detach(&b);
}

/* the service's key in a services section: its AWS_ENDPOINT_URL_ suffix, lower case */
static void service_key(const struct aws_service *svc, char *out, size_t len)
{
	size_t i = 0;
	for (; svc->env_id[i] && i + 1 < len; i++)
		out[i] = (char)tolower((unsigned char)svc->env_id[i]);
	out[i] = 0;
}

char *aws_configured_endpoint(const char *profile, const struct aws_service *svc)
{
	char envname[96], key[64];
	const char *v;
	profile = profile_name(profile);
	char *ign = profile_get(profile, "ignore_configured_endpoint_urls");
	int ignore = env_nonempty("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")
		? env_true("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS") : ign && !strcasecmp(ign, "true");
	free(ign);
	if (ignore)
		return NULL;
	snprintf(envname, sizeof envname, "AWS_ENDPOINT_URL_%s", svc->env_id);
	if ((v = env_nonempty(envname)) || (v = env_nonempty("AWS_ENDPOINT_URL")))
		return xstrdup(v);
	char *sec = services_section(profile), *url = NULL;
	if (sec) {
		char *path = aws_config_path(0);
		service_key(svc, key, sizeof key);
		url = ini_lookup(path, sec, key, "endpoint_url");
		free(path);
		free(sec);
	}
	if (!url)
		url = profile_get(profile, "endpoint_url");
	return url;
}

char *aws_resolve_ca_bundle(const char *profile)
{
	int berr = 0;
	const char *v = env_nonempty("AWS_CA_BUNDLE");
	if (v)
		return xstrdup(v);
	char *p = profile_get(profile_name(profile), "ca_bundle");
	if (p && p[0] == '~' && p[1] == '/' && getenv("HOME")) {
		struct buf b = BUF_INIT(0);
		berr |= buf_addf(&b, "%s%s", getenv("HOME"), p + 1);
		free(p);
		p = buf_detach(&b);
	}
	BUF_NOCAP(berr);
	return p;
}

/* ---- cache of temporary credentials */
#define CACHE_N 8
static struct {
	char *key;
	struct aws_creds creds;
} cache[CACHE_N];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static int64_t real_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void creds_copy(struct aws_creds *dst, const struct aws_creds *src)
{
	dst->access_key_id = src->access_key_id ? xstrdup(src->access_key_id) : NULL;
	dst->secret_access_key = src->secret_access_key ? xstrdup(src->secret_access_key) : NULL;
	dst->session_token = src->session_token ? xstrdup(src->session_token) : NULL;
	dst->expires_ms = src->expires_ms;
	dst->source = src->source;
}

static int cache_get(const char *key, struct aws_creds *out)
{
	int hit = 0;
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_N; i++)
		if (cache[i].key && !strcmp(cache[i].key, key) &&
		    (!cache[i].creds.expires_ms || cache[i].creds.expires_ms - 300000 > real_now_ms())) {
			creds_copy(out, &cache[i].creds);
			hit = 1;
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	return hit;
}

static void cache_put(const char *key, const struct aws_creds *c)
{
	pthread_mutex_lock(&cache_lock);
	int slot = 0;
	for (int i = 0; i < CACHE_N; i++) {
		if (cache[i].key && !strcmp(cache[i].key, key)) {
			slot = i;
			break;
		}
		if (!cache[i].key)
			slot = i;
	}
	free(cache[slot].key);
	aws_creds_release(&cache[slot].creds);
	cache[slot].key = xstrdup(key);
	creds_copy(&cache[slot].creds, c);
	pthread_mutex_unlock(&cache_lock);
}

void aws_creds_cache_clear(void)
{
	pthread_mutex_lock(&cache_lock);
	for (int i = 0; i < CACHE_N; i++) {
		free(cache[i].key);
		cache[i].key = NULL;
		aws_creds_release(&cache[i].creds);
	}
	pthread_mutex_unlock(&cache_lock);
}

/* {AccessKeyId, SecretAccessKey, SessionToken|Token, Expiration} -> creds; borrows j */
static int creds_from_json(jv j, const char *source, struct aws_creds *out)
{
	const char *ak = jvx_str(j, "AccessKeyId"), *sk = jvx_str(j, "SecretAccessKey");
	const char *tok = jvx_str(j, "SessionToken");
	const char *exp = jvx_str(j, "Expiration");
	if (!tok)
		tok = jvx_str(j, "Token");
	if (!ak || !sk)
		return -1;
	out->access_key_id = xstrdup(ak);
	out->secret_access_key = xstrdup(sk);
	out->session_token = tok ? xstrdup(tok) : NULL;
	out->expires_ms = 0;
	if (exp)
		ts_parse(exp, &out->expires_ms);
	out->source = source;
	return 0;
}

/* a token file's content, less trailing white space */
static int read_file_str(const char *path, char **out)
{
	char *s = fs_read(path, CAP_AWS_FILE, NULL);
	if (!s)
		return -1;
	size_t l = strlen(s);
	while (l && isspace((unsigned char)s[l - 1]))
		s[--l] = 0;
	*out = s;
	return 0;
}

static char *session_name(const char *configured)
{
	if (configured && *configured)
		return xstrdup(configured);
	char b[64];
	snprintf(b, sizeof b, "runbook-%lld", (long long)(real_now_ms() / 1000));
	return xstrdup(b);
}

/* STS through our own query client; `src` signs (NULL: anonymous, web identity) */
static int sts_call(struct aws_client *parent, const struct aws_creds *src, const char *action,
		    jv params, const char *source, struct aws_creds *out, jv *err)
{
	struct aws_client t;
	memset(&t, 0, sizeof t);
	t.call = parent->call;
	t.region = xstrdup(parent->region ? parent->region : "us-east-1");
	t.endpoint = parent->endpoint ? xstrdup(parent->endpoint) : NULL;
	t.profile = parent->profile ? xstrdup(parent->profile) : NULL;
	t.ca_bundle = parent->ca_bundle ? xstrdup(parent->ca_bundle) : NULL;
	t.retry_mode = parent->retry_mode;
	t.max_attempts = parent->max_attempts;
	t.base_ms = parent->base_ms;
	t.cap_ms = parent->cap_ms;
	if (src) {
		creds_copy(&t.creds, src);
		t.have_creds = 1;
	} else {
		t.have_creds = -1; /* anonymous */
	}
	jv res;
	int ret = aws_query_call(&t, &aws_svc_sts, action, params, &res, err);
	if (ret == 0) {
		jv c = jvx_get(res, "Credentials");
		if (creds_from_json(c, source, out) < 0) {
			*err = jvx_error("InvalidCredentials", "%s returned no credentials", action);
			ret = -1;
		}
		jv_free(c);
		jv_free(res);
	}
	aws_client_release(&t);
	return ret;
}

static int web_identity(struct aws_client *c, const char *token_file, const char *role_arn,
			const char *sess, struct aws_creds *out, jv *err)
{
	char *tok = NULL;
	if (read_file_str(token_file, &tok) < 0) {
		*err = jvx_error("InvalidCredentials", "cannot read web identity token file '%s'", token_file);
		return -1;
	}
	char *sn = session_name(sess);
	jv p = jv_object();
	p = jv_object_set(p, jv_string("RoleArn"), jv_string(role_arn));
	p = jv_object_set(p, jv_string("RoleSessionName"), jv_string(sn));
	p = jv_object_set(p, jv_string("WebIdentityToken"), jv_string(tok));
	memset(tok, 0, strlen(tok));
	free(tok);
	free(sn);
	return sts_call(c, NULL, "AssumeRoleWithWebIdentity", p, "web-identity", out, err);
}

/* AWS_CA_BUNDLE / ca_bundle verify an https AWS_CONTAINER_CREDENTIALS_FULL_URI */
static int container_creds(struct aws_client *c, struct aws_creds *out, jv *err)
{
	int berr = 0;
	const char *rel = env_nonempty("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = env_nonempty("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	if (!rel && !full)
		return 0;
	struct buf url = BUF_INIT(0);
	if (rel)
		berr |= buf_addf(&url, "http://169.254.170.2%s", rel);
	else
		berr |= buf_adds(&url, full);
	BUF_NOCAP(berr);
	char *tok = NULL;
	const char *tf = env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	if (tf)
		read_file_str(tf, &tok);
	else if (env_nonempty("AWS_CONTAINER_AUTHORIZATION_TOKEN"))
		tok = xstrdup(getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN"));
	const char *hdrs[] = {"Authorization", tok, NULL};
	struct aws_response resp;
	int ret = -1;
	if (aws_http_plain("GET", url.data, tok ? hdrs : NULL, 2000, c->ca_bundle, &resp) == 0 && resp.status == 200) {
		jv j = jvx_parse_sized(buf_str(&resp.body), resp.body.len);
		if (jv_is_valid(j) && creds_from_json(j, "container", out) == 0)
			ret = 1;
		jv_free(j);
	}
	if (ret < 0)
		*err = jvx_error("InvalidCredentials", "container credentials endpoint %s gave no credentials",
				 url.data);
	aws_response_release(&resp);
	if (tok) {
		memset(tok, 0, strlen(tok));
		free(tok);
	}
	buf_release(&url);
	return ret;
}

static int imds_creds(struct aws_creds *out)
{
	int berr = 0;
	const char *base = imds_base();
	char *token = NULL, *role = NULL;
	int ret = 0;
	if (!base || !(token = imds_token(base)))
		return 0;
	role = imds_get_line(base, token, "/latest/meta-data/iam/security-credentials/");
	if (role) {
		struct buf url = BUF_INIT(0);
		struct aws_response resp;
		const char *ah[] = {"X-aws-ec2-metadata-token", token, NULL};
		berr |= buf_addf(&url, "%s/latest/meta-data/iam/security-credentials/%s", base, role);
		BUF_NOCAP(berr);
		if (aws_http_plain("GET", url.data, ah, 1000, NULL, &resp) == 0 && resp.status == 200) {
			jv j = jvx_parse_sized(buf_str(&resp.body), resp.body.len);
			if (jv_is_valid(j) && creds_from_json(j, "imds", out) == 0)
				ret = 1;
			jv_free(j);
		}
		aws_response_release(&resp);
		buf_release(&url);
	}
	free(token);
	free(role);
	return ret;
}

static int profile_creds(struct aws_client *c, const char *profile, int depth,
			 struct aws_creds *out, jv *err);

static int assume_role(struct aws_client *c, const char *profile, const char *role_arn,
		       int depth, struct aws_creds *out, jv *err)
{
	struct aws_creds src;
	int ret = -1, got = 0;
	memset(&src, 0, sizeof src);
	char *sp = profile_get(profile, "source_profile");
	char *cs = profile_get(profile, "credential_source");
	char *ext = profile_get(profile, "external_id");
	char *sess = profile_get(profile, "role_session_name");
	char *dur = profile_get(profile, "duration_seconds");
	char *wit = profile_get(profile, "web_identity_token_file");
	if (wit) {
		ret = web_identity(c, wit, role_arn, sess, out, err) == 0 ? 1 : -1;
		goto out;
	}
	if (sp) {
		if (depth > 4) {
			*err = jvx_error("InvalidConfiguration", "profile '%s': source_profile chain too long", profile);
			goto out;
		}
		/* a source profile that has its own keys uses them even if it has role_arn too
		 * (botocore: the chain ends at static credentials of the source profile) */
		got = profile_creds(c, sp, depth + 1, &src, err);
	} else if (cs) {
		if (!strcmp(cs, "Environment")) {
			if (env_nonempty("AWS_ACCESS_KEY_ID") && env_nonempty("AWS_SECRET_ACCESS_KEY")) {
				src.access_key_id = xstrdup(getenv("AWS_ACCESS_KEY_ID"));
				src.secret_access_key = xstrdup(getenv("AWS_SECRET_ACCESS_KEY"));
				if (env_nonempty("AWS_SESSION_TOKEN"))
					src.session_token = xstrdup(getenv("AWS_SESSION_TOKEN"));
				got = 1;
			}
		} else if (!strcmp(cs, "EcsContainer")) {
			got = container_creds(c, &src, err);
		} else if (!strcmp(cs, "Ec2InstanceMetadata")) {
			got = imds_creds(&src);
		} else {
			*err = jvx_error("InvalidConfiguration", "profile '%s': unknown credential_source '%s'",
					 profile, cs);
			goto out;
		}
	} else {
		*err = jvx_error("InvalidConfiguration",
				 "profile '%s' has role_arn but no source_profile, credential_source or web_identity_token_file",
				 profile);
		goto out;
	}
	if (got < 0)
		goto out;
	if (got == 0) {
		*err = jvx_error("NoCredentials", "profile '%s': no source credentials for role %s", profile,
				 role_arn);
		goto out;
	}
	char *sn = session_name(sess);
	jv p = jv_object();
	p = jv_object_set(p, jv_string("RoleArn"), jv_string(role_arn));
	p = jv_object_set(p, jv_string("RoleSessionName"), jv_string(sn));
	free(sn);
	if (ext)
		p = jv_object_set(p, jv_string("ExternalId"), jv_string(ext));
	if (dur)
		p = jv_object_set(p, jv_string("DurationSeconds"), jv_string(dur));
	ret = sts_call(c, &src, "AssumeRole", p, "assume-role", out, err) == 0 ? 1 : -1;
out:
	aws_creds_release(&src);
	free(sp);
	free(cs);
	free(ext);
	free(sess);
	free(dur);
	free(wit);
	return ret;
}

extern char **environ;

/* split a command line like the AWS CLI (shlex): whitespace, '...' and "..." quoting,
 * backslash escapes outside single quotes; no shell */
static char **split_command(const char *s)
{
	int berr = 0;
	char **argv = NULL;
	int n = 0, alloc = 0;
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		if (!*s)
			break;
		struct buf w = BUF_INIT(0);
		char q = 0;
		for (; *s && (q || !isspace((unsigned char)*s)); s++) {
			if (q == '\'' ? *s == '\'' : q == '"' ? *s == '"' : 0) {
				q = 0;
			} else if (!q && (*s == '\'' || *s == '"')) {
				q = *s;
			} else if (*s == '\\' && q != '\'' && s[1]) {
				berr |= buf_addc(&w, *++s);
			} else {
				berr |= buf_addc(&w, *s);
			}
		}
		ALLOC_GROW(argv, n + 2, alloc);
		argv[n++] = buf_detach(&w);
	}
	BUF_NOCAP(berr);
	if (!argv)
		return NULL;
	argv[n] = NULL;
	return argv;
}

static int process_creds(const char *profile, const char *cmd, struct aws_creds *out, jv *err)
{
	char **argv = split_command(cmd);
	int fds[2] = {-1, -1}, ret = -1, status = 0;
	pid_t pid = -1;
	struct buf o = BUF_INIT(CAP_CREDENTIAL_OUTPUT);
	posix_spawn_file_actions_t fa;
	if (!argv) {
		*err = jvx_error("InvalidConfiguration", "profile '%s': empty credential_process", profile);
		return -1;
	}
	if (pipe2(fds, O_CLOEXEC) < 0) {
		*err = jvx_error("ProcessError", "credential_process: pipe: %s", strerror(errno));
		goto out;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
	posix_spawn_file_actions_addclose(&fa, fds[0]);
	posix_spawn_file_actions_addclose(&fa, fds[1]);
	int rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(fds[1]);
	fds[1] = -1;
	if (rc != 0) {
		*err = jvx_error("ProcessError", "profile '%s': cannot run credential_process '%s': %s", profile,
				 argv[0], strerror(rc));
		pid = -1;
		goto out;
	}
	/* read stdout to its end, 30 s at most */
	int eof = 0;
	for (int waited = 0; waited < 30000 && !eof;) {
		struct pollfd p = {fds[0], POLLIN, 0};
		int pr = poll(&p, 1, 200);
		if (pr < 0 && errno != EINTR)
			break;
		if (pr <= 0) {
			waited += 200;
			continue;
		}
		char tmp[4096];
		ssize_t k = read(fds[0], tmp, sizeof tmp);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			eof = 1;
		else if (buf_add(&o, tmp, (size_t)k) < 0)
			break;
	}
	if (!eof)
		kill(pid, SIGTERM);   /* hung, or far too much output */
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	pid = -1;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		*err = jvx_error("ProcessError", "profile '%s': credential_process '%s' failed", profile, argv[0]);
		goto out;
	}
	jv j = jvx_parse_sized(buf_str(&o), o.len);
	if (jv_get_kind(j) != JV_KIND_OBJECT || creds_from_json(j, "process", out) < 0) {
		*err = jvx_error("ProcessError", "profile '%s': credential_process printed no AccessKeyId / SecretAccessKey",
				 profile);
		jv_free(j);
		goto out;
	}
	jv_free(j);
	ret = 1;
out:
	if (o.data)
		memset(o.data, 0, o.len);
	buf_release(&o);
	if (fds[0] >= 0)
		close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
	for (int i = 0; argv[i]; i++)
		free(argv[i]);
	free(argv);
	return ret;
}

/* 1 found, 0 this profile has none, -1 error */
static int profile_creds(struct aws_client *c, const char *profile, int depth,
			 struct aws_creds *out, jv *err)
{
	char *ak = profile_get(profile, "aws_access_key_id");
	char *sk = profile_get(profile, "aws_secret_access_key");
	char *role = depth == 0 || !ak ? profile_get(profile, "role_arn") : NULL;
	char *cp = NULL;
	int ret = 0;
	if (role) {
		ret = assume_role(c, profile, role, depth, out, err);
	} else if (ak && sk) {
		out->access_key_id = ak;
		out->secret_access_key = sk;
		out->session_token = profile_get(profile, "aws_session_token");
		out->source = "profile";
		ak = sk = NULL;
		ret = 1;
	} else if ((cp = profile_get(profile, "credential_process"))) {
		ret = process_creds(profile, cp, out, err);
	} else if ((cp = profile_get(profile, "sso_start_url")) || (cp = profile_get(profile, "sso_session"))) {
		ret = aws_sso_creds(c, profile, out, err);
	} else if (depth > 0) {
		*err = jvx_error("NoCredentials", "source profile '%s' has no credentials", profile);
		ret = -1;
	}
	free(ak);
	if (sk)
		memset(sk, 0, strlen(sk));
	free(sk);
	free(role);
	free(cp);
	return ret;
}

int aws_resolve_credentials(struct aws_client *c, struct aws_creds *out, jv *err)
{
	int berr = 0;
	int r;
	memset(out, 0, sizeof *out);
	if (!c->profile && env_nonempty("AWS_ACCESS_KEY_ID") && env_nonempty("AWS_SECRET_ACCESS_KEY")) {
		out->access_key_id = xstrdup(getenv("AWS_ACCESS_KEY_ID"));
		out->secret_access_key = xstrdup(getenv("AWS_SECRET_ACCESS_KEY"));
		if (env_nonempty("AWS_SESSION_TOKEN"))
			out->session_token = xstrdup(getenv("AWS_SESSION_TOKEN"));
		out->source = "env";
		return 1;
	}
	const char *profile = profile_name(c->profile);
	/* a named profile that does not exist is a mistake to report now, not after trying
	 * the container and instance metadata endpoints (the AWS CLI says the same) */
	if (strcmp(profile, "default") && !profile_exists(profile)) {
		*err = jvx_error("ProfileNotFound", "the config profile '%s' could not be found (in %s or %s)",
				 profile, "~/.aws/credentials", "~/.aws/config");
		return -1;
	}
	struct buf key = BUF_INIT(0);
	berr |= buf_addf(&key, "profile:%s", profile);
	BUF_NOCAP(berr);
	if (cache_get(key.data, out)) {
		buf_release(&key);
		return 1;
	}
	r = profile_creds(c, profile, 0, out, err);
	if (r == 0 && env_nonempty("AWS_WEB_IDENTITY_TOKEN_FILE") && env_nonempty("AWS_ROLE_ARN"))
		r = web_identity(c, getenv("AWS_WEB_IDENTITY_TOKEN_FILE"), getenv("AWS_ROLE_ARN"),
				 getenv("AWS_ROLE_SESSION_NAME"), out, err) == 0 ? 1 : -1;
	if (r == 0)
		r = container_creds(c, out, err);
	if (r == 0)
		r = imds_creds(out);
	if (r == 1 && out->session_token && strcmp(out->source, "profile"))
		cache_put(key.data, out);
	if (r == 0 && c->profile && strcmp(c->profile, "default")) {
		*err = jvx_error("ProfileNotFound", "profile '%s' has no credentials", c->profile);
		r = -1;
	}
	buf_release(&key);
	return r;
}
