/* sk-review-window.c: HQ's review list for a store, read and resolved over
 * the account's token, off the main loop.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "sk-review-window.h"
#include "sk-sync-client.h"
#include "sk-sync.h"
#include "sk-widgets.h"

/* Items read at once: the newest first. */
#define REVIEW_PAGE 200

struct _SkReviewWindow
{
  AdwWindow parent_instance;

  SkApplication       *app;
  AdwToastOverlay     *toasts;
  GtkStack            *stack;
  AdwPreferencesGroup *group;
  AdwStatusPage       *empty;
  GtkWidget           *refresh_button;
  GPtrArray           *rows;
  GCancellable        *cancellable;
  guint                busy;
};

G_DEFINE_FINAL_TYPE (SkReviewWindow, sk_review_window, ADW_TYPE_WINDOW)

gboolean
sk_review_allowed (SkRole role)
{
  return role == SK_ROLE_MANAGER || role == SK_ROLE_ADMIN;
}

const char *
sk_review_kind_title (const char *kind, const char *event_kind)
{
  static const struct
  {
    const char *kind;
    const char *title;
  } titles[] = {
    { "negative_balance", N_ ("Negative balance after an offline spend") },
    { "negative_balance " SK_SYNC_KIND_REFUND, N_ ("Negative balance after a return") },
    { "negative_balance " SK_SYNC_KIND_BONUS, N_ ("Negative balance after a bonus adjustment") },
    { "rejected_event", N_ ("Rejected by HQ") },
    { "field_conflict", N_ ("Conflicting customer edits") },
    { "customer_merged", N_ ("Customers merged") },
    { "merged_customer", N_ ("Customers merged") },
    { "clock_ahead", N_ ("Till clock ahead") },
    { "usage_limit_exceeded", N_ ("Rule usage limit exceeded offline") },
    { "budget_exceeded", N_ ("Campaign budget exceeded offline") },
    { "refund_differs", N_ ("Refund differs from the sale") },
  };

  /* The event that made it, where that tells more ("kind event"). */
  for (guint i = 0; kind != NULL && event_kind != NULL && i < G_N_ELEMENTS (titles); i++)
    if (g_str_has_prefix (titles[i].kind, kind) && titles[i].kind[strlen (kind)] == ' '
        && g_str_equal (titles[i].kind + strlen (kind) + 1, event_kind))
      return _ (titles[i].title);
  for (guint i = 0; kind != NULL && i < G_N_ELEMENTS (titles); i++)
    if (g_str_equal (kind, titles[i].kind))
      return _ (titles[i].title);
  return kind != NULL ? kind : _ ("Other");
}

guint
sk_review_window_get_n_items (SkReviewWindow *self)
{
  g_return_val_if_fail (SK_IS_REVIEW_WINDOW (self), 0);
  return self->rows->len;
}

gboolean
sk_review_window_get_busy (SkReviewWindow *self)
{
  g_return_val_if_fail (SK_IS_REVIEW_WINDOW (self), FALSE);
  return self->busy > 0;
}

static void
toast (SkReviewWindow *self, const char *message)
{
  adw_toast_overlay_add_toast (self->toasts, adw_toast_new (message));
}

/* Requests, in a worker */

typedef struct
{
  char      *server_url;
  char      *token;
  char      *method;
  char      *path;
  GtkWidget *row; /* the item's row, for a resolve */
} Request;

static void
request_free (Request *request)
{
  g_free (request->server_url);
  g_free (request->token);
  g_free (request->method);
  g_free (request->path);
  g_clear_object (&request->row);
  g_free (request);
}

static void
request_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  Request  *request = data;
  GError   *error = NULL;
  JsonNode *answer = sk_sync_request (request->server_url, request->token, request->method,
                                      request->path, NULL, cancellable, &error);

  if (answer == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, answer, (GDestroyNotify)json_node_unref);
}

