/* sigv4_sign CASES.json — sign each case with our signer (interpreter/modules/aws/sigv4.c)
 * exactly as transport.c sends requests (X-Amz-Date, X-Amz-Security-Token with a session
 * token, x-amz-content-sha256 on S3) and print `name<TAB>Authorization`; sigv4_test.sh
 * compares the lines with botocore's (sigv4_oracle.py). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/bug.h"
#include "core/jvx.h"
#include "modules/aws/aws.h"

static char *slurp(const char *path)
{
	int berr = 0;
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b = BUF_INIT(0);
	char tmp[4096];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		berr |= buf_add(&b, tmp, n);
	BUF_NOCAP(berr);
	fclose(f);
	return buf_detach(&b);
}

int main(int argc, char **argv)
{
	int berr = 0;
	if (argc != 2) {
		fprintf(stderr, "usage: sigv4_sign CASES.json\n");
		return 2;
	}
	char *text = slurp(argv[1]);
	if (!text) {
		fprintf(stderr, "cannot read %s\n", argv[1]);
		return 2;
	}
	jv cases = jv_parse(text);
	free(text);
	if (jv_get_kind(cases) != JV_KIND_ARRAY) {
		fprintf(stderr, "cases are not a JSON array\n");
		return 2;
	}
	struct aws_creds cr = {.access_key_id = "AKIDEXAMPLE",
			       .secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"};
	const char *amz_date = "20261122T031844Z";
	int rc = 0;
	jv_array_foreach(cases, i, c) {
		const char *url = jvx_str(c, "url"), *svc = jvx_str(c, "service");
		const char *body = jvx_str(c, "body"), *tok = jvx_str(c, "token");
		int https = !strncmp(url, "https://", 8);
		const char *hp = strstr(url, "://") + 3;
		size_t hl = strcspn(hp, "/");
		struct buf host = BUF_INIT(0), path = BUF_INIT(0), query = BUF_INIT(0), auth = BUF_INIT(0);
		berr |= buf_add(&host, hp, hl);
		if (https && host.len > 4 && !strcmp(host.data + host.len - 4, ":443"))
			host.data[host.len -= 4] = 0;
		const char *rest = hp + hl;
		size_t pl = strcspn(rest, "?");
		berr |= buf_add(&path, rest, pl);
		if (rest[pl] == '?')
			berr |= buf_adds(&query, rest + pl + 1);
		char phash[65];
		aws_sha256_hex(body, strlen(body), phash);
		jv hs = jvx_get(c, "headers");
		int n = jv_array_length(jv_copy(hs));
		struct aws_header *h = xcalloc((size_t)n + 3, sizeof *h);
		int nh = 0;
		jv_array_foreach(hs, j, pair) {
			jv k = jv_array_get(jv_copy(pair), 0), v = jv_array_get(jv_copy(pair), 1);
			h[nh].name = xstrdup(jv_string_value(k));
			h[nh].value = xstrdup(jv_string_value(v));
			nh++;
			jv_free(k);
			jv_free(v);
			jv_free(pair);
		}
		jv_free(hs);
		h[nh].name = xstrdup("X-Amz-Date");
		h[nh++].value = xstrdup(amz_date);
		if (tok) {
			h[nh].name = xstrdup("X-Amz-Security-Token");
			h[nh++].value = xstrdup(tok);
		}
		if (!strcmp(svc, "s3")) {
			h[nh].name = xstrdup("x-amz-content-sha256");
			h[nh++].value = xstrdup(phash);
		}
		struct aws_creds use = cr;
		use.session_token = (char *)tok;
		if (jvx_bool(c, "presign", 0)) {
			struct buf pq = BUF_INIT(0);
			if (aws_sigv4_presign(host.data, buf_str(&query), &use, jvx_str(c, "region"), svc, amz_date,
					      3600, &pq) < 0 || !strstr(buf_str(&pq), "X-Amz-Signature=")) {
				printf("%s\tERROR\n", jvx_str(c, "name"));
				rc = 1;
			} else {
				printf("%s\t%s\n", jvx_str(c, "name"), strstr(pq.data, "X-Amz-Signature=") + 16);
			}
			buf_release(&pq);
			goto next;
		}
		struct aws_sign_req sr = {
			.method = jvx_str(c, "method"), .host = host.data, .path = buf_str(&path),
			.query = buf_str(&query), .headers = h, .nheaders = nh, .payload_hash = phash,
			.s3 = !strcmp(svc, "s3"),
		};
		if (aws_sigv4_authorization(&sr, &use, jvx_str(c, "region"), svc, amz_date, &auth) < 0) {
			printf("%s\tERROR\n", jvx_str(c, "name"));
			rc = 1;
		} else {
			printf("%s\t%s\n", jvx_str(c, "name"), auth.data);
		}
next:
		for (int k = 0; k < nh; k++) {
			free(h[k].name);
			free(h[k].value);
		}
		free(h);
		buf_release(&host);
		buf_release(&path);
		buf_release(&query);
		buf_release(&auth);
		jv_free(c);
	}
	BUF_NOCAP(berr);
	jv_free(cases);
	return rc;
}
