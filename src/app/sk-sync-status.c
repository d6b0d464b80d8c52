/* sk-sync-status.c: the sync state in the header bar, from the client's
 * properties.
 * SPDX-License-Identifier: GPL-3.0-or-later */
#include "config.h"

#include <glib/gi18n.h>

#include "sk-sync-status.h"

struct _SkSyncStatus
{
  AdwBin parent_instance;

  SkBackgroundSync *sync;
  SkSyncClient     *client; /* the one whose signals are connected */
  GtkMenuButton    *button;
  GtkImage         *icon;
  GtkSpinner       *spinner;
  GtkLabel         *label;        /* the state in words */
  GtkLabel         *medium_label; /* where they do not fit: the words that matter most */
  GtkLabel         *short_label;  /* where those do not: a time or a count */
  GtkLabel         *title;
  GtkLabel         *detail;
  GtkWidget        *copy_button;
  GtkWidget        *sign_in_button;
};

G_DEFINE_FINAL_TYPE (SkSyncStatus, sk_sync_status, ADW_TYPE_BIN)

/* A time of today as hours and minutes, of another day with the date. */
static char *
format_time (gint64 usec)
{
  g_autoptr (GDateTime) dt = g_date_time_new_from_unix_local (usec / G_USEC_PER_SEC);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();

  if (dt == NULL)
    return g_strdup ("—");
  if (g_date_time_get_year (dt) == g_date_time_get_year (now)
      && g_date_time_get_day_of_year (dt) == g_date_time_get_day_of_year (now))
    return g_date_time_format (dt, "%H:%M");
  return g_date_time_format (dt, "%x %H:%M");
}

char *
sk_sync_status_dup_details (SkSyncStatus *self)
{
  SkSyncClient    *client;
  const char      *error;
  g_autofree char *server = NULL;
  g_autofree char *last = NULL;

  g_return_val_if_fail (SK_IS_SYNC_STATUS (self), NULL);

  client = self->client;
  error = client ? sk_sync_client_get_last_error (client) : NULL;
  if (error == NULL)
    return NULL;
  g_object_get (client, "server-url", &server, NULL);
  last = sk_sync_client_get_last_success (client) > 0
             ? format_time (sk_sync_client_get_last_success (client))
             : g_strdup ("—");
  return g_strdup_printf ("Skidka %s\n%s: %s\n%s: %s\n%s: %" G_GINT64_FORMAT "\n%s: %u\n%s",
                          PACKAGE_VERSION, _ ("Server"), server, _ ("Last synced"), last,
                          _ ("Pending"), sk_sync_client_get_pending (client),
                          _ ("Failures in a row"), sk_sync_client_get_failures (client), error);
}