static gboolean
start_request (SkReviewWindow     *self,
               const char         *method,
               const char         *path,
               GtkWidget          *row,
               GAsyncReadyCallback callback)
{
  SkSyncClient *client = sk_background_sync_get_client (sk_application_get_sync (self->app));
  g_autoptr (GTask) task = NULL;
  Request *request;

  if (client == NULL || sk_sync_client_get_token (client) == NULL)
    {
      toast (self, _ ("Sign in to HQ to see what it lists for review"));
      return FALSE;
    }
  request = g_new0 (Request, 1);
  g_object_get (client, "server-url", &request->server_url, NULL);
  request->token = g_strdup (sk_sync_client_get_token (client));
  request->method = g_strdup (method);
  request->path = g_strdup (path);
  request->row = row ? g_object_ref (row) : NULL;
  task = g_task_new (self, self->cancellable, callback, NULL);
  g_task_set_source_tag (task, start_request);
  g_task_set_task_data (task, request, (GDestroyNotify)request_free);
  self->busy++;
  gtk_widget_set_sensitive (self->refresh_button, FALSE);
  g_task_run_in_thread (task, request_thread);
  return TRUE;
}

static JsonNode *
finish_request (SkReviewWindow *self, GAsyncResult *result, GError **error)
{
  self->busy--;
  gtk_widget_set_sensitive (self->refresh_button, self->busy == 0);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* The list */

static char *
value_text (JsonNode *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("—");
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    return g_strdup (json_node_get_string (node));
  return json_to_string (node, FALSE);
}

/* What HQ's details of an item are called here; amounts are kopecks. */
typedef struct
{
  const char *name;
  const char *title;
  gboolean    money;
} Detail;

static const Detail detail_names[] = {
  { "code", N_ ("HQ's reason"), FALSE },
  { "field", N_ ("Field"), FALSE },
  { "amount", N_ ("Amount"), TRUE },
  { "till_amount", N_ ("Amount at the till"), TRUE },
  { "balance", N_ ("Balance"), TRUE },
  { "spent", N_ ("Spent"), TRUE },
  { "uses", N_ ("Uses"), FALSE },
  { "customer_id", N_ ("Customer"), FALSE },
  { "alias_id", N_ ("Merged customer"), FALSE },
  { "purchase_id", N_ ("Sale"), FALSE },
  { "refund_id", N_ ("Return"), FALSE },
  { "rule_id", N_ ("Rule"), FALSE },
  { "campaign_id", N_ ("Campaign"), FALSE },
  { "created_at", N_ ("Time"), FALSE },
  { "payload_id", N_ ("Record"), FALSE },
};

/* An event's kind as the till's user calls it. */
static const SkDisplayName event_kinds[] = {
  { SK_SYNC_KIND_PURCHASE, N_ ("A sale") },
  { SK_SYNC_KIND_REFUND, N_ ("A return") },
  { SK_SYNC_KIND_BONUS, N_ ("Bonuses by hand") },
  { SK_SYNC_KIND_CUSTOMER_CREATE, N_ ("A customer registered") },
  { SK_SYNC_KIND_CUSTOMER_UPDATE, N_ ("A customer's edit") },
  { SK_SYNC_KIND_NOTIFICATION, N_ ("A receipt by e-mail") },
};

static const Detail *
detail_of (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (detail_names); i++)
    if (g_str_equal (detail_names[i].name, name))
      return &detail_names[i];
  return NULL;
}

static void
add_detail (AdwExpanderRow *expander, const char *title, const char *text)
{
  GtkWidget *row = adw_action_row_new ();

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), text);
  adw_expander_row_add_row (expander, row);
}

static void resolve_clicked_cb (GtkButton *button, SkReviewWindow *self);

