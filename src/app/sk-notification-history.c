/* sk-notification-history.c: a customer's notifications: channel, event or
 * subject, and status (pending, sent with its time, failed with its
 * error), newest first, a page at a time, read off the main thread.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-notification-history.h"
#include "sk-widgets.h"

struct _SkNotificationHistory
{
  AdwBin parent_instance;

  GtkWidget    *group;
  GtkWidget    *more_button;
  GtkWidget    *empty_row;
  char         *customer_id;
  char         *next_cursor;
  GCancellable *cancellable; /* while a page is read */
  guint         n_shown;
};

G_DEFINE_FINAL_TYPE (SkNotificationHistory, sk_notification_history, ADW_TYPE_BIN)

static char *
status_text (SkNotification *n)
{
  const char *status = sk_record_get_string (n, "status");

  if (g_strcmp0 (status, "sent") == 0)
    {
      g_autofree char *when = sk_datetime_from_usec (sk_record_get_int64 (n, "sent_at"));

      return g_strdup_printf (_ ("Sent %s"), when);
    }
  if (g_strcmp0 (status, "failed") == 0)
    {
      const char *error = sk_record_get_string (n, "error");

      return g_strdup_printf (_ ("Failed: %s"), error && *error ? error : _ ("no reason given"));
    }
  {
    g_autofree char *when = sk_datetime_from_usec (sk_record_get_int64 (n, "created_at"));

    /* One message: "waiting", not the sync status's "pending" (a count). */
    return g_strdup_printf (C_ ("message", "Waiting to be sent since %s"), when);
  }
}

static void
add_row (SkNotificationHistory *self, SkNotification *n)
{
  const char      *subject = sk_record_get_string (n, "subject");
  const char      *event = sk_notification_event_display_name (sk_record_get_string (n, "event"));
  g_autofree char *status = status_text (n);
  g_autofree char *sub = g_strdup_printf (
      "%s · %s\n%s", sk_channel_display_name (sk_record_get_string (n, "channel")), event, status);
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), subject && *subject ? subject : event);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  if (g_strcmp0 (sk_record_get_string (n, "status"), "failed") == 0)
    gtk_widget_add_css_class (row, "error");
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), row);
}

static void
page_done (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkNotificationHistory *self;
  g_autoptr (SkNotificationPage) page = NULL;
  g_autoptr (GError) error = NULL;

  page = sk_repository_list_notifications_finish (SK_REPOSITORY (source), result, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = SK_NOTIFICATION_HISTORY (user_data);
  g_clear_object (&self->cancellable);
  gtk_widget_set_sensitive (self->more_button, TRUE);
  if (page == NULL)
    {
      sk_widget_toast_error (GTK_WIDGET (self), error);
      return;
    }
  for (guint i = 0; i < page->notifications->len; i++)
    add_row (self, g_ptr_array_index (page->notifications, i));
  self->n_shown += page->notifications->len;
  g_free (self->next_cursor);
  self->next_cursor = g_steal_pointer (&page->next_cursor);
  gtk_widget_set_visible (self->more_button, self->next_cursor != NULL);
  gtk_widget_set_visible (self->empty_row, self->n_shown == 0);
}

static void
load_page (SkNotificationHistory *self)
{
  if (self->cancellable != NULL || sk_app_repository () == NULL)
    return;
  self->cancellable = g_cancellable_new ();
  gtk_widget_set_sensitive (self->more_button, FALSE);
  sk_repository_list_notifications_async (sk_app_repository (), self->customer_id,
                                          self->next_cursor, SK_NOTIFICATION_HISTORY_PAGE,
                                          self->cancellable, page_done, self);
}

void
sk_notification_history_load_more (SkNotificationHistory *self)
{
  g_return_if_fail (SK_IS_NOTIFICATION_HISTORY (self));
  if (self->next_cursor != NULL)
    load_page (self);
}

gboolean
sk_notification_history_get_loading (SkNotificationHistory *self)
{
  g_return_val_if_fail (SK_IS_NOTIFICATION_HISTORY (self), FALSE);
  return self->cancellable != NULL;
}

guint
sk_notification_history_get_n_shown (SkNotificationHistory *self)
{
  g_return_val_if_fail (SK_IS_NOTIFICATION_HISTORY (self), 0);
  return self->n_shown;
}

static void
more_clicked_cb (SkNotificationHistory *self)
{
  sk_notification_history_load_more (self);
}

GtkWidget *
sk_notification_history_new (const char *customer_id)
{
  SkNotificationHistory *self;

  g_return_val_if_fail (customer_id != NULL, NULL);
  self = g_object_new (SK_TYPE_NOTIFICATION_HISTORY, NULL);
  self->customer_id = g_strdup (customer_id);
  load_page (self);
  return GTK_WIDGET (self);
}

static void
sk_notification_history_dispose (GObject *object)
{
  SkNotificationHistory *self = SK_NOTIFICATION_HISTORY (object);

  sk_cancellable_clear (&self->cancellable);
  G_OBJECT_CLASS (sk_notification_history_parent_class)->dispose (object);
}

static void
sk_notification_history_finalize (GObject *object)
{
  SkNotificationHistory *self = SK_NOTIFICATION_HISTORY (object);

  g_free (self->customer_id);
  g_free (self->next_cursor);
  G_OBJECT_CLASS (sk_notification_history_parent_class)->finalize (object);
}

static void
sk_notification_history_class_init (SkNotificationHistoryClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = sk_notification_history_dispose;
  object_class->finalize = sk_notification_history_finalize;
}

static void
sk_notification_history_init (SkNotificationHistory *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);

  self->group = adw_preferences_group_new ();
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->group), _ ("Notifications"));
  self->empty_row = adw_action_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->empty_row), _ ("No notifications yet"));
  gtk_widget_set_visible (self->empty_row, FALSE);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), self->empty_row);
  gtk_box_append (GTK_BOX (box), self->group);
  self->more_button = gtk_button_new_with_mnemonic (_ ("Show _More Notifications"));
  gtk_widget_set_halign (self->more_button, GTK_ALIGN_CENTER);
  gtk_widget_set_visible (self->more_button, FALSE);
  g_signal_connect_swapped (self->more_button, "clicked", G_CALLBACK (more_clicked_cb), self);
  gtk_box_append (GTK_BOX (box), self->more_button);
  adw_bin_set_child (ADW_BIN (self), box);
}
