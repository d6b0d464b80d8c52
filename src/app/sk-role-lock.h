/* sk-role-lock.h: the role of a till not connected to HQ may be lowered
 * freely, but raised only with the administrator PIN, set on first use
 * and kept as a salted SHA-256 hash.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

#include "sk-application.h"

G_BEGIN_DECLS

/* The shortest PIN accepted. */
#define SK_PIN_MIN_LENGTH 4

/* "salt$hash" of @pin with a new random salt. */
char    *sk_pin_hash (const char *pin);
gboolean sk_pin_verify (const char *stored, const char *pin);

/* Whether going from @from to @to asks for the PIN: any change but to
 * cashier, the role with the fewest rights. */
gboolean sk_role_change_needs_pin (SkRole from, SkRole to);

/* Asks for the PIN (or to choose one, the first time) in a dialog over
 * @parent; TRUE when it was given right and the role may change, FALSE
 * when cancelled, or with an error saying what was wrong (a wrong PIN, a
 * new one too short). */
void     sk_role_lock_ask_async (GtkWindow          *parent,
                                 SkApplication      *app,
                                 GCancellable       *cancellable,
                                 GAsyncReadyCallback callback,
                                 gpointer            user_data);
gboolean sk_role_lock_ask_finish (GAsyncResult *result, GError **error);

G_END_DECLS
