/* sk-test-proxy.h: a TCP proxy on loopback between a till and HQ that
 * injects the faults of a real network: a response lost after the server
 * did the work, a connection reset in the middle of a request, a slow line.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  SK_TEST_PROXY_PASS,
  /* The request goes to the server whole, its whole response is read
   * back, and the client's connection is closed without a byte of it. */
  SK_TEST_PROXY_DROP_RESPONSE,
  /* The head and half the body go to the server; then both connections are
   * reset (RST): the server never has the whole request, the client no
   * answer. */
  SK_TEST_PROXY_RESET_REQUEST,
  /* The request and the response each wait delay_ms before they go on. */
  SK_TEST_PROXY_DELAY,
} SkTestProxyFault;

typedef struct _SkTestProxy SkTestProxy;

/* A proxy on 127.0.0.1, port 0, in a thread of its own, to the server at
 * 127.0.0.1:@upstream_port; it passes everything until told otherwise. */
SkTestProxy *sk_test_proxy_new (guint upstream_port);
guint        sk_test_proxy_get_port (SkTestProxy *self);
/* From now on, of the requests whose path starts with @path_prefix (NULL:
 * all), the first @skip pass and the next @count (-1: all of them) get
 * @fault; the rest pass. */
void sk_test_proxy_set_fault (SkTestProxy     *self,
                              SkTestProxyFault fault,
                              const char      *path_prefix,
                              guint            skip,
                              int              count,
                              guint            delay_ms);
/* Requests that got a fault since the last sk_test_proxy_set_fault, and,
 * of those dropped, how many the server had answered 200. */
guint sk_test_proxy_get_faulted (SkTestProxy *self);
guint sk_test_proxy_get_dropped_ok (SkTestProxy *self);
/* Closes every connection, stops the proxy and frees it. */
void sk_test_proxy_free (SkTestProxy *self);

G_END_DECLS
