/* k8s_tls.c — the simulated API server's certificates: a CA, a server certificate for
 * 127.0.0.1/localhost and a client certificate, made at start with OpenSSL (EC P-256,
 * valid for a day). Tests use them to check that clients verify the server and
 * authenticate with a client certificate, as against a real cluster.
 */
#include <string.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include "k8s.h"
#include "../core/bug.h"

static EVP_PKEY *new_key(void)
{
	return EVP_EC_gen("P-256");
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -1;
	X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return 0;
}

/* a certificate for key, signed by (issuer, issuer_key), or self-signed when NULL */
static X509 *make_cert(EVP_PKEY *key, const char *cn, const char *org, X509 *issuer,
		       EVP_PKEY *issuer_key, int ca, int server, int client)
{
	X509 *c = X509_new();
	unsigned char serial[16];
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	BIGNUM *bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	X509_set_version(c, 2);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 86400);
	X509_set_pubkey(c, key);
	X509_NAME *name = X509_get_subject_name(c);
	if (org)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
	X509 *iss = issuer ? issuer : c;
	if (ca) {
		add_ext(c, iss, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
	} else {
		add_ext(c, iss, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
		add_ext(c, iss, NID_ext_key_usage, server ? "serverAuth" : "clientAuth");
		if (server)
			add_ext(c, iss, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
	}
	(void)client;
	if (!X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256())) {
		X509_free(c);
		return NULL;
	}
	return c;
}

static char *pem_cert(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(b, c);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

static char *pem_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *data;
	long n = BIO_get_mem_data(b, &data);
	char *out = xstrndup(data, (size_t)n);
	BIO_free(b);
	return out;
}

int sim_k8s_pki_make(struct k8s_pki *p, const char *client_cn, struct diag_list *dl)
{
	int rc = -1;
	EVP_PKEY *cak = new_key(), *sk = new_key(), *ck = new_key();
	X509 *ca = NULL, *sc = NULL, *cc = NULL;
	memset(p, 0, sizeof(*p));
	if (!cak || !sk || !ck)
		goto out;
	ca = make_cert(cak, "runbook-sim-ca", NULL, NULL, NULL, 1, 0, 0);
	sc = ca ? make_cert(sk, "runbook-sim-apiserver", NULL, ca, cak, 0, 1, 0) : NULL;
	cc = ca ? make_cert(ck, client_cn, "system:masters", ca, cak, 0, 0, 1) : NULL;
	if (!ca || !sc || !cc)
		goto out;
	p->ca_cert = pem_cert(ca);
	p->ca_key = pem_key(cak);
	p->server_cert = pem_cert(sc);
	p->server_key = pem_key(sk);
	p->client_cert = pem_cert(cc);
	p->client_key = pem_key(ck);
	rc = 0;
out:
	if (rc < 0)
		diag_error(dl, NULL, "cannot make the simulator's certificates (OpenSSL)");
	X509_free(ca);
	X509_free(sc);
	X509_free(cc);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sk);
	EVP_PKEY_free(ck);
	return rc;
}

void sim_k8s_pki_free(struct k8s_pki *p)
{
	free(p->ca_cert);
	free(p->ca_key);
	free(p->server_cert);
	free(p->server_key);
	free(p->client_cert);
	free(p->client_key);
	memset(p, 0, sizeof(*p));
}

char *sim_k8s_pki_verify_client(const char *ca_pem, const unsigned char *der, size_t len)
{
	char *cn = NULL;
	BIO *b = BIO_new_mem_buf(ca_pem, -1);
	X509 *ca = PEM_read_bio_X509(b, NULL, NULL, NULL);
	const unsigned char *p = der;
	X509 *c = d2i_X509(NULL, &p, (long)len);
	EVP_PKEY *cakey = ca ? X509_get0_pubkey(ca) : NULL;
	if (!ca || !c || !cakey)
		goto out;
	if (X509_verify(c, cakey) != 1)
		goto out;
	if (X509_cmp_current_time(X509_get0_notAfter(c)) < 0)
		goto out;
	char buf[256];
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(c), NID_commonName, buf, sizeof(buf)) > 0)
		cn = xstrdup(buf);
out:
	X509_free(c);
	X509_free(ca);
	BIO_free(b);
	return cn;
}
