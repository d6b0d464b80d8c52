/* sk-notification-history.h: a customer's notifications in the details
 * pane, newest first, a page at a time, read off the main thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define SK_TYPE_NOTIFICATION_HISTORY (sk_notification_history_get_type ())
G_DECLARE_FINAL_TYPE (
    SkNotificationHistory, sk_notification_history, SK, NOTIFICATION_HISTORY, AdwBin)

/* Notifications a page reads. */
#define SK_NOTIFICATION_HISTORY_PAGE 20

/* Starts reading the first page of @customer_id's notifications. */
GtkWidget *sk_notification_history_new (const char *customer_id);
/* TRUE while a page is being read. */
gboolean sk_notification_history_get_loading (SkNotificationHistory *self);
/* How many notifications are shown. */
guint sk_notification_history_get_n_shown (SkNotificationHistory *self);
/* Reads the next page (what "Show More" does); nothing on the last page. */
void sk_notification_history_load_more (SkNotificationHistory *self);

G_END_DECLS
