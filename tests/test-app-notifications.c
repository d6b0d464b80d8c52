/* test-app-notifications.c: a customer's notification history in the
 * details pane (sent and failed with the gateway's error), and the
 * campaign editor's templates with their live preview.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <json-glib/json-glib.h>

#include "sk-campaign-editor.h"
#include "sk-customers-view.h"
#include "sk-model-private.h"
#include "sk-notification-history.h"
#include "sk-error.h"
#include "sk-notifications.h"
#include "sk-template-editor.h"
#include "sk-test-util.h"
#include "test-app-common.h"

static GtkWidget *
find_widget (GtkWidget *widget, GType type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_widget (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

/* A sale to @customer at the first store: its bonuses are announced on
 * every channel the customer agreed to. */
static void
sell (SkDatabase *db, SkCustomer *customer)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) stores = sk_database_list_stores (db, &error);
  g_autofree char *sale_id = g_uuid_string_random ();
  g_autofree char *json = NULL;
  g_autoptr (JsonNode) node = NULL;
  g_autoptr (SkPurchaseRequest) request = NULL;
  g_autoptr (SkPurchaseResult) result = NULL;

  g_assert_no_error (error);
  json = g_strdup_printf ("{\"id\": \"%s\", \"customer_id\": \"%s\", \"store_id\": \"%s\","
                          " \"items\": [{\"sku\": \"LEGO-1\", \"name\": \"Lego\","
                          " \"category\": \"toys\", \"unit_price\": 150000, \"quantity\": 1}]}",
                          sale_id, customer->id, sk_record_get_id (g_ptr_array_index (stores, 0)));
  node = json_from_string (json, &error);
  g_assert_no_error (error);
  request = sk_purchase_request_from_json (json_node_get_object (node), &error);
  g_assert_no_error (error);
  result = sk_database_process_purchase (db, request, &error);
  g_assert_no_error (error);
}

/* Delivers what is due the way the server's worker records it: the
 * customer's e-mail sent, the SMS refused by the gateway. */
static void
deliver (SkDatabase *db, const char *channel, SkDeliveryOutcome outcome, const char *message)
{
  const char *channels[] = { channel, NULL };
  g_autoptr (GError) error = NULL;
  g_autoptr (GPtrArray) claimed = NULL;
  g_autofree SkDeliveryRecord *records = NULL;
  gint64                       now = g_get_real_time ();

  claimed = sk_database_claim_notifications (db, channels, "test", now, now + 60 * G_USEC_PER_SEC,
                                             1000, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (claimed->len, >, 0);
  records = g_new0 (SkDeliveryRecord, claimed->len);
  for (guint i = 0; i < claimed->len; i++)
    {
      SkOutgoing *o = g_ptr_array_index (claimed, i);

      records[i].id = o->id;
      records[i].outcome = outcome;
      records[i].when = now;
      records[i].message = message;
    }
  g_assert_true (
      sk_database_finish_notifications (db, "test", records, claimed->len, NULL, &error));
  g_assert_no_error (error);
}

static gboolean
history_ready (gpointer history)
{
  return !sk_notification_history_get_loading (history);
}

/* Shows @customer_id in the customers view; its history once read. */
static SkNotificationHistory *
open_history (AppFixture *f, const char *customer_id)
{
  SkCustomersView       *view;
  SkNotificationHistory *history;

  sk_window_show_view (f->window, "customers");
  view = SK_CUSTOMERS_VIEW (sk_window_get_view (f->window, "customers"));
  sk_customers_view_show_customer (view, customer_id);
  g_assert_true (app_wait (app_customer_details_ready, view, 10000));
  history = SK_NOTIFICATION_HISTORY (
      find_widget (sk_customers_view_get_details (view), SK_TYPE_NOTIFICATION_HISTORY));
  g_assert_nonnull (history);
  /* Read off the main thread: the rows come when the page does. */
  g_assert_true (app_wait (history_ready, history, 10000));
  return history;
}

static void
test_history (AppFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) vera = sk_test_create_customer (f->db, "Вера Соколова", "+79001112233");
  g_autoptr (SkCustomer) olga = sk_test_create_customer (f->db, "Ольга Иванова", "+79005554433");
  g_autoptr (GString) text = g_string_new (NULL);
  SkNotificationHistory *history;
  const char            *sent, *failed;

  sk_test_set_string (&vera->email, "vera@example.org");
  vera->consent_email = vera->consent_sms = TRUE;
  g_assert_true (sk_database_update_customer (f->db, vera, &error));
  g_assert_no_error (error);
  sell (f->db, vera);
  deliver (f->db, "email", SK_DELIVERY_SENT, NULL);
  deliver (f->db, "sms", SK_DELIVERY_FAILED, "400 Bad Request: number is blocked");
  /* Her next sale's two messages wait to be sent. */
  sell (f->db, vera);

  gtk_window_set_default_size (GTK_WINDOW (f->window), 1366, 768);
  history = open_history (f, vera->id);
  g_assert_cmpuint (sk_notification_history_get_n_shown (history), ==, 4);
  app_collect_text (GTK_WIDGET (history), text);
  g_assert_nonnull (strstr (text->str, "Notifications\n"));
  sent = strstr (text->str, "Email · Bonuses earned\nSent ");
  failed = strstr (text->str, "SMS · Bonuses earned\nFailed: 400 Bad Request: number is blocked");
  g_assert_nonnull (sent);
  g_assert_nonnull (failed);
  g_assert_nonnull (strstr (text->str, "Email · Bonuses earned\nWaiting to be sent since "));
  g_assert_null (strstr (text->str, "No notifications yet"));
  app_pump (300);
  {
    GtkWidget *scroller = gtk_widget_get_ancestor (GTK_WIDGET (history), GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));

    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
    app_pump (300);
  }
  app_save_png (GTK_WIDGET (f->window), "notifications-history");

  /* Someone who was never sent anything says so. */
  history = open_history (f, olga->id);
  g_assert_cmpuint (sk_notification_history_get_n_shown (history), ==, 0);
  g_string_truncate (text, 0);
  app_collect_text (GTK_WIDGET (history), text);
  g_assert_nonnull (strstr (text->str, "No notifications yet"));
}

