// OpenSSL for MediaCrypto: the headers it uses, and functions in place of the macros Swift
// cannot import (function-like or variadic macros).
#ifndef PARLEY_COPENSSL_SHIM_H
#define PARLEY_COPENSSL_SHIM_H

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/srtp.h>
#include <openssl/x509.h>
#include <stdint.h>
#include <sys/time.h>

static inline EVP_PKEY *parley_generate_p256_key(void) { return EVP_EC_gen("P-256"); }

static inline int parley_ctx_set_dtls12_only(SSL_CTX *ctx) {
    return SSL_CTX_set_min_proto_version(ctx, DTLS1_2_VERSION) == 1
        && SSL_CTX_set_max_proto_version(ctx, DTLS1_2_VERSION) == 1;
}

static inline void parley_ctx_disable_session_cache(SSL_CTX *ctx) {
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
}

static inline uint64_t parley_op_no_query_mtu(void) { return SSL_OP_NO_QUERY_MTU; }

static inline int parley_mbstring_asc(void) { return MBSTRING_ASC; }

static inline long parley_dtls_set_link_mtu(SSL *ssl, long mtu) { return DTLS_set_link_mtu(ssl, mtu); }

/// 1 and the time left in `left` while a retransmission timer runs, 0 otherwise.
static inline long parley_dtls_get_timeout(SSL *ssl, struct timeval *left) { return DTLSv1_get_timeout(ssl, left); }

static inline long parley_dtls_handle_timeout(SSL *ssl) { return DTLSv1_handle_timeout(ssl); }

static inline void parley_bio_set_retry_read(BIO *bio) { BIO_set_retry_read(bio); }

static inline void parley_bio_clear_retry_flags(BIO *bio) { BIO_clear_retry_flags(bio); }

#endif