static void
update (SkSyncStatus *self)
{
  SkSyncClient    *client = self->client;
  SkSyncState      state;
  gint64           pending;
  g_autofree char *text = NULL;
  g_autofree char *pending_text = NULL;
  g_autofree char *medium_text = NULL;
  g_autofree char *short_text = NULL;
  const char      *title, *icon = "emblem-ok-symbolic", *css = NULL;
  const char      *error;

  gtk_widget_set_visible (GTK_WIDGET (self), client != NULL);
  if (client == NULL)
    return;
  state = sk_sync_client_get_state (client);
  pending = sk_sync_client_get_pending (client);
  error = sk_sync_client_get_last_error (client);
  if (pending > 0)
    {
      pending_text = g_strdup_printf (
          g_dngettext (GETTEXT_PACKAGE, "%d pending", "%d pending", (gulong)pending),
          (int)MIN (pending, G_MAXINT));
      /* The icon says what waits for what; the count, how much. */
      short_text = g_strdup_printf ("%" G_GINT64_FORMAT, pending);
    }

  /* While a cycle runs the button keeps what the last one said, with a
   * spinner: a minute's routine cycle does not make it flicker. */
  if (sk_sync_client_get_needs_sign_in (client))
    {
      text = pending_text ? g_strdup_printf (_ ("Sign in again · %s"), pending_text)
                          : g_strdup (_ ("Sign in again"));
      medium_text = g_strdup (_ ("Sign in again"));
      title = _ ("HQ needs you to sign in again. The sales of this till are kept until then.");
      icon = "dialog-password-symbolic";
      css = "warning";
    }
  else if (sk_background_sync_get_offline_since (self->sync) > 0)
    {
      g_autofree char *since = format_time (sk_background_sync_get_offline_since (self->sync));

      /* What waits first: a narrow header bar cuts the end. */
      text = pending_text ? g_strdup_printf (_ ("%s · offline since %s"), pending_text, since)
                          : g_strdup_printf (_ ("Offline since %s"), since);
      /* Short of room, the icon says offline; the words, what waits. */
      medium_text = g_strdup (pending_text ? pending_text : text);
      title = _ ("HQ cannot be reached. The till works on; it syncs when HQ is back.");
      icon = "network-offline-symbolic";
      css = "warning";
    }
  else if (error != NULL && state != SK_SYNC_STATE_IDLE)
    {
      text = pending_text ? g_strdup_printf (_ ("Sync error · %s"), pending_text)
                          : g_strdup (_ ("Sync error"));
      medium_text = g_strdup (_ ("Sync error"));
      title = _ ("HQ answered with an error:");
      icon = "dialog-error-symbolic";
      css = "error";
    }
  else if (pending_text != NULL)
    {
      text = g_steal_pointer (&pending_text);
      title = _ ("Sales and changes of this till wait to be sent to HQ.");
      icon = "mail-send-receive-symbolic";
    }
  else if (sk_sync_client_get_last_success (client) > 0)
    {
      g_autofree char *at = format_time (sk_sync_client_get_last_success (client));

      text = g_strdup_printf (_ ("Synced %s"), at);
      short_text = g_strdup (at);
      title = _ ("HQ has everything this till sold.");
    }
  else
    {
      text = g_strdup (_ ("Not synced yet"));
      title = _ ("The first sync with HQ has not finished yet.");
      icon = "content-loading-symbolic";
    }
  gtk_label_set_label (self->label, text);
  gtk_label_set_label (self->medium_label, medium_text ? medium_text : text);
  gtk_label_set_label (self->short_label, short_text ? short_text : "");
  gtk_label_set_label (self->title, title);
  gtk_label_set_label (self->detail, error ? error : "");
  gtk_widget_set_visible (GTK_WIDGET (self->detail), error != NULL);
  gtk_widget_set_visible (self->copy_button, error != NULL);
  gtk_widget_set_visible (self->sign_in_button, sk_sync_client_get_needs_sign_in (client));
  gtk_image_set_from_icon_name (self->icon, icon);
  gtk_widget_set_visible (GTK_WIDGET (self->icon), state != SK_SYNC_STATE_SYNCING);
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), state == SK_SYNC_STATE_SYNCING);
  gtk_spinner_set_spinning (self->spinner, state == SK_SYNC_STATE_SYNCING);
  gtk_widget_remove_css_class (GTK_WIDGET (self->button), "warning");
  gtk_widget_remove_css_class (GTK_WIDGET (self->button), "error");
  if (css != NULL)
    gtk_widget_add_css_class (GTK_WIDGET (self->button), css);
  /* The whole state, for when the header bar cuts the words. */
  {
    g_autofree char *tooltip = g_strdup_printf ("%s\n%s", text, title);

    gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), tooltip);
  }
  gtk_accessible_update_property (GTK_ACCESSIBLE (self->button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  text, -1);
}

static void
client_changed_cb (SkSyncStatus *self)
{
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, sk_background_sync_get_client (self->sync));
  if (self->client != NULL)
    g_signal_connect_object (self->client, "notify", G_CALLBACK (update), self, G_CONNECT_SWAPPED);
  update (self);
}

const char *
sk_sync_status_get_text (SkSyncStatus *self)
{
  g_return_val_if_fail (SK_IS_SYNC_STATUS (self), NULL);
  return gtk_label_get_label (self->label);
}

const char *
sk_sync_status_get_shown_text (SkSyncStatus *self)
{
  GtkWidget *shown;

  g_return_val_if_fail (SK_IS_SYNC_STATUS (self), NULL);
  shown = adw_squeezer_get_visible_child (
      ADW_SQUEEZER (gtk_widget_get_parent (GTK_WIDGET (self->label))));
  return shown != NULL ? gtk_label_get_label (GTK_LABEL (shown)) : "";
}

static void
copy_clicked_cb (SkSyncStatus *self)
{
  g_autofree char *details = sk_sync_status_dup_details (self);

  if (details == NULL)
    return;
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), details);
  gtk_menu_button_popdown (self->button);
}

static GtkWidget *
popover_button (const char *label, const char *action)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);

  if (action != NULL)
    gtk_actionable_set_action_name (GTK_ACTIONABLE (button), action);
  return button;
}