static GtkWidget *
item_row (SkReviewWindow *self, JsonObject *item)
{
  GtkWidget  *row = adw_expander_row_new ();
  GtkWidget  *resolve = gtk_button_new_with_mnemonic (_ ("Mark _Resolved"));
  const char *kind = sk_json_member_string (item, "kind", NULL);
  const char *created_at = sk_json_member_string (item, "created_at", "");
  g_autoptr (GDateTime) when = g_date_time_new_from_iso8601 (created_at, NULL);
  g_autoptr (GDateTime) local = when ? g_date_time_to_local (when) : NULL;
  g_autofree char *created = local ? g_date_time_format (local, "%x %H:%M") : g_strdup (created_at);
  JsonNode        *details = json_object_get_member (item, "details");
  g_autofree char *subtitle = NULL;
  g_autofree char *summary = NULL;

  /* The details' message or reason, when HQ gave one, says it best. */
  if (details != NULL && JSON_NODE_HOLDS_OBJECT (details))
    {
      JsonObject *d = json_node_get_object (details);

      summary = g_strdup (
          sk_json_member_string (d, "message", sk_json_member_string (d, "reason", "")));
    }
  subtitle = summary != NULL && *summary != '\0' ? g_strdup_printf ("%s · %s", created, summary)
                                                 : g_strdup (created);
  adw_preferences_row_set_title (
      ADW_PREFERENCES_ROW (row),
      sk_review_kind_title (kind, sk_json_member_string (item, "event_kind", NULL)));
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
  g_object_set_data_full (G_OBJECT (row), "item-id",
                          g_strdup (sk_json_member_string (item, "id", "")), g_free);

  /* Opened: everything HQ said of it. */
  {
    static const struct
    {
      const char *member;
      const char *title;
    } members[] = {
      { "event_kind", N_ ("Event") },     { "event_id", N_ ("Event id") },
      { "customer_id", N_ ("Customer") }, { "device_id", N_ ("Till") },
      { "seq", N_ ("Sequence") },
    };

    for (guint i = 0; i < G_N_ELEMENTS (members); i++)
      if (json_object_has_member (item, members[i].member)
          && !json_object_get_null_member (item, members[i].member))
        {
          g_autofree char *text = value_text (json_object_get_member (item, members[i].member));
          const char      *said = NULL;

          if (g_str_equal (members[i].member, "event_kind"))
            said = sk_display_name (event_kinds, G_N_ELEMENTS (event_kinds), text);
          /* sk_display_name gives back an unknown kind as it is: text. */
          if (said != NULL && said != text)
            {
              g_free (text);
              text = g_strdup (said);
            }

          add_detail (ADW_EXPANDER_ROW (row), _ (members[i].title), text);
        }
    if (details != NULL && JSON_NODE_HOLDS_OBJECT (details))
      {
        JsonObjectIter iter;
        const char    *name;
        JsonNode      *value;

        json_object_iter_init (&iter, json_node_get_object (details));
        while (json_object_iter_next (&iter, &name, &value))
          {
            const Detail    *detail = detail_of (name);
            g_autofree char *text = NULL;

            /* The message is the item's subtitle already. */
            if (g_str_equal (name, "message") || g_str_equal (name, "reason"))
              continue;
            text = detail != NULL && detail->money && JSON_NODE_HOLDS_VALUE (value)
                           && json_node_get_value_type (value) == G_TYPE_INT64
                       ? sk_money_format (json_node_get_int (value))
                       : value_text (value);
            add_detail (ADW_EXPANDER_ROW (row), detail != NULL ? _ (detail->title) : name, text);
          }
      }
  }
  gtk_widget_set_valign (resolve, GTK_ALIGN_CENTER);
  g_signal_connect (resolve, "clicked", G_CALLBACK (resolve_clicked_cb), self);
  g_object_set_data (G_OBJECT (resolve), "item-row", row);
  adw_expander_row_add_action (ADW_EXPANDER_ROW (row), resolve);
  return row;
}

static void
show_empty_or_list (SkReviewWindow *self)
{
  gtk_stack_set_visible_child_name (self->stack, self->rows->len > 0 ? "list" : "empty");
}

static void
clear_rows (SkReviewWindow *self)
{
  for (guint i = 0; i < self->rows->len; i++)
    adw_preferences_group_remove (self->group, g_ptr_array_index (self->rows, i));
  g_ptr_array_set_size (self->rows, 0);
}

static void
listed_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkReviewWindow *self = SK_REVIEW_WINDOW (source);
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = finish_request (self, result, &error);
  JsonObject *object
      = answer && JSON_NODE_HOLDS_OBJECT (answer) ? json_node_get_object (answer) : NULL;
  JsonNode  *member = object ? json_object_get_member (object, "items") : NULL;
  JsonArray *items = member && JSON_NODE_HOLDS_ARRAY (member) ? json_node_get_array (member) : NULL;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (answer == NULL)
    {
      toast (self, error->message);
      return;
    }
  clear_rows (self);
  for (guint i = 0; items != NULL && i < json_array_get_length (items); i++)
    {
      JsonNode  *node = json_array_get_element (items, i);
      GtkWidget *row;

      if (!JSON_NODE_HOLDS_OBJECT (node))
        continue;
      row = item_row (self, json_node_get_object (node));
      g_ptr_array_add (self->rows, row);
      adw_preferences_group_add (self->group, row);
    }
  show_empty_or_list (self);
}

static void
refresh (SkReviewWindow *self)
{
  g_autofree char *path = g_strdup_printf ("/api/sync/review?limit=%d", REVIEW_PAGE);

  start_request (self, "GET", path, NULL, listed_cb);
}

