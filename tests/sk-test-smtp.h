/* sk-test-smtp.h: a small SMTP server on loopback that keeps what it is
 * sent, for the delivery tests and benchmark.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char *from;
  char *to;   /* the first recipient */
  char *data; /* the message as sent, dot-unstuffed, lines ending in CRLF */
} SkTestMail;

typedef struct _SkTestSmtp SkTestSmtp;

/* Listens on 127.0.0.1, a free port. A recipient whose address starts with
 * "reject" is refused with 550. */
SkTestSmtp *sk_test_smtp_start (void);
guint       sk_test_smtp_get_port (SkTestSmtp *self);
/* The mails received so far (a copy of the array, the mails shared). */
GPtrArray *sk_test_smtp_mails (SkTestSmtp *self);
guint      sk_test_smtp_count (SkTestSmtp *self);
/* TCP connections accepted so far. */
guint sk_test_smtp_connections (SkTestSmtp *self);
void  sk_test_smtp_stop (SkTestSmtp *self);

G_END_DECLS