/* More than a page: "Show More" reads the next, newest first throughout. */
static void
test_history_pages (AppFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkCustomer) vera = sk_test_create_customer (f->db, "Вера Соколова", "+79001112233");
  SkNotificationHistory *history;
  guint                  n = SK_NOTIFICATION_HISTORY_PAGE + 5;

  sk_test_set_string (&vera->email, "vera@example.org");
  vera->consent_email = TRUE;
  g_assert_true (sk_database_update_customer (f->db, vera, &error));
  for (guint i = 0; i < n; i++)
    sell (f->db, vera);

  history = open_history (f, vera->id);
  g_assert_cmpuint (sk_notification_history_get_n_shown (history), ==,
                    SK_NOTIFICATION_HISTORY_PAGE);
  sk_notification_history_load_more (history);
  g_assert_true (app_wait (history_ready, history, 10000));
  g_assert_cmpuint (sk_notification_history_get_n_shown (history), ==, n);
  /* The last page: nothing more is read. */
  sk_notification_history_load_more (history);
  g_assert_false (sk_notification_history_get_loading (history));
}

static gboolean
template_ready (gpointer editor)
{
  return !sk_template_editor_get_loading (editor);
}

static gboolean
save_template (SkTemplateEditor *editor, GError **error)
{
  GAsyncResult *result = NULL;
  gboolean      ok;

  sk_template_editor_save_async (editor, NULL, app_keep_result, &result);
  ok = sk_template_editor_save_finish (editor, app_wait_result (&result), error);
  g_object_unref (result);
  return ok;
}

static SkNotificationTemplate *
stored (SkDatabase *db, const char *event, const char *language)
{
  g_autoptr (GError) error = NULL;
  SkNotificationTemplate *t = sk_database_get_notification_template (db, event, language, &error);

  g_assert_no_error (error);
  return t;
}

