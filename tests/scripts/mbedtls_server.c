// Used by hand to check the simulator's mbedtls-2.28 personality against a real stack (docs/alerts.md):
// gcc -o srv mbedtls_server.c -lmbedtls -lmbedx509 -lmbedcrypto  (Debian libmbedtls-dev 2.28.3)
// With a small input buffer, against mbedTLS 2.28.10 built from source (`make -C library static
// CFLAGS="-O1 -DMBEDTLS_SSL_IN_CONTENT_LEN=4096"`):
// gcc -DMBEDTLS_SSL_IN_CONTENT_LEN=4096 -I$SRC/include -o srv4k mbedtls_server.c \
//     $SRC/library/libmbedtls.a $SRC/library/libmbedx509.a $SRC/library/libmbedcrypto.a
/* A plain mbedTLS 2.28 server, as an ESP-IDF-style accessory runs it: one handshake per connection,
   then one mbedtls_ssl_read answered with a one-line HTTP reply, each error code printed, the socket
   closed on error (no extra alert). argv: port cert key [clientca] */
#include <stdio.h>
#include <string.h>
#include <mbedtls/net_sockets.h>
#include <mbedtls/ssl.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/pk.h>
int main(int argc, char **argv) {
    mbedtls_net_context listen_fd, client_fd;
    mbedtls_entropy_context entropy; mbedtls_ctr_drbg_context drbg;
    mbedtls_ssl_config conf; mbedtls_x509_crt crt, ca; mbedtls_pk_context key;
    mbedtls_net_init(&listen_fd); mbedtls_entropy_init(&entropy); mbedtls_ctr_drbg_init(&drbg);
    mbedtls_ssl_config_init(&conf); mbedtls_x509_crt_init(&crt); mbedtls_x509_crt_init(&ca); mbedtls_pk_init(&key);
    if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, NULL, 0)) return 1;
    if (mbedtls_x509_crt_parse_file(&crt, argv[2])) return 2;
    if (mbedtls_pk_parse_keyfile(&key, argv[3], NULL)) return 3;
    mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
    mbedtls_ssl_conf_own_cert(&conf, &crt, &key);
    if (argc > 4) {
        if (mbedtls_x509_crt_parse_file(&ca, argv[4])) return 4;
        mbedtls_ssl_conf_ca_chain(&conf, &ca, NULL);
        mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
    }
    if (mbedtls_net_bind(&listen_fd, "127.0.0.1", argv[1], MBEDTLS_NET_PROTO_TCP)) return 5;
    fprintf(stderr, "listening %s (IN_CONTENT_LEN %d)\n", argv[1], MBEDTLS_SSL_IN_CONTENT_LEN);
    for (;;) {
        mbedtls_ssl_context ssl; mbedtls_ssl_init(&ssl); mbedtls_ssl_setup(&ssl, &conf);
        mbedtls_net_init(&client_fd);
        if (mbedtls_net_accept(&listen_fd, &client_fd, NULL, 0, NULL)) continue;
        mbedtls_ssl_set_bio(&ssl, &client_fd, mbedtls_net_send, mbedtls_net_recv, NULL);
        int ret = mbedtls_ssl_handshake(&ssl);
        fprintf(stderr, "handshake: -0x%04x\n", (unsigned) -ret);
        if (ret == 0) {
            static unsigned char buf[16384];
            ret = mbedtls_ssl_read(&ssl, buf, sizeof buf);
            fprintf(stderr, "read: %s0x%04x\n", ret < 0 ? "-" : "", (unsigned) (ret < 0 ? -ret : ret));
            if (ret > 0) {
                const char *ok = "HTTP/1.0 200 ok\r\n\r\n";
                mbedtls_ssl_write(&ssl, (const unsigned char *) ok, strlen(ok));
            }
            if (ret > 0 || ret == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) mbedtls_ssl_close_notify(&ssl);
        }
        mbedtls_net_free(&client_fd); mbedtls_ssl_free(&ssl);
    }
}