static void
resolved_cb (GObject *source, GAsyncResult *result, gpointer user_data)
{
  SkReviewWindow *self = SK_REVIEW_WINDOW (source);
  Request        *request = g_task_get_task_data (G_TASK (result));
  g_autoptr (GError) error = NULL;
  g_autoptr (JsonNode) answer = finish_request (self, result, &error);

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  if (answer == NULL)
    {
      gtk_widget_set_sensitive (request->row, TRUE);
      toast (self, error->message);
      return;
    }
  if (g_ptr_array_remove (self->rows, request->row))
    adw_preferences_group_remove (self->group, request->row);
  show_empty_or_list (self);
  toast (self, _ ("Marked resolved"));
}

static void
resolve_clicked_cb (GtkButton *button, SkReviewWindow *self)
{
  GtkWidget       *row = g_object_get_data (G_OBJECT (button), "item-row");
  g_autofree char *escaped
      = g_uri_escape_string (g_object_get_data (G_OBJECT (row), "item-id"), NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/sync/review/%s/resolve", escaped);

  if (start_request (self, "POST", path, row, resolved_cb))
    gtk_widget_set_sensitive (row, FALSE);
}

SkReviewWindow *
sk_review_window_new (SkApplication *app)
{
  SkReviewWindow *self = g_object_new (SK_TYPE_REVIEW_WINDOW, NULL);

  self->app = app;
  refresh (self);
  return self;
}

static void
sk_review_window_dispose (GObject *object)
{
  SkReviewWindow *self = SK_REVIEW_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  G_OBJECT_CLASS (sk_review_window_parent_class)->dispose (object);
}

static void
sk_review_window_finalize (GObject *object)
{
  SkReviewWindow *self = SK_REVIEW_WINDOW (object);

  g_clear_object (&self->cancellable);
  g_ptr_array_unref (self->rows);
  G_OBJECT_CLASS (sk_review_window_parent_class)->finalize (object);
}

static void
sk_review_window_class_init (SkReviewWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = sk_review_window_dispose;
  object_class->finalize = sk_review_window_finalize;
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
sk_review_window_init (SkReviewWindow *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  GtkWidget *header = adw_header_bar_new ();
  GtkWidget *page = adw_preferences_page_new ();

  self->rows = g_ptr_array_new ();
  self->cancellable = g_cancellable_new ();
  gtk_window_set_title (GTK_WINDOW (self), _ ("Sync Review"));
  gtk_window_set_default_size (GTK_WINDOW (self), 640, 560);

  self->refresh_button = gtk_button_new_from_icon_name ("view-refresh-symbolic");
  gtk_widget_set_tooltip_text (self->refresh_button, _ ("Reload"));
  g_signal_connect_swapped (self->refresh_button, "clicked", G_CALLBACK (refresh), self);
  adw_header_bar_pack_start (ADW_HEADER_BAR (header), self->refresh_button);

  self->group = ADW_PREFERENCES_GROUP (adw_preferences_group_new ());
  adw_preferences_group_set_title (self->group, _ ("To Look At"));
  adw_preferences_group_set_description (
      self->group, _ ("What HQ found in this store's offline sales and edits. Open an item for "
                      "its details; mark it resolved once it is dealt with."));
  adw_preferences_page_add (ADW_PREFERENCES_PAGE (page), self->group);

  self->empty = ADW_STATUS_PAGE (adw_status_page_new ());
  adw_status_page_set_icon_name (self->empty, "emblem-ok-symbolic");
  adw_status_page_set_title (self->empty, _ ("Nothing to Review"));
  adw_status_page_set_description (self->empty,
                                   _ ("HQ found nothing to look at in this store's sync."));

  self->stack = GTK_STACK (gtk_stack_new ());
  gtk_stack_add_named (self->stack, page, "list");
  gtk_stack_add_named (self->stack, GTK_WIDGET (self->empty), "empty");
  gtk_stack_set_visible_child_name (self->stack, "empty");
  gtk_widget_set_vexpand (GTK_WIDGET (self->stack), TRUE);

  self->toasts = ADW_TOAST_OVERLAY (adw_toast_overlay_new ());
  adw_toast_overlay_set_child (self->toasts, GTK_WIDGET (self->stack));
  gtk_box_append (GTK_BOX (box), header);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->toasts));
  adw_window_set_content (ADW_WINDOW (self), box);
}
