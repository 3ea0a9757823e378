/* sso.c — IAM Identity Center (SSO) profiles, as the AWS CLI v2 reads them.
 *
 * A profile with sso_session (its [sso-session NAME] has sso_start_url, sso_region) or
 * the legacy sso_start_url / sso_region, plus sso_account_id and sso_role_name:
 *   1. the token `aws sso login` cached in ~/.aws/sso/cache/SHA1.json, SHA1 the hex
 *      SHA-1 of the session name (legacy: of the start URL);
 *   2. within 15 minutes of its expiry (botocore's refresh window), a session profile's
 *      token is refreshed with SSO OIDC CreateToken (grant refresh_token, the cached
 *      client registration) and the cache file rewritten; if that fails the old token
 *      serves while it is still valid;
 *   3. SSO GetRoleCredentials (GET /federation/credentials) gives the role's keys.
 * Endpoints: https://portal.sso.REGION.amazonaws.com and https://oidc.REGION.amazonaws.com,
 * or AWS_ENDPOINT_URL_SSO / AWS_ENDPOINT_URL_SSO_OIDC (and the rest of the endpoint
 * configuration) as for any service. Nothing here logs a token or a key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include "aws.h"
#include "../../core/bug.h"
#include "../../core/dur.h"
#include "../../core/caps.h"
#include "../../core/fs.h"
#include "../../core/jvx.h"

#define SSO_REFRESH_WINDOW_MS (15 * 60 * 1000)

static const struct aws_service svc_sso = {"awsssoportal", "portal.sso", "SSO", "2019-06-10", AWS_JSON11, NULL};
static const struct aws_service svc_sso_oidc = {"sso-oauth", "oidc", "SSO_OIDC", "2019-06-10", AWS_JSON11, NULL};

struct sso_profile {
	char *session;       /* sso_session, NULL for a legacy profile */
	char *start_url, *region, *account, *role;
	char *cache_path;
};