GtkWidget *
sk_sync_status_new (SkBackgroundSync *sync)
{
  SkSyncStatus *self = g_object_new (SK_TYPE_SYNC_STATUS, NULL);

  self->sync = g_object_ref (sync);
  g_signal_connect_object (sync, "notify", G_CALLBACK (client_changed_cb), self, G_CONNECT_SWAPPED);
  client_changed_cb (self);
  return GTK_WIDGET (self);
}

static void
sk_sync_status_dispose (GObject *object)
{
  SkSyncStatus *self = SK_SYNC_STATUS (object);

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->sync);
  G_OBJECT_CLASS (sk_sync_status_parent_class)->dispose (object);
}

static void
sk_sync_status_class_init (SkSyncStatusClass *klass)
{
  G_OBJECT_CLASS (klass)->dispose = sk_sync_status_dispose;
}

static void
sk_sync_status_init (SkSyncStatus *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *content = gtk_box_new (GTK_ORIENTATION_VERTICAL, 12);
  GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);
  GtkWidget *popover = gtk_popover_new ();
  GtkWidget *copy, *squeezer;

  self->icon = GTK_IMAGE (gtk_image_new ());
  self->spinner = GTK_SPINNER (gtk_spinner_new ());
  self->label = GTK_LABEL (gtk_label_new (NULL));
  self->medium_label = GTK_LABEL (gtk_label_new (NULL));
  self->short_label = GTK_LABEL (gtk_label_new (NULL));
  /* A narrow header bar, which gives its start no more than it needs at
   * the least, shows a time or a count, or the icon alone (its colour and
   * the tooltip say the rest); a wide one, the words. Cut words said
   * "Sy…". */
  squeezer = adw_squeezer_new ();
  adw_squeezer_set_homogeneous (ADW_SQUEEZER (squeezer), FALSE);
  adw_squeezer_set_xalign (ADW_SQUEEZER (squeezer), 0);
  adw_squeezer_add (ADW_SQUEEZER (squeezer), GTK_WIDGET (self->label));
  adw_squeezer_add (ADW_SQUEEZER (squeezer), GTK_WIDGET (self->medium_label));
  adw_squeezer_add (ADW_SQUEEZER (squeezer), GTK_WIDGET (self->short_label));
  gtk_label_set_xalign (self->label, 0);
  gtk_label_set_xalign (self->medium_label, 0);
  gtk_label_set_xalign (self->short_label, 0);
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->icon));
  gtk_box_append (GTK_BOX (box), GTK_WIDGET (self->spinner));
  gtk_box_append (GTK_BOX (box), squeezer);

  self->title = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->title, TRUE);
  gtk_label_set_max_width_chars (self->title, 40);
  gtk_label_set_xalign (self->title, 0);
  self->detail = GTK_LABEL (gtk_label_new (NULL));
  gtk_label_set_wrap (self->detail, TRUE);
  gtk_label_set_max_width_chars (self->detail, 40);
  gtk_label_set_selectable (self->detail, TRUE);
  gtk_label_set_xalign (self->detail, 0);
  gtk_widget_add_css_class (GTK_WIDGET (self->detail), "monospace");
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->title));
  gtk_box_append (GTK_BOX (content), GTK_WIDGET (self->detail));

  self->sign_in_button = popover_button (_ ("_Sign In…"), "app.connect");
  gtk_widget_add_css_class (self->sign_in_button, "suggested-action");
  copy = popover_button (_ ("_Copy Details"), NULL);
  self->copy_button = copy;
  g_signal_connect_swapped (copy, "clicked", G_CALLBACK (copy_clicked_cb), self);
  gtk_box_append (GTK_BOX (buttons), self->sign_in_button);
  gtk_box_append (GTK_BOX (buttons), copy);
  gtk_box_append (GTK_BOX (buttons), popover_button (_ ("Sync _Now"), "app.sync-now"));
  gtk_widget_set_halign (buttons, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (content), buttons);
  gtk_popover_set_child (GTK_POPOVER (popover), content);

  self->button = GTK_MENU_BUTTON (gtk_menu_button_new ());
  gtk_menu_button_set_child (self->button, box);
  gtk_menu_button_set_popover (self->button, popover);
  gtk_widget_add_css_class (GTK_WIDGET (self->button), "flat");
  adw_bin_set_child (ADW_BIN (self), GTK_WIDGET (self->button));
  gtk_widget_set_visible (GTK_WIDGET (self), FALSE);
}
