/* sk-postgres.h: the PostgreSQL backend of SkDatabase (libskidka-pg).
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Lets sk_database_open () take "postgresql://" URIs. */
void sk_postgres_init (void);

/* A statement's `?` and `?N` parameters numbered as `$N`. */
char *sk_postgres_translate (const char *sql, int *n_params);
/* The text of migration @version for PostgreSQL (sk-schema-postgres.c). */
char *sk_postgres_migration (int version);

/* A thread listening on a channel, so that what other connections change
 * reaches this process at once (NOTIFY, sent by triggers of the schema).
 * @func runs in that thread: with @listening TRUE on each notification and
 * once listening starts, FALSE when the connection is lost (what was
 * notified meanwhile is unknown; it is made again every second). */
typedef struct _SkPostgresListener SkPostgresListener;

/* Notified when a user or a token is changed or removed. */
#define SK_POSTGRES_ACCOUNTS_CHANNEL "skidka_accounts"

typedef void (*SkPostgresNotifyFunc) (gboolean listening, gpointer user_data);

SkPostgresListener *sk_postgres_listen (const char          *uri,
                                        const char          *channel,
                                        SkPostgresNotifyFunc func,
                                        gpointer             user_data,
                                        GError             **error);
void                sk_postgres_listener_free (SkPostgresListener *listener);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SkPostgresListener, sk_postgres_listener_free)

G_END_DECLS
