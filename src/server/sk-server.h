/* sk-server.h: skidka-server, the HQ REST server over libskidka.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* An HTTP gateway of SMS or push messages ([sms], [push]). */
typedef struct
{
  char  *url;           /* NULL: the channel is not delivered */
  char **headers;       /* "Name: value", the API key among them */
  char  *body_template; /* JSON; "{{id}}", "{{to}}", "{{subject}}", "{{text}}" in its strings */
} SkGatewayConfig;

/* The delivery of notifications ([smtp], [sms], [push], [notifications]);
 * sk_server_config_new sets the defaults in brackets. */
typedef struct
{
  char *smtp_url; /* smtp://host:port (STARTTLS when offered) or smtps://; NULL: no e-mail */
  char *smtp_username;
  char *smtp_password_file;
  char *smtp_from;
  SkGatewayConfig sms;
  SkGatewayConfig push;
  guint           retries;            /* attempts before a notification fails (5) */
  guint           retry_delay;        /* seconds before the second attempt, doubling after (60) */
  guint           lease;              /* seconds a worker may take to send a claimed batch (300) */
  guint           batch;              /* notifications claimed at once (50) */
  int             quiet_start;        /* no SMS or push from this local hour... */
  int             quiet_end;          /* ...to this one (equal: no quiet hours); default 22 to 8 */
  guint           weekly_cap;         /* marketing messages per customer per 7 days (3) */
  guint           birthday_lead_days; /* (3) */
  char           *public_url;         /* the server as customers reach it, for unsubscribe links */
} SkNotifyConfig;

typedef struct
{
  char  *address;         /* "127.0.0.1", "0.0.0.0", "::"; NULL: loopback */
  guint  port;            /* 0: any free port (tests) */
  char  *database;        /* path of the SQLite file */
  char  *tls_certificate; /* PEM files; both NULL: plain HTTP */
  char  *tls_key;
  guint  workers;                 /* database threads; 0: the number of CPUs */
  gsize  max_body;                /* bytes; 0: 1 MiB */
  gint64 token_lifetime;          /* seconds; 0: 12 hours */
  guint  login_attempts;          /* failed logins allowed per window; 0: 5 */
  gint64 login_window;            /* seconds; 0: 15 minutes */
  gint64 manual_bonus_limit;      /* kopecks a manager may earn, spend or adjust by
                                   * hand at once; above it an admin must; 0: 1 000 000 */
  guint max_connections;          /* open at once, beyond: 503; 0: 1000 (fewer
                                   * if the descriptor limit is lower) */
  guint          header_timeout;  /* seconds for a request's head; 0: 10 */
  guint          body_timeout;    /* seconds for its body after the head; 0: 30 */
  guint          idle_timeout;    /* seconds a kept-alive connection may idle; 0: 30 */
  char         **trusted_proxies; /* addresses whose X-Forwarded-For names the client */
  SkNotifyConfig notify;
} SkServerConfig;

SkServerConfig *sk_server_config_new (void);
/* Reads the [server], [database], [tls], [auth], [smtp], [sms], [push] and
 * [notifications] groups of a GKeyFile. */
SkServerConfig *sk_server_config_load (const char *path, GError **error);
/* The same from the text of such a file (the fuzzer feeds it this way). */
SkServerConfig *sk_server_config_load_from_data (const char *data, gsize length, GError **error);
void            sk_server_config_free (SkServerConfig *config);

#define SK_TYPE_SERVER (sk_server_get_type ())
G_DECLARE_FINAL_TYPE (SkServer, sk_server, SK, SERVER, GObject)

SkServer *sk_server_new (const SkServerConfig *config);
/* Opens (and migrates) the database and listens; the server's callbacks run
 * on the thread-default main context of the caller. */
gboolean sk_server_start (SkServer *self, GError **error);
/* Stops listening and waits for the requests in flight. */
void  sk_server_stop (SkServer *self);
guint sk_server_get_port (SkServer *self);
/* The OpenAPI 3 document of every route (new reference). */
JsonNode *sk_server_openapi (void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkServerConfig, sk_server_config_free)

G_END_DECLS