static void
test_templates (AppFixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (SkNotificationTemplate) ru = stored (f->db, "campaign", "ru");
  g_autoptr (SkNotificationTemplate) en = stored (f->db, "campaign", "en");
  g_autoptr (SkNotificationTemplate) after = NULL;
  SkCampaignEditor *window = sk_campaign_editor_new (GTK_WINDOW (f->window),
                                                     sk_application_get_repository (f->app), NULL);
  SkTemplateEditor *editor;

  gtk_window_set_default_size (GTK_WINDOW (window), 1366, 768);
  gtk_window_present (GTK_WINDOW (window));
  editor = SK_TEMPLATE_EDITOR (find_widget (GTK_WIDGET (window), SK_TYPE_TEMPLATE_EDITOR));
  g_assert_nonnull (editor);
  /* The announcement in Russian first, as stored, read off the main thread. */
  g_assert_true (sk_template_editor_get_loading (editor));
  g_assert_true (app_wait (template_ready, editor, 10000));
  {
    g_autoptr (GHashTable) values = sk_notification_sample_values ();
    g_autofree char *subject = sk_notification_render (ru->subject, values);

    g_assert_cmpstr (sk_template_editor_get_preview_subject (editor), ==, subject);
  }

  /* The preview follows the typing, with the store's own rendering. */
  sk_template_editor_set_subject (editor, "{name}, скидки ждут: {campaign}");
  sk_template_editor_set_body (editor, "{description}. Ваш магазин: {store}.");
  g_assert_cmpstr (sk_template_editor_get_preview_subject (editor), ==,
                   "Анна Петрова, скидки ждут: Весенняя распродажа");
  g_assert_cmpstr (sk_template_editor_get_preview_body (editor), ==,
                   "скидка 20 % на игрушки. Ваш магазин: Детский мир на Тверской.");
  g_assert_null (sk_template_editor_get_error (editor));
  app_pump (300);
  {
    GtkWidget *scroller = gtk_widget_get_ancestor (GTK_WIDGET (editor), GTK_TYPE_SCROLLED_WINDOW);
    GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scroller));

    gtk_adjustment_set_value (adj, gtk_adjustment_get_upper (adj));
    app_pump (300);
  }
  app_save_png (GTK_WIDGET (window), "notifications-templates");

  /* Saved: the store has it, one version on. */
  g_assert_true (save_template (editor, &error));
  g_assert_no_error (error);
  after = stored (f->db, "campaign", "ru");
  g_assert_cmpstr (after->subject, ==, "{name}, скидки ждут: {campaign}");
  g_assert_cmpstr (after->body, ==, "{description}. Ваш магазин: {store}.");
  g_assert_cmpint (after->version, ==, ru->version + 1);
  g_clear_pointer (&after, sk_notification_template_free);

  /* English: its own text; a placeholder the store does not know is
   * refused in place, with the store's message, and nothing is saved. */
  sk_template_editor_select (editor, "campaign", "en");
  g_assert_true (app_wait (template_ready, editor, 10000));
  sk_template_editor_set_body (editor, "Hello {nickname}, see {campaign}");
  g_assert_nonnull (sk_template_editor_get_error (editor));
  /* It names what was typed, and where, in the user's words. */
  g_assert_nonnull (strstr (sk_template_editor_get_error (editor),
                            "“{nickname}” in the text is not a placeholder"));
  g_assert_false (save_template (editor, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_INVALID);
  g_assert_cmpstr (sk_template_editor_get_error (editor), ==, error->message);
  g_clear_error (&error);
  after = stored (f->db, "campaign", "en");
  g_assert_cmpstr (after->subject, ==, en->subject);
  g_assert_cmpstr (after->body, ==, en->body);
  g_assert_cmpint (after->version, ==, en->version);
  g_clear_pointer (&after, sk_notification_template_free);

  /* Someone else saved the English text meanwhile: the version check
   * refuses this one and keeps theirs. */
  {
    g_autoptr (SkNotificationTemplate) theirs = stored (f->db, "campaign", "en");

    sk_test_set_string (&theirs->subject, "Their subject: {campaign}");
    g_assert_true (sk_database_save_notification_template (f->db, theirs, &error));
    g_assert_no_error (error);
  }
  sk_template_editor_set_body (editor, "Hello {name}, see {campaign}");
  g_assert_null (sk_template_editor_get_error (editor));
  g_assert_false (save_template (editor, &error));
  g_assert_error (error, SK_ERROR, SK_ERROR_STALE);
  g_assert_cmpstr (sk_template_editor_get_error (editor), ==, error->message);
  g_clear_error (&error);
  after = stored (f->db, "campaign", "en");
  g_assert_cmpstr (after->subject, ==, "Their subject: {campaign}");
  g_assert_cmpstr (after->body, ==, en->body);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int argc, char **argv)
{
  app_test_init (&argc, &argv);
  app_test_add ("/app/notifications/history", test_history);
  app_test_add ("/app/notifications/history-pages", test_history_pages);
  app_test_add ("/app/notifications/templates", test_templates);
  return g_test_run ();
}