static void sso_profile_release(struct sso_profile *p)
{
	free(p->session);
	free(p->start_url);
	free(p->region);
	free(p->account);
	free(p->role);
	free(p->cache_path);
	memset(p, 0, sizeof *p);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ~/.aws/sso/cache/<hex sha1 of key>.json */
static char *cache_path(const char *key)
{
	int berr = 0;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	const char *home = getenv("HOME");
	if (!home || !EVP_Digest(key, strlen(key), md, &mdlen, EVP_sha1(), NULL))
		return NULL;
	struct buf b = BUF_INIT(0);
	berr |= buf_addf(&b, "%s/.aws/sso/cache/", home);
	for (unsigned int i = 0; i < mdlen; i++)
		berr |= buf_addf(&b, "%02x", md[i]);
	berr |= buf_adds(&b, ".json");
	BUF_NOCAP(berr);
	return buf_detach(&b);
}

static int sso_profile_read(const char *profile, struct sso_profile *p, jv *err)
{
	int berr = 0;
	memset(p, 0, sizeof *p);
	p->session = aws_profile_get(profile, "sso_session");
	if (p->session) {
		char *cfg = aws_config_path(0);
		struct buf sec = BUF_INIT(0);
		berr |= buf_addf(&sec, "sso-session %s", p->session);
		BUF_NOCAP(berr);
		p->start_url = aws_ini_get(cfg, sec.data, "sso_start_url");
		p->region = aws_ini_get(cfg, sec.data, "sso_region");
		buf_release(&sec);
		free(cfg);
		if (!p->start_url || !p->region) {
			*err = jvx_error("InvalidConfiguration",
					 "profile '%s': sso-session '%s' needs sso_start_url and sso_region in ~/.aws/config",
					 profile, p->session);
			return -1;
		}
	} else {
		p->start_url = aws_profile_get(profile, "sso_start_url");
		p->region = aws_profile_get(profile, "sso_region");
		if (!p->start_url || !p->region) {
			*err = jvx_error("InvalidConfiguration", "profile '%s' needs sso_start_url and sso_region (or sso_session)",
					 profile);
			return -1;
		}
	}
	p->account = aws_profile_get(profile, "sso_account_id");
	p->role = aws_profile_get(profile, "sso_role_name");
	if (!p->account || !p->role) {
		*err = jvx_error("InvalidConfiguration", "profile '%s' uses SSO but has no sso_account_id and sso_role_name",
				 profile);
		return -1;
	}
	p->cache_path = cache_path(p->session ? p->session : p->start_url);
	if (!p->cache_path) {
		*err = jvx_error("InvalidConfiguration", "profile '%s': no HOME for the SSO token cache", profile);
		return -1;
	}
	return 0;
}

/* an anonymous client for the SSO endpoints of the session's region */
static void sso_client(struct aws_client *parent, const char *region, struct aws_client *t)
{
	memset(t, 0, sizeof *t);
	t->call = parent->call;
	t->region = xstrdup(region);
	t->profile = parent->profile ? xstrdup(parent->profile) : NULL;
	t->ca_bundle = parent->ca_bundle ? xstrdup(parent->ca_bundle) : NULL;
	t->retry_mode = parent->retry_mode;
	t->max_attempts = parent->max_attempts;
	t->base_ms = parent->base_ms;
	t->cap_ms = parent->cap_ms;
	t->have_creds = -1;
}

/* CreateToken with the refresh token; on success the cache (*tok, object) is updated
 * in memory and on disk */
static int sso_refresh(struct aws_client *c, const struct sso_profile *p, jv *tok, jv *err)
{
	const char *cid = jvx_str(*tok, "clientId"), *cs = jvx_str(*tok, "clientSecret");
	const char *rt = jvx_str(*tok, "refreshToken"), *rexp = jvx_str(*tok, "registrationExpiresAt");
	int64_t rexp_ms = 0;
	if (!cid || !cs || !rt) {
		*err = jvx_error("SSOTokenExpired", "the cached SSO token has no refresh token");
		return -1;
	}
	if (rexp && ts_parse(rexp, &rexp_ms) == 0 && rexp_ms <= now_ms()) {
		*err = jvx_error("SSOTokenExpired", "the SSO client registration expired at %s", rexp);
		return -1;
	}
	jv body = jv_object();
	body = jv_object_set(body, jv_string("grantType"), jv_string("refresh_token"));
	body = jv_object_set(body, jv_string("clientId"), jv_string(cid));
	body = jv_object_set(body, jv_string("clientSecret"), jv_string(cs));
	body = jv_object_set(body, jv_string("refreshToken"), jv_string(rt));
	jv text = jvx_dump_string(body, 0);
	struct aws_client t;
	struct aws_request r;
	struct aws_response resp;
	int ret = -1;
	sso_client(c, p->region, &t);
	aws_request_init(&r, &svc_sso_oidc, "POST");
	free(r.path);
	r.path = xstrdup("/token");
	r.anonymous = 1;
	r.body = jv_string_value(text);
	r.body_len = (size_t)jv_string_length_bytes(jv_copy(text));
	aws_request_header(&r, "Content-Type", "application/json");
	if (aws_perform(&t, &r, &resp, err) == 0) {
		jv j = jvx_parse_sized(buf_str(&resp.body), resp.body.len);
		const char *at = jvx_str(j, "accessToken");
		jv ein = jvx_get(j, "expiresIn");
		if (!at || jv_get_kind(ein) != JV_KIND_NUMBER) {
			*err = jvx_error("InvalidResponse", "SSO OIDC CreateToken returned no accessToken / expiresIn");
		} else {
			char when[32];
			time_t e = (time_t)((now_ms() + (int64_t)jv_number_value(ein) * 1000) / 1000);
			struct tm tm;
			gmtime_r(&e, &tm);
			strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
			*tok = jv_object_set(*tok, jv_string("accessToken"), jv_string(at));
			*tok = jv_object_set(*tok, jv_string("expiresAt"), jv_string(when));
			if (jvx_str(j, "refreshToken"))
				*tok = jv_object_set(*tok, jv_string("refreshToken"), jv_string(jvx_str(j, "refreshToken")));
			jv out = jvx_dump_string(jv_copy(*tok), 0);
			/* a cache we cannot rewrite costs a refresh next time, nothing more */
			(void)fs_write_atomic(p->cache_path, jv_string_value(out),
					      (size_t)jv_string_length_bytes(jv_copy(out)), 0600);
			jv_free(out);
			ret = 0;
		}
		jv_free(ein);
		jv_free(j);
	}
	aws_response_release(&resp);
	aws_request_release(&r);
	aws_client_release(&t);
	jv_free(text);
	return ret;
}

/* the cached access token, refreshed when due; malloc'd, or NULL with *err */
static char *sso_token(struct aws_client *c, const char *profile, const struct sso_profile *p, jv *err)
{
	int berr = 0;
	char *text = fs_read(p->cache_path, CAP_AWS_FILE, NULL);
	char *ret = NULL;
	struct buf login = BUF_INIT(0);
	berr |= buf_addf(&login, "run 'aws sso login --profile %s'", profile);
	BUF_NOCAP(berr);
	if (!text) {
		*err = jvx_error("SSOTokenNotFound", "profile '%s': no SSO token for %s '%s' (%s not found): %s",
				 profile, p->session ? "session" : "start URL", p->session ? p->session : p->start_url,
				 p->cache_path, login.data);
		buf_release(&login);
		return NULL;
	}
	jv tok = jvx_parse_sized(text, strlen(text));
	memset(text, 0, strlen(text));
	free(text);
	const char *exp = jvx_str(tok, "expiresAt");
	int64_t exp_ms = 0;
	if (jv_get_kind(tok) != JV_KIND_OBJECT || !jvx_str(tok, "accessToken") || !exp || ts_parse(exp, &exp_ms) < 0) {
		*err = jvx_error("SSOTokenNotFound", "profile '%s': the SSO token cache %s is not valid: %s", profile,
				 p->cache_path, login.data);
		goto out;
	}
	if (exp_ms - SSO_REFRESH_WINDOW_MS <= now_ms() && p->session) {
		jv rerr = jv_null();
		if (sso_refresh(c, p, &tok, &rerr) == 0)
			exp_ms = now_ms() + SSO_REFRESH_WINDOW_MS + 1;   /* fresh */
		else if (exp_ms <= now_ms()) {
			const char *m = jvx_str(rerr, "message");
			*err = jvx_error("SSOTokenExpired", "profile '%s': the SSO token expired at %s and could not be refreshed (%s): %s",
					 profile, exp, m ? m : "no detail", login.data);
			jv_free(rerr);
			goto out;
		}
		jv_free(rerr);
	}
	if (exp_ms <= now_ms()) {
		*err = jvx_error("SSOTokenExpired", "profile '%s': the SSO session expired at %s: %s", profile, exp,
				 login.data);
		goto out;
	}
	ret = xstrdup(jvx_str(tok, "accessToken"));
out:
	jv_free(tok);
	buf_release(&login);
	return ret;
}

int aws_sso_creds(struct aws_client *c, const char *profile, struct aws_creds *out, jv *err)
{
	int berr = 0;
	struct sso_profile p;
	struct aws_client t;
	struct aws_request r;
	struct aws_response resp;
	char *token = NULL;
	int ret = -1;
	memset(&t, 0, sizeof t);
	memset(&r, 0, sizeof r);
	if (sso_profile_read(profile, &p, err) < 0)
		goto out;
	if (!(token = sso_token(c, profile, &p, err)))
		goto out;
	sso_client(c, p.region, &t);
	aws_request_init(&r, &svc_sso, "GET");
	free(r.path);
	r.path = xstrdup("/federation/credentials");
	r.anonymous = 1;
	berr |= buf_adds(&r.query, "account_id=");
	berr |= aws_uri_encode(&r.query, p.account, strlen(p.account), 0);
	berr |= buf_adds(&r.query, "&role_name=");
	berr |= aws_uri_encode(&r.query, p.role, strlen(p.role), 0);
	if (berr) {
		*err = jvx_error("InvalidConfiguration", "profile '%s': sso_account_id or sso_role_name is too long", profile);
		goto out;
	}
	aws_request_header(&r, "x-amz-sso_bearer_token", token);
	if (aws_perform(&t, &r, &resp, err) < 0) {
		aws_response_release(&resp);
		if (aws_err_is(*err, "UnauthorizedException")) {
			jv_free(*err);
			*err = jvx_error("SSOTokenExpired", "profile '%s': the SSO token was refused: run 'aws sso login --profile %s'",
					 profile, profile);
		}
		goto out;
	}
	jv j = jvx_parse_sized(buf_str(&resp.body), resp.body.len);
	jv rc = jvx_get(j, "roleCredentials");
	const char *ak = jvx_str(rc, "accessKeyId"), *sk = jvx_str(rc, "secretAccessKey");
	const char *st = jvx_str(rc, "sessionToken");
	jv exp = jvx_get(rc, "expiration");
	if (!ak || !sk) {
		*err = jvx_error("InvalidResponse", "SSO GetRoleCredentials returned no roleCredentials");
	} else {
		out->access_key_id = xstrdup(ak);
		out->secret_access_key = xstrdup(sk);
		out->session_token = st ? xstrdup(st) : NULL;
		out->expires_ms = jv_get_kind(exp) == JV_KIND_NUMBER ? (int64_t)jv_number_value(exp) : 0;
		out->source = "sso";
		ret = 1;
	}
	jv_free(exp);
	jv_free(rc);
	jv_free(j);
	aws_response_release(&resp);
out:
	if (r.path)
		aws_request_release(&r);
	aws_client_release(&t);
	if (token) {
		memset(token, 0, strlen(token));
		free(token);
	}
	sso_profile_release(&p);
	return ret;
}
